package org

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"mamori/internal/auditlog"
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

	running *inflight
}

// inflight are the imports running in this instance, by upload: a second
// confirmation of the same upload is sent to the running job's page.
// Across instances the audit log decides (roster.Apply refuses an upload
// imported before).
type inflight struct {
	mu   sync.Mutex
	jobs map[int64]int64 // blob id → job id
}

// SetImportDeps gives the service its blob store and job runner.
func (s *Service) SetImportDeps(d ImportDeps) {
	d.running = &inflight{jobs: map[int64]int64{}}
	s.imp = d
}

// The import goes upload → preview (errors, warnings, consent) → confirm
// (the numbers) → apply (a job). Nothing is written before apply.
func (s *Service) importRoutes(rt *web.Router, rule web.Rule) {
	rt.Handle("GET /staff/import", rule, s.importForm)
	rt.Handle("POST /staff/import", rule.WithUpload(), s.importUpload)
	upload := rule.On(s.imp.Blobs.Uploaded("org.roster_upload", "id"))
	rt.Handle("GET /staff/import/{id}/preview", upload, s.importPreview)
	rt.Handle("GET /staff/import/{id}/confirm", upload, s.importConfirm)
	rt.Handle("POST /staff/import/{id}/apply", upload, s.importApply)
}

// Scope choices on the form: the whole ward's roster, or some departments'.
const (
	scopeWard = "all"
	scopePart = "part"
)

// Which departments' absent staff a partial roster retires.
const (
	retireFile = "file" // the departments the file names
	retireList = "list" // the chosen departments, with the ones under them
	retireNone = "none" // nobody: rows are added and updated only
)

// importChoice is what the user chose on the upload form or the preview.
type importChoice struct {
	Opt    roster.Options
	Scope  string          // "", scopeWard or scopePart
	Retire string          // with scopePart: retireFile, retireList or retireNone
	Depts  map[string]bool // chosen department codes (retireList)
	Errors map[string]string
}

// Err is the message for a field, for the templates.
func (c importChoice) Err(field string) string { return c.Errors[field] }

// parseChoice reads the import options from a query or form. The scope has
// no default: a roster that retires everyone missing from it must be
// chosen, not fallen into.
func parseChoice(v url.Values, defYear int) importChoice {
	c := importChoice{Opt: roster.Options{FiscalYear: defYear, CreateDepartments: v.Get("create") != ""},
		Scope: v.Get("scope"), Retire: v.Get("retire"), Depts: map[string]bool{}, Errors: map[string]string{}}
	if y, err := strconv.Atoi(v.Get("year")); err == nil && y >= 2000 && y <= 2100 {
		c.Opt.FiscalYear = y
	}
	switch c.Scope {
	case scopeWard:
		c.Opt.Scope, c.Retire = roster.ScopeWard, ""
	case scopePart:
		c.Opt.Scope = roster.ScopeDepartments
		switch c.Retire {
		case retireList:
			for _, code := range v["dept"] {
				if code = strings.TrimSpace(code); code != "" && len(c.Depts) < 500 {
					c.Depts[code] = true
					c.Opt.Departments = append(c.Opt.Departments, code)
				}
			}
			if len(c.Depts) == 0 {
				c.Errors["dept"] = "退職扱いにする所属を 1 つ以上選んでください"
			}
		case retireNone:
		default:
			c.Retire = retireFile
			c.Opt.FileDepartments = true
		}
	default:
		c.Scope = ""
		c.Errors["scope"] = "取り込みの範囲（全庁の名簿か、一部の所属の名簿か）を選んでください"
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
		if c.Opt.Mapping == nil {
			c.Opt.Mapping = map[int]roster.Field{}
		}
		c.Opt.Mapping[i] = f
	}
	return c
}

// scopeText describes the scope for the preview and the confirmation.
func (c importChoice) scopeText() string {
	switch {
	case c.Scope == scopeWard:
		return "全庁の名簿（ファイルにいない在籍職員は全員を退職扱い）"
	case c.Scope != scopePart:
		return ""
	case c.Retire == retireList:
		return "一部の所属の名簿（選んだ所属とその下位の所属の在籍職員のうち、ファイルにいない人を退職扱い）"
	case c.Retire == retireNone:
		return "一部の所属の名簿（追加と更新だけ。ファイルにいない職員は退職扱いにしない）"
	}
	return "一部の所属の名簿（ファイルに載っている所属の在籍職員のうち、ファイルにいない人を退職扱い）"
}

// values encodes the choice for a link or hidden fields (mapping included).
func (c importChoice) values() url.Values {
	v := url.Values{"year": {strconv.Itoa(c.Opt.FiscalYear)}}
	if c.Scope != "" {
		v.Set("scope", c.Scope)
	}
	if c.Retire != "" {
		v.Set("retire", c.Retire)
	}
	if c.Retire == retireList {
		for _, code := range c.Opt.Departments {
			v.Add("dept", code)
		}
	}
	if c.Opt.CreateDepartments {
		v.Set("create", "1")
	}
	for i, f := range c.Opt.Mapping {
		v.Set(fmt.Sprintf("map_%d", i), f.String())
	}
	return v
}

// hidden is one hidden form field.
type hidden struct{ Name, Value string }

func hiddenFields(v url.Values) []hidden {
	var out []hidden
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, val := range v[k] {
			out = append(out, hidden{k, val})
		}
	}
	return out
}

// deptOption is a department offered as a retirement scope.
type deptOption struct {
	Code, Label string
	Selected    bool
}

// deptOptions lists the active departments in tree order, indented.
func (s *Service) deptOptions(ctx context.Context, chosen map[string]bool) ([]deptOption, error) {
	t, err := s.Departments(ctx)
	if err != nil {
		return nil, err
	}
	var out []deptOption
	for _, d := range t.Flat() {
		if d.Active {
			out = append(out, deptOption{Code: d.Code, Label: strings.Repeat("　", d.Depth) + d.Name + "（" + d.Code + "）", Selected: chosen[d.Code]})
		}
	}
	return out, nil
}

type importFormView struct {
	Years  []FiscalYear
	Choice importChoice
	Error  string
	Depts  []deptOption
	Fields []roster.Field
	MaxMB  int
}

func (s *Service) renderImportForm(w http.ResponseWriter, r *http.Request, status int, v importFormView) error {
	ys, err := s.FiscalYears(r.Context())
	if err != nil {
		return err
	}
	v.Years = ys
	if v.Depts, err = s.deptOptions(r.Context(), v.Choice.Depts); err != nil {
		return err
	}
	v.Fields = roster.Fields()[1:]
	v.MaxMB = roster.MaxFileSize >> 20
	return web.Render(w, r, status, "org/import_form", "職員名簿の取り込み", v)
}

func (s *Service) importForm(w http.ResponseWriter, r *http.Request) error {
	c := importChoice{Opt: roster.Options{FiscalYear: s.CurrentFiscalYear(r.Context())}, Retire: retireFile}
	return s.renderImportForm(w, r, http.StatusOK, importFormView{Choice: c})
}

func (s *Service) importUpload(w http.ResponseWriter, r *http.Request) error {
	c := parseChoice(r.Form, s.CurrentFiscalYear(r.Context()))
	again := func(msg string) error {
		if c.Retire == "" {
			c.Retire = retireFile
		}
		return s.renderImportForm(w, r, http.StatusBadRequest, importFormView{Choice: c, Error: msg})
	}
	up, err := rosterUpload.Read(r)
	var we *web.Error
	if errors.As(err, &we) {
		c.Errors["file"] = we.Msg
		return again(we.Msg)
	}
	if err != nil {
		return err
	}
	name, data := up.Name, up.Data
	// Check the file can be read at all before keeping it.
	if _, err := roster.ReadFile(name, data); err != nil {
		c.Errors["file"] = userMessage(err)
		return again(c.Errors["file"])
	}
	if len(c.Errors) > 0 {
		return again("選んでいない項目があります。ファイルをもう一度選び、下の表示に従って選んでください。まだ何も登録されていません。")
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
	http.Redirect(w, r, fmt.Sprintf("/staff/import/%d/preview?%s", b.ID, c.values().Encode()), http.StatusSeeOther)
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

// source is how an upload is named in the audit log: each is imported once.
func source(b blob.Blob) string { return fmt.Sprintf("blob:%d", b.ID) }

// upload loads an uploaded roster.
func (s *Service) upload(ctx context.Context, r *http.Request) (blob.Blob, []byte, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return blob.Blob{}, nil, err
	}
	b, data, err := s.imp.Blobs.Get(ctx, id)
	if err != nil {
		return b, nil, err
	}
	if u := web.UserFrom(ctx); u.Role != web.RoleAdmin {
		return b, nil, web.Forbidden()
	}
	return b, data, nil
}

// plan builds the import plan of an upload.
func (s *Service) plan(ctx context.Context, b blob.Blob, data []byte, opt roster.Options) (*roster.Plan, error) {
	t, err := roster.ReadFile(b.Filename, data)
	if err != nil {
		return nil, web.Invalid("%s", userMessage(err))
	}
	ex, err := roster.LoadExisting(ctx, s.db)
	if err != nil {
		return nil, err
	}
	return roster.Build(t, ex, opt), nil
}

// issueView is an issue with the column's letter.
type issueView struct {
	roster.Issue
	Letter string
}

// figure is one number of the preview and the confirmation.
type figure struct {
	Label, N string
	Alert    bool // drawn as a warning (退職 above the limit)
}

type previewView struct {
	BlobID    int64
	Filename  string
	Plan      *roster.Plan
	Choice    importChoice
	Years     []FiscalYear
	Depts     []deptOption
	Fields    []roster.Field
	YearLabel string
	Kinds     []kindGroup
	Errors    []issueView
	MoreErrs  int
	Warnings  []issueView
	MoreWarn  int
	Figures   []figure
	Hidden    []hidden // the choice, for the next step's form
	ScopeText string
	// PreviewURL is the preview of the same choice (back from the confirmation).
	PreviewURL string
	// Retirement above the limit and its acknowledgement.
	Consent    bool
	Leavers    string // number to type, formatted
	Active     string
	Share      string
	Ack        string // as typed
	AckError   string
	AckPattern string
	ScopeDepts []string
	MoreScope  int
	// Confirmation.
	Fingerprint string
	Notice      string
	// Imported is the audit entry of an earlier import of this upload.
	Imported *auditlog.Entry
}

type kindGroup struct {
	Label   string
	Changes []roster.Change
	More    int
}

const previewLimit = 200

func (s *Service) importPreview(w http.ResponseWriter, r *http.Request) error {
	return s.show(w, r, r.URL.Query(), "preview", http.StatusOK, "")
}

func (s *Service) importConfirm(w http.ResponseWriter, r *http.Request) error {
	return s.show(w, r, r.URL.Query(), "confirm", http.StatusOK, "")
}

// show builds the plan of an upload for the choice in v and renders the
// step asked for ("preview" or "confirm"), or the step before it when the
// choice or the acknowledgement is not complete.
func (s *Service) show(w http.ResponseWriter, r *http.Request, v url.Values, step string, status int, notice string) error {
	ctx := r.Context()
	b, data, err := s.upload(ctx, r)
	if err != nil {
		return err
	}
	c := parseChoice(v, s.CurrentFiscalYear(ctx))
	view := previewView{BlobID: b.ID, Filename: b.Filename, Choice: c, YearLabel: jp.FiscalYearLabel(c.Opt.FiscalYear), Fields: roster.Fields(),
		Hidden: hiddenFields(c.values()), Ack: v.Get("ack"), Notice: notice, ScopeText: c.scopeText(),
		PreviewURL: fmt.Sprintf("/staff/import/%d/preview?%s", b.ID, c.values().Encode())}
	if view.Years, err = s.FiscalYears(ctx); err != nil {
		return err
	}
	if view.Depts, err = s.deptOptions(ctx, c.Depts); err != nil {
		return err
	}
	if e, ok, err := roster.Imported(ctx, s.log, source(b)); err != nil {
		return err
	} else if ok {
		view.Imported = &e
		return web.Render(w, r, http.StatusConflict, "org/import_confirm", "取り込み済みの名簿", view)
	}
	if len(c.Errors) > 0 {
		// The choice is not complete: only the options are shown.
		if status == http.StatusOK && step != "preview" {
			status = http.StatusBadRequest
		}
		return web.Render(w, r, status, "org/import_preview", "取り込み内容の確認", view)
	}
	p, err := s.plan(ctx, b, data, c.Opt)
	if err != nil {
		return err
	}
	s.fillPreview(&view, p)
	if step == "confirm" {
		switch {
		case !p.OK():
			step, status = "preview", http.StatusBadRequest
		case p.NeedsConsent() && !acknowledged(view.Ack, p.Counts().Leavers):
			step, status = "preview", http.StatusBadRequest
			view.AckError = fmt.Sprintf("入力された人数「%s」は、退職扱いになる人数（%s）と違います。", view.Ack, view.Leavers)
			if strings.TrimSpace(view.Ack) == "" {
				view.AckError = "退職扱いになる人数を入力してから進んでください。"
			}
			view.AckError += "全庁の名簿でなければ、下の「設定を変えて確認し直す」で範囲を選び直してください。"
		}
	}
	if step == "confirm" {
		view.Fingerprint = p.Fingerprint()
		return web.Render(w, r, status, "org/import_confirm", "取り込みの確認", view)
	}
	return web.Render(w, r, status, "org/import_preview", "取り込み内容の確認", view)
}

// fillPreview puts the plan into the view.
func (s *Service) fillPreview(v *previewView, p *roster.Plan) {
	v.Plan = p
	letters := map[string]string{}
	for _, c := range p.Columns {
		letters[c.Name()] = c.Letter
	}
	issues := func(is []roster.Issue, limit int) ([]issueView, int) {
		more := 0
		if len(is) > limit {
			is, more = is[:limit], len(is)-limit
		}
		out := make([]issueView, len(is))
		for i, x := range is {
			out[i] = issueView{Issue: x, Letter: letters[x.Column]}
		}
		return out, more
	}
	v.Errors, v.MoreErrs = issues(p.Errors, 1000)
	v.Warnings, v.MoreWarn = issues(p.Warnings, 30)
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
	c := p.Counts()
	v.Consent = p.NeedsConsent()
	v.Leavers, v.Active, v.Share = number(c.Leavers), number(p.Active), p.RetireShare()
	v.AckPattern = ackPattern(c.Leavers)
	v.Figures = []figure{
		{Label: "新規", N: number(c.New)}, {Label: "異動", N: number(c.Moved)}, {Label: "変更", N: number(c.Changed)},
		{Label: "再登録", N: number(c.Reactivated)}, {Label: "退職", N: number(c.Leavers), Alert: v.Consent},
		{Label: "変更なし", N: number(c.Unchanged)},
	}
	if p.CreateDepartments {
		v.Figures = append(v.Figures, figure{Label: "所属の新設", N: number(c.NewDepts)})
	}
	v.ScopeDepts = p.ScopeDepts
	if len(v.ScopeDepts) > 30 {
		v.ScopeDepts, v.MoreScope = v.ScopeDepts[:30], len(v.ScopeDepts)-30
	}
}

// number formats n with thousands separators: 4,295.
func number(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// acknowledged reports whether typed is the number of staff to be
// retired, in any width, with or without separators and 人.
func acknowledged(typed string, leavers int) bool {
	t := strings.NewReplacer(",", "", " ", "", "人", "").Replace(jp.Normalize(typed))
	return t == strconv.Itoa(leavers)
}

// ackPattern is the HTML pattern that lets the browser refuse the form
// until the number is typed, in half or full width, with or without
// thousands separators (the server checks it again).
func ackPattern(leavers int) string {
	n := strconv.Itoa(leavers)
	var b strings.Builder
	b.WriteString(`\s*`)
	for i, d := range n {
		if i > 0 && (len(n)-i)%3 == 0 {
			b.WriteString("[,，]?")
		}
		fmt.Fprintf(&b, "[%c%c]", d, d-'0'+'０')
	}
	b.WriteString(`\s*人?\s*`)
	return b.String()
}

func (s *Service) importApply(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	b, data, err := s.upload(ctx, r)
	if err != nil {
		return err
	}
	// A confirmation sent again while its import runs: the running job.
	s.imp.running.mu.Lock()
	job, running := s.imp.running.jobs[b.ID]
	s.imp.running.mu.Unlock()
	if running {
		http.Redirect(w, r, fmt.Sprintf("/jobs/%d", job), http.StatusSeeOther)
		return nil
	}
	c := parseChoice(r.PostForm, s.CurrentFiscalYear(ctx))
	if _, done, err := roster.Imported(ctx, s.log, source(b)); err != nil {
		return err
	} else if done || len(c.Errors) > 0 {
		return s.show(w, r, r.PostForm, "confirm", http.StatusBadRequest, "")
	}
	p, err := s.plan(ctx, b, data, c.Opt)
	if err != nil {
		return err
	}
	consent := p.NeedsConsent()
	switch {
	case !p.OK() || consent && !acknowledged(r.PostForm.Get("ack"), p.Counts().Leavers):
		return s.show(w, r, r.PostForm, "confirm", http.StatusBadRequest, "")
	case r.PostForm.Get("fp") != p.Fingerprint():
		return s.show(w, r, r.PostForm, "confirm", http.StatusConflict,
			"確認の画面を開いた後に職員または所属の登録が変わったため、取り込む内容が変わりました。下の数を確かめて、もう一度「取り込む」を押してください。")
	}
	opt := c.Opt
	opt.RetireMissing, opt.Source = consent, source(b)

	run := s.imp.running
	run.mu.Lock()
	defer run.mu.Unlock()
	if job, ok := run.jobs[b.ID]; ok { // started while this request planned
		http.Redirect(w, r, fmt.Sprintf("/jobs/%d", job), http.StatusSeeOther)
		return nil
	}
	c2 := p.Counts()
	total := c2.New + c2.Moved + c2.Changed + c2.Reactivated + c2.Leavers + c2.Unchanged
	id, err := s.imp.Jobs.Start(ctx, "staff.import", "/staff", total, func(ctx context.Context, progress func(int, int, string)) (string, error) {
		defer func() {
			run.mu.Lock()
			delete(run.jobs, b.ID)
			run.mu.Unlock()
		}()
		res, err := roster.Apply(ctx, s.db, s.log, p, opt, s.now(), func(done, total int) {
			progress(done, total, "職員を登録しています")
		})
		s.forgetDepartments() // an import may create departments
		for _, known := range []error{roster.ErrStale, roster.ErrPlanHasErrors, roster.ErrNeedsConsent, roster.ErrAlreadyImported} {
			if errors.Is(err, known) {
				return "", known
			}
		}
		if err != nil {
			return "", fmt.Errorf("取り込みに失敗しました。変更は書き込まれていません（%w）", err)
		}
		return importSummary(b.Filename, opt.FiscalYear, res.Counts), nil
	})
	if err != nil {
		return err
	}
	run.jobs[b.ID] = id
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
