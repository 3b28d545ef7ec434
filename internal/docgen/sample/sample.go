// Package sample builds documents that exercise every element of the
// docgen model: Sample for looking at and for renderer tests, Report for
// the speed benchmarks (`mamori docgen sample`, `mamori bench docgen`).
package sample

import (
	"fmt"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/docgen/chart"
)

var when = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func meta(title string) docgen.Meta {
	return docgen.Meta{Title: title, Subtitle: "情報セキュリティ対策支援業務", Ward: "ひので区", FiscalYear: 2026,
		Date: when, Author: "情報政策課 情報セキュリティ係", Classification: "取扱注意", PageNumbers: docgen.PageDash, Version: "第1版"}
}

// Sample is one document with every element of the model.
func Sample() *docgen.Document {
	d := &docgen.Document{Meta: meta("文書生成の見本（全要素）"), Cover: true, TOC: true}
	body := []docgen.Block{
		docgen.Heading{Level: 1, Text: "総則", Numbered: true},
		docgen.Heading{Level: 2, Text: "この文書の目的", Numbered: true},
		docgen.Paragraph{FirstIndent: true, Align: docgen.AlignJustify, Runs: []docgen.Run{
			docgen.T("この文書は、Mamori が作成するすべての成果物で使われる要素を一通り含む見本である。区の情報セキュリティポリシーに基づき、監査、研修、訓練などの成果物を、PDF、Word（DOCX）、Excel（XLSX）及び画面表示の四つの形式で同じ内容のまま出力できることを確認する。"),
			docgen.T("句読点「、」「。」や括弧（かっこ）、長音「ー」、小さい「っ」「ゃ」が行頭に来ないこと、英単語 Information Security Management System や数値 2,048 が途中で分割されないことも、この段落で確かめる。"),
		}},
		docgen.Heading{Level: 2, Text: "文字の装飾", Numbered: true},
		docgen.Paragraph{Runs: []docgen.Run{
			docgen.T("本文中では、"), {Text: "太字", Bold: true}, docgen.T("、"), {Text: "下線", Underline: true}, docgen.T("、"),
			{Text: "二重下線", DoubleUnderline: true}, docgen.T("、"), {Text: "取消線", Strike: true}, docgen.T("、"),
			{Text: "二重取消線", DoubleStrike: true}, docgen.T("及び"), {Text: "色付きの文字", Color: "C00000"}, docgen.T("を使うことができる。"),
		}},
		docgen.Heading{Level: 3, Text: "見え消し（変更履歴）", Numbered: true},
		docgen.Paragraph{Runs: []docgen.Run{
			docgen.T("職員は、情報資産の紛失又は盗難を発見したときは、"),
			{Text: "速やかに", Change: docgen.Deleted, Author: "支援事業者", Date: when},
			{Text: "直ちに", Change: docgen.Inserted, Author: "支援事業者", Date: when},
			docgen.T("情報セキュリティ管理者に報告しなければならない。報告は"),
			{Text: "30日", Change: docgen.Deleted, Author: "支援事業者", Date: when},
			{Text: "15日", Change: docgen.Inserted, Author: "支援事業者", Date: when},
			docgen.T("以内に書面で行う。"),
		}},
		docgen.Heading{Level: 4, Text: "箇条書き", Numbered: true},
		docgen.List{Items: []docgen.ListItem{
			{Runs: []docgen.Run{docgen.T("離席時は画面をロックする。")}},
			{Runs: []docgen.Run{docgen.T("USB メモリは許可されたものだけを使う。")}},
			{Level: 1, Runs: []docgen.Run{docgen.T("使用後は管理簿に記録する。")}},
		}},
		docgen.List{Ordered: true, Items: []docgen.ListItem{
			{Runs: []docgen.Run{docgen.T("インシデントを発見する。")}},
			{Runs: []docgen.Run{docgen.T("情報セキュリティ管理者へ報告する。")}},
			{Runs: []docgen.Run{docgen.T("被害の拡大を防ぐ措置をとる。")}},
		}},
		docgen.Heading{Level: 1, Text: "表とグラフ", Numbered: true},
		findingsTable(40),
		docgen.Chart{Caption: "図1 所属別の指摘件数", Chart: chart.Chart{Kind: chart.Bar, Title: "所属別の指摘件数", Unit: "件", ValueLabel: true, Legend: true,
			Categories: []string{"戸籍住民課", "税務課", "福祉管理課", "保育課", "情報政策課"},
			Series:     []chart.Series{{Name: "令和7年度", Values: []float64{5, 3, 4, 2, 1}}, {Name: "令和8年度", Values: []float64{3, 2, 4, 1, 0}}}}},
		docgen.Chart{Caption: "図2 判定の内訳", Chart: chart.Chart{Kind: chart.Donut, Title: "判定の内訳", ValueLabel: true, Legend: true,
			Categories: []string{"適合", "一部不適合", "不適合", "該当なし"}, Series: []chart.Series{{Name: "項目数", Values: []float64{182, 24, 6, 11}}}}},
		docgen.Chart{Caption: "図3 自己点検の理解度", Chart: chart.Chart{Kind: chart.Radar, Title: "分野別の理解度", Unit: "%", Max: 100, Legend: true,
			Categories: []string{"パスワード", "メール", "持出し", "廃棄", "事故報告", "SNS"},
			Series:     []chart.Series{{Name: "一般職員", Values: []float64{82, 74, 65, 70, 58, 77}}, {Name: "管理職", Values: []float64{88, 80, 72, 79, 71, 69}}}}},
		docgen.PageBreak{},
		docgen.Heading{Level: 2, Text: "決裁", Numbered: true},
		docgen.ApprovalBox{Titles: []string{"課長", "係長", "担当"}},
	}
	wide := []docgen.Block{
		docgen.Heading{Level: 1, Text: "横向きの表", Numbered: true},
		docgen.Paragraph{Runs: []docgen.Run{docgen.T("A4 横向きのページに、結合したセルを含む表を置く。")}},
		mergedTable(),
		docgen.Chart{Caption: "図4 月別の進捗", Chart: chart.Chart{Kind: chart.Line, Title: "月別の進捗率", Unit: "%", Max: 100, Legend: true,
			Categories: []string{"4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月", "1月", "2月", "3月"},
			Series:     []chart.Series{{Name: "計画", Values: []float64{5, 12, 20, 30, 38, 47, 58, 67, 75, 84, 93, 100}}, {Name: "実績", Values: []float64{4, 10, 19, 27, 35, 44, 52, 63}}}}},
	}
	d.Sections = []docgen.Section{{Tab: "本編", Blocks: body}, {Orientation: docgen.Landscape, Tab: "別表", Blocks: wide}}
	return d
}

var depts = []string{"戸籍住民課", "税務課", "国保年金課", "福祉管理課", "介護保険課", "子育て支援課", "保育課", "情報政策課", "人事課", "会計管理室"}

var findings = []string{
	"離席時に画面ロックがされていない端末が2台あった。",
	"個人情報を含む書類が退庁後も机上に置かれていた。",
	"USB メモリの貸出記録に返却日の記入漏れがあった。",
	"共有フォルダのアクセス権が異動者について見直されていなかった。",
	"サーバ室の入退室記録に同行者の記載がなかった。",
	"委託先との契約書に再委託の条件が定められていなかった。",
}

func findingsTable(n int) docgen.Table {
	t := docgen.Table{Caption: "表1 指摘事項の一覧", HeaderRows: 1,
		Columns: []docgen.Column{{Width: 1, Align: docgen.AlignCenter}, {Width: 3}, {Width: 8}, {Width: 1.5, Align: docgen.AlignCenter}, {Width: 3}}}
	head := docgen.Row{}
	for _, h := range []string{"No", "所属", "指摘事項", "判定", "根拠規定"} {
		head.Cells = append(head.Cells, docgen.Cell{Runs: []docgen.Run{docgen.T(h)}, Bold: true, Fill: "DDE6F0", Align: docgen.AlignCenter})
	}
	t.Rows = append(t.Rows, head)
	marks := []string{"○", "△", "×"}
	for i := 0; i < n; i++ {
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{
			docgen.C(fmt.Sprint(i + 1)), docgen.C(depts[i%len(depts)]), docgen.C(findings[i%len(findings)] + findings[(i+2)%len(findings)]),
			docgen.C(marks[i%3]), docgen.C(fmt.Sprintf("対策基準 %d.%d.(%d)", i%9+1, i%4+1, i%3+1)),
		}})
	}
	return t
}

func mergedTable() docgen.Table {
	t := docgen.Table{Caption: "表2 監査日程（結合セル）", HeaderRows: 2,
		Columns: []docgen.Column{{Width: 3}, {Width: 2}, {Width: 2}, {Width: 2}, {Width: 2}, {Width: 5}}}
	bold := func(s string) docgen.Cell {
		return docgen.Cell{Runs: []docgen.Run{docgen.T(s)}, Bold: true, Fill: "DDE6F0", Align: docgen.AlignCenter}
	}
	span := func(c docgen.Cell, cols, rows int) docgen.Cell { c.ColSpan, c.RowSpan = cols, rows; return c }
	t.Rows = []docgen.Row{
		{Cells: []docgen.Cell{span(bold("所属"), 1, 2), span(bold("実地監査"), 2, 1), span(bold("報告"), 2, 1), span(bold("備考"), 1, 2)}},
		{Cells: []docgen.Cell{bold("日付"), bold("時間"), bold("日付"), bold("形式")}},
	}
	for i, d := range depts[:6] {
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(d), docgen.C(fmt.Sprintf("12月%d日", i+2)), docgen.C("13:30〜15:30"),
			docgen.C(fmt.Sprintf("1月%d日", i+10)), docgen.C("対面"), docgen.C("窓口の視察を含む。個人番号を扱う事務の確認を行う。")}})
	}
	return t
}

// Report is a long document for speed measurements, about pages A4 pages:
// one 1,000-row table of wrapped Japanese cells per 50 pages, and 20
// charts per 100 pages.
func Report(pages int) *docgen.Document {
	d := &docgen.Document{Meta: meta("内部監査全体報告書（性能測定用）"), Cover: true, TOC: true}
	var blocks []docgen.Block
	tables := max(1, pages/50)
	charts := max(1, pages/5)
	for ch := 0; ch < tables; ch++ {
		blocks = append(blocks, docgen.Heading{Level: 1, Text: fmt.Sprintf("所属別の結果（その%d）", ch+1), Numbered: true},
			docgen.Paragraph{FirstIndent: true, Runs: []docgen.Run{docgen.T("各所属の監査結果を示す。指摘事項は改善計画とともに次年度のフォローアップの対象とする。")}},
			findingsTable(1000))
		for c := 0; c < charts/tables; c++ {
			blocks = append(blocks, docgen.Chart{Caption: fmt.Sprintf("図%d-%d 指摘件数", ch+1, c+1), Chart: chart.Chart{Kind: chart.Kind(c % 8), Title: "指摘件数の推移",
				Unit: "件", ValueLabel: true, Legend: true, Categories: depts[:6],
				Series: []chart.Series{{Name: "令和7年度", Values: []float64{5, 3, 4, 2, 1, 6}}, {Name: "令和8年度", Values: []float64{3, 2, 4, 1, 0, 5}}}}})
		}
	}
	d.Sections = []docgen.Section{{Tab: "報告書", Blocks: blocks}}
	return d
}
