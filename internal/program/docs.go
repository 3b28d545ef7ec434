package program

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"

	"mamori/internal/docgen"
	"mamori/internal/docgen/formats"
	"mamori/internal/improve"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/web"
)

// WorkPlanDocument is the 業務計画書: the year's plan by workstream — every
// task and milestone with its owner and period (the baseline where a task
// was re-planned, so that the plan reads as it was agreed, with the
// current dates beside it), the monthly meetings, and the delays known at
// the date of printing.
func WorkPlanDocument(sc Schedule, ward string) *docgen.Document {
	b := []docgen.Block{
		docgen.ApprovalBox{Titles: []string{"統括責任者", "情報政策課長", "担当"}},
		docgen.Heading{Level: 1, Text: "1 目的"},
		docgen.P(fmt.Sprintf("%sの情報セキュリティ対策の年間業務（内部監査、自己点検、外部監査、教育・研修、事故対応訓練、インシデント対応、外部委託・クラウド導入支援、ポリシー改訂支援及び進捗管理）について、%sの作業と節目、担当及び予定を定める。", orText(ward, "区"), jp.FiscalYearLabel(sc.FiscalYear))),
		docgen.Heading{Level: 1, Text: "2 業務ごとの作業と予定"},
	}
	var meetings []Row
	for _, g := range sc.Groups {
		t := docgen.Table{HeaderRows: 1, FontSize: 9, Caption: groupTitle(g),
			Columns: []docgen.Column{{Width: 3.7}, {Width: 1.5}, {Width: 3.9}, {Width: 0.8, Align: docgen.AlignRight}},
			Rows:    []docgen.Row{docgen.HeadRow("作業", "担当", "予定", "進捗")}}
		for _, r := range g.Rows {
			if r.Milestone && strings.Contains(r.Title, "定例会") {
				meetings = append(meetings, r)
				continue
			}
			period := jp.FormatWareki(r.Start)
			if !r.Milestone && !r.End.Equal(r.Start) {
				period += "〜" + jp.FormatWareki(r.End)
			}
			if r.Replanned() {
				period += "（当初 " + jp.FormatWareki(r.BaseStart) + "〜" + jp.FormatWareki(r.BaseEnd) + "）"
			}
			title := r.Title
			if r.Milestone {
				title += "【節目】"
			}
			t.Rows = append(t.Rows, docgen.TextRow(title, dash(r.Owner), period, fmt.Sprintf("%d%%", r.Percent())))
		}
		if len(t.Rows) > 1 {
			b = append(b, t)
		}
	}
	b = append(b, docgen.Heading{Level: 1, Text: "3 定例会"},
		docgen.P("区と支援事業者は、毎月1回（1時間程度）定例会を開き、各業務の進捗と遅れ、決定事項と宿題を確認する。議事録は支援事業者が作成し、次回の定例会で確認する。"))
	mt := docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 1.5}, {Width: 2.5}, {Width: 1.2}}, Rows: []docgen.Row{docgen.HeadRow("回", "予定日", "状況")}}
	for _, r := range meetings {
		mt.Rows = append(mt.Rows, docgen.TextRow(r.Title, jp.FormatWareki(r.Start), r.StatusLabel()))
	}
	if len(meetings) > 0 {
		b = append(b, mt)
	}
	b = append(b, docgen.Heading{Level: 1, Text: "4 遅れと見直し"})
	if len(sc.Delayed) == 0 {
		b = append(b, docgen.P(jp.FormatWareki(sc.Now)+"現在、遅れている作業はない。"))
	} else {
		b = append(b, docgen.P(fmt.Sprintf("%s現在、遅延・要注意の作業は %d 件である。遅れの原因と見直し後の予定は定例会で確認する。", jp.FormatWareki(sc.Now), len(sc.Delayed))))
		dt := docgen.Table{HeaderRows: 1, FontSize: 9, Columns: []docgen.Column{{Width: 0.9}, {Width: 3.6}, {Width: 4.3}},
			Rows: []docgen.Row{docgen.HeadRow("状況", "作業", "検知した内容")}}
		for _, r := range sc.Delayed {
			dt.Rows = append(dt.Rows, docgen.TextRow(r.StatusLabel(), r.Title, r.Why))
		}
		b = append(b, dt)
	}
	return &docgen.Document{Meta: docgen.Meta{Title: "業務計画書", Subtitle: jp.FiscalYearLabel(sc.FiscalYear) + " 情報セキュリティ対策支援業務", Ward: ward,
		FiscalYear: sc.FiscalYear, Date: sc.Now, Author: "支援事業者", Classification: "取扱注意", PageNumbers: docgen.PageDash},
		Sections: []docgen.Section{{Blocks: b}}}
}

func groupTitle(g Group) string {
	if g.Workstream > 0 {
		return fmt.Sprintf("%d %s", g.Workstream, g.Label)
	}
	return g.Label
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func orText(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (m *Module) workPlan(w http.ResponseWriter, r *http.Request) error {
	f, err := formats.Parse(r.URL.Query().Get("format"), "pdf", "docx")
	if err != nil {
		return web.Invalid("出力形式は pdf か docx を指定してください。")
	}
	fy := m.yearOf(r)
	sc, err := m.store.ScheduleOf(r.Context(), fy, m.d.YearProgress)
	if err != nil {
		return err
	}
	doc := WorkPlanDocument(sc, m.d.Org.WardName(r.Context()))
	dl := web.Download{Name: web.JoinFileName(f.Name, "業務計画書", jp.FiscalYearLabel(fy)), ContentType: f.ContentType, Target: fmt.Sprintf("program_year:%d", fy),
		Detail: fmt.Sprintf("%sの業務計画書（%s）", jp.FiscalYearLabel(fy), f.Label)}
	return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return f.Render(out, doc) })
}

// Deliverables implements module.Year: the year's 業務計画書, each
// meeting's 議事録 and the next-year plan (次期支援計画書（案）).
func (m *Module) Deliverables(ctx context.Context, fy int) ([]module.Deliverable, error) {
	ts, err := m.store.Tasks(ctx, fy)
	if err != nil || len(ts) == 0 {
		return nil, err
	}
	ms, err := m.store.Meetings(ctx, fy)
	if err != nil {
		return nil, err
	}
	var out []module.Deliverable
	for _, mt := range ms {
		out = append(out, module.Deliverable{Key: fmt.Sprintf("minutes-%d", mt.Seq), Title: "議事録（" + mt.Title() + "）", Formats: []string{"pdf", "docx"},
			Build: func(ctx context.Context) (*docgen.Document, error) {
				full, err := m.store.Meeting(ctx, mt.ID)
				if err != nil {
					return nil, err
				}
				return MinutesDocument(full, m.d.Org.WardName(ctx)), nil
			}})
	}
	out = append(out, module.Deliverable{Key: "next-plan", Title: "次期支援計画書（案）", Formats: []string{"pdf", "docx"},
		Build: func(ctx context.Context) (*docgen.Document, error) {
			sc, err := m.store.ScheduleOf(ctx, fy, m.d.YearProgress)
			if err != nil {
				return nil, err
			}
			np, err := m.store.NextPlanOf(ctx, fy, sc, improve.NewStore(m.d))
			if err != nil {
				return nil, err
			}
			return NextPlanDocument(np, m.d.Org.WardName(ctx)), nil
		}})
	return append([]module.Deliverable{{Key: "work-plan", Title: "業務計画書（" + jp.FiscalYearLabel(fy) + "）", Formats: []string{"pdf", "docx"},
		Build: func(ctx context.Context) (*docgen.Document, error) {
			sc, err := m.store.ScheduleOf(ctx, fy, m.d.YearProgress)
			if err != nil {
				return nil, err
			}
			return WorkPlanDocument(sc, m.d.Org.WardName(ctx)), nil
		}}}, out...), nil
}

// Progress implements module.Year: the programme's own tasks are already
// in the schedule it builds; it reports none of its own to others.
func (m *Module) Progress(context.Context, int) ([]module.Progress, error) { return nil, nil }

func workPlanCommand() module.ExportCommand {
	var year *string
	return module.ExportCommand{Name: "work-plan", Label: "業務計画書", Formats: []string{"pdf", "docx"}, Synopsis: "[--year 2026]",
		Usage: `export work-plan [--year 2026] --format pdf|docx -o FILE
                           業務計画書（年度の作業と予定、定例会、遅れ）を出力します`,
		Flags: func(fs *flag.FlagSet) { year = fs.String("year", "", "年度（省略時は現在の年度）") },
		Build: func(ctx context.Context, d module.Deps) (*docgen.Document, string, string, string, error) {
			fy, err := yearFlag(ctx, d, *year)
			if err != nil {
				return nil, "", "", "", err
			}
			sc, err := NewStore(d).ScheduleOf(ctx, fy, d.YearProgress)
			if err != nil {
				return nil, "", "", "", err
			}
			return WorkPlanDocument(sc, d.Org.WardName(ctx)), "業務計画書", fmt.Sprintf("program_year:%d", fy), jp.FiscalYearLabel(fy) + "の業務計画書", nil
		}}
}

func minutesCommand() module.ExportCommand {
	var year *string
	var seq *int
	return module.ExportCommand{Name: "minutes", Label: "議事録", Formats: []string{"pdf", "docx"}, Synopsis: "[--year 2026] --meeting N",
		Usage: `export minutes [--year 2026] --meeting N --format pdf|docx -o FILE
                           定例会の議事録（日時・場所・出席者・議題・内容・決定事項・宿題・次回）を出力します`,
		Flags: func(fs *flag.FlagSet) {
			year = fs.String("year", "", "年度（省略時は現在の年度）")
			seq = fs.Int("meeting", 0, "定例会の回（第N回の N）")
		},
		Ready: func() bool { return *seq > 0 },
		Build: func(ctx context.Context, d module.Deps) (*docgen.Document, string, string, string, error) {
			fy, err := yearFlag(ctx, d, *year)
			if err != nil {
				return nil, "", "", "", err
			}
			s := NewStore(d)
			ms, err := s.Meetings(ctx, fy)
			if err != nil {
				return nil, "", "", "", err
			}
			for _, mt := range ms {
				if mt.Seq == *seq {
					full, err := s.Meeting(ctx, mt.ID)
					if err != nil {
						return nil, "", "", "", err
					}
					return MinutesDocument(full, d.Org.WardName(ctx)), "議事録", fmt.Sprintf("program_meeting:%d", mt.ID),
						fmt.Sprintf("%s %sの議事録", jp.FiscalYearLabel(fy), mt.Title()), nil
				}
			}
			return nil, "", "", "", fmt.Errorf("%sの第%d回 定例会はありません（%d 回まで）", jp.FiscalYearLabel(fy), *seq, len(ms))
		}}
}

// yearFlag reads an export's --year (empty: the current fiscal year).
func yearFlag(ctx context.Context, d module.Deps, v string) (int, error) {
	if v == "" {
		return d.Org.CurrentFiscalYear(ctx), nil
	}
	y, err := jp.ParseFiscalYear(v)
	if err != nil || y < 2000 || y > 2100 {
		return 0, fmt.Errorf("--year「%s」は年度として読めません（例: 2026、令和8年度）", v)
	}
	return y, nil
}
