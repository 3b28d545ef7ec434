package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"mamori/internal/blob"
	"mamori/internal/jp"
	"mamori/internal/policy/provision"
	"mamori/internal/web"
)

// Import: the file is read (provision.ReadFile) before anything is kept;
// a readable file is kept in the blob store and the preview is built from
// it; the user may correct the recognised drafting text and re-parse it;
// only 「保存」 creates a version. The pending import lives in the blob
// store and the page's form (blob id + edited text), not in the session.

type importFormView struct {
	Doc   Document
	Error string
	MaxMB int
}

func (w *Web) importForm(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	d, err := w.store.Document(r.Context(), id)
	if err != nil {
		return err
	}
	return web.Render(rw, r, http.StatusOK, "policy/import_form", d.Title+"の取り込み", importFormView{Doc: d, MaxMB: provision.MaxFileSize >> 20})
}

func (w *Web) importUpload(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	d, err := w.store.Document(r.Context(), id)
	if err != nil {
		return err
	}
	again := func(msg string) error {
		return web.Render(rw, r, http.StatusBadRequest, "policy/import_form", d.Title+"の取り込み", importFormView{Doc: d, Error: msg, MaxMB: provision.MaxFileSize >> 20})
	}
	up, err := policyUpload.Read(r)
	var we *web.Error
	if errors.As(err, &we) {
		return again(we.Msg)
	}
	if err != nil {
		return err
	}
	name, data := up.Name, up.Data
	// Read it before keeping anything: an unreadable file leaves nothing behind.
	if _, _, err := provision.ReadFile(name, data); err != nil {
		return again(fileError(name, err))
	}
	u := web.UserFrom(r.Context())
	var b blob.Blob
	err = w.store.db.WithTx(r.Context(), func(ctx context.Context) error {
		var err error
		if b, err = w.blobs.Put(ctx, name, up.ContentType, data, u.ID); err != nil {
			return err
		}
		return w.log.Record(ctx, "upload", fmt.Sprintf("blob:%d", b.ID), fmt.Sprintf("ポリシー文書 %s（%s、%d バイト、SHA-256 %s）", name, d.Title, len(data), b.SHA256))
	})
	if err != nil {
		return err
	}
	http.Redirect(rw, r, fmt.Sprintf("/policy/imports/%d/preview?doc=%d", b.ID, d.ID), http.StatusSeeOther)
	return nil
}

// fileError is a reading error naming the file (the reader's messages
// usually name it already).
func fileError(name string, err error) string {
	msg := err.Error()
	if strings.Contains(msg, name) {
		return msg
	}
	return name + ": " + msg
}

// policyUpload is what the import accepts: a Word document, Markdown or text.
var policyUpload = web.Upload{MaxBytes: provision.MaxFileSize, Types: []web.FileType{web.DOCX, web.Text}, Fallback: "policy.txt"}

// pendingImport loads the uploaded file of an import in progress: only
// its uploader (or an administrator) may continue it.
func (w *Web) pendingImport(r *http.Request) (blob.Blob, []byte, Document, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return blob.Blob{}, nil, Document{}, err
	}
	docID, err := strconv.ParseInt(r.FormValue("doc"), 10, 64)
	if err != nil || docID <= 0 {
		return blob.Blob{}, nil, Document{}, web.NotFound()
	}
	d, err := w.store.Document(r.Context(), docID)
	if err != nil {
		return blob.Blob{}, nil, d, err
	}
	// The route's object check admitted only the uploader (or an administrator).
	b, data, err := w.blobs.Get(r.Context(), id)
	return b, data, d, err
}

// previewRow is one recognised provision on the preview page.
type previewRow struct {
	Line    int
	Depth   int
	Level   string
	Label   string
	Caption string
	Start   string
	Warns   []string
}

type importPreviewView struct {
	Doc      Document
	BlobID   int64
	Filename string
	Text     string
	Checked  string       // hash of the text the preview shows
	Rows     []previewRow // the rows of this page
	// Paging: a legal-size document has thousands of provisions, so the
	// preview shows previewPageSize rows at a time.
	Total       int // provisions in the whole document
	Page, Pages int
	First, Last int        // 1-based positions of this page's first and last row
	PageLinks   []pageLink // page numbers to offer, with gaps
	WarnPages   []int      // pages with rows that need checking
	// Edited: the rows come from posted text, so pages are turned by
	// posting the text again rather than by links to the uploaded file.
	Edited    bool
	Warnings  []provision.Warning // warnings not attached to a row
	WarnCount int
	Counts    []kindCount
	Title     string
	Preamble  []string
	Error     string
	Notice    string
	Adopted   *Version
	Save      saveForm
}

// previewPageSize is how many provisions one preview page lists.
const previewPageSize = 200

// pageLink is one entry of the preview's page list; Gap stands for pages
// left out.
type pageLink struct {
	N       int
	Current bool
	Gap     bool
}

// pageLinks offers the first and last pages and those near the current one.
func pageLinks(page, pages int) []pageLink {
	var out []pageLink
	for n := 1; n <= pages; n++ {
		if n == 1 || n == pages || n >= page-3 && n <= page+3 {
			if len(out) > 0 && out[len(out)-1].N != n-1 {
				out = append(out, pageLink{Gap: true, N: n - 1})
			}
			out = append(out, pageLink{N: n, Current: n == page})
		}
	}
	return out
}

// paginate keeps the rows of the requested page (r's "page", from the
// query or the posted form) and notes which pages have warnings.
func (v *importPreviewView) paginate(r *http.Request, rows []previewRow) {
	v.Total = len(rows)
	v.Pages = max(1, (len(rows)+previewPageSize-1)/previewPageSize)
	v.Page, _ = strconv.Atoi(r.FormValue("page"))
	v.Page = min(max(v.Page, 1), v.Pages)
	for i, row := range rows {
		if p := i/previewPageSize + 1; len(row.Warns) > 0 && (len(v.WarnPages) == 0 || v.WarnPages[len(v.WarnPages)-1] != p) {
			v.WarnPages = append(v.WarnPages, p)
		}
	}
	from := (v.Page - 1) * previewPageSize
	to := min(from+previewPageSize, len(rows))
	v.Rows, v.First, v.Last = rows[from:to], from+1, to
	if v.Pages > 1 {
		v.PageLinks = pageLinks(v.Page, v.Pages)
	}
}

type kindCount struct {
	Label string
	N     int
}

// saveForm is the 「保存」 part of the preview form.
type saveForm struct {
	Status        string
	Label         string
	EffectiveDate string
	DecidedBy     string
	DecidedDate   string
}

func textHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:16])
}

// decisionRe reads an adoption record such as （令和4年3月25日ひので区情報セキュリティ委員会決定）.
var decisionRe = regexp.MustCompile(`^[（(]((?:令和|平成|昭和)[0-9０-９元]+年[0-9０-９]+月[0-9０-９]+日)(.+(?:決定|制定|策定|施行))[）)]$`)

func guessSave(d *provision.Document, doc Document, adopted bool) saveForm {
	f := saveForm{Status: string(StatusDraft)}
	if !adopted {
		f.Status = string(StatusAdopted)
	}
	for _, p := range d.Preamble {
		if m := decisionRe.FindStringSubmatch(strings.TrimSpace(p)); m != nil {
			f.DecidedDate, f.DecidedBy = m[1], m[2]
		}
	}
	// The latest amendment (改正附則) gives the latest decision and date.
	for _, n := range d.Nodes {
		if n.Kind == provision.Supplementary {
			if m := decisionRe.FindStringSubmatch(strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(n.Label, "附　則"), "附則"))); m != nil {
				f.DecidedDate, f.DecidedBy = m[1], m[2]
			}
		}
	}
	return f
}

func buildPreview(d *provision.Document, warns []provision.Warning) ([]previewRow, []provision.Warning, []kindCount) {
	byLine := map[int][]string{}
	for _, w := range warns {
		byLine[w.Line] = append(byLine[w.Line], w.Msg)
	}
	var rows []previewRow
	counts := map[provision.Kind]int{}
	used := map[int]bool{}
	d.Walk(func(n *provision.Node, anc []*provision.Node) bool {
		counts[n.Kind]++
		row := previewRow{Line: n.Line, Depth: min(len(anc), 4), Level: n.Kind.String(), Label: n.Label, Caption: n.Caption, Start: trimRunes(n.Text, 60)}
		if n.Kind == provision.Paragraph && n.Label == "" {
			row.Level = "項（第1項）"
		}
		if ws, ok := byLine[n.Line]; ok && n.Line > 0 && !used[n.Line] {
			row.Warns, used[n.Line] = ws, true
		}
		rows = append(rows, row)
		return true
	})
	var rest []provision.Warning
	for _, w := range warns {
		if !used[w.Line] {
			rest = append(rest, w)
		}
	}
	var cs []kindCount
	for _, k := range []provision.Kind{provision.Part, provision.Chapter, provision.Section, provision.Subsection, provision.Article, provision.Paragraph,
		provision.Item, provision.SubItem, provision.SubSubItem, provision.Supplementary, provision.Text} {
		if counts[k] > 0 {
			cs = append(cs, kindCount{Label: k.String(), N: counts[k]})
		}
	}
	return rows, rest, cs
}

func (w *Web) renderPreview(rw http.ResponseWriter, r *http.Request, status int, v importPreviewView, d *provision.Document, warns []provision.Warning) error {
	if d != nil {
		var rows []previewRow
		rows, v.Warnings, v.Counts = buildPreview(d, warns)
		v.paginate(r, rows)
		v.WarnCount = len(warns)
		v.Title, v.Preamble = d.Title, d.Preamble
		v.Checked = textHash(v.Text)
	}
	if ad, ok, err := w.store.AdoptedVersion(r.Context(), v.Doc.ID); err != nil {
		return err
	} else if ok {
		v.Adopted = &ad
	}
	return web.Render(rw, r, status, "policy/import_preview", "取り込み内容の確認", v)
}

func (w *Web) importPreview(rw http.ResponseWriter, r *http.Request) error {
	b, data, doc, err := w.pendingImport(r)
	if err != nil {
		return err
	}
	d, warns, err := provision.ReadFile(b.Filename, data)
	if err != nil {
		return web.Invalid("%s", fileError(b.Filename, err))
	}
	_, adopted, err := w.store.AdoptedVersion(r.Context(), doc.ID)
	if err != nil {
		return err
	}
	v := importPreviewView{Doc: doc, BlobID: b.ID, Filename: b.Filename, Text: d.Plain(), Save: guessSave(d, doc, adopted)}
	return w.renderPreview(rw, r, http.StatusOK, v, d, warns)
}

func saveFormFrom(r *http.Request) saveForm {
	return saveForm{Status: r.FormValue("status"), Label: r.FormValue("label"), EffectiveDate: r.FormValue("effective_date"),
		DecidedBy: r.FormValue("decided_by"), DecidedDate: r.FormValue("decided_date")}
}

// importText reads the edited drafting text of the preview form.
func importText(r *http.Request) (string, error) {
	t := strings.ReplaceAll(strings.ReplaceAll(r.FormValue("text"), "\r\n", "\n"), "\r", "\n")
	if len(t) > provision.MaxFileSize {
		return t, &InputError{Msg: fmt.Sprintf("本文が大きすぎます（上限 %d MB）。", provision.MaxFileSize>>20)}
	}
	if strings.TrimSpace(t) == "" {
		return t, &InputError{Msg: "本文が空です。"}
	}
	return t, nil
}

func (w *Web) importReparse(rw http.ResponseWriter, r *http.Request) error {
	b, _, doc, err := w.pendingImport(r)
	if err != nil {
		return err
	}
	v := importPreviewView{Doc: doc, BlobID: b.ID, Filename: b.Filename, Save: saveFormFrom(r), Edited: true}
	text, err := importText(r)
	v.Text = text
	if err != nil {
		v.Error = err.Error()
		return w.renderPreview(rw, r, http.StatusBadRequest, v, nil, nil)
	}
	d, warns, err := provision.Parse(text)
	if err != nil {
		v.Error = "修正した本文を読み取れません: " + err.Error()
		return w.renderPreview(rw, r, http.StatusBadRequest, v, nil, nil)
	}
	// A page button posts the text too; only 「再解析」 is worth a notice.
	if _, turning := r.PostForm["page"]; !turning {
		v.Notice = "修正した本文を解析し直しました。"
	}
	return w.renderPreview(rw, r, http.StatusOK, v, d, warns)
}

func (w *Web) importSave(rw http.ResponseWriter, r *http.Request) error {
	b, _, doc, err := w.pendingImport(r)
	if err != nil {
		return err
	}
	sf := saveFormFrom(r)
	v := importPreviewView{Doc: doc, BlobID: b.ID, Filename: b.Filename, Save: sf, Edited: true}
	text, err := importText(r)
	v.Text = text
	if err != nil {
		v.Error = err.Error()
		return w.renderPreview(rw, r, http.StatusBadRequest, v, nil, nil)
	}
	d, warns, err := provision.Parse(text)
	if err != nil {
		v.Error = "本文を読み取れません: " + err.Error()
		return w.renderPreview(rw, r, http.StatusBadRequest, v, nil, nil)
	}
	if r.FormValue("checked") != textHash(text) {
		v.Notice = "本文が修正されています。解析し直した結果を確認してから、もう一度「保存」を押してください。"
		return w.renderPreview(rw, r, http.StatusOK, v, d, warns)
	}
	nv := NewVersion{DocumentID: doc.ID, Status: Status(sf.Status), Label: sf.Label, Tree: d, SourceBlobID: b.ID, SourceName: b.Filename}
	if nv.Status == StatusAdopted {
		a, msg := adoptionFrom(sf)
		if msg != "" {
			v.Error = msg
			return w.renderPreview(rw, r, http.StatusBadRequest, v, d, warns)
		}
		nv.Adoption = a
	} else if ad, ok, err := w.store.AdoptedVersion(r.Context(), doc.ID); err != nil {
		return err
	} else if ok {
		nv.BaseVersionID = ad.ID
	}
	id, err := w.store.CreateVersion(r.Context(), nv, author(r))
	if msg, ok := inputMessage(err); ok {
		v.Error = msg
		return w.renderPreview(rw, r, http.StatusBadRequest, v, d, warns)
	}
	if err != nil {
		return err
	}
	if nv.Status == StatusDraft {
		return web.Redirect(rw, r, fmt.Sprintf("/policy/versions/%d/draft", id), "取り込んだ本文を案として保存しました。", true)
	}
	return web.Redirect(rw, r, fmt.Sprintf("/policy/versions/%d", id), "取り込んだ本文を施行中の版として保存しました。", true)
}

// adoptionFrom reads the adoption fields (和暦 or ISO dates).
func adoptionFrom(f saveForm) (Adoption, string) {
	a := Adoption{DecidedBy: f.DecidedBy, Label: f.Label}
	if strings.TrimSpace(f.EffectiveDate) == "" {
		return a, "施行日: 入力してください（例: 令和8年4月1日）"
	}
	t, err := jp.ParseDate(f.EffectiveDate)
	if err != nil {
		return a, "施行日: " + err.Error()
	}
	a.EffectiveDate = t
	if strings.TrimSpace(f.DecidedDate) == "" {
		return a, "決定日: 入力してください（例: 令和8年3月25日）"
	}
	t, err = jp.ParseDate(f.DecidedDate)
	if err != nil {
		return a, "決定日: " + err.Error()
	}
	a.DecidedDate = t
	if err := a.Validate(); err != nil {
		return a, err.Error()
	}
	return a, ""
}
