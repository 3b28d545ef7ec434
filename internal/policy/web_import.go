package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"mamori/internal/blob"
	"mamori/internal/database"
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
	id, err := pathID(r)
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
	id, err := pathID(r)
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
	f, hdr, err := r.FormFile("file")
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return again(fmt.Sprintf("ファイルが大きすぎます（上限 %d MB）。", provision.MaxFileSize>>20))
		}
		return again("取り込むファイル（Word の .docx、Markdown の .md、テキストの .txt）を選んでください。")
	}
	defer f.Close()
	name := safeFilename(hdr.Filename)
	if hdr.Size > provision.MaxFileSize {
		return again(fmt.Sprintf("%s: ファイルが大きすぎます（%.1f MB。上限 %d MB）。", name, float64(hdr.Size)/(1<<20), provision.MaxFileSize>>20))
	}
	data, err := io.ReadAll(io.LimitReader(f, provision.MaxFileSize+1))
	if err != nil {
		return again("ファイルを受け取れませんでした。もう一度お試しください。")
	}
	if len(data) > provision.MaxFileSize {
		return again(fmt.Sprintf("%s: ファイルが大きすぎます（上限 %d MB）。", name, provision.MaxFileSize>>20))
	}
	if len(data) == 0 {
		return again(name + ": ファイルが空です。")
	}
	// Read it before keeping anything: an unreadable file leaves nothing behind.
	if _, _, err := provision.ReadFile(name, data); err != nil {
		return again(fileError(name, err))
	}
	u := web.UserFrom(r.Context())
	var b blob.Blob
	err = w.store.db.WithTx(r.Context(), func(ctx context.Context) error {
		var err error
		if b, err = w.blobs.Put(ctx, name, hdr.Header.Get("Content-Type"), data, u.ID); err != nil {
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

func safeFilename(s string) string {
	s = s[strings.LastIndexAny(s, `/\`)+1:]
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if s == "" {
		s = "policy.txt"
	}
	return jp.TruncateWidth(s, 120)
}

// pendingImport loads the uploaded file of an import in progress: only
// its uploader (or an administrator) may continue it.
func (w *Web) pendingImport(r *http.Request) (blob.Blob, []byte, Document, error) {
	id, err := pathID(r)
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
	var by int64
	if err := w.store.db.QueryRow(r.Context(), "SELECT COALESCE(created_by, 0) FROM blobs WHERE id = ?", id).Scan(&by); err != nil {
		return blob.Blob{}, nil, d, database.NotFound("policy.pendingImport", err)
	}
	if u := web.UserFrom(r.Context()); by != u.ID && u.Role != web.RoleAdmin {
		return blob.Blob{}, nil, d, web.Forbidden()
	}
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
	Doc       Document
	BlobID    int64
	Filename  string
	Text      string
	Checked   string // hash of the text the preview shows
	Rows      []previewRow
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
		v.Rows, v.Warnings, v.Counts = buildPreview(d, warns)
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
	v := importPreviewView{Doc: doc, BlobID: b.ID, Filename: b.Filename, Save: saveFormFrom(r)}
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
	v.Notice = "修正した本文を解析し直しました。"
	return w.renderPreview(rw, r, http.StatusOK, v, d, warns)
}

func (w *Web) importSave(rw http.ResponseWriter, r *http.Request) error {
	b, _, doc, err := w.pendingImport(r)
	if err != nil {
		return err
	}
	sf := saveFormFrom(r)
	v := importPreviewView{Doc: doc, BlobID: b.ID, Filename: b.Filename, Save: sf}
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
