package survey

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"mamori/internal/auditlog"
	"mamori/internal/blob"
	"mamori/internal/web"
)

// The import of answers given on paper: the answer sheet to fill in, the
// upload (kept in the blob store until it is committed, like the roster's),
// the preview of every row, and the commit.

func (m *Module) importRoutes(rt *web.Router, rule web.Rule) {
	rt.Handle("GET /selfcheck/campaigns/{id}/import", rule, m.importPage)
	rt.Handle("GET /selfcheck/campaigns/{id}/import/sheet.xlsx", rule, m.importSheet)
	rt.Handle("POST /selfcheck/campaigns/{id}/import", rule.WithUpload(), m.importUpload)
	file := rule.On(m.d.Blobs.Uploaded("survey.import_upload", "file"))
	rt.Handle("GET /selfcheck/campaigns/{id}/import/{file}", file, m.importPreview)
	rt.Handle("POST /selfcheck/campaigns/{id}/import/{file}", file, m.importCommit)
}

// answerUpload is what the import accepts.
var answerUpload = web.Upload{MaxBytes: ImportMaxBytes, Types: []web.FileType{web.XLSX, web.CSV}, Fallback: "answers.xlsx"}

type importPageView struct {
	C     Campaign
	Depts []campChoice // departments with unanswered people, for a prefilled sheet
	Error string
	MaxMB int
}

func (m *Module) renderImportPage(w http.ResponseWriter, r *http.Request, status int, c Campaign, msg string) error {
	ctx := r.Context()
	v := importPageView{C: c, Error: msg, MaxMB: ImportMaxBytes >> 20}
	if c.State != StateDraft {
		list, err := m.store.UnansweredOf(ctx, c.ID, nil)
		if err != nil {
			return err
		}
		tree, err := m.d.Org.Departments(ctx)
		if err != nil {
			return err
		}
		has := map[int64]int{}
		for _, u := range list {
			for d := tree.ByID[u.DepartmentID]; d != nil; d = tree.ByID[d.ParentID] {
				has[d.ID]++
			}
		}
		for _, d := range tree.Flat() {
			if n := has[d.ID]; n > 0 {
				v.Depts = append(v.Depts, campChoice{Value: strconv.FormatInt(d.ID, 10), Label: fmt.Sprintf("%s%s（未回答 %d 人）", strings.Repeat("　", d.Depth), d.Name, n)})
			}
		}
	}
	return web.Render(w, r, status, "survey/survey_campaign_import", c.Title+"（紙の回答の取込み）", v)
}

func (m *Module) importPage(w http.ResponseWriter, r *http.Request) error {
	c, err := m.campaignOf(r)
	if err != nil {
		return err
	}
	return m.renderImportPage(w, r, http.StatusOK, c, "")
}

// importSheet sends the answer sheet to fill in, prefilled with the
// unanswered people of a department when one is chosen.
func (m *Module) importSheet(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := m.campaignOf(r)
	if err != nil {
		return err
	}
	var people []Unanswered
	stem := "回答用シート_" + c.Code
	if s := strings.TrimSpace(r.URL.Query().Get("department")); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return web.Invalid("所属の指定が正しくありません。一覧から選んでください。")
		}
		tree, err := m.d.Org.Departments(ctx)
		if err != nil {
			return err
		}
		d := tree.ByID[id]
		if d == nil {
			return web.Invalid("所属の指定が正しくありません。一覧から選んでください。")
		}
		if people, err = m.store.UnansweredOf(ctx, c.ID, tree.Subtree(id)); err != nil {
			return err
		}
		stem += "_" + d.Name
	}
	name := web.JoinFileName("xlsx", stem)
	detail := fmt.Sprintf("%s（記入済みの行 %d）", name, len(people))
	d := web.Download{Name: name, ContentType: web.XLSX.MIME, Target: fmt.Sprintf("survey_campaign:%d", c.ID), Detail: detail}
	return web.Send(w, r, m.d.Log, d, func(out io.Writer) error { return m.store.AnswerSheet(ctx, out, c, people) })
}

func (m *Module) importUpload(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := m.campaignOf(r)
	if err != nil {
		return err
	}
	if c.State == StateDraft {
		return m.renderImportPage(w, r, http.StatusConflict, c, "この自己点検はまだ回答の受付を始めていません。回答受付を開始してから取り込んでください。")
	}
	up, err := answerUpload.Read(r)
	var we *web.Error
	if errors.As(err, &we) {
		return m.renderImportPage(w, r, we.Status, c, we.Msg)
	}
	if err != nil {
		return err
	}
	u := web.UserFrom(ctx)
	var b blob.Blob
	err = m.d.DB.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if b, err = m.d.Blobs.Put(ctx, up.Name, up.ContentType, up.Data, u.ID); err != nil {
			return err
		}
		return m.d.Log.Record(ctx, "survey.import_upload", fmt.Sprintf("survey_campaign:%d", c.ID),
			fmt.Sprintf("%s 回答ファイル %s（%d バイト, SHA-256 %s, blob:%d）", c.Code, up.Name, len(up.Data), b.SHA256, b.ID))
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("%s/import/%d", campaignPath(c.ID), b.ID), http.StatusSeeOther)
	return nil
}

type importPreviewView struct {
	C      Campaign
	Plan   *ImportPlan
	FileID int64
	Notice string // why a commit was refused
	Skip   bool   // 「エラーの行を除いて取り込む」 was chosen
}

// Action is where the commit posts.
func (v importPreviewView) Action() string {
	return fmt.Sprintf("%s/import/%d", campaignPath(v.C.ID), v.FileID)
}

// AnswerList is a row's answers in the file's column order, for the
// preview: 「Q-01=2 Q-02=1,3」.
func (v importPreviewView) AnswerList(r ImportRow) string {
	var parts []string
	for _, code := range v.Plan.Codes {
		if a, ok := r.Answers[code]; ok {
			a = strings.ReplaceAll(a, "\n", " ")
			if len([]rune(a)) > 20 {
				a = string([]rune(a)[:19]) + "…"
			}
			parts = append(parts, code+"="+a)
		}
	}
	return strings.Join(parts, "　")
}

// importFile reads the uploaded file of the path's {file}.
func (m *Module) importFile(r *http.Request) (blob.Blob, []byte, error) {
	id, err := web.PathID(r, "file")
	if err != nil {
		return blob.Blob{}, nil, err
	}
	return m.d.Blobs.Get(r.Context(), id)
}

func (m *Module) renderPreview(w http.ResponseWriter, r *http.Request, status int, c Campaign, notice string, skip bool) error {
	b, data, err := m.importFile(r)
	if err != nil {
		return err
	}
	plan, err := m.store.PlanImport(r.Context(), c, b.Filename, data)
	if err != nil {
		return err
	}
	v := importPreviewView{C: c, Plan: plan, FileID: b.ID, Notice: notice, Skip: skip}
	return web.Render(w, r, status, "survey/survey_campaign_import_preview", c.Title+"（取込みの確認）", v)
}

func (m *Module) importPreview(w http.ResponseWriter, r *http.Request) error {
	c, err := m.campaignOf(r)
	if err != nil {
		return err
	}
	return m.renderPreview(w, r, http.StatusOK, c, "", false)
}

func (m *Module) importCommit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := m.campaignOf(r)
	if err != nil {
		return err
	}
	b, data, err := m.importFile(r)
	if err != nil {
		return err
	}
	skip := r.PostFormValue("skip_errors") != ""
	res, err := m.store.CommitImport(ctx, c.ID, b.Filename, data, r.PostFormValue("stamp"), skip, auditlog.ActorFrom(ctx))
	var fe FieldErrors
	switch {
	case errors.Is(err, ErrStaleImport):
		return m.renderPreview(w, r, http.StatusConflict, c, ErrStaleImport.Error(), skip)
	case errors.As(err, &fe):
		return m.renderPreview(w, r, http.StatusUnprocessableEntity, c, fe.Error(), skip)
	case err != nil:
		return err
	}
	msg := fmt.Sprintf("%s の回答 %d 件を取り込みました。", b.Filename, res.Imported)
	if res.Refused > 0 {
		msg += fmt.Sprintf("エラーの %d 行は取り込んでいません。直した行だけのファイルを作って、もう一度取り込んでください。", res.Refused)
	}
	return web.Redirect(w, r, campaignPath(c.ID), msg, true)
}
