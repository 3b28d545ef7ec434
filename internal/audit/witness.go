package audit

// This file is the witness record (立会い) of an internal audit: the
// consultant's rating, comment and advice per witness point, the witness
// report of one engagement and the year's aggregate.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"mamori/content"
	"mamori/internal/database"
	"mamori/internal/docgen"
	"mamori/internal/docgen/chart"
	"mamori/internal/jp"
)

// `mamori export witness-report --engagement CODE`.
func init() {
	registerExport("witness-report", "立会い報告書", func(ctx context.Context, s *Store, e Engagement) (*docgen.Document, error) {
		return s.WitnessDocument(ctx, e)
	})
}

// witnessPointsFile holds the witness points and their guidance.
const witnessPointsFile = "audit/witness_points.yaml"

// WitnessPoint is one point the witness looks at (content/audit).
type WitnessPoint struct {
	Code     string `yaml:"code"`
	Label    string `yaml:"label"`
	Guidance string `yaml:"guidance"` // what the witness looks at
	Ref      string `yaml:"ref"`      // the standard's place, e.g. 監査ガイドライン 第2章（監査実施）
}

var witnessPoints struct {
	once   sync.Once
	points []WitnessPoint
	err    error
}

// WitnessPoints are the witness points in the order of the seed, read
// once from content/audit/witness_points.yaml.
func WitnessPoints() ([]WitnessPoint, error) {
	witnessPoints.once.Do(func() {
		b, err := content.FS.ReadFile(witnessPointsFile)
		if err != nil {
			witnessPoints.err = err
			return
		}
		var f struct {
			Points []WitnessPoint `yaml:"points"`
		}
		if err := yaml.Unmarshal(b, &f); err != nil {
			witnessPoints.err = fmt.Errorf("%s: %w", witnessPointsFile, err)
			return
		}
		seen := map[string]bool{}
		for i, p := range f.Points {
			if p.Code == "" || p.Label == "" || seen[p.Code] {
				witnessPoints.err = fmt.Errorf("%s: 観点 %d のコードか名称がないか、コードが重複しています", witnessPointsFile, i+1)
				return
			}
			seen[p.Code] = true
		}
		witnessPoints.points = f.Points
	})
	return witnessPoints.points, witnessPoints.err
}

// Witness ratings.
const (
	RatingGood = "good"
	RatingFair = "fair"
	RatingPoor = "poor"
	RatingNA   = "na"
)

// WitnessRatings lists the ratings a witness gives, in order.
var WitnessRatings = []struct{ Code, Label string }{
	{RatingGood, "良好"}, {RatingFair, "概ね良好"}, {RatingPoor, "要改善"}, {RatingNA, "該当なし"},
}

// WitnessRatingLabel names a rating ("未記入" for none).
func WitnessRatingLabel(code string) string {
	for _, r := range WitnessRatings {
		if r.Code == code {
			return r.Label
		}
	}
	return "未記入"
}

func validRating(code string) bool { return code == "" || WitnessRatingLabel(code) != "未記入" }

// WitnessRecord is the witness's record of one point of one engagement.
type WitnessRecord struct {
	Point     WitnessPoint
	Rating    string // good, fair, poor, na; "" not yet rated
	Comment   string // what the witness saw
	Advice    string // the advice given to the auditors
	Rev       int64  // 0: nothing stored yet
	UpdatedBy string
	UpdatedAt time.Time
}

// RatingLabel is the record's rating in Japanese.
func (w WitnessRecord) RatingLabel() string { return WitnessRatingLabel(w.Rating) }

// Empty reports whether nothing is recorded for the point.
func (w WitnessRecord) Empty() bool { return w.Rating == "" && w.Comment == "" && w.Advice == "" }

// Witness is the witness record of an engagement: every point in order,
// those not yet written empty.
func (s *Store) Witness(ctx context.Context, engagementID int64) ([]WitnessRecord, error) {
	points, err := WitnessPoints()
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT point, rating, comment, advice, rev, updated_by_name, updated_at FROM audit_witness
		WHERE engagement_id = ?`, engagementID)
	if err != nil {
		return nil, fmt.Errorf("audit.Witness: %w", err)
	}
	defer rows.Close()
	stored := map[string]WitnessRecord{}
	for rows.Next() {
		var w WitnessRecord
		var code string
		var at database.Time
		if err := rows.Scan(&code, &w.Rating, &w.Comment, &w.Advice, &w.Rev, &w.UpdatedBy, &at); err != nil {
			return nil, fmt.Errorf("audit.Witness: %w", err)
		}
		w.UpdatedAt = at.Time
		stored[code] = w
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit.Witness: %w", err)
	}
	out := make([]WitnessRecord, len(points))
	for i, p := range points {
		w := stored[p.Code]
		w.Point = p
		out[i] = w
	}
	return out, nil
}

// WitnessInput is one point of the witness form, with the rev it was read
// at.
type WitnessInput struct {
	Point   string
	Rating  string
	Comment string
	Advice  string
	Rev     int64
}

// maxWitnessText is the longest comment or advice of one point.
const maxWitnessText = 2000

// WitnessConflict is a save refused because someone else saved some of the
// points since the form was read; nothing was saved.
type WitnessConflict struct{ Points []string }

func (c *WitnessConflict) Error() string {
	return "他の人が先に「" + strings.Join(c.Points, "」「") + "」を更新しました。画面を読み込み直して内容を確かめてから、もう一度保存してください。"
}

// Is makes a WitnessConflict an ErrConflict for errors.Is.
func (c *WitnessConflict) Is(target error) bool { return target == ErrConflict }

// SaveWitness stores the points of the witness form that changed, each
// only if its rev is still the one the form read (otherwise nothing is
// saved: *WitnessConflict), in one transaction with one audit-log entry.
// Only internal audits have a witness record. It returns how many points
// changed.
func (s *Store) SaveWitness(ctx context.Context, e Engagement, in []WitnessInput, by Actor) (int, error) {
	if e.Kind != KindInternal {
		return 0, FieldErrors{"witness": "立会いの記録は内部監査にだけあります。"}
	}
	points, err := WitnessPoints()
	if err != nil {
		return 0, err
	}
	byCode := map[string]WitnessPoint{}
	for _, p := range points {
		byCode[p.Code] = p
	}
	fe := FieldErrors{}
	for i := range in {
		w := &in[i]
		p, ok := byCode[w.Point]
		if !ok {
			fe["witness"] = fmt.Sprintf("観点「%s」は定義されていません。画面を読み込み直してください。", w.Point)
			continue
		}
		w.Comment, w.Advice = cleanMultiline(w.Comment), cleanMultiline(w.Advice)
		if !validRating(w.Rating) {
			fe[w.Point+".rating"] = fmt.Sprintf("「%s」の評価を選び直してください。", p.Label)
		}
		for _, f := range []struct{ key, label, v string }{{"comment", "所見", w.Comment}, {"advice", "助言", w.Advice}} {
			if n := utf8.RuneCountInString(f.v); n > maxWitnessText {
				fe[w.Point+"."+f.key] = fmt.Sprintf("「%s」の%sは%d文字以内で入力してください（%d文字あります）。", p.Label, f.label, maxWitnessText, n)
			}
		}
	}
	if len(fe) > 0 {
		return 0, fe
	}
	changed := 0
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		// Saves of one record one at a time: on PostgreSQL two first saves
		// would both insert, and after the later one's unique violation the
		// transaction is aborted, failing its next point with a 500.
		if err := s.db.LockRow(ctx, "audit_engagements", e.ID); err != nil {
			return err
		}
		cur, err := s.Witness(ctx, e.ID)
		if err != nil {
			return err
		}
		stored := map[string]WitnessRecord{}
		for _, w := range cur {
			stored[w.Point.Code] = w
		}
		now := database.T(s.now())
		var conflicts, labels []string
		for _, w := range in {
			old := stored[w.Point]
			if old.Rating == w.Rating && old.Comment == w.Comment && old.Advice == w.Advice {
				continue
			}
			if old.Rev != w.Rev {
				conflicts = append(conflicts, old.Point.Label)
				continue
			}
			var n int64
			if old.Rev == 0 {
				_, err := s.db.Exec(ctx, `INSERT INTO audit_witness (engagement_id, point, rating, comment, advice, rev, updated_by_name, updated_at)
					VALUES (?, ?, ?, ?, ?, 1, ?, ?)`, e.ID, w.Point, w.Rating, w.Comment, w.Advice, by.Name, now)
				if database.IsUniqueViolation(err) {
					conflicts = append(conflicts, old.Point.Label)
					continue
				}
				if err != nil {
					return err
				}
				n = 1
			} else {
				res, err := s.db.Exec(ctx, `UPDATE audit_witness SET rating = ?, comment = ?, advice = ?, rev = rev + 1, updated_by_name = ?, updated_at = ?
					WHERE engagement_id = ? AND point = ? AND rev = ?`, w.Rating, w.Comment, w.Advice, by.Name, now, e.ID, w.Point, w.Rev)
				if err != nil {
					return err
				}
				n, _ = res.RowsAffected()
			}
			if n == 0 {
				conflicts = append(conflicts, old.Point.Label)
				continue
			}
			changed++
			labels = append(labels, old.Point.Label+"："+WitnessRatingLabel(w.Rating))
		}
		if len(conflicts) > 0 {
			return &WitnessConflict{Points: conflicts}
		}
		if changed == 0 {
			return nil
		}
		return s.log.Record(ctx, "audit.witness_save", fmt.Sprintf("audit_engagement:%d", e.ID),
			fmt.Sprintf("%s の立会いの記録を保存（%s）", e.Code, strings.Join(labels, "、")))
	})
	if err != nil {
		var wc *WitnessConflict
		if errors.As(err, &wc) {
			return 0, wc
		}
		return 0, fmt.Errorf("audit.SaveWitness: %w", err)
	}
	return changed, nil
}

// cleanMultiline trims text typed into a text area: CRLF to LF, control
// characters but the line feed and the tab removed, the ends trimmed.
func cleanMultiline(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// witnessNames are the team members who witnessed (the consultants on the
// team as witness).
func witnessNames(e Engagement) []string {
	var out []string
	for _, m := range e.Members {
		if m.Role == MemberWitness {
			out = append(out, m.Name)
		}
	}
	return out
}

// witnessTeamLine is the team as documents print it: 監査責任者 A、監査人 B.
func witnessTeamLine(e Engagement, roles ...string) string {
	var parts []string
	for _, m := range e.Members {
		for _, r := range roles {
			if m.Role == r {
				parts = append(parts, m.RoleLabel()+" "+m.Name)
			}
		}
	}
	if len(parts) == 0 {
		return "（未設定）"
	}
	return strings.Join(parts, "、")
}

// visitsLine lists the visits: 戸籍住民課 令和8年9月8日 13:30～16:30.
func visitsLine(e Engagement) string {
	var parts []string
	for _, t := range e.Targets {
		p := t.Name
		if w := t.VisitWareki(); w != "" {
			p += " " + w
		}
		if t.VisitTime != "" {
			p += " " + t.VisitTime
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "\n")
}

func fuHead(s string) docgen.Cell {
	return docgen.Cell{Runs: []docgen.Run{docgen.T(s)}, Bold: true, Fill: "DDE6F0", Align: docgen.AlignCenter}
}

// fuProps is a two-column table of labels and values.
func fuProps(rows [][2]string) docgen.Table {
	t := docgen.Table{Columns: []docgen.Column{{Width: 1}, {Width: 3.2}}, FontSize: 10}
	for _, r := range rows {
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T(r[0])}, Bold: true, Fill: "EEF2F7"}, docgen.C(r[1])}})
	}
	return t
}

// ratingFill colours a rating cell.
var ratingFill = map[string]string{RatingGood: "E5F4E8", RatingFair: "EAF1FA", RatingPoor: "FBE9E9"}

// WitnessDocument is the witness report (立会い報告書) of one internal
// audit: the audit, then per point the rating, what was seen and the
// advice given, and a summary of the ratings.
func (s *Store) WitnessDocument(ctx context.Context, e Engagement) (*docgen.Document, error) {
	if e.Kind != KindInternal {
		return nil, FieldErrors{"witness": "立会い報告書は内部監査にだけあります。"}
	}
	recs, err := s.Witness(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	ward := s.org.WardName(ctx)
	now := s.now()
	witness := strings.Join(witnessNames(e), "、")
	d := &docgen.Document{Meta: docgen.Meta{Title: "立会い報告書", Subtitle: e.Title, Ward: ward, FiscalYear: e.FiscalYear, Date: now,
		Author: strings.TrimSpace("支援事業者 " + witness), Classification: "取扱注意", PageNumbers: docgen.PageDash}}
	blocks := []docgen.Block{
		docgen.Heading{Level: 1, Text: "立会い報告書", NoTOC: true},
		docgen.Paragraph{Runs: []docgen.Run{docgen.T(jp.FormatWareki(now))}, Align: docgen.AlignRight},
		docgen.Paragraph{Runs: []docgen.Run{docgen.T(strings.TrimSpace(ward + " 統括情報セキュリティ責任者 様"))}},
		docgen.Paragraph{Runs: []docgen.Run{docgen.T(strings.TrimSpace("支援事業者　" + witness))}, Align: docgen.AlignRight},
		docgen.Paragraph{Runs: []docgen.Run{docgen.T(fmt.Sprintf("%sの%sに立ち会いましたので、監査の進め方についての所見と、その場で行った助言を次のとおり報告します。",
			e.YearLabel(), e.Subject()+"の内部監査"))}, FirstIndent: true},
		docgen.Heading{Level: 2, Text: "1　立ち会った監査", NoTOC: true},
		fuProps([][2]string{{"監査", e.Title + "（" + e.Code + "）"}, {"被監査所属", e.TargetNames()}, {"実地監査", visitsLine(e)},
			{"監査チーム", witnessTeamLine(e, MemberLead, MemberAuditor)}, {"立会い", dashIfEmpty(witness)}}),
		docgen.Heading{Level: 2, Text: "2　観点ごとの所見と助言", NoTOC: true},
	}
	tb := docgen.Table{HeaderRows: 1, FontSize: 9, TopAlign: true, Columns: []docgen.Column{{Width: 2.3}, {Width: 1.2, Align: docgen.AlignCenter}, {Width: 4.2}, {Width: 4.2}}}
	tb.Rows = append(tb.Rows, docgen.Row{Cells: []docgen.Cell{fuHead("観点"), fuHead("評価"), fuHead("所見"), fuHead("助言")}})
	counts := map[string]int{}
	var poor []string
	for _, w := range recs {
		rating := docgen.C(w.RatingLabel())
		rating.Fill, rating.Align = ratingFill[w.Rating], docgen.AlignCenter
		counts[w.Rating]++
		if w.Rating == RatingPoor {
			poor = append(poor, w.Point.Label)
		}
		tb.Rows = append(tb.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{{Text: w.Point.Label, Bold: true}}}, rating,
			docgen.C(dashIfEmpty(w.Comment)), docgen.C(dashIfEmpty(w.Advice))}})
	}
	blocks = append(blocks, tb)
	var sum []string
	for _, r := range WitnessRatings {
		sum = append(sum, fmt.Sprintf("%s %d", r.Label, counts[r.Code]))
	}
	if counts[""] > 0 {
		sum = append(sum, fmt.Sprintf("未記入 %d", counts[""]))
	}
	blocks = append(blocks, docgen.Heading{Level: 2, Text: "3　まとめ", NoTOC: true},
		docgen.Paragraph{Runs: []docgen.Run{docgen.T(fmt.Sprintf("%d の観点の評価は、%s でした。", len(recs), strings.Join(sum, "・")))}, FirstIndent: true})
	if len(poor) > 0 {
		blocks = append(blocks, docgen.Paragraph{Runs: []docgen.Run{docgen.T("「" + strings.Join(poor, "」「") +
			"」は要改善としました。次回の監査までに、内部監査人研修や監査チームの事前打合せで重点的に取り上げることをお勧めします。")}, FirstIndent: true})
	} else {
		blocks = append(blocks, docgen.Paragraph{Runs: []docgen.Run{docgen.T("要改善とした観点はありません。")}, FirstIndent: true})
	}
	d.Sections = []docgen.Section{{Tab: "立会い", Blocks: blocks}}
	return d, nil
}

func dashIfEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return "－"
	}
	return s
}

// WitnessNote is what a witness wrote on one point of one engagement, for
// the year's aggregate.
type WitnessNote struct {
	EngagementID int64
	Code         string // the engagement's code
	Subject      string // the audited departments
	Rating       string
	Comment      string
	Advice       string
}

// RatingLabel is the note's rating in Japanese.
func (n WitnessNote) RatingLabel() string { return WitnessRatingLabel(n.Rating) }

// WitnessPointSummary is one point across the year's internal audits.
type WitnessPointSummary struct {
	Point                       WitnessPoint
	Good, Fair, Poor, NA, Unset int
	Notes                       []WitnessNote // the comments and advice written, in engagement order
}

// Rated is how many engagements rated the point (該当なし excluded).
func (p WitnessPointSummary) Rated() int { return p.Good + p.Fair + p.Poor }

// Help is how much help auditors needed on the point: 要改善 counts twice,
// 概ね良好 once.
func (p WitnessPointSummary) Help() int { return 2*p.Poor + p.Fair }

// WitnessSummary is the witness records of a fiscal year's internal
// audits, point by point: for the summary report (内部監査全体報告書) and
// next year's auditor training.
type WitnessSummary struct {
	FiscalYear  int
	Engagements []Engagement // the internal audits of the year
	Recorded    int          // how many have any witness record
	Points      []WitnessPointSummary
}

// NeedsHelp lists the points where auditors needed help, most first
// (points nobody rated fair or poor left out).
func (w WitnessSummary) NeedsHelp() []WitnessPointSummary {
	var out []WitnessPointSummary
	for _, p := range w.Points {
		if p.Help() > 0 {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Help() != out[j].Help() {
			return out[i].Help() > out[j].Help()
		}
		return out[i].Poor > out[j].Poor
	})
	return out
}

// Chart is the ratings per point as a stacked bar chart (the page and the
// document draw the same).
func (w WitnessSummary) Chart() chart.Chart {
	c := chart.Chart{Kind: chart.StackedBar, Title: "観点ごとの評価（監査の件数）", Unit: "件", Legend: true}
	series := []chart.Series{{Name: "良好"}, {Name: "概ね良好"}, {Name: "要改善"}, {Name: "該当なし"}}
	for _, p := range w.Points {
		c.Categories = append(c.Categories, p.Point.Label)
		for i, v := range []int{p.Good, p.Fair, p.Poor, p.NA} {
			series[i].Values = append(series[i].Values, float64(v))
		}
	}
	c.Series = series
	return c
}

// WitnessSummary gathers the witness records of fiscal year fy's internal
// audits.
func (s *Store) WitnessSummary(ctx context.Context, fy int) (WitnessSummary, error) {
	points, err := WitnessPoints()
	if err != nil {
		return WitnessSummary{}, err
	}
	es, _, err := s.Engagements(ctx, EngagementFilter{FiscalYear: fy, Kind: KindInternal})
	if err != nil {
		return WitnessSummary{}, fmt.Errorf("audit.WitnessSummary: %w", err)
	}
	sum := WitnessSummary{FiscalYear: fy, Engagements: es}
	idx := map[string]int{}
	for i, p := range points {
		idx[p.Code] = i
		sum.Points = append(sum.Points, WitnessPointSummary{Point: p})
	}
	byID := map[int64]Engagement{}
	for _, e := range es {
		byID[e.ID] = e
	}
	rows, err := s.db.Query(ctx, `SELECT w.engagement_id, w.point, w.rating, w.comment, w.advice FROM audit_witness w
		JOIN audit_engagements e ON e.id = w.engagement_id WHERE e.fiscal_year = ? AND e.kind = ? ORDER BY e.code`, fy, string(KindInternal))
	if err != nil {
		return sum, fmt.Errorf("audit.WitnessSummary: %w", err)
	}
	defer rows.Close()
	recorded := map[int64]bool{}
	seen := map[int64]map[string]bool{}
	for rows.Next() {
		var n WitnessNote
		var point string
		if err := rows.Scan(&n.EngagementID, &point, &n.Rating, &n.Comment, &n.Advice); err != nil {
			return sum, fmt.Errorf("audit.WitnessSummary: %w", err)
		}
		i, ok := idx[point]
		e, known := byID[n.EngagementID]
		if !ok || !known {
			continue
		}
		if n.Rating == "" && n.Comment == "" && n.Advice == "" {
			continue
		}
		recorded[n.EngagementID] = true
		if seen[n.EngagementID] == nil {
			seen[n.EngagementID] = map[string]bool{}
		}
		seen[n.EngagementID][point] = true
		n.Code, n.Subject = e.Code, e.Subject()
		p := &sum.Points[i]
		switch n.Rating {
		case RatingGood:
			p.Good++
		case RatingFair:
			p.Fair++
		case RatingPoor:
			p.Poor++
		case RatingNA:
			p.NA++
		default:
			p.Unset++
		}
		if n.Comment != "" || n.Advice != "" {
			p.Notes = append(p.Notes, n)
		}
	}
	if err := rows.Err(); err != nil {
		return sum, fmt.Errorf("audit.WitnessSummary: %w", err)
	}
	sum.Recorded = len(recorded)
	// Engagements with a record but a point left empty count it as unset.
	for id := range recorded {
		for i, p := range sum.Points {
			if !seen[id][p.Point.Code] {
				sum.Points[i].Unset++
			}
		}
	}
	return sum, nil
}

// WitnessSummaryDocument is the year's witness aggregate as a document:
// the chart, the counts per point, where auditors needed the most help and
// every comment and advice by point.
func (s *Store) WitnessSummaryDocument(ctx context.Context, fy int) (*docgen.Document, error) {
	sum, err := s.WitnessSummary(ctx, fy)
	if err != nil {
		return nil, err
	}
	ward := s.org.WardName(ctx)
	now := s.now()
	title := "内部監査 立会い結果の集計"
	d := &docgen.Document{Meta: docgen.Meta{Title: title, Subtitle: jp.FiscalYearLabel(fy), Ward: ward, FiscalYear: fy, Date: now,
		Classification: "取扱注意", PageNumbers: docgen.PageDash}}
	blocks := []docgen.Block{
		docgen.Heading{Level: 1, Text: jp.FiscalYearLabel(fy) + " " + title, NoTOC: true},
		docgen.P(fmt.Sprintf("%s現在。%sの内部監査 %d 件のうち、立会いの記録がある %d 件を集計しました。", jp.FormatWareki(now), jp.FiscalYearLabel(fy),
			len(sum.Engagements), sum.Recorded)),
	}
	if sum.Recorded > 0 {
		blocks = append(blocks, docgen.Chart{Chart: sum.Chart(), Width: 230, Height: 105, Caption: "観点ごとの評価"})
	}
	tb := docgen.Table{Caption: "観点ごとの評価の件数", HeaderRows: 1, FontSize: 9, Columns: []docgen.Column{{Width: 4},
		{Width: 1, Align: docgen.AlignRight}, {Width: 1.2, Align: docgen.AlignRight}, {Width: 1, Align: docgen.AlignRight}, {Width: 1.2, Align: docgen.AlignRight},
		{Width: 1, Align: docgen.AlignRight}}}
	tb.Rows = append(tb.Rows, docgen.Row{Cells: []docgen.Cell{fuHead("観点"), fuHead("良好"), fuHead("概ね良好"), fuHead("要改善"), fuHead("該当なし"), fuHead("未記入")}})
	for _, p := range sum.Points {
		tb.Rows = append(tb.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(p.Point.Label), docgen.C(fmt.Sprint(p.Good)), docgen.C(fmt.Sprint(p.Fair)),
			docgen.C(fmt.Sprint(p.Poor)), docgen.C(fmt.Sprint(p.NA)), docgen.C(fmt.Sprint(p.Unset))}})
	}
	blocks = append(blocks, tb, docgen.Heading{Level: 2, Text: "内部監査人が特に支援を要した観点", NoTOC: true})
	if help := sum.NeedsHelp(); len(help) > 0 {
		var items []docgen.ListItem
		for _, p := range help {
			items = append(items, docgen.ListItem{Runs: []docgen.Run{{Text: p.Point.Label, Bold: true},
				docgen.T(fmt.Sprintf("（要改善 %d 件・概ね良好 %d 件）", p.Poor, p.Fair))}})
		}
		blocks = append(blocks, docgen.List{Ordered: true, Items: items},
			docgen.P("上位の観点は、次年度の内部監査人研修の演習で重点的に扱うことをお勧めします。"))
	} else {
		blocks = append(blocks, docgen.P("要改善・概ね良好と評価した観点はありません。"))
	}
	blocks = append(blocks, docgen.Heading{Level: 2, Text: "観点ごとの所見と助言", NoTOC: true})
	nt := docgen.Table{HeaderRows: 1, FontSize: 9, TopAlign: true, Columns: []docgen.Column{{Width: 2.2}, {Width: 2.6}, {Width: 1.1, Align: docgen.AlignCenter},
		{Width: 4}, {Width: 4}}}
	nt.Rows = append(nt.Rows, docgen.Row{Cells: []docgen.Cell{fuHead("観点"), fuHead("監査"), fuHead("評価"), fuHead("所見"), fuHead("助言")}})
	for _, p := range sum.Points {
		for _, n := range p.Notes {
			nt.Rows = append(nt.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(p.Point.Label), docgen.C(n.Subject + "\n" + n.Code),
				docgen.C(n.RatingLabel()), docgen.C(dashIfEmpty(n.Comment)), docgen.C(dashIfEmpty(n.Advice))}})
		}
	}
	if len(nt.Rows) == 1 {
		nt.Rows = append(nt.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("記録された所見・助言はありません。")}, ColSpan: 5}}})
	}
	blocks = append(blocks, nt)
	d.Sections = []docgen.Section{{Orientation: docgen.Landscape, Tab: "立会い", Blocks: blocks}}
	return d, nil
}
