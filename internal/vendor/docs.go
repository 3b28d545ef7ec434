package vendor

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/docgen/formats"
	"mamori/internal/jp"
	"mamori/internal/web"
)

// The documents: the 審査結果 (the checklist with the answers, the reviews
// and the decision) and the questionnaire as sent (for paper), both in
// PDF, Word and Excel; and the register of every service as Excel.

// Record is a request with everything its documents show.
type Record struct {
	R     Request
	Items []Item
	Conds []Condition
	Subs  []Submission
}

// RecordOf gathers a request's record.
func (s *Store) RecordOf(ctx context.Context, r Request) (*Record, error) {
	rec := &Record{R: r}
	var err error
	if rec.Items, err = s.Items(ctx, r.ID); err != nil {
		return nil, err
	}
	if rec.Conds, err = s.Conditions(ctx, r.ID); err != nil {
		return nil, err
	}
	if rec.Subs, err = s.Submissions(ctx, r.ID); err != nil {
		return nil, err
	}
	return rec, nil
}

func kv(pairs ...[2]string) docgen.Table {
	t := docgen.Table{Columns: []docgen.Column{{Width: 1}, {Width: 3.2}}}
	for _, p := range pairs {
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{docgen.H(p[0]), docgen.C(p[1])}})
	}
	return t
}

func wareki(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return jp.FormatWareki(t)
}

func (rec *Record) outline() docgen.Table {
	r := rec.R
	yes := map[bool]string{true: "扱う", false: "扱わない"}
	contract := "—"
	if !r.ContractFrom.IsZero() || !r.ContractTo.IsZero() {
		contract = wareki(r.ContractFrom) + " ～ " + wareki(r.ContractTo)
	}
	ismap := or(r.ISMAPNumber, "登録なし")
	if !r.ISMAPExpires.IsZero() {
		ismap += "（有効期限 " + wareki(r.ISMAPExpires) + "）"
	}
	return kv([2]string{"審査番号", r.Code}, [2]string{"種類", r.KindLabel()}, [2]string{"サービス・契約", r.ServiceName}, [2]string{"事業者", r.VendorName},
		[2]string{"依頼した所属", r.Department}, [2]string{"目的", or(r.Purpose, "—")},
		[2]string{"扱う情報", r.DataClass + "・特定個人情報を" + yes[r.MyNumber]}, [2]string{"保存・処理の場所", or(r.StorageLocation, "—")},
		[2]string{"再委託先", or(r.Subcontractors, "—")}, [2]string{"契約期間", contract}, [2]string{"ISMAP", ismap}, [2]string{"SLA 等", or(r.SLA, "—")},
		[2]string{"調査票", fmt.Sprintf("カタログの%sのチェックリスト（%d年版）から %d 項目", r.KindLabel(), r.TemplateVersion, len(rec.Items))})
}

// ReviewDocument is the 審査結果.
func (rec *Record) ReviewDocument(ward string, now time.Time) *docgen.Document {
	r := rec.R
	b := []docgen.Block{
		docgen.ApprovalBox{Titles: []string{"統括責任者", "情報政策課長", "所管課長", "担当"}},
		docgen.Heading{Level: 1, Text: "1 審査の対象"}, rec.outline(),
		docgen.Heading{Level: 1, Text: "2 決定"},
	}
	if r.Decision == "" {
		b = append(b, docgen.P("まだ決定していません（"+r.State.Label()+"）。"))
	} else {
		b = append(b, kv([2]string{"決定", r.DecisionLabel()}, [2]string{"理由", r.DecisionReason}, [2]string{"決定日", wareki(r.DecidedAt)},
			[2]string{"次回の再審査", wareki(r.NextReviewOn)}))
		if len(rec.Conds) > 0 {
			t := docgen.Table{Columns: []docgen.Column{{Width: 0.5, Align: docgen.AlignCenter}, {Width: 4}, {Width: 1.2}}, HeaderRows: 1,
				Rows: []docgen.Row{docgen.HeadRow("No.", "条件", "期限")}}
			for _, c := range rec.Conds {
				t.Rows = append(t.Rows, docgen.TextRow(fmt.Sprint(c.Seq), c.Text, wareki(c.Due)))
			}
			b = append(b, docgen.Heading{Level: 2, Text: "承認の条件"}, t)
		}
	}
	counts := map[string]int{}
	for _, i := range rec.Items {
		counts[or(i.Answer, "未回答")]++
		counts["review:"+i.Review]++
	}
	b = append(b, docgen.Heading{Level: 1, Text: "3 回答と審査の概要"},
		docgen.P(fmt.Sprintf("%d 項目のうち、はい %d、一部 %d、いいえ %d、該当しない %d、未回答 %d。審査は OK %d、要確認 %d、要修正 %d。提出は %d 回。",
			len(rec.Items), counts["はい"], counts["一部"], counts["いいえ"], counts["該当しない"], counts["未回答"],
			counts["review:ok"], counts["review:check"], counts["review:fix"], len(rec.Subs))),
	)
	t := docgen.Table{Columns: []docgen.Column{{Width: 0.5, Align: docgen.AlignCenter}, {Width: 1.1}, {Width: 3.2}, {Width: 0.8, Align: docgen.AlignCenter},
		{Width: 2.8}, {Width: 0.8, Align: docgen.AlignCenter}, {Width: 2.2}}, HeaderRows: 1,
		Rows: []docgen.Row{docgen.HeadRow("No.", "番号", "確認事項", "回答", "事業者の説明", "審査", "区からの依頼")}}
	for _, i := range rec.Items {
		t.Rows = append(t.Rows, docgen.TextRow(fmt.Sprint(i.Seq), i.Code, i.Question, or(i.Answer, "—"), i.Note, or(i.ReviewLabel(), "—"), i.ToVendor))
	}
	return &docgen.Document{Meta: docgen.Meta{Title: "審査結果（外部委託・クラウドサービス）", Subtitle: r.Code + " " + r.ServiceName, Ward: ward, FiscalYear: r.FiscalYear,
		Date: now, Author: "情報政策課（情報セキュリティ担当）", Classification: "取扱注意", PageNumbers: docgen.PageDash},
		Sections: []docgen.Section{{Blocks: b}, {Orientation: docgen.Landscape, Blocks: []docgen.Block{docgen.Heading{Level: 1, Text: "4 チェックリストと回答"}, t}}}}
}

// QuestionnaireDocument is the questionnaire as sent, with the answers so
// far (blank rows to fill in on paper).
func (rec *Record) QuestionnaireDocument(ward string, now time.Time) *docgen.Document {
	r := rec.R
	b := []docgen.Block{
		docgen.P(fmt.Sprintf("%s 御中", r.VendorName)),
		docgen.P(fmt.Sprintf("%sの%s（%s）の導入・契約に当たり、情報セキュリティ対策の状況について、次の事項への回答をお願いします。回答は「はい・一部・いいえ・該当しない」から選び、その根拠となる取組や資料を説明欄に記入してください。",
			ward, r.ServiceName, r.KindLabel())),
		docgen.Heading{Level: 1, Text: "確認事項"},
	}
	t := docgen.Table{Columns: []docgen.Column{{Width: 0.4, Align: docgen.AlignCenter}, {Width: 0.9}, {Width: 3.2}, {Width: 0.7, Align: docgen.AlignCenter}, {Width: 2.6}},
		HeaderRows: 1, FontSize: 8.5, Rows: []docgen.Row{docgen.HeadRow("No.", "番号", "確認事項", "回答", "説明（取組・根拠資料）")}}
	cat := ""
	for _, i := range rec.Items {
		if i.Category != cat {
			cat = i.Category
			t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T(cat)}, Bold: true, Fill: "F6F7F9", ColSpan: 5}}})
		}
		t.Rows = append(t.Rows, docgen.TextRow(fmt.Sprint(i.Seq), i.Code, i.Question, i.Answer, i.Note))
	}
	b = append(b, t)
	return &docgen.Document{Meta: docgen.Meta{Title: "情報セキュリティに関する確認事項", Subtitle: r.Code + " " + r.ServiceName, Ward: ward, FiscalYear: r.FiscalYear,
		Date: now, Author: "情報政策課（情報セキュリティ担当）", Classification: "取扱注意", PageNumbers: docgen.PageDash}, Sections: []docgen.Section{{Blocks: b}}}
}

// RegisterDocument is the register of every service and contract.
func RegisterDocument(rs []Request, ward string, now time.Time) *docgen.Document {
	t := docgen.Table{Columns: []docgen.Column{{Width: 1}, {Width: 2}, {Width: 1.6}, {Width: 1.2}, {Width: 0.8}, {Width: 0.9}, {Width: 0.9}, {Width: 1}, {Width: 1.1}},
		HeaderRows: 1, Rows: []docgen.Row{docgen.HeadRow("番号", "サービス・契約", "事業者", "所属", "種類", "状況", "決定", "次回の再審査", "ISMAP の期限")}}
	for _, r := range rs {
		t.Rows = append(t.Rows, docgen.TextRow(r.Code, r.ServiceName, r.VendorName, r.Department, r.KindLabel(), r.State.Label(), or(r.DecisionLabel(), "—"),
			wareki(r.NextReviewOn), wareki(r.ISMAPExpires)))
	}
	return &docgen.Document{Meta: docgen.Meta{Title: "外部委託・クラウドサービス台帳", Ward: ward, Date: now, Author: "情報政策課（情報セキュリティ担当）",
		Classification: "取扱注意", PageNumbers: docgen.PageDash}, Sections: []docgen.Section{{Orientation: docgen.Landscape, Blocks: []docgen.Block{t}}}}
}

func (m *Module) docRoutes(rt *web.Router, obj web.Object) {
	rt.Handle("GET /vendor/{id}/result", watch.On(obj), m.requestDoc("審査結果", (*Record).ReviewDocument))
	rt.Handle("GET /vendor/{id}/questionnaire", watch.On(obj), m.requestDoc("確認事項", (*Record).QuestionnaireDocument))
	rt.Handle("GET /vendor/register", web.Allow(web.RoleAdmin, web.RoleConsultant, web.RoleViewer), m.registerDoc)
}

func (m *Module) requestDoc(kind string, build func(*Record, string, time.Time) *docgen.Document) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		x, err := m.requestOf(r)
		if err != nil {
			return err
		}
		f, err := formats.Parse(r.URL.Query().Get("format"), "pdf", "docx", "xlsx")
		if err != nil {
			return web.Invalid("出力形式は pdf・docx・xlsx のいずれかを指定してください。")
		}
		rec, err := m.store.RecordOf(r.Context(), x)
		if err != nil {
			return err
		}
		doc := build(rec, m.d.Org.WardName(r.Context()), m.store.now())
		dl := web.Download{Name: web.JoinFileName(f.Name, kind, x.Code), ContentType: f.ContentType, Target: fmt.Sprintf("vendor_request:%d", x.ID),
			Detail: fmt.Sprintf("%s の%s（%s）", x.Code, kind, f.Label)}
		return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return f.Render(out, doc) })
	}
}

func (m *Module) registerDoc(w http.ResponseWriter, r *http.Request) error {
	f, err := formats.Parse(r.URL.Query().Get("format"), "xlsx", "pdf")
	if err != nil {
		return web.Invalid("出力形式は xlsx か pdf を指定してください。")
	}
	rs, err := m.store.Requests(r.Context(), 0)
	if err != nil {
		return err
	}
	doc := RegisterDocument(rs, m.d.Org.WardName(r.Context()), m.store.now())
	dl := web.Download{Name: web.JoinFileName(f.Name, "外部委託・クラウドサービス台帳"), ContentType: f.ContentType, Target: "vendor_register",
		Detail: fmt.Sprintf("外部委託・クラウドサービス台帳（%s、%d 件）", f.Label, len(rs))}
	return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return f.Render(out, doc) })
}
