package drill

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/docgen/formats"
	"mamori/internal/jp"
	"mamori/internal/web"
)

// Downloads. Every download is audited. The controller handbook is for the
// managers only; a 所属長 or the viewer reads the day plan, the player
// handbook and the evaluation report.

func (m *Module) docRoutes(rt *web.Router, manage web.Rule, mobj, obj web.Object) {
	rt.Handle("GET /drills/{id}/plan", watch.On(obj), m.drillDoc("訓練実施計画書（当日）", (*Record).DayPlan))
	rt.Handle("GET /drills/{id}/material", watch.On(obj), m.drillDoc("訓練資料", (*Record).PlayerHandbook))
	rt.Handle("GET /drills/{id}/controller", manage.On(mobj), m.drillDoc("統制役・評価者用資料", (*Record).ControllerHandbook))
	rt.Handle("GET /drills/{id}/report", watch.On(obj), m.drillDoc("訓練評価報告書", (*Record).Evaluation))
	rt.Handle("GET /drill/plan/document", web.Allow(web.RoleAdmin, web.RoleConsultant, web.RoleViewer), m.yearDoc("業務計画書（年間）事故対応訓練", (*Year).PlanDocument))
	rt.Handle("GET /drill/annual", web.Allow(web.RoleAdmin, web.RoleConsultant, web.RoleViewer), m.yearDoc("訓練結果報告書", (*Year).BusinessReport))
}

func (m *Module) drillDoc(kind string, build func(*Record, string, time.Time) *docgen.Document) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		d, err := m.drillOf(r)
		if err != nil {
			return err
		}
		f, err := formats.Parse(r.URL.Query().Get("format"), "pdf", "docx")
		if err != nil {
			return web.Invalid("出力形式は pdf か docx を指定してください。")
		}
		rec, err := m.store.RecordOf(r.Context(), d)
		if err != nil {
			return err
		}
		doc := build(rec, m.d.Org.WardName(r.Context()), m.store.now())
		dl := web.Download{Name: web.JoinFileName(f.Name, kind, d.Code), ContentType: f.ContentType, Target: fmt.Sprintf("drill:%d", d.ID),
			Detail: fmt.Sprintf("訓練 %s の%s（%s）", d.Code, kind, f.Label)}
		return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return f.Render(out, doc) })
	}
}

func (m *Module) yearDoc(kind string, build func(*Year, string, time.Time) *docgen.Document) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		fy, err := m.yearOf(r)
		if err != nil {
			return err
		}
		f, err := formats.Parse(r.URL.Query().Get("format"), "pdf", "docx")
		if err != nil {
			return web.Invalid("出力形式は pdf か docx を指定してください。")
		}
		y, err := m.store.YearOf(r.Context(), fy)
		if err != nil {
			return err
		}
		doc := build(y, m.d.Org.WardName(r.Context()), m.store.now())
		dl := web.Download{Name: web.JoinFileName(f.Name, kind, jp.FiscalYearLabel(fy)), ContentType: f.ContentType, Target: fmt.Sprintf("drill_plan:%d", fy),
			Detail: fmt.Sprintf("%s %s（%s）", jp.FiscalYearLabel(fy), kind, f.Label)}
		return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return f.Render(out, doc) })
	}
}
