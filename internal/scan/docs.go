package scan

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/docgen/formats"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/scan/finding"
	"mamori/internal/web"
)

// The documents: the 技術的検証実施計画書 (part of the audit plan) and the
// 技術的検証結果報告書 (the chapter of the audit report at full length,
// with every finding), and the chapter itself (ReportSection).

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func warekiOr(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return jp.FormatWareki(t)
}

// Safety are the rules every verification keeps, printed in the plan.
var Safety = []string{
	"許可リストに記載した対象（ホスト、アドレス範囲、URL）以外には一切接続しない。名前解決の結果が許可された範囲の外になる場合も接続しない。",
	"合意した時間帯の外では検査を開始せず、実行中の検査も時間帯の終了とともに止める。",
	"接続は毎秒の上限を守って一つずつ行い、脆弱性を突く通信や負荷をかける通信、データを書き換える操作は行わない（接続・ハンドシェイク・一回の GET のみ）。",
	"業務に支障が生じた、又はそのおそれがあると所管課・保守事業者から連絡を受けたときは、中止スイッチにより直ちに検査を止め、緊急連絡先に報告する。",
	"スキャナ（Nmap、OpenVAS 等）は監査人が合意した条件で実行し、その結果ファイルを取り込む。取込みと検査はすべて監査ログに記録する。",
	"検証で得た情報は秘密として扱い、監査の目的以外に使わず、契約の終了時に消去する。",
}

// PlanDocument is the 技術的検証実施計画書.
func PlanDocument(e module.AuditEngagement, p Plan, ward string, now time.Time) *docgen.Document {
	targets := docgen.Table{Columns: []docgen.Column{{Width: 0.5, Align: docgen.AlignCenter}, {Width: 2.6}, {Width: 1.1}, {Width: 2.2}}, HeaderRows: 1,
		Rows: []docgen.Row{docgen.HeadRow("No.", "対象", "種類", "備考")}}
	for i, line := range p.TargetLines() {
		t, note, _ := strings.Cut(line, "#")
		t = strings.TrimSpace(t)
		targets.Rows = append(targets.Rows, docgen.TextRow(strconv.Itoa(i+1), t, targetKind(t), strings.TrimSpace(note)))
	}
	if len(p.TargetLines()) == 0 {
		targets.Rows = append(targets.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("（未登録）")}, ColSpan: 4}}})
	}
	approval := "未承認"
	if p.Approved() {
		approval = p.ApprovedBy + "（" + jp.FormatWareki(p.ApprovedOn) + " 承認）"
	}
	methods := p.Methods
	if methods == "" {
		methods = "監査人が合意した条件でスキャナを実行し、その結果ファイルを Mamori に取り込む。Mamori の組込み検査（TLS・HTTP・TCP）は、次の安全上の取決めの範囲で行う。"
	}
	var safety []docgen.ListItem
	for _, s := range Safety {
		safety = append(safety, docgen.ListItem{Runs: []docgen.Run{docgen.T(s)}})
	}
	b := []docgen.Block{
		docgen.ApprovalBox{Titles: []string{"統括責任者", "情報政策課長", "所管課長", "監査責任者"}},
		docgen.Heading{Level: 1, Text: "1 目的"},
		docgen.P(fmt.Sprintf("%sの%sにおいて、対象システムの技術的な対策の状況（脆弱性への対応、通信の暗号化、不要なサービスの停止、設定）を、ツールを用いて確認する。確認は業務に支障が生じないよう配慮して行う。", e.Title, dash(e.SystemName))),
		docgen.Heading{Level: 1, Text: "2 監査の概要"},
		docgen.FactsTable([2]string{"監査", e.Code + " " + e.Title}, [2]string{"対象システム", dash(e.SystemName)}, [2]string{"形態", dash(e.Hosting)},
			[2]string{"所管課", dash(strings.Join(e.Departments, "・"))}, [2]string{"保守事業者等", dash(strings.ReplaceAll(e.Vendors, "\n", "、"))}),
		docgen.Heading{Level: 1, Text: "3 対象（許可リスト）"},
		docgen.P("検証は次の対象に限って行う。記載のない機器・アドレス・URL には接続しない。"),
		targets,
		docgen.Heading{Level: 1, Text: "4 実施の条件"},
		docgen.FactsTable([2]string{"時間帯", p.WindowLabel()}, [2]string{"接続の上限", fmt.Sprintf("毎秒 %d 接続（一つずつ順に接続する）", p.Rate)},
			[2]string{"確認するポート", dash(p.PortsText())}, [2]string{"TLS の評価基準", "TLS暗号設定ガイドライン（CRYPTREC）の" + p.ProfileLabel()},
			[2]string{"承認", approval}, [2]string{"緊急連絡先", dash(p.Emergency)}),
		docgen.Heading{Level: 1, Text: "5 実施方法"},
		docgen.P(methods),
		docgen.Heading{Level: 1, Text: "6 安全上の取決め"},
		docgen.List{Ordered: true, Items: safety},
	}
	if p.Notes != "" {
		b = append(b, docgen.Heading{Level: 1, Text: "7 備考"}, docgen.P(p.Notes))
	}
	return &docgen.Document{Meta: docgen.Meta{Title: "技術的検証実施計画書", Subtitle: e.Code + " " + dash(e.SystemName), Ward: ward, FiscalYear: e.FiscalYear,
		Date: now, Author: "情報システム監査チーム", Classification: "取扱注意", PageNumbers: docgen.PageDash}, Sections: []docgen.Section{{Blocks: b}}}
}

func targetKind(t string) string {
	switch {
	case strings.HasPrefix(t, "https://") || strings.HasPrefix(t, "http://"):
		return "URL"
	case strings.Contains(t, "/"):
		return "アドレス範囲"
	case strings.Trim(t, "0123456789.:abcdefABCDEF") == "":
		return "IP アドレス"
	}
	return "ホスト名"
}

// reportData is what the chapter and the report show.
type reportData struct {
	Plan     Plan
	Counts   Counts
	All      []Stored
	Imports  []Import
	ByHost   []hostCount
	Top      []Stored
	Checks   int
	Scanners []string
}

type hostCount struct {
	Host  string
	N     [5]int
	Total int
}

func (s *Store) reportData(ctx context.Context, p Plan) (reportData, error) {
	d := reportData{Plan: p}
	var err error
	if d.Counts, err = s.CountsOf(ctx, p.ID); err != nil {
		return d, err
	}
	if d.All, err = s.Findings(ctx, p.ID, Filter{}); err != nil {
		return d, err
	}
	if d.Imports, err = s.Imports(ctx, p.ID); err != nil {
		return d, err
	}
	hosts := map[string]*hostCount{}
	seenScanner := map[string]bool{}
	for _, i := range d.Imports {
		if i.Kind == "check" {
			d.Checks++
			continue
		}
		name := SourceLabel(i.Format)
		if !seenScanner[name] {
			seenScanner[name] = true
			d.Scanners = append(d.Scanners, name)
		}
	}
	for _, f := range d.All {
		if f.Open() && f.Severity != finding.Info && len(d.Top) < 10 {
			d.Top = append(d.Top, f)
		}
		if f.Host == "" || !f.Open() {
			continue
		}
		h := hosts[f.Host]
		if h == nil {
			h = &hostCount{Host: f.Host}
			hosts[f.Host] = h
		}
		r := min(f.Severity.Rank(), 4)
		h.N[r]++
		h.Total++
	}
	for _, h := range hosts {
		d.ByHost = append(d.ByHost, *h)
	}
	sort.Slice(d.ByHost, func(i, j int) bool {
		a, b := d.ByHost[i], d.ByHost[j]
		for k := 0; k < 5; k++ {
			if a.N[k] != b.N[k] {
				return a.N[k] > b.N[k]
			}
		}
		return a.Host < b.Host
	})
	return d, nil
}

var sevHead = []string{"緊急", "高", "中", "低", "情報"}

func (d reportData) severityTable() module.ReportTable {
	t := module.ReportTable{Caption: "表　重大度別の検出事項", Head: []string{"区分", "緊急", "高", "中", "低", "情報", "計"},
		Widths: []float64{2, 1, 1, 1, 1, 1, 1}, Numeric: []bool{false, true, true, true, true, true, true}}
	row := func(label string, n [5]int, total int) []string {
		r := []string{label}
		for _, x := range n {
			r = append(r, strconv.Itoa(x))
		}
		return append(r, strconv.Itoa(total))
	}
	t.Rows = [][]string{row("検出した事項", d.Counts.All, d.Counts.Total), row("うち未対応・対応中", d.Counts.Active, d.Counts.ActiveTotal)}
	return t
}

func (d reportData) hostTable(limit int) module.ReportTable {
	t := module.ReportTable{Caption: "表　ホスト別の未対応の検出事項", Head: []string{"ホスト", "緊急", "高", "中", "低", "情報", "計"},
		Widths: []float64{3, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8}, Numeric: []bool{false, true, true, true, true, true, true}}
	for i, h := range d.ByHost {
		if limit > 0 && i == limit {
			t.Rows = append(t.Rows, []string{fmt.Sprintf("ほか %d ホスト", len(d.ByHost)-limit), "", "", "", "", "", ""})
			break
		}
		r := []string{h.Host}
		for _, x := range h.N {
			r = append(r, strconv.Itoa(x))
		}
		t.Rows = append(t.Rows, append(r, strconv.Itoa(h.Total)))
	}
	return t
}

func (d reportData) topTable() module.ReportTable {
	t := module.ReportTable{Caption: "表　主な検出事項（未対応・対応中、重大度の高い順）", Head: []string{"No.", "重大度", "検出事項", "対象", "状況"},
		Widths: []float64{0.5, 0.7, 4, 2.2, 0.9}}
	for i, f := range d.Top {
		title := f.Title
		if ids := strings.Join(f.CVE, " "); ids != "" && !strings.Contains(title, f.CVE[0]) {
			title += "（" + ids + "）"
		}
		t.Rows = append(t.Rows, []string{strconv.Itoa(i + 1), f.SeverityLabel(), finding.Cut(title, 120), dash(f.Where()), f.StatusLabel()})
	}
	return t
}

func (d reportData) opening() []string {
	p := d.Plan
	var how []string
	if len(d.Scanners) > 0 {
		how = append(how, strings.Join(d.Scanners, "・")+"の結果の取込み")
	}
	if d.Checks > 0 {
		how = append(how, fmt.Sprintf("組込み検査（TLS・HTTP・TCP、%d 回）", d.Checks))
	}
	out := []string{fmt.Sprintf("承認された検証計画（対象 %d 件、時間帯 %s）に基づき、%sにより技術的検証を行った。接続は許可リストの範囲に限り、業務への影響が生じないよう上限を設けて行った。",
		len(p.TargetLines()), p.WindowLabel(), orText(strings.Join(how, "と"), "スキャナの結果の取込み"))}
	c := d.Counts
	out = append(out, fmt.Sprintf("検出した事項は %d 件（緊急 %d、高 %d、中 %d、低 %d、情報 %d）で、このうち未対応・対応中は %d 件（緊急 %d、高 %d）である。",
		c.Total, c.All[0], c.All[1], c.All[2], c.All[3], c.All[4], c.ActiveTotal, c.Active[0], c.Active[1]))
	if c.Active[0]+c.Active[1] > 0 {
		out = append(out, "緊急・高の事項は、外部から悪用されるおそれがあるため、修正版の適用や設定の変更を優先して行い、対応の結果を監査人に報告されたい。")
	}
	return out
}

// ReportSection is the chapter of the audit report; ok is false when the
// plan has no results yet.
func (s *Store) ReportSection(ctx context.Context, p Plan) (module.ReportSection, bool, error) {
	d, err := s.reportData(ctx, p)
	if err != nil || (d.Counts.Total == 0 && len(d.Imports) == 0) {
		return module.ReportSection{}, false, err
	}
	sec := module.ReportSection{Title: "技術的検証の結果", Paragraphs: d.opening(),
		Tables: []module.ReportTable{d.severityTable(), d.hostTable(10)},
		Note:   "検出事項の全件は「技術的検証結果報告書」に記載した。重大度は CVSS v3 の基本値（9.0 以上 緊急、7.0 以上 高、4.0 以上 中、それ未満 低）又はスキャナの判定による。"}
	if len(d.Top) > 0 {
		sec.Tables = append(sec.Tables, d.topTable())
	}
	return sec, true, nil
}

func tableBlock(t module.ReportTable, fontSize float64) docgen.Table {
	tb := docgen.Table{HeaderRows: 1, Caption: t.Caption, FontSize: fontSize}
	for i := range t.Head {
		col := docgen.Column{Width: 1}
		if i < len(t.Widths) {
			col.Width = t.Widths[i]
		}
		if i < len(t.Numeric) && t.Numeric[i] {
			col.Align = docgen.AlignRight
		}
		tb.Columns = append(tb.Columns, col)
	}
	tb.Rows = append(tb.Rows, docgen.HeadRow(t.Head...))
	for _, r := range t.Rows {
		tb.Rows = append(tb.Rows, docgen.TextRow(r...))
	}
	if len(t.Rows) == 0 {
		tb.Rows = append(tb.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("該当なし")}, ColSpan: len(t.Head)}}})
	}
	return tb
}

// ReportDocument is the 技術的検証結果報告書 with every finding.
func (s *Store) ReportDocument(ctx context.Context, e module.AuditEngagement, ward string) (*docgen.Document, error) {
	p, err := s.PlanOf(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	d, err := s.reportData(ctx, p)
	if err != nil {
		return nil, err
	}
	b := []docgen.Block{docgen.Heading{Level: 1, Text: "1 概要"}}
	for _, para := range d.opening() {
		b = append(b, docgen.P(para))
	}
	b = append(b, docgen.FactsTable([2]string{"監査", e.Code + " " + e.Title}, [2]string{"対象システム", dash(e.SystemName)},
		[2]string{"時間帯", p.WindowLabel()}, [2]string{"TLS の評価基準", p.ProfileLabel()}),
		docgen.Heading{Level: 1, Text: "2 重大度別・ホスト別の件数"}, tableBlock(d.severityTable(), 0), tableBlock(d.hostTable(0), 0))
	imp := docgen.Table{Caption: "表　取込みと検査の記録", HeaderRows: 1,
		Columns: []docgen.Column{{Width: 1.6}, {Width: 1.4}, {Width: 2.4}, {Width: 0.7, Align: docgen.AlignRight}, {Width: 0.7, Align: docgen.AlignRight},
			{Width: 0.7, Align: docgen.AlignRight}, {Width: 0.7, Align: docgen.AlignRight}, {Width: 1.1}},
		Rows: []docgen.Row{docgen.HeadRow("日時", "種類", "ファイル・内容", "検出", "新規", "解消", "再発", "実施者")}}
	for _, i := range d.Imports {
		imp.Rows = append(imp.Rows, docgen.TextRow(i.CreatedAt, i.KindLabel(), dash(orText(i.Filename, i.Detail)), strconv.Itoa(i.Findings), strconv.Itoa(i.New),
			strconv.Itoa(i.Gone), strconv.Itoa(i.Reopened), i.CreatedBy))
	}
	// The imports and the findings print landscape: their columns need
	// the room (a spreadsheet would otherwise shrink the page below 8 pt).
	land := []docgen.Block{docgen.Heading{Level: 1, Text: "3 取込みと検査の記録"}, imp}
	list := docgen.Table{HeaderRows: 1,
		Columns: []docgen.Column{{Width: 0.6, Align: docgen.AlignCenter}, {Width: 0.75, Align: docgen.AlignCenter}, {Width: 3.4}, {Width: 2.5},
			{Width: 3.7}, {Width: 1.3, Align: docgen.AlignCenter}, {Width: 1.45}},
		Rows: []docgen.Row{docgen.HeadRow("No.", "重大度", "検出事項", "対象", "対策（要旨）", "状況", "関連項目")}}
	for i, f := range d.All {
		status := f.StatusLabel()
		if f.Status == StatusAccepted && !f.AcceptUntil.IsZero() {
			status += "（" + jp.FormatWareki(f.AcceptUntil) + "まで）"
		}
		title := f.Title
		if ids := f.OtherIDs(); ids != "" {
			title += "　" + ids
		}
		list.Rows = append(list.Rows, docgen.TextRow(strconv.Itoa(i+1), f.SeverityLabel(), title, dash(f.Where()),
			dash(finding.Cut(f.Remedy, 80)), status, dash(strings.Join(f.ItemCodes, " "))))
	}
	if len(d.All) == 0 {
		list.Rows = append(list.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("検出事項はありません。")}, ColSpan: 7}}})
	}
	return &docgen.Document{Meta: docgen.Meta{Title: "技術的検証結果報告書", Subtitle: e.Code + " " + dash(e.SystemName), Ward: ward, FiscalYear: e.FiscalYear,
		Date: s.now(), Author: "情報システム監査チーム", Classification: "取扱注意", PageNumbers: docgen.PageDash},
		Sections: []docgen.Section{{Blocks: b}, {Orientation: docgen.Landscape, Blocks: append(land, docgen.Heading{Level: 1, Text: "4 検出事項の一覧"}, list)}}}, nil
}

func (m *Module) planDoc(w http.ResponseWriter, r *http.Request) error {
	e, err := m.engagementOf(r)
	if err != nil {
		return err
	}
	f, err := formats.Parse(r.URL.Query().Get("format"), "pdf", "docx")
	if err != nil {
		return web.Invalid("出力形式は pdf か docx を指定してください。")
	}
	p, err := m.store.PlanOf(r.Context(), e.ID)
	if err != nil {
		return err
	}
	doc := PlanDocument(e, p, m.d.Org.WardName(r.Context()), m.store.now())
	dl := web.Download{Name: web.JoinFileName(f.Name, "技術的検証実施計画書", e.Code), ContentType: f.ContentType, Target: fmt.Sprintf("audit_engagement:%d", e.ID),
		Detail: fmt.Sprintf("%s の技術的検証実施計画書（%s）", e.Code, f.Label)}
	return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return f.Render(out, doc) })
}

func (m *Module) reportDoc(w http.ResponseWriter, r *http.Request) error {
	e, err := m.engagementOf(r)
	if err != nil {
		return err
	}
	f, err := formats.Parse(r.URL.Query().Get("format"), "pdf", "docx", "xlsx")
	if err != nil {
		return web.Invalid("出力形式は pdf・docx・xlsx のいずれかを指定してください。")
	}
	doc, err := m.store.ReportDocument(r.Context(), e, m.d.Org.WardName(r.Context()))
	if err != nil {
		return err
	}
	dl := web.Download{Name: web.JoinFileName(f.Name, "技術的検証結果報告書", e.Code), ContentType: f.ContentType, Target: fmt.Sprintf("audit_engagement:%d", e.ID),
		Detail: fmt.Sprintf("%s の技術的検証結果報告書（%s）", e.Code, f.Label)}
	return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return f.Render(out, doc) })
}
