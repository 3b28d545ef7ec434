package scan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"mamori/internal/database"
	"mamori/internal/improve"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/scan/finding"
	"mamori/internal/scan/parse"
	"mamori/internal/web"
)

func (m *Module) routes(rt *web.Router) {
	read, work := team.Rule(), team.Rule()
	obj := web.Object{Kind: "scan.engagement", Allow: m.allow(false)}
	wobj := web.Object{Kind: "scan.engagement", Allow: m.allow(true)}
	// A finding: checked to exist here; that it is the engagement's of the
	// path is the store's check (FindingOf, answered 404), after the
	// engagement's own check.
	fobj := web.Object{Kind: "scan.finding", Param: "finding", Allow: func(ctx context.Context, _ *web.User, _ web.Scope, id int64) (bool, error) {
		var n int
		err := m.d.DB.QueryRow(ctx, "SELECT COUNT(*) FROM scan_findings WHERE id = ?", id).Scan(&n)
		if err == nil && n == 0 {
			return false, database.ErrNotFound
		}
		return err == nil, err
	}}
	rt.Handle("GET /scan", read, m.list)
	rt.Handle("GET /scan/{id}", read.On(obj), m.show)
	rt.Handle("POST /scan/{id}/plan", work.On(wobj), m.savePlan)
	rt.Handle("POST /scan/{id}/abort", work.On(wobj), m.abort)
	rt.Handle("POST /scan/{id}/import", work.WithUpload().On(wobj), m.importPreview)
	rt.Handle("POST /scan/{id}/import/apply", work.On(wobj), m.importApply)
	rt.Handle("POST /scan/{id}/check", work.On(wobj), m.check)
	rt.Handle("GET /scan/{id}/findings/{finding}", read.On(obj).On(fobj), m.findingShow)
	rt.Handle("POST /scan/{id}/findings/{finding}", work.On(wobj).On(fobj), m.findingUpdate)
	rt.Handle("POST /scan/{id}/findings/{finding}/propose", work.On(wobj).On(fobj), m.findingPropose)
	rt.Handle("GET /scan/{id}/plan-document", read.On(obj), m.planDoc)
	rt.Handle("GET /scan/{id}/report", read.On(obj), m.reportDoc)
}

// allow admits the engagement's team to a system audit's verification
// (write: may change it).
func (m *Module) allow(write bool) func(ctx context.Context, u *web.User, _ web.Scope, id int64) (bool, error) {
	return func(ctx context.Context, u *web.User, _ web.Scope, id int64) (bool, error) {
		k, err := m.keeper()
		if err != nil {
			return false, err
		}
		e, err := k.AuditEngagement(ctx, id)
		if err != nil {
			return false, err
		}
		if !e.System {
			return false, nil
		}
		a, err := k.EngagementAccess(ctx, u, id)
		if err != nil {
			return false, err
		}
		if write {
			return a.Audit, nil
		}
		return a.Read, nil
	}
}

func (m *Module) engagementOf(r *http.Request) (module.AuditEngagement, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return module.AuditEngagement{}, err
	}
	k, err := m.keeper()
	if err != nil {
		return module.AuditEngagement{}, err
	}
	return k.AuditEngagement(r.Context(), id)
}

func userName(r *http.Request) string { return improve.ActorOf(web.UserFrom(r.Context())).Name }

type listRow struct {
	E      module.AuditEngagement
	Plan   Plan
	Counts Counts
}

type listView struct {
	Year  int
	Years []int
	Rows  []listRow
}

func (m *Module) list(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	k, err := m.keeper()
	if err != nil {
		return err
	}
	fy := m.d.Org.CurrentFiscalYear(ctx)
	if y, err := strconv.Atoi(r.URL.Query().Get("year")); err == nil && y > 2000 && y < 2100 {
		fy = y
	}
	es, err := k.AuditEngagements(ctx, fy)
	if err != nil {
		return err
	}
	u := web.UserFrom(ctx)
	v := listView{Year: fy, Years: []int{fy + 1, fy, fy - 1, fy - 2}}
	for _, e := range es {
		if !e.System {
			continue
		}
		a, err := k.EngagementAccess(ctx, u, e.ID)
		if err != nil {
			return err
		}
		if !a.Read {
			continue
		}
		p, err := m.store.PlanOf(ctx, e.ID)
		if err != nil {
			return err
		}
		var c Counts
		if p.Saved() {
			if c, err = m.store.CountsOf(ctx, p.ID); err != nil {
				return err
			}
		}
		v.Rows = append(v.Rows, listRow{E: e, Plan: p, Counts: c})
	}
	return web.Render(w, r, http.StatusOK, "scan/scan_list", "技術的検証", v)
}

type showView struct {
	E         module.AuditEngagement
	Plan      Plan
	In        PlanInput
	Errors    FieldErrors
	Counts    Counts
	Findings  []Stored
	Filter    Filter
	Imports   []Import
	Checks    []CheckRun
	Ready     string
	CanWork   bool
	Profiles  []struct{ Code, Label string }
	Statuses  []struct{ Code, Label string }
	Severity  []finding.Severity
	Formats   []parse.Format
	Sources   []string
	ImportErr string
	Now       time.Time
}

func (m *Module) show(w http.ResponseWriter, r *http.Request) error {
	e, err := m.engagementOf(r)
	if err != nil {
		return err
	}
	return m.renderShow(w, r, e, nil, nil, http.StatusOK, "")
}

func (m *Module) renderShow(w http.ResponseWriter, r *http.Request, e module.AuditEngagement, in *PlanInput, fe FieldErrors, status int, importErr string) error {
	ctx := r.Context()
	p, err := m.store.PlanOf(ctx, e.ID)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := Filter{Severity: q.Get("severity"), Status: q.Get("status"), Source: q.Get("source"), Host: q.Get("host"), Words: q.Get("q"), Limit: 500}
	switch f.Status {
	case "": // what needs action first
		f.Status = "active"
	case "all":
		f.Status = ""
	}
	if !finding.Severity(f.Severity).Valid() {
		f.Severity = ""
	}
	v := showView{E: e, Plan: p, Errors: fe, Filter: f, Profiles: Profiles, Statuses: Statuses, Severity: finding.Severities,
		Formats: parse.Formats, Sources: []string{"nmap", "openvas", "trivy", "sarif", "csv", "tls", "http", "tcp"}, ImportErr: importErr,
		Ready: p.CheckReady(m.store.now()), Now: m.store.now()}
	if in != nil {
		v.In = *in
	} else {
		v.In = PlanInput{Targets: p.Targets, Ports: p.PortsText(), Start: p.StartInput(), End: p.EndInput(), Rate: strconv.Itoa(p.Rate),
			Profile: p.Profile, Methods: p.Methods, ApprovedBy: p.ApprovedBy, ApprovedOn: p.ApprovedOnInput(), Emergency: p.Emergency, Notes: p.Notes, Rev: p.Rev}
	}
	k, err := m.keeper()
	if err != nil {
		return err
	}
	a, err := k.EngagementAccess(ctx, web.UserFrom(ctx), e.ID)
	if err != nil {
		return err
	}
	v.CanWork = a.Audit
	if p.Saved() {
		if v.Counts, err = m.store.CountsOf(ctx, p.ID); err != nil {
			return err
		}
		if v.Findings, err = m.store.Findings(ctx, p.ID, f); err != nil {
			return err
		}
		if v.Imports, err = m.store.Imports(ctx, p.ID); err != nil {
			return err
		}
		if v.Checks, err = m.store.CheckRuns(ctx, p.ID, 30); err != nil {
			return err
		}
	}
	return web.Render(w, r, status, "scan/scan_show", e.Code+" 技術的検証", v)
}

func (m *Module) savePlan(w http.ResponseWriter, r *http.Request) error {
	e, err := m.engagementOf(r)
	if err != nil {
		return err
	}
	rev, _ := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	in := PlanInput{Targets: r.PostFormValue("targets"), Ports: r.PostFormValue("ports"), Start: r.PostFormValue("start"), End: r.PostFormValue("end"),
		Rate: r.PostFormValue("rate"), Profile: r.PostFormValue("profile"), Methods: r.PostFormValue("methods"), ApprovedBy: r.PostFormValue("approved_by"),
		ApprovedOn: r.PostFormValue("approved_on"), Emergency: r.PostFormValue("emergency"), Notes: r.PostFormValue("notes"), Rev: rev}
	err = m.store.SavePlan(r.Context(), e, in, userName(r))
	var fe FieldErrors
	switch {
	case errors.As(err, &fe):
		return m.renderShow(w, r, e, &in, fe, http.StatusUnprocessableEntity, "")
	case errors.Is(err, ErrStale):
		return m.renderShow(w, r, e, &in, FieldErrors{"targets": ErrStale.Error()}, http.StatusConflict, "")
	case err != nil:
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/scan/%d#plan", e.ID), "検証計画を保存しました。", true)
}

func (m *Module) abort(w http.ResponseWriter, r *http.Request) error {
	e, err := m.engagementOf(r)
	if err != nil {
		return err
	}
	on := r.PostFormValue("on") == "1"
	err = m.store.SetAbort(r.Context(), e, on, userName(r))
	var fe FieldErrors
	if errors.As(err, &fe) {
		return m.renderShow(w, r, e, nil, fe, http.StatusUnprocessableEntity, "")
	}
	if err != nil {
		return err
	}
	msg := "中止スイッチを入れました。実行中の検証は次の接続の前に止まります。"
	if !on {
		msg = "中止スイッチを解除しました。"
	}
	return web.Redirect(w, r, fmt.Sprintf("/scan/%d", e.ID), msg, true)
}

// scanUpload: scanner files are text (XML, JSON, CSV); the parsers check
// the content, so the upload accepts the extensions scanners write.
var scanUpload = web.Upload{MaxBytes: web.MaxBody - (1 << 20), Types: []web.FileType{web.XML, web.JSON, web.CSV}}

type importView struct {
	E      module.AuditEngagement
	Out    Outcome
	Format parse.Format
	File   string
	Staged int64
	SHA    string
	Err    string
	Kinds  []struct{ Key, Label string }
}

func (m *Module) importPreview(w http.ResponseWriter, r *http.Request) error {
	e, err := m.engagementOf(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	up, err := scanUpload.Read(r)
	if err != nil {
		var we *web.Error
		if errors.As(err, &we) {
			m.refused(ctx, e, "", we.Msg)
			return m.renderShow(w, r, e, nil, nil, we.Status, we.Msg)
		}
		return err
	}
	format, err := chooseFormat(r.PostFormValue("format"), up.Data, up.Name)
	if err != nil {
		m.refused(ctx, e, up.Name, err.Error())
		return m.renderShow(w, r, e, nil, nil, http.StatusUnprocessableEntity, up.Name+"："+err.Error())
	}
	in := ImportInput{Format: format, Filename: up.Name, Size: int64(len(up.Data)), Open: func() (io.Reader, error) { return bytes.NewReader(up.Data), nil }}
	out, err := m.store.PreviewImport(ctx, e, in)
	if err != nil {
		var pe *parse.Error
		if errors.As(err, &pe) {
			m.refused(ctx, e, up.Name, pe.Error())
			return m.renderShow(w, r, e, nil, nil, http.StatusUnprocessableEntity, up.Name+"："+pe.Error())
		}
		return err
	}
	sum := sha256.Sum256(up.Data)
	staged, err := m.store.Stage(ctx, e, m.d.Blobs, up.Name, format, up.Data, userName(r))
	if err != nil {
		return err
	}
	v := importView{E: e, Out: out, Format: format, File: up.Name, Staged: staged, SHA: hex.EncodeToString(sum[:]),
		Kinds: []struct{ Key, Label string }{{"new", "新規"}, {"reopened", "再発（対応済から戻る）"}, {"gone", "解消（対応済にする）"}, {"still", "継続"}}}
	return web.Render(w, r, http.StatusOK, "scan/scan_import", e.Code+" 取込みの確認", v)
}

// refused records a refused import in the audit log.
func (m *Module) refused(ctx context.Context, e module.AuditEngagement, file, why string) {
	_ = m.d.Log.Record(ctx, "scan.import_refused", fmt.Sprintf("audit_engagement:%d", e.ID),
		fmt.Sprintf("%s への取込みを拒否（%s）：%s", e.Code, file, finding.Cut(why, 300)))
}

// chooseFormat is the format the user picked, or the one the file shows.
func chooseFormat(picked string, data []byte, name string) (parse.Format, error) {
	if picked = strings.TrimSpace(picked); picked != "" && picked != "auto" {
		return parse.ParseFormat(picked)
	}
	head := data
	if len(head) > 64<<10 {
		head = head[:64<<10]
	}
	return parse.Detect(head, name)
}

func (m *Module) importApply(w http.ResponseWriter, r *http.Request) error {
	e, err := m.engagementOf(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	staged, _ := strconv.ParseInt(r.PostFormValue("staged"), 10, 64)
	st, data, err := m.store.Staged(ctx, e, m.d.Blobs, staged)
	if errors.Is(err, database.ErrNotFound) {
		return m.renderShow(w, r, e, nil, nil, http.StatusConflict, "この取込みは既に行われたか、見つかりません。もう一度ファイルを選んでください（何も変更していません）。")
	}
	if errors.Is(err, ErrKeyDestroyed) {
		return m.renderShow(w, r, e, nil, nil, http.StatusGone, ErrKeyDestroyed.Error())
	}
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != r.PostFormValue("sha") {
		return m.renderShow(w, r, e, nil, nil, http.StatusConflict, "確認した内容とファイルが一致しません。もう一度ファイルを選んでください（何も変更していません）。")
	}
	in := ImportInput{Format: parse.Format(st.Format), Filename: st.Filename, SHA256: st.SHA256, Size: int64(len(data)), BlobID: st.BlobID, Sealed: st.Sealed,
		Open: func() (io.Reader, error) { return bytes.NewReader(data), nil }}
	out, err := m.store.ApplyStaged(ctx, e, staged, in, userName(r))
	if errors.Is(err, ErrStale) {
		return m.renderShow(w, r, e, nil, nil, http.StatusConflict, "この取込みは既に行われました（何も変更していません）。")
	}
	if err != nil {
		var pe *parse.Error
		if errors.As(err, &pe) {
			return m.renderShow(w, r, e, nil, nil, http.StatusUnprocessableEntity, st.Filename+"："+pe.Error())
		}
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/scan/%d#findings", e.ID),
		fmt.Sprintf("%s を取り込みました：新規 %d 件、継続 %d 件、解消 %d 件、再発 %d 件。", st.Filename, out.New, out.Still, out.Gone, out.Reopened), true)
}

type findingView struct {
	E        module.AuditEngagement
	F        Stored
	Errors   FieldErrors
	In       UpdateInput
	Items    []module.AuditItem
	Linked   map[string]bool
	CanWork  bool
	Statuses []struct{ Code, Label string }
	Expired  bool
}

// findingOf reads the engagement and the finding of the path; a finding
// of another engagement is not found.
func (m *Module) findingOf(r *http.Request) (module.AuditEngagement, Stored, error) {
	e, err := m.engagementOf(r)
	if err != nil {
		return e, Stored{}, err
	}
	id, err := web.PathID(r, "finding")
	if err != nil {
		return e, Stored{}, err
	}
	p, err := m.store.PlanOf(r.Context(), e.ID)
	if err != nil {
		return e, Stored{}, err
	}
	if !p.Saved() {
		return e, Stored{}, database.ErrNotFound
	}
	f, err := m.store.FindingOf(r.Context(), p.ID, id)
	return e, f, err
}

func (m *Module) findingShow(w http.ResponseWriter, r *http.Request) error {
	e, f, err := m.findingOf(r)
	if err != nil {
		return err
	}
	return m.renderFinding(w, r, e, f, nil, nil, http.StatusOK)
}

func (m *Module) renderFinding(w http.ResponseWriter, r *http.Request, e module.AuditEngagement, f Stored, in *UpdateInput, fe FieldErrors, status int) error {
	ctx := r.Context()
	k, err := m.keeper()
	if err != nil {
		return err
	}
	a, err := k.EngagementAccess(ctx, web.UserFrom(ctx), e.ID)
	if err != nil {
		return err
	}
	v := findingView{E: e, F: f, Errors: fe, Items: e.Items, Linked: map[string]bool{}, CanWork: a.Audit, Statuses: Statuses, Expired: f.AcceptExpired(m.store.now())}
	if in != nil {
		v.In = *in
	} else {
		v.In = UpdateInput{Status: f.Status, Note: f.StatusNote, AcceptUntil: f.AcceptUntilInput(), ItemCodes: f.ItemCodes, Rev: f.Rev}
	}
	for _, c := range v.In.ItemCodes {
		v.Linked[c] = true
	}
	// The linked items first, then the checklist's order.
	v.Items = slices.Clone(e.Items)
	slices.SortStableFunc(v.Items, func(a, b module.AuditItem) int {
		switch {
		case v.Linked[a.Code] && !v.Linked[b.Code]:
			return -1
		case v.Linked[b.Code] && !v.Linked[a.Code]:
			return 1
		}
		return 0
	})
	return web.Render(w, r, status, "scan/scan_finding", finding.Cut(f.Title, 40), v)
}

func (m *Module) findingUpdate(w http.ResponseWriter, r *http.Request) error {
	e, f, err := m.findingOf(r)
	if err != nil {
		return err
	}
	rev, _ := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	in := UpdateInput{Status: r.PostFormValue("status"), Note: r.PostFormValue("note"), AcceptUntil: r.PostFormValue("accept_until"),
		ItemCodes: r.PostForm["item"], Rev: rev}
	err = m.store.UpdateFinding(r.Context(), e, f, in, userName(r))
	var fe FieldErrors
	switch {
	case errors.As(err, &fe):
		return m.renderFinding(w, r, e, f, &in, fe, http.StatusUnprocessableEntity)
	case errors.Is(err, ErrStale):
		return m.renderFinding(w, r, e, f, &in, FieldErrors{"status": ErrStale.Error()}, http.StatusConflict)
	case err != nil:
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/scan/%d/findings/%d", e.ID, f.ID), "検出事項を更新しました。", true)
}

// riskOf maps a severity to an audit finding's risk.
func riskOf(s finding.Severity) string {
	switch s {
	case finding.Critical, finding.High:
		return "高"
	case finding.Medium:
		return "中"
	}
	return "低"
}

// Proposal is the audit finding a technical finding would become.
func Proposal(f Stored, e module.AuditEngagement) module.ProposedFinding {
	typ := module.ProposedFindingFinding
	if f.Severity == finding.Low || f.Severity == finding.Info {
		typ = module.ProposedFindingRecommendation
	}
	cond := fmt.Sprintf("技術的検証（%s）で、%s について「%s」を確認した（重大度：%s", f.SourceLabel(), orText(f.Where(), e.SystemName), f.Title, f.Severity.Label())
	if f.CVSSText() != "" {
		cond += "、CVSS " + f.CVSSText()
	}
	cond += "）。"
	if ids := f.OtherIDs(); ids != "" {
		cond += "\n関連する識別子：" + ids
	}
	if f.Description != "" {
		cond += "\n" + finding.Cut(f.Description, 1500)
	}
	criteria := "情報セキュリティ対策基準 6.5 不正アクセス対策（修正プログラムの適用と脆弱性への対応）"
	switch f.Area {
	case finding.AreaCrypto:
		criteria = "情報セキュリティ対策基準 6.1 コンピュータ及びネットワークの管理（通信の暗号化）、TLS暗号設定ガイドライン"
	case finding.AreaNetwork:
		criteria = "情報セキュリティ対策基準 6.1 コンピュータ及びネットワークの管理（不要なサービスの停止と通信制御）"
	case finding.AreaConfig:
		criteria = "情報セキュリティ対策基準 6.1 コンピュータ及びネットワークの管理（機器とソフトウェアの設定）"
	case finding.AreaSecret, finding.AreaCode:
		criteria = "情報セキュリティ対策基準 6.3 システム開発、導入、保守等（セキュリティの検査と秘密情報の管理）"
	}
	rec := f.Remedy
	if rec == "" {
		rec = "製造元の情報を確認し、修正版の適用又は設定の変更により対処すること。"
	}
	return module.ProposedFinding{Type: typ, Title: finding.Cut(f.Title, 150), ItemCodes: f.ItemCodes, Condition: cond, Criteria: criteria,
		Effect: "放置すると、不正アクセスや情報の漏えい、システムの停止につながるおそれがある。", Recommendation: finding.Cut(rec, 3000), Risk: riskOf(f.Severity)}
}

func orText(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (m *Module) findingPropose(w http.ResponseWriter, r *http.Request) error {
	e, f, err := m.findingOf(r)
	if err != nil {
		return err
	}
	if f.AuditRef != "" {
		return web.Redirect(w, r, f.AuditLink, "この検出事項は既に監査の"+f.AuditRef+"になっています。", false)
	}
	k, err := m.keeper()
	if err != nil {
		return err
	}
	ctx := r.Context()
	u := web.UserFrom(ctx)
	var label, link string
	err = m.d.DB.WithTx(ctx, func(ctx context.Context) error {
		var err error
		label, link, err = k.ProposeFinding(ctx, u, e.ID, Proposal(f, e))
		if err != nil {
			return err
		}
		return m.store.MarkProposed(ctx, e, f, label, link, userName(r))
	})
	var we *web.Error
	if errors.As(err, &we) {
		return m.renderFinding(w, r, e, f, nil, FieldErrors{"status": we.Msg}, http.StatusUnprocessableEntity)
	}
	if errors.Is(err, ErrStale) {
		return m.renderFinding(w, r, e, f, nil, FieldErrors{"status": ErrStale.Error()}, http.StatusConflict)
	}
	if err != nil {
		if msg := err.Error(); strings.Contains(msg, "報告書") || strings.Contains(msg, "確定") {
			return m.renderFinding(w, r, e, f, nil, FieldErrors{"status": msg}, http.StatusConflict)
		}
		return err
	}
	return web.Redirect(w, r, link, fmt.Sprintf("技術的検証の結果を%sとして登録しました。内容と期限を確かめてください。", label), true)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return jp.FormatWarekiDateTime(t)
}

// check runs the built-in checks in the background (a job the user
// follows on its progress page); a plan that does not allow them now is
// refused at once.
func (m *Module) check(w http.ResponseWriter, r *http.Request) error {
	e, err := m.engagementOf(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	p, err := m.store.PlanOf(ctx, e.ID)
	if err != nil {
		return err
	}
	if why := p.CheckReady(m.store.now()); why != "" {
		_ = m.d.Log.Record(ctx, "scan.check_refused", fmt.Sprintf("audit_engagement:%d", e.ID), e.Code+" の組込み検査を拒否："+why)
		return m.renderShow(w, r, e, nil, nil, http.StatusConflict, "組込み検査を実行できません："+why)
	}
	by := userName(r)
	steps, _ := PlanSteps(p)
	id, err := m.d.Jobs.Start(ctx, "scan.check", fmt.Sprintf("/scan/%d#history", e.ID), len(steps), func(jctx context.Context, progress func(int, int, string)) (string, error) {
		out, err := m.store.RunChecks(jctx, e, by, m.checkOpt, progress)
		var re *RefusedError
		if errors.As(err, &re) {
			return "", fmt.Errorf("%s", re.Msg)
		}
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("組込み検査を記録しました：検出 %d 件（新規 %d、継続 %d、解消 %d、再発 %d）。", out.Read, out.New, out.Still, out.Gone, out.Reopened), nil
	})
	if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/jobs/%d", id), "組込み検査を始めました。", true)
}
