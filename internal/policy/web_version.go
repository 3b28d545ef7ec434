package policy

import (
	"fmt"
	"net/http"

	"mamori/internal/policy/provision"
	"mamori/internal/web"
)

// block is one printed provision on the read view.
type block struct {
	Kind    string // chapter, article, para, text
	Anchor  string
	Heading string
	Label   string
	Text    string
	Depth   int
}

type navItem struct {
	Anchor, Heading string
	Articles        string // 第1条〜第8条
}

type versionView struct {
	L        *Loaded
	Blocks   []block
	Nav      []navItem
	Versions []Version
	CanEdit  bool
	CanRead  bool
}

// readBlocks lays the tree out for reading, with an anchor per chapter
// and per article.
func readBlocks(d *provision.Document) ([]block, []navItem) {
	var out []block
	var nav []navItem
	var firstArt, lastArt string
	closeNav := func() {
		if len(nav) > 0 && firstArt != "" {
			nav[len(nav)-1].Articles = firstArt
			if lastArt != firstArt {
				nav[len(nav)-1].Articles += "〜" + lastArt
			}
		}
		firstArt, lastArt = "", ""
	}
	var walk func(ns []*provision.Node, path []int, depth int)
	walk = func(ns []*provision.Node, path []int, depth int) {
		for i, n := range ns {
			p := append(path[:len(path):len(path)], i)
			ps := pathString(p)
			switch n.Kind {
			case provision.Part, provision.Chapter, provision.Section, provision.Subsection, provision.Supplementary:
				b := block{Kind: "chapter", Anchor: "c" + fmt.Sprint(len(nav)+1), Heading: n.Heading(), Text: n.Text}
				if n.Kind == provision.Chapter || n.Kind == provision.Part || n.Kind == provision.Supplementary || len(nav) == 0 {
					closeNav()
					nav = append(nav, navItem{Anchor: b.Anchor, Heading: b.Heading})
				}
				out = append(out, b)
				walk(n.Children, p, 0)
			case provision.Article:
				out = append(out, block{Kind: "article", Anchor: anchorOf(n, ps), Heading: n.Heading(), Text: n.Text})
				if firstArt == "" {
					firstArt = n.Label
				}
				lastArt = n.Label
				walk(n.Children, p, 0)
			case provision.Text:
				out = append(out, block{Kind: "text", Text: n.Text, Depth: depth})
			default:
				label := n.Label
				out = append(out, block{Kind: "para", Anchor: anchorOf(n, ps), Label: label, Text: n.Text, Depth: depth})
				walk(n.Children, p, depth+1)
			}
		}
	}
	walk(d.Nodes, nil, 0)
	closeNav()
	return out, nav
}

// loadReadable loads the version in the path; the route's object check
// (versionObject) has already decided that the user may read it.
func (w *Web) loadReadable(r *http.Request) (*Loaded, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	l, err := w.store.Load(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return l, nil
}

func (w *Web) version(rw http.ResponseWriter, r *http.Request) error {
	l, err := w.loadReadable(r)
	if err != nil {
		return err
	}
	v := versionView{L: l, CanEdit: editors.Allows(r), CanRead: readers.Allows(r)}
	v.Blocks, v.Nav = readBlocks(l.Tree)
	if v.CanRead {
		if v.Versions, err = w.store.Versions(r.Context(), l.Doc.ID); err != nil {
			return err
		}
	}
	return web.Render(rw, r, http.StatusOK, "policy/version", l.Title()+"（"+l.Version.Name()+"）", v)
}

func (w *Web) export(rw http.ResponseWriter, r *http.Request) error {
	l, err := w.loadReadable(r)
	if err != nil {
		return err
	}
	f, err := formatOf(r, "pdf", "docx", "html")
	if err != nil {
		return err
	}
	return w.sendDocument(rw, r, l, f, l.CleanDocument(), "")
}

func (w *Web) adopt(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := w.store.Version(r.Context(), id)
	if err != nil {
		return err
	}
	back := fmt.Sprintf("/policy/versions/%d/draft", id)
	a, msg := adoptionFrom(saveFormFrom(r))
	if msg != "" {
		return web.Redirect(rw, r, back+"#adopt", msg, false)
	}
	if err := w.store.Adopt(r.Context(), v.ID, a); err != nil {
		if msg, ok := inputMessage(err); ok {
			return web.Redirect(rw, r, back+"#adopt", msg, false)
		}
		return err
	}
	return web.Redirect(rw, r, fmt.Sprintf("/policy/versions/%d", id), "この版を施行中の版にしました。それまでの版は旧版になりました。", true)
}

func (w *Web) discard(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := w.store.Version(r.Context(), id)
	if err != nil {
		return err
	}
	if err := w.store.DiscardDraft(r.Context(), id); err != nil {
		if msg, ok := inputMessage(err); ok {
			return web.Redirect(rw, r, fmt.Sprintf("/policy/versions/%d/draft", id), msg, false)
		}
		return err
	}
	return web.Redirect(rw, r, fmt.Sprintf("/policy/documents/%d", v.DocumentID), "改正案「"+v.Name()+"」を削除しました。", true)
}
