package policy

import (
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"mamori/internal/jp"
	"mamori/internal/org"
	"mamori/internal/web"
)

type indexView struct {
	Groups  []kindGroup
	CanEdit bool
	CanRead bool
	Tables  template.HTML // the groups' tables, written by tables
}

type kindGroup struct {
	Kind Kind
	Docs []Document
}

func (w *Web) index(rw http.ResponseWriter, r *http.Request) error {
	docs, err := w.store.Documents(r.Context())
	if err != nil {
		return err
	}
	v := indexView{CanEdit: editors.Allows(r), CanRead: readers.Allows(r)}
	for _, k := range Kinds {
		g := kindGroup{Kind: k}
		for _, d := range docs {
			if d.Kind != k {
				continue
			}
			if !v.CanRead {
				// Staff see the public documents in force only.
				if !k.Public() || d.Adopted == nil {
					continue
				}
				d.Drafts = nil
			}
			g.Docs = append(g.Docs, d)
		}
		if v.CanRead || len(g.Docs) > 0 {
			v.Groups = append(v.Groups, g)
		}
	}
	v.Tables = v.tables()
	return web.Render(rw, r, http.StatusOK, "policy/index", "ポリシー改訂", v)
}

// tables writes each kind's table of documents. Every member of staff
// opens this page, so it is written directly rather than through the
// template engine, whose reflection on each of a few hundred values cost
// more than the rest of the request.
func (v indexView) tables() template.HTML {
	var b strings.Builder
	b.Grow(8 << 10)
	esc := func(s string) { b.WriteString(html.EscapeString(s)) }
	id := func(n int64) { b.WriteString(strconv.FormatInt(n, 10)) }
	for _, g := range v.Groups {
		b.WriteString("<h2>")
		esc(g.Kind.Label())
		b.WriteString("</h2>\n")
		proc := g.Kind == KindProcedure
		if len(g.Docs) == 0 {
			b.WriteString(`<p class="muted">登録された`)
			esc(g.Kind.Label())
			b.WriteString("はありません。")
			if v.CanEdit {
				b.WriteString(`<a href="/policy/documents/new?kind=`)
				esc(url.QueryEscape(string(g.Kind)))
				b.WriteString(`">登録する</a>`)
			}
			b.WriteString("</p>\n")
			continue
		}
		b.WriteString(`<div class="table-wrap"><table>` + "\n" + `<thead><tr><th scope="col">文書</th>`)
		if proc {
			b.WriteString(`<th scope="col">所管</th>`)
		}
		b.WriteString(`<th scope="col">施行中の版</th><th scope="col">施行日</th>`)
		if v.CanRead {
			b.WriteString(`<th scope="col">作成中の改正案</th>`)
		}
		b.WriteString("</tr></thead>\n<tbody>\n")
		for _, d := range g.Docs {
			b.WriteString("<tr>\n  <td>")
			switch {
			case v.CanRead:
				b.WriteString(`<a href="/policy/documents/`)
				id(d.ID)
				b.WriteString(`">`)
				esc(d.Title)
				b.WriteString("</a>")
			case d.Adopted != nil:
				b.WriteString(`<a href="/policy/versions/`)
				id(d.Adopted.ID)
				b.WriteString(`">`)
				esc(d.Title)
				b.WriteString("</a>")
			}
			b.WriteString("</td>\n")
			if proc {
				b.WriteString("  <td>")
				esc(d.Department)
				b.WriteString("</td>\n")
			}
			b.WriteString("  <td>")
			if d.Adopted != nil {
				b.WriteString(`<a href="/policy/versions/`)
				id(d.Adopted.ID)
				b.WriteString(`">`)
				esc(d.Adopted.Name())
				b.WriteString("</a>")
			} else {
				b.WriteString(`<span class="muted">なし</span>`)
			}
			b.WriteString("</td>\n  <td>")
			if d.Adopted != nil && !d.Adopted.EffectiveDate.IsZero() {
				esc(jp.FormatWareki(d.Adopted.EffectiveDate))
			}
			b.WriteString("</td>\n")
			if v.CanRead {
				b.WriteString("  <td>")
				for _, dr := range d.Drafts {
					b.WriteString(`<a href="/policy/versions/`)
					id(dr.ID)
					b.WriteString(`/draft">`)
					esc(dr.Name())
					b.WriteString("</a><br>")
				}
				if len(d.Drafts) == 0 {
					b.WriteString(`<span class="muted">—</span>`)
				}
				b.WriteString("</td>\n")
			}
			b.WriteString("</tr>\n")
		}
		b.WriteString("</tbody></table></div>\n")
	}
	if len(v.Groups) == 0 {
		b.WriteString(`<p class="muted">公開されている文書はまだありません。</p>` + "\n")
	}
	return template.HTML(b.String())
}

type documentFormView struct {
	ID          int64
	In          DocumentInput
	Kinds       []Kind
	Departments []*org.Department
	Error       string
}

func (w *Web) renderDocumentForm(rw http.ResponseWriter, r *http.Request, status int, v documentFormView) error {
	tree, err := w.org.Departments(r.Context())
	if err != nil {
		return err
	}
	v.Departments, v.Kinds = tree.Flat(), Kinds
	title := "文書の登録"
	if v.ID != 0 {
		title = "文書の設定"
	}
	return web.Render(rw, r, status, "policy/document_form", title, v)
}

func (w *Web) documentNew(rw http.ResponseWriter, r *http.Request) error {
	k := Kind(r.URL.Query().Get("kind"))
	if !k.Valid() {
		k = KindProcedure
	}
	return w.renderDocumentForm(rw, r, http.StatusOK, documentFormView{In: DocumentInput{Kind: k}})
}

func documentInput(r *http.Request) DocumentInput {
	dep, _ := strconv.ParseInt(strings.TrimSpace(r.FormValue("department_id")), 10, 64)
	return DocumentInput{Kind: Kind(r.FormValue("kind")), Title: r.FormValue("title"), DepartmentID: dep, Note: r.FormValue("note")}
}

func (w *Web) checkDepartment(r *http.Request, in DocumentInput) error {
	if in.DepartmentID == 0 {
		return nil
	}
	if _, err := w.org.Department(r.Context(), in.DepartmentID); err != nil {
		return &InputError{Msg: "所管所属: 選んだ所属が見つかりません"}
	}
	return nil
}

func (w *Web) documentCreate(rw http.ResponseWriter, r *http.Request) error {
	in := documentInput(r)
	err := w.checkDepartment(r, in)
	var id int64
	if err == nil {
		id, err = w.store.CreateDocument(r.Context(), in, author(r))
	}
	if msg, ok := inputMessage(err); ok {
		return w.renderDocumentForm(rw, r, http.StatusBadRequest, documentFormView{In: in, Error: msg})
	}
	if err != nil {
		return err
	}
	return web.Redirect(rw, r, fmt.Sprintf("/policy/documents/%d/import", id), "文書を登録しました。続けて本文のファイルを取り込んでください。", true)
}

func (w *Web) documentEdit(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	d, err := w.store.Document(r.Context(), id)
	if err != nil {
		return err
	}
	return w.renderDocumentForm(rw, r, http.StatusOK, documentFormView{ID: id, In: DocumentInput{Kind: d.Kind, Title: d.Title, DepartmentID: d.DepartmentID, Note: d.Note}})
}

func (w *Web) documentUpdate(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	d, err := w.store.Document(r.Context(), id)
	if err != nil {
		return err
	}
	in := documentInput(r)
	in.Kind = d.Kind
	err = w.checkDepartment(r, in)
	if err == nil {
		err = w.store.UpdateDocument(r.Context(), id, in)
	}
	if msg, ok := inputMessage(err); ok {
		return w.renderDocumentForm(rw, r, http.StatusBadRequest, documentFormView{ID: id, In: in, Error: msg})
	}
	if err != nil {
		return err
	}
	return web.Redirect(rw, r, fmt.Sprintf("/policy/documents/%d", id), "文書の設定を保存しました。", true)
}

type documentView struct {
	Doc      Document
	Versions []Version
	Adopted  *Version
	CanEdit  bool
	NextName string
}

func (w *Web) document(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	d, err := w.store.Document(r.Context(), id)
	if err != nil {
		return err
	}
	vs, err := w.store.Versions(r.Context(), id)
	if err != nil {
		return err
	}
	v := documentView{Doc: d, Versions: vs, CanEdit: editors.Allows(r)}
	for i := range vs {
		if vs[i].Status == StatusAdopted {
			v.Adopted = &vs[i]
		}
	}
	return web.Render(rw, r, http.StatusOK, "policy/document", d.Title, v)
}

func (w *Web) startRevision(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := w.store.Document(r.Context(), id); err != nil {
		return err
	}
	vid, err := w.store.StartRevision(r.Context(), id, r.FormValue("label"), author(r))
	if msg, ok := inputMessage(err); ok {
		return web.Redirect(rw, r, fmt.Sprintf("/policy/documents/%d", id), msg, false)
	}
	if err != nil {
		return err
	}
	return web.Redirect(rw, r, fmt.Sprintf("/policy/versions/%d/draft", vid), "施行中の版を複写して改正案を作成しました。条ごとに編集してください。", true)
}
