package org

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"mamori/internal/blob"
	"mamori/internal/jobs"
	"mamori/internal/jp"
	"mamori/internal/org/roster"
	"mamori/internal/web"
)

// ImportDeps are what the roster import screens need besides the store.
type ImportDeps struct {
	Blobs *blob.Store
	Jobs  *jobs.Runner
}

// SetImportDeps gives the service its blob store and job runner.
func (s *Service) SetImportDeps(d ImportDeps) { s.imp = d }

// importRoutes registers the roster import screens.
func (s *Service) importRoutes(rt *web.Router, rule web.Rule) {
	rt.Handle("GET /staff/import", rule, s.importForm)
	rt.Handle("POST /staff/import", rule.WithUpload(), s.importUpload)
	upload := rule.On(s.imp.Blobs.Uploaded("org.roster_upload", "id"))
	rt.Handle("GET /staff/import/{id}/preview", upload, s.importPreview)
	rt.Handle("POST /staff/import/{id}/apply", upload, s.importApply)
}

// importOptions reads the import options from a query or form.
func importOptions(v url.Values, defYear int) roster.Options {
	opt := roster.Options{FiscalYear: defYear, Partial: v.Get("partial") != "", CreateDepartments: v.Get("create") != ""}
	if y, err := strconv.Atoi(v.Get("year")); err == nil && y >= 2000 && y <= 2100 {
		opt.FiscalYear = y
	}
	for k, vals := range v {
		if !strings.HasPrefix(k, "map_") || len(vals) == 0 || vals[0] == "" {
			continue
		}
		i, err := strconv.Atoi(strings.TrimPrefix(k, "map_"))
		if err != nil || i < 0 || i > 500 {
			continue
		}
		f, err := roster.ParseField(vals[0])
		if err != nil {
			continue
		}
		if opt.Mapping == nil {
			opt.Mapping = map[int]roster.Field{}
		}
		opt.Mapping[i] = f
	}
	return opt
}

func optionValues(opt roster.Options) url.Values {
	v := url.Values{"year": {strconv.Itoa(opt.FiscalYear)}}
	if opt.Partial {
		v.Set("partial", "1")
	}
	if opt.CreateDepartments {
		v.Set("create", "1")
	}
	for i, f := range opt.Mapping {
		v.Set(fmt.Sprintf("map_%d", i), f.String())
	}
	return v
}

type importFormView struct {
	Years   []FiscalYear
	Year    int
	Error   string
	Partial bool
	Create  bool
	Fields  []roster.Field
	MaxMB   int
}

func (s *Service) renderImportForm(w http.ResponseWriter, r *http.Request, status int, v importFormView) error {
	ys, err := s.FiscalYears(r.Context())
	if err != nil {
		return err
	}
	v.Years = ys
	if v.Year == 0 {
		v.Year = s.CurrentFiscalYear(r.Context())
	}
	v.Fields = roster.Fields()[1:]
	v.MaxMB = roster.MaxFileSize >> 20
	return web.Render(w, r, status, "org/import_form", "職員名簿の取り込み", v)
}

func (s *Service) importForm(w http.ResponseWriter, r *http.Request) error {
	return s.renderImportForm(w, r, http.StatusOK, importFormView{Create: true})
}

func (s *Service) importUpload(w http.ResponseWriter, r *http.Request) error {
	opt := importOptions(r.Form, s.CurrentFiscalYear(r.Context()))
	again := func(msg string) error {
		return s.renderImportForm(w, r, http.StatusBadRequest, importFormView{Year: opt.FiscalYear, Error: msg, Partial: opt.Partial, Create: opt.CreateDepartments})
	}
	up, err := rosterUpload.Read(r)
	var we *web.Error
	if errors.As(err, &we) {
		return again(we.Msg)
	}
	if err != nil {
		return err
	}
	name, data := up.Name, up.Data
	// Check the file can be read at all before keeping it.
	if _, err := roster.ReadFile(name, data); err != nil {
		return again(userMessage(err))
	}
	u := web.UserFrom(r.Context())
	var b blob.Blob
	err = s.db.WithTx(r.Context(), func(ctx context.Context) error {
		var err error
		if b, err = s.imp.Blobs.Put(ctx, name, up.ContentType, data, u.ID); err != nil {
			return err
		}
		return s.log.Record(ctx, "upload", fmt.Sprintf("blob:%d", b.ID), fmt.Sprintf("職員名簿 %s（%d バイト, SHA-256 %s）", name, len(data), b.SHA256))
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/staff/import/%d/preview?%s", b.ID, optionValues(opt).Encode()), http.StatusSeeOther)
	return nil
}

// userMessage is the Japanese message of an import error.
func userMessage(err error) string {
	var ie *roster.InputError
	if errors.As(err, &ie) {
		return ie.Msg
	}
	return "ファイルを読み込めませんでした。"
}

// rosterUpload is what the roster import accepts: CSV (UTF-8 or
// Shift_JIS) or an Excel workbook.
var rosterUpload = web.Upload{MaxBytes: roster.MaxFileSize, Types: []web.FileType{web.CSV, web.XLSX}, Fallback: "roster.csv"}

// plan loads an uploaded file and builds its import plan.
func (s *Service) plan(ctx context.Context, r *http.Request, opt roster.Options) (*roster.Plan, blob.Blob, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return nil, blob.Blob{}, err
	}
	b, data, err := s.imp.Blobs.Get(ctx, id)
	if err != nil {
		return nil, b, err
	}
	if u := web.UserFrom(ctx); u.Role != web.RoleAdmin {
		return nil, b, web.Forbidden()
	}
	t, err := roster.ReadFile(b.Filename, data)
	if err != nil {
		return nil, b, web.Invalid("%s", userMessage(err))
	}
	ex, err := roster.LoadExisting(ctx, s.db)
	if err != nil {
		return nil, b, err
	}
	return roster.Build(t, ex, opt), b, nil
}

type previewView struct {
	BlobID    int64
	Plan      *roster.Plan
	Counts    roster.Counts
	Options   roster.Options
	Fields    []roster.Field
	YearLabel string
	Kinds     []kindGroup
	Query     string
	Errors    []roster.Issue
	MoreErrs  int
	Warnings  []roster.Issue
	MoreWarn  int
}

type kindGroup struct {
	Label   string
	Changes []roster.Change
	More    int
}

const previewLimit = 200

func (s *Service) importPreview(w http.ResponseWriter, r *http.Request) error {
	opt := importOptions(r.URL.Query(), s.CurrentFiscalYear(r.Context()))
	p, b, err := s.plan(r.Context(), r, opt)
	if err != nil {
		return err
	}
	return s.renderPreview(w, r, http.StatusOK, p, b, opt)
}

func (s *Service) renderPreview(w http.ResponseWriter, r *http.Request, status int, p *roster.Plan, b blob.Blob, opt roster.Options) error {
	v := previewView{BlobID: b.ID, Plan: p, Counts: p.Counts(), Options: opt, Fields: roster.Fields(), YearLabel: jp.FiscalYearLabel(opt.FiscalYear),
		Query: optionValues(opt).Encode(), Errors: p.Errors}
	if len(v.Errors) > 1000 {
		v.MoreErrs = len(v.Errors) - 1000
		v.Errors = v.Errors[:1000]
	}
	v.Warnings = p.Warnings
	if len(v.Warnings) > 30 {
		v.MoreWarn = len(v.Warnings) - 30
		v.Warnings = v.Warnings[:30]
	}
	for _, k := range []roster.Kind{roster.KindNew, roster.KindMoved, roster.KindChanged, roster.KindReactivated, roster.KindLeaver} {
		cs := p.ByKind(k)
		if len(cs) == 0 {
			continue
		}
		g := kindGroup{Label: k.Label(), Changes: cs}
		if len(cs) > previewLimit {
			g.Changes, g.More = cs[:previewLimit], len(cs)-previewLimit
		}
		v.Kinds = append(v.Kinds, g)
	}
	return web.Render(w, r, status, "org/import_preview", "取り込み内容の確認", v)
}

func (s *Service) importApply(w http.ResponseWriter, r *http.Request) error {
	opt := importOptions(r.PostForm, s.CurrentFiscalYear(r.Context()))
	p, b, err := s.plan(r.Context(), r, opt)
	if err != nil {
		return err
	}
	if !p.OK() {
		return s.renderPreview(w, r, http.StatusBadRequest, p, b, opt)
	}
	c := p.Counts()
	total := c.New + c.Moved + c.Changed + c.Reactivated + c.Leavers + c.Unchanged
	id, err := s.imp.Jobs.Start(r.Context(), "staff.import", "/staff", total, func(ctx context.Context, progress func(int, int, string)) (string, error) {
		res, err := roster.Apply(ctx, s.db, s.log, p, opt, s.now(), func(done, total int) {
			progress(done, total, "職員を登録しています")
		})
		s.forgetDepartments() // an import may create departments
		switch {
		case errors.Is(err, roster.ErrStale):
			return "", roster.ErrStale
		case errors.Is(err, roster.ErrPlanHasErrors):
			return "", roster.ErrPlanHasErrors
		case err != nil:
			return "", fmt.Errorf("取り込みに失敗しました。変更は書き込まれていません（%w）", err)
		}
		return importSummary(b.Filename, opt.FiscalYear, res.Counts), nil
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/jobs/%d", id), http.StatusSeeOther)
	return nil
}

// importSummary is the one-line result of an import.
func importSummary(name string, year int, c roster.Counts) string {
	return fmt.Sprintf("%s を%sの名簿として取り込みました。新規 %d 人、異動 %d 人、変更 %d 人、再登録 %d 人、退職 %d 人、変更なし %d 人、所属の新設 %d。",
		name, jp.FiscalYearLabel(year), c.New, c.Moved, c.Changed, c.Reactivated, c.Leavers, c.Unchanged, c.NewDepts)
}

// ImportSummary exposes importSummary to the CLI.
func ImportSummary(name string, year int, c roster.Counts) string {
	return importSummary(name, year, c)
}
