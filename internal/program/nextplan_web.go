package program

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"

	"mamori/internal/docgen"
	"mamori/internal/docgen/formats"
	"mamori/internal/improve"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/web"
)

func (m *Module) nextPlanRoutes(rt *web.Router) {
	read, manage := readers.Rule(), Managers.Rule()
	rt.Handle("GET /program/next-plan", read, m.nextPlan)
	rt.Handle("POST /program/next-plan", manage, m.nextPlanSave)
	rt.Handle("POST /program/next-plan/copy", manage, m.nextPlanCopy)
	rt.Handle("GET /program/next-plan/document", read, m.nextPlanDoc)
}

func (m *Module) nextPlanOf(ctx context.Context, fy int) (NextPlan, error) {
	sc, err := m.store.ScheduleOf(ctx, fy, m.d.YearProgress)
	if err != nil {
		return NextPlan{}, err
	}
	return m.store.NextPlanOf(ctx, fy, sc, improve.NewStore(m.d))
}

type nextPlanView struct {
	P      NextPlan
	Years  []int
	Manage bool
	Errors FieldErrors
}

func (m *Module) nextPlan(w http.ResponseWriter, r *http.Request) error {
	return m.renderNextPlan(w, r, m.yearOf(r), nil, http.StatusOK)
}

func (m *Module) renderNextPlan(w http.ResponseWriter, r *http.Request, fy int, fe FieldErrors, status int) error {
	np, err := m.nextPlanOf(r.Context(), fy)
	if err != nil {
		return err
	}
	v := nextPlanView{P: np, Years: []int{fy + 1, fy, fy - 1}, Manage: Managers.HasUser(web.UserFrom(r.Context())), Errors: fe}
	return web.Render(w, r, status, "program/program_next", jp.FiscalYearLabel(fy)+"の次期支援計画書（案）", v)
}

func postYear(m *Module, r *http.Request) int {
	fy, err := jp.ParseFiscalYear(r.PostFormValue("year"))
	if err != nil || fy < 2000 || fy > 2100 {
		return m.d.Org.CurrentFiscalYear(r.Context())
	}
	return fy
}

func (m *Module) nextPlanSave(w http.ResponseWriter, r *http.Request) error {
	fy := postYear(m, r)
	texts := map[int]string{}
	for ws := 1; ws < len(Workstreams); ws++ {
		if vs, ok := r.PostForm[fmt.Sprintf("p_%d", ws)]; ok && len(vs) == 1 {
			texts[ws] = vs[0]
		}
	}
	err := m.store.SaveProposals(r.Context(), fy, texts, userName(r))
	var fe FieldErrors
	if errors.As(err, &fe) {
		return m.renderNextPlan(w, r, fy, fe, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/program/next-plan?year=%d", fy), "次年度の提案を保存しました。", true)
}

func (m *Module) nextPlanCopy(w http.ResponseWriter, r *http.Request) error {
	fy := postYear(m, r)
	n, err := m.store.CopyToNextYear(r.Context(), fy, userName(r))
	var fe FieldErrors
	if errors.As(err, &fe) {
		return m.renderNextPlan(w, r, fy, fe, http.StatusConflict)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/program?year=%d", fy+1), fmt.Sprintf("%sの工程の骨組みを作りました（%d 件）。日付と担当を見直してください。", jp.FiscalYearLabel(fy+1), n), true)
}

func (m *Module) nextPlanDoc(w http.ResponseWriter, r *http.Request) error {
	f, err := formats.Parse(r.URL.Query().Get("format"), "pdf", "docx")
	if err != nil {
		return web.Invalid("出力形式は pdf か docx を指定してください。")
	}
	fy := m.yearOf(r)
	np, err := m.nextPlanOf(r.Context(), fy)
	if err != nil {
		return err
	}
	doc := NextPlanDocument(np, m.d.Org.WardName(r.Context()))
	dl := web.Download{Name: web.JoinFileName(f.Name, "次期支援計画書（案）", jp.FiscalYearLabel(fy+1)), ContentType: f.ContentType,
		Target: fmt.Sprintf("program_year:%d", fy), Detail: fmt.Sprintf("%sの次期支援計画書（案）（%s）", jp.FiscalYearLabel(fy), f.Label)}
	return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return f.Render(out, doc) })
}

func nextPlanCommand() module.ExportCommand {
	var year *string
	return module.ExportCommand{Name: "next-plan", Label: "次期支援計画書（案）", Formats: []string{"pdf", "docx"}, Synopsis: "[--year 2026]",
		Usage: `export next-plan [--year 2026] --format pdf|docx -o FILE
                           次期支援計画書（案）（業務ごとの実施状況・課題・次年度の提案）を出力します`,
		Flags: func(fs *flag.FlagSet) {
			year = fs.String("year", "", "今年度（省略時は現在の年度。計画はその翌年度のもの）")
		},
		Build: func(ctx context.Context, d module.Deps) (*docgen.Document, string, string, string, error) {
			fy, err := yearFlag(ctx, d, *year)
			if err != nil {
				return nil, "", "", "", err
			}
			s := NewStore(d)
			sc, err := s.ScheduleOf(ctx, fy, d.YearProgress)
			if err != nil {
				return nil, "", "", "", err
			}
			np, err := s.NextPlanOf(ctx, fy, sc, improve.NewStore(d))
			if err != nil {
				return nil, "", "", "", err
			}
			return NextPlanDocument(np, d.Org.WardName(ctx)), "次期支援計画書（案）", fmt.Sprintf("program_year:%d", fy), jp.FiscalYearLabel(fy) + "の次期支援計画書（案）", nil
		}}
}
