package incident

import (
	"fmt"
	"io"
	"net/http"

	"mamori/internal/docgen"
	"mamori/internal/docgen/formats"
	"mamori/internal/jp"
	"mamori/internal/web"
)

// Downloads: the 再発防止レポート, the commission's report (案), the press
// draft, and the annual summary. Every download is audited.

func (m *Module) docRoutes(rt *web.Router, mobj, obj web.Object) {
	rt.Handle("GET /incident/{id}/report", watch.On(obj), m.docReport)
	rt.Handle("GET /incident/{id}/commission", Managers.Rule().On(mobj), m.docCommission)
	rt.Handle("GET /incident/{id}/press", Managers.Rule().On(mobj), m.docPress)
	rt.Handle("GET /incident/annual", web.Allow(web.RoleAdmin, web.RoleConsultant, web.RoleViewer), m.docAnnual)
}

func (m *Module) sendIncidentDoc(w http.ResponseWriter, r *http.Request, kind string, build func(*Record, string) *docgen.Document, allowed ...string) error {
	i, err := m.incidentOf(r)
	if err != nil {
		return err
	}
	f, err := formats.Parse(r.URL.Query().Get("format"), allowed...)
	if err != nil {
		return web.Invalid("出力形式の指定が正しくありません。")
	}
	rec, err := m.store.RecordOf(r.Context(), i)
	if err != nil {
		return err
	}
	doc := build(rec, m.d.Org.WardName(r.Context()))
	dl := web.Download{Name: web.JoinFileName(f.Name, kind, i.Code), ContentType: f.ContentType, Target: fmt.Sprintf("incident:%d", i.ID),
		Detail: fmt.Sprintf("インシデント %s の%s（%s）", i.Code, kind, f.Label)}
	return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return f.Render(out, doc) })
}

func (m *Module) docReport(w http.ResponseWriter, r *http.Request) error {
	now := m.store.now()
	return m.sendIncidentDoc(w, r, "再発防止レポート", func(rec *Record, ward string) *docgen.Document { return rec.ReportDocument(ward, now) }, "pdf", "docx")
}

func (m *Module) docCommission(w http.ResponseWriter, r *http.Request) error {
	now := m.store.now()
	return m.sendIncidentDoc(w, r, "漏えい等報告（案）", func(rec *Record, ward string) *docgen.Document { return rec.CommissionDocument(ward, now) }, "pdf", "docx")
}

func (m *Module) docPress(w http.ResponseWriter, r *http.Request) error {
	now := m.store.now()
	return m.sendIncidentDoc(w, r, "報道発表資料（案）", func(rec *Record, ward string) *docgen.Document { return rec.PressDocument(ward, now) }, "docx", "pdf")
}

func (m *Module) docAnnual(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	fy := m.d.Org.CurrentFiscalYear(ctx)
	if y := r.URL.Query().Get("year"); y != "" {
		v, err := jp.ParseFiscalYear(y)
		if err != nil || v < 2000 || v > 2100 {
			return web.Invalid("年度の指定が正しくありません（例: 2026、令和8年度）。")
		}
		fy = v
	}
	f, err := formats.Parse(r.URL.Query().Get("format"), "pdf", "docx", "xlsx")
	if err != nil {
		return web.Invalid("出力形式は pdf・docx・xlsx のいずれかを指定してください。")
	}
	now := m.store.now()
	a, err := m.store.AnnualOf(ctx, fy, now)
	if err != nil {
		return err
	}
	doc := a.Document(m.d.Org.WardName(ctx), now)
	dl := web.Download{Name: web.JoinFileName(f.Name, "インシデント対応の年間総括", jp.FiscalYearLabel(fy)), ContentType: f.ContentType,
		Target: "incident_annual", Detail: fmt.Sprintf("%s インシデント対応の年間総括（%s）", jp.FiscalYearLabel(fy), f.Label)}
	return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return f.Render(out, doc) })
}
