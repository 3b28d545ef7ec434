package policy

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"mamori/internal/docgen/html"
	"mamori/internal/policy/provision"
	"mamori/internal/web"
)

type draftView struct {
	L         *Loaded
	Units     []Unit
	Changes   []Change
	Last      *Change // the change just made (its renumbering is shown)
	Opt       CompareOptions
	OptQuery  string
	Preview   template.HTML
	Identical bool
	Counts    map[string]int
	Questions int
	CanEdit   bool
	Changed   map[string]string // article label → what the draft did to it
}

// compareOptions reads the 新旧対照表 options; a form that was not sent
// gives the defaults (（略） and 備考 on).
func compareOptions(q url.Values) CompareOptions {
	if q.Get("opt") == "" {
		return CompareOptions{OmitSame: true, Remarks: true}
	}
	return CompareOptions{OmitSame: q.Get("omit") != "", Remarks: q.Get("remarks") != "", IgnoreSpace: q.Get("space") != "", IgnoreWidth: q.Get("width") != ""}
}

func (o CompareOptions) query() string {
	v := url.Values{"opt": {"1"}}
	set := func(k string, b bool) {
		if b {
			v.Set(k, "1")
		}
	}
	set("omit", o.OmitSame)
	set("remarks", o.Remarks)
	set("space", o.IgnoreSpace)
	set("width", o.IgnoreWidth)
	return v.Encode()
}

func (w *Web) loadDraft(r *http.Request) (*Loaded, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return w.store.Load(r.Context(), id)
}

func (w *Web) draft(rw http.ResponseWriter, r *http.Request) error {
	l, err := w.loadDraft(r)
	if err != nil {
		return err
	}
	cs, err := w.store.Changes(r.Context(), l.Version.ID)
	if err != nil {
		return err
	}
	qs, err := w.store.Questions(r.Context(), l.Version.ID)
	if err != nil {
		return err
	}
	v := draftView{L: l, Units: Units(l.Tree), Changes: cs, CanEdit: editors.Allows(r) && l.Version.Status == StatusDraft, Questions: len(qs),
		Opt: compareOptions(r.URL.Query()), Counts: map[string]int{}}
	v.OptQuery = v.Opt.query()
	if last, err := strconv.ParseInt(r.URL.Query().Get("changed"), 10, 64); err == nil {
		for i := range cs {
			if cs[i].ID == last {
				v.Last = &cs[i]
			}
		}
	}
	v.Changed = map[string]string{}
	for _, c := range cs {
		v.Counts[string(c.Kind)]++
		if c.Kind != ChangeDelete {
			v.Changed[c.ArticleKey] = c.Kind.Label()
		}
	}
	if l.BaseTree != nil {
		res, err := l.Compare(v.Opt)
		if err != nil {
			return err
		}
		v.Identical = res.Identical()
		d := l.TableOf(res, v.Opt, w.now())
		var b bytes.Buffer
		if err := html.Fragment(&b, d); err != nil {
			return err
		}
		v.Preview = template.HTML(b.String()) // the renderer escapes all text
	}
	title := l.Title() + "（" + l.Version.Name() + "）"
	return web.Render(rw, r, http.StatusOK, "policy/draft", title, v)
}

// tableCSS is the stylesheet of the 新旧対照表 preview (document-specific
// rules such as colours; the CSP forbids inline styles).
func (w *Web) tableCSS(rw http.ResponseWriter, r *http.Request) error {
	l, err := w.loadDraft(r)
	if err != nil {
		return err
	}
	rw.Header().Set("Content-Type", "text/css; charset=utf-8")
	rw.Header().Set("Cache-Control", "no-store")
	if l.BaseTree == nil {
		_, err := rw.Write([]byte(html.BaseCSS))
		return err
	}
	d, err := l.TableDocument(compareOptions(r.URL.Query()), w.now())
	if err != nil {
		return err
	}
	_, err = rw.Write([]byte(html.Stylesheet(d)))
	return err
}

// changeFormView is the form of one change: edit, insert, move or delete.
type changeFormView struct {
	L          *Loaded
	Kind       ChangeKind
	Unit       *Unit
	At         string
	After      string
	Text       string
	Targets    []Unit // positions for insert/move
	Meta       ChangeMeta
	Audiences  []Audience
	GapTables  []GapTable
	Error      string
	Rev        int
	Article    bool
	ChangeID   int64 // the metadata form of an existing change
	Change     *Change
	SelectedAu map[Audience]bool
	SelectedGp map[int64]bool
}

var changeTitles = map[ChangeKind]string{ChangeEdit: "条の改正", ChangeInsert: "条の新設", ChangeMove: "条の移動", ChangeDelete: "条の削除"}

func (w *Web) renderChangeForm(rw http.ResponseWriter, r *http.Request, status int, v changeFormView) error {
	gt, err := w.store.GapTables(r.Context())
	if err != nil {
		return err
	}
	v.GapTables, v.Audiences = gt, Audiences
	v.SelectedAu, v.SelectedGp = map[Audience]bool{}, map[int64]bool{}
	for _, a := range v.Meta.Audiences {
		v.SelectedAu[a] = true
	}
	for _, g := range v.Meta.GapRowIDs {
		v.SelectedGp[g] = true
	}
	title := "改正内容の記録"
	if v.ChangeID == 0 {
		title = changeTitles[v.Kind]
		v.Article = hasArticles(v.L.Tree)
		v.Rev = v.L.Version.Rev
		if v.Kind == ChangeInsert || v.Kind == ChangeMove {
			v.Targets = append(Containers(v.L.Tree), Units(v.L.Tree)...)
			sortTargets(v.Targets)
		}
	}
	return web.Render(rw, r, status, "policy/change_form", title, v)
}

// sortTargets puts containers before their first unit, in document order.
func sortTargets(ts []Unit) {
	key := func(u Unit) []int { p, _ := parsePath(u.Path); return p }
	less := func(a, b []int) bool {
		for i := 0; i < len(a) && i < len(b); i++ {
			if a[i] != b[i] {
				return a[i] < b[i]
			}
		}
		return len(a) < len(b)
	}
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && less(key(ts[j]), key(ts[j-1])); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

func (w *Web) editableDraft(r *http.Request) (*Loaded, error) {
	l, err := w.loadDraft(r)
	if err != nil {
		return nil, err
	}
	if l.Version.Status != StatusDraft {
		return nil, web.Invalid("この版は%sのため編集できません。改正案を作成してから編集してください。", l.Version.Status.Label())
	}
	return l, nil
}

// suggestLabel proposes the number of an article inserted after u.
func suggestLabel(tree *provision.Document, after string) string {
	if !hasArticles(tree) {
		return ""
	}
	if u, ok := unitAt(tree, after); ok && u.Node.Kind == provision.Article {
		return fmt.Sprintf("第%d条", u.Node.Num+1)
	}
	// First in a chapter: the number of the chapter's first article.
	for _, c := range Containers(tree) {
		if c.Path == after {
			for _, ch := range c.Node.Children {
				if ch.Kind == provision.Article {
					return ch.Label
				}
			}
		}
	}
	return "第1条"
}

func (w *Web) changeForm(rw http.ResponseWriter, r *http.Request) error {
	l, err := w.editableDraft(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	v := changeFormView{L: l, Kind: ChangeKind(q.Get("kind")), At: q.Get("at"), After: q.Get("after")}
	switch v.Kind {
	case ChangeEdit, ChangeDelete, ChangeMove:
		u, ok := unitAt(l.Tree, v.At)
		if !ok {
			return web.NotFound()
		}
		v.Unit = &u
		if v.Kind == ChangeEdit {
			v.Text = u.Plain()
		}
	case ChangeInsert:
		if lbl := suggestLabel(l.Tree, v.After); lbl != "" {
			v.Text = lbl + "（）\n"
		}
	default:
		return web.NotFound()
	}
	return w.renderChangeForm(rw, r, http.StatusOK, v)
}

// metaFrom reads the change metadata fields.
func metaFrom(r *http.Request) (ChangeMeta, string) {
	m := ChangeMeta{Reason: r.FormValue("reason"), StaffAction: r.FormValue("staff_action")}
	as, err := ParseAudiences(r.Form["audience"])
	if err != nil {
		return m, "対象者: " + err.Error()
	}
	m.Audiences = as
	for _, g := range r.Form["gap"] {
		id, err := strconv.ParseInt(strings.TrimSpace(g), 10, 64)
		if err != nil || id <= 0 {
			return m, "整合表の行: 選択が正しくありません"
		}
		m.GapRowIDs = append(m.GapRowIDs, id)
	}
	return m, ""
}

func (w *Web) changeSubmit(rw http.ResponseWriter, r *http.Request) error {
	l, err := w.editableDraft(r)
	if err != nil {
		return err
	}
	op := Op{Kind: ChangeKind(r.FormValue("kind")), At: r.FormValue("at"), After: r.FormValue("after"), Text: r.FormValue("text")}
	if _, ok := changeTitles[op.Kind]; !ok {
		return web.Invalid("変更の種類が正しくありません。")
	}
	rev, _ := strconv.Atoi(r.FormValue("rev"))
	v := changeFormView{L: l, Kind: op.Kind, At: op.At, After: op.After, Text: op.Text}
	if op.Kind != ChangeInsert {
		if u, ok := unitAt(l.Tree, op.At); ok {
			v.Unit = &u
		}
	}
	meta, msg := metaFrom(r)
	v.Meta = meta
	if msg != "" {
		v.Error = msg
		return w.renderChangeForm(rw, r, http.StatusBadRequest, v)
	}
	res, err := w.store.Apply(r.Context(), l.Version.ID, rev, op, meta, author(r))
	if msg, ok := inputMessage(err); ok {
		v.Error = msg
		if err == ErrStale {
			// Show the current text so the user can redo the edit on it.
			l2, lerr := w.store.Load(r.Context(), l.Version.ID)
			if lerr == nil {
				v.L = l2
			}
		}
		return w.renderChangeForm(rw, r, http.StatusBadRequest, v)
	}
	if err != nil {
		return err
	}
	flash := res.Change.Title() + "しました。"
	if len(res.Renames) > 0 {
		var rs []string
		for i, rn := range res.Renames {
			if i == 3 {
				rs = append(rs, "…")
				break
			}
			rs = append(rs, rn.Old+" → "+rn.New)
		}
		flash += fmt.Sprintf("番号を整理しました（%s、計 %d 件）。", strings.Join(rs, "、"), len(res.Renames))
	}
	return web.Redirect(rw, r, fmt.Sprintf("/policy/versions/%d/draft?changed=%d#changes", l.Version.ID, res.Change.ID), flash, true)
}

func (w *Web) changeMetaForm(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	c, err := w.store.Change(r.Context(), id)
	if err != nil {
		return err
	}
	l, err := w.store.Load(r.Context(), c.VersionID)
	if err != nil {
		return err
	}
	v := changeFormView{L: l, Kind: c.Kind, ChangeID: c.ID, Change: &c,
		Meta: ChangeMeta{Reason: c.Reason, Audiences: c.Audiences, StaffAction: c.StaffAction, GapRowIDs: c.GapRowIDs}}
	return w.renderChangeForm(rw, r, http.StatusOK, v)
}

func (w *Web) changeMetaSubmit(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	c, err := w.store.Change(r.Context(), id)
	if err != nil {
		return err
	}
	l, err := w.store.Load(r.Context(), c.VersionID)
	if err != nil {
		return err
	}
	if l.Version.Status != StatusDraft {
		return web.Invalid("この版は%sのため変更できません。", l.Version.Status.Label())
	}
	meta, msg := metaFrom(r)
	v := changeFormView{L: l, Kind: c.Kind, ChangeID: c.ID, Change: &c, Meta: meta}
	if msg == "" {
		err = w.store.UpdateChange(r.Context(), id, meta)
		msg, _ = inputMessage(err)
		if msg == "" && err != nil {
			return err
		}
	}
	if msg != "" {
		v.Error = msg
		return w.renderChangeForm(rw, r, http.StatusBadRequest, v)
	}
	return web.Redirect(rw, r, fmt.Sprintf("/policy/versions/%d/draft#changes", c.VersionID), c.Title()+"の改正理由等を保存しました。", true)
}

func (w *Web) redline(rw http.ResponseWriter, r *http.Request) error {
	l, err := w.loadDraft(r)
	if err != nil {
		return err
	}
	f, err := formatOf(r, "pdf", "docx")
	if err != nil {
		return err
	}
	by := l.Version.CreatedByName
	if by == "" {
		by = l.Ward
	}
	d, err := l.RedlineDocument(by, l.Version.UpdatedAt)
	if err != nil {
		return userError(err)
	}
	return w.sendDocument(rw, r, l, f, d, "見え消し版")
}

func (w *Web) table(rw http.ResponseWriter, r *http.Request) error {
	l, err := w.loadDraft(r)
	if err != nil {
		return err
	}
	f, err := formatOf(r, "pdf", "docx", "xlsx")
	if err != nil {
		return err
	}
	d, err := l.TableDocument(compareOptions(r.URL.Query()), w.now())
	if err != nil {
		return userError(err)
	}
	return w.sendDocument(rw, r, l, f, d, "新旧対照表")
}

func (w *Web) briefing(rw http.ResponseWriter, r *http.Request) error {
	l, err := w.loadDraft(r)
	if err != nil {
		return err
	}
	f, err := formatOf(r, "pdf", "docx")
	if err != nil {
		return err
	}
	cs, err := w.store.Changes(r.Context(), l.Version.ID)
	if err != nil {
		return err
	}
	d, err := l.BriefingDocument(cs, w.now())
	if err != nil {
		return userError(err)
	}
	return w.sendDocument(rw, r, l, f, d, "職員向け説明資料")
}
