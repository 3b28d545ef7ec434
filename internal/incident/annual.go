package incident

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/docgen/chart"
	"mamori/internal/improve"
	"mamori/internal/jp"
)

// The annual summary (年間総括): counts by category, department and cause
// class, people affected, the commission's reports on time, the hours
// from awareness to the first report and to containment, days to closure,
// measures done and overdue, recurrence within twelve months, site visits,
// and the years before.

// Annual is one fiscal year's summary.
type Annual struct {
	FiscalYear   int
	Incidents    []Incident
	ByCategory   map[string]int
	ByDepartment map[string]int
	ByCause      map[string]int // the root causes' viewpoints (未分析 when none)
	ByLevel      [4]int
	Persons      int
	Commission   int       // incidents whose 確報 was due (or made)
	OnTime       int       // made by the deadline
	FirstReport  []float64 // hours from awareness to 第一報
	Containment  []float64 // hours from awareness to the first 初動/封じ込め event
	Closure      []float64 // days from awareness to closure
	Measures     int
	MeasuresDone int
	MeasuresLate int
	Recurrences  []string // codes of incidents of the same category and department as one within the 12 months before
	Visits       int
	OutageHours  float64 // citizen services down, summed
	Residents    int     // residents whose service stopped
	Years        []int   // this year and up to two before
	YearCategory map[int]map[string]int
	YearTotals   map[int]int
}

// OnTimeRate is the share of the commission's reports made on time (-1: none due).
func (a Annual) OnTimeRate() float64 {
	if a.Commission == 0 {
		return -1
	}
	return float64(a.OnTime) / float64(a.Commission)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return -1
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// AnnualOf computes fiscal year fy's summary as of now.
func (s *Store) AnnualOf(ctx context.Context, fy int, now time.Time) (Annual, error) {
	a := Annual{FiscalYear: fy, ByCategory: map[string]int{}, ByDepartment: map[string]int{}, ByCause: map[string]int{},
		YearCategory: map[int]map[string]int{}, YearTotals: map[int]int{}}
	all, err := s.List(ctx, 0)
	if err != nil {
		return a, err
	}
	for y := fy - 2; y <= fy; y++ {
		a.Years = append(a.Years, y)
		a.YearCategory[y] = map[string]int{}
	}
	for _, i := range all {
		if m, ok := a.YearCategory[i.FiscalYear]; ok {
			m[i.Category]++
			a.YearTotals[i.FiscalYear]++
		}
		if i.FiscalYear != fy {
			continue
		}
		a.Incidents = append(a.Incidents, i)
		a.ByCategory[i.Category]++
		a.ByDepartment[or(i.LeadDepartment, "所管課 未設定")]++
		a.ByLevel[min(max(i.Severity, 0), 3)]++
		a.Persons += i.Persons
		for _, o := range all {
			if o.ID != i.ID && o.Category == i.Category && o.LeadDepartmentID == i.LeadDepartmentID && i.LeadDepartmentID != 0 &&
				o.AwareAt.Before(i.AwareAt) && i.AwareAt.Sub(o.AwareAt) <= 365*24*time.Hour {
				a.Recurrences = append(a.Recurrences, i.Code)
				break
			}
		}
		r, err := s.RecordOf(ctx, i)
		if err != nil {
			return a, err
		}
		roots := 0
		for _, w := range r.Whys {
			if w.Root {
				a.ByCause[w.ViewpointLabel()]++
				roots++
			}
		}
		if roots == 0 {
			a.ByCause["未分析"]++
		}
		for _, d := range r.Deadlines {
			switch {
			case d.Rule.Key == "ward-first" && d.Done():
				a.FirstReport = append(a.FirstReport, d.DoneAt.Sub(i.AwareAt).Hours())
			case strings.HasPrefix(d.Rule.Key, "ppc-final"):
				if d.Done() {
					a.Commission++
					if !d.DoneAt.After(d.Due) {
						a.OnTime++
					}
				} else if d.Overdue(now) {
					a.Commission++
				}
			}
		}
		for _, e := range r.Events {
			if e.Category == "封じ込め" || e.Category == "初動" {
				a.Containment = append(a.Containment, e.At.Sub(i.AwareAt).Hours())
				break
			}
		}
		if !i.ClosedAt.IsZero() {
			a.Closure = append(a.Closure, i.ClosedAt.Sub(i.AwareAt).Hours()/24)
		}
		a.Visits += len(r.Visits)
		for _, v := range r.Services {
			a.OutageHours += v.Hours(now)
			a.Residents += v.Residents
		}
		for _, m := range r.Measures {
			a.Measures++
			if m.Action != nil {
				switch {
				case m.Action.Status == improve.StatusDone || m.Action.Status == improve.StatusVerified:
					a.MeasuresDone++
				case m.Action.OverdueAt(now):
					a.MeasuresLate++
				}
			}
		}
	}
	return a, nil
}

func hours(h float64) string {
	if h < 0 {
		return "—"
	}
	if h < 48 {
		return fmt.Sprintf("%.1f 時間", h)
	}
	return fmt.Sprintf("%.1f 日", h/24)
}

func counts(m map[string]int, order []string) (keys []string) {
	for _, k := range order {
		if m[k] > 0 {
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range m {
		if !slices.Contains(order, k) {
			rest = append(rest, k)
		}
	}
	slices.SortFunc(rest, func(x, y string) int { return m[y] - m[x] })
	return append(keys, rest...)
}

// Document is the annual summary as a document (PDF, DOCX, XLSX).
func (a Annual) Document(ward string, now time.Time) *docgen.Document {
	fy := jp.FiscalYearLabel(a.FiscalYear)
	b := []docgen.Block{
		docgen.Heading{Level: 1, Text: "総括"},
		docgen.P(fmt.Sprintf("%sに認知したインシデントは %d 件（レベル3 %d 件、レベル2 %d 件、レベル1 %d 件）、対象となった人数は合計 %d 人でした。",
			fy, len(a.Incidents), a.ByLevel[3], a.ByLevel[2], a.ByLevel[1], a.Persons)),
	}
	kt := docgen.Table{Columns: []docgen.Column{{Width: 3}, {Width: 2, Align: docgen.AlignRight}}, HeaderRows: 1, Rows: []docgen.Row{docgen.HeadRow("指標", "値")}}
	add := func(k, v string) { kt.Rows = append(kt.Rows, docgen.TextRow(k, v)) }
	if r := a.OnTimeRate(); r >= 0 {
		add("個人情報保護委員会への確報を期限内に行った割合", fmt.Sprintf("%.0f%%（%d 件中 %d 件）", r*100, a.Commission, a.OnTime))
	} else {
		add("個人情報保護委員会への確報を期限内に行った割合", "対象なし")
	}
	add("認知から第一報までの時間（中央値）", hours(median(a.FirstReport)))
	add("認知から初動・封じ込めまでの時間（中央値）", hours(median(a.Containment)))
	add("認知から完了までの日数（中央値、完了したもの）", hours(median(a.Closure)*24))
	add("再発防止策（完了・確認済 ／ 期限超過 ／ 全体）", fmt.Sprintf("%d ／ %d ／ %d", a.MeasuresDone, a.MeasuresLate, a.Measures))
	add("同じ所属・同じ種類の12か月以内の再発", fmt.Sprintf("%d 件%s", len(a.Recurrences), map[bool]string{true: "（" + strings.Join(a.Recurrences, "、") + "）", false: ""}[len(a.Recurrences) > 0]))
	add("臨場（現地での確認と助言）", fmt.Sprintf("%d 回", a.Visits))
	add("区民サービスの停止時間（合計）と影響を受けた区民", fmt.Sprintf("%s ／ %d 人", hours(a.OutageHours), a.Residents))
	b = append(b, kt)

	b = append(b, docgen.Heading{Level: 1, Text: "種類別の件数と前年度との比較"})
	cats := counts(a.ByCategory, Categories)
	for _, y := range a.Years {
		for c := range a.YearCategory[y] {
			if !slices.Contains(cats, c) {
				cats = append(cats, c)
			}
		}
	}
	ch := chart.Chart{Kind: chart.Bar, Title: "種類別の件数（年度別）", Unit: "件", Legend: true, ValueLabel: true, Categories: cats}
	ct := docgen.Table{Columns: []docgen.Column{{Width: 2}}, HeaderRows: 1}
	head := []string{"種類"}
	for _, y := range a.Years {
		ct.Columns = append(ct.Columns, docgen.Column{Width: 1, Align: docgen.AlignRight})
		head = append(head, jp.FiscalYearLabel(y))
		s := chart.Series{Name: jp.FiscalYearLabel(y)}
		for _, c := range cats {
			s.Values = append(s.Values, float64(a.YearCategory[y][c]))
		}
		ch.Series = append(ch.Series, s)
	}
	ct.Rows = append(ct.Rows, docgen.HeadRow(head...))
	for _, c := range cats {
		r := []string{c}
		for _, y := range a.Years {
			r = append(r, fmt.Sprint(a.YearCategory[y][c]))
		}
		ct.Rows = append(ct.Rows, docgen.TextRow(r...))
	}
	tot := []string{"合計"}
	for _, y := range a.Years {
		tot = append(tot, fmt.Sprint(a.YearTotals[y]))
	}
	ct.Rows = append(ct.Rows, docgen.TextRow(tot...))
	if len(cats) > 0 {
		b = append(b, docgen.Chart{Chart: ch, Width: 160, Height: 80, Caption: "種類別の件数"})
	}
	b = append(b, ct)

	b = append(b, docgen.Heading{Level: 1, Text: "所属別・原因別の件数"})
	dt := docgen.Table{Columns: []docgen.Column{{Width: 3}, {Width: 1, Align: docgen.AlignRight}}, HeaderRows: 1, Rows: []docgen.Row{docgen.HeadRow("所管課", "件数")}}
	for _, k := range counts(a.ByDepartment, nil) {
		dt.Rows = append(dt.Rows, docgen.TextRow(k, fmt.Sprint(a.ByDepartment[k])))
	}
	var vps []string
	for _, v := range Viewpoints {
		vps = append(vps, v.Label)
	}
	rt := docgen.Table{Columns: []docgen.Column{{Width: 3}, {Width: 1, Align: docgen.AlignRight}}, HeaderRows: 1, Rows: []docgen.Row{docgen.HeadRow("根本原因の観点", "件数")}}
	for _, k := range counts(a.ByCause, vps) {
		rt.Rows = append(rt.Rows, docgen.TextRow(k, fmt.Sprint(a.ByCause[k])))
	}
	b = append(b, dt, rt)

	b = append(b, docgen.Heading{Level: 1, Text: "インシデントの一覧"})
	lt := docgen.Table{Columns: []docgen.Column{{Width: 1.1}, {Width: 3.2}, {Width: 0.9}, {Width: 0.5, Align: docgen.AlignCenter}, {Width: 1.3}, {Width: 0.7, Align: docgen.AlignRight}, {Width: 1}},
		HeaderRows: 1, Rows: []docgen.Row{docgen.HeadRow("番号", "件名", "種類", "レベル", "所管課", "人数", "状態")}}
	for _, i := range a.Incidents {
		lt.Rows = append(lt.Rows, docgen.TextRow(i.Code, i.Title, i.Category, fmt.Sprint(i.Severity), or(i.LeadDepartment, "—"), fmt.Sprint(i.Persons), i.State.Label()))
	}
	b = append(b, lt, docgen.P("この総括で分かった弱点は、再発防止策として改善措置台帳に載り、研修の事例と監査の重点に使われます。"))
	return &docgen.Document{Meta: docgen.Meta{Title: "インシデント対応の年間総括", Subtitle: fy, Ward: ward, FiscalYear: a.FiscalYear, Date: now,
		Author: "情報政策課（CSIRT）", Classification: "取扱注意", PageNumbers: docgen.PageDash}, Sections: []docgen.Section{{Blocks: b}}}
}
