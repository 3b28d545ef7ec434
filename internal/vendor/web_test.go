package vendor_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"mamori/internal/catalog"
	"mamori/internal/vendor"
	"mamori/internal/webtest"
)

var linkRe = regexp.MustCompile(`/vendor-answer/([A-Za-z0-9_-]{20,})`)

// samplePDF is a small valid PDF.
const samplePDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

// TestVendorReview runs a review on both databases: a 所属長 requests it,
// the office builds the questionnaire (the items the request's answers
// call for, pinned to the template's version) and sends a link; the vendor
// (no account) answers, attaches a document and submits; the office marks
// an item 要修正 with a comment and an internal note, returns it; the
// vendor sees the comment but never the note, corrects and resubmits; the
// office decides 条件付承認 with a dated condition and downloads the
// result. Refusals: another department's request, a guessed, revoked or
// expired link, a submission with items unanswered, a file of the wrong
// type, a conditional approval without conditions.
func TestVendorReview(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s := webtest.Start(t, webtest.Options{Demo: true, DSN: dsn})
		auditee, admin := s.As("auditee"), s.As("admin")
		own := s.ID("SELECT id FROM departments WHERE name = '戸籍住民課'")
		other := s.ID("SELECT id FROM departments WHERE name = '秘書課'")
		form := url.Values{"department": {fmt.Sprint(own)}, "kind": {"cloud"}, "service_name": {"住民票の写しのオンライン申請"}, "vendor_name": {"株式会社テストクラウド"},
			"data_class": {"機密性2"}, "mynumber": {"1"}, "storage_location": {"国内"}, "contract_from": {"2027-04-01"}, "contract_to": {"2030-03-31"}}
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("department", fmt.Sprint(other))
		auditee.Post("/vendor", bad).Want(http.StatusUnprocessableEntity, "自分の所属の審査だけ")
		bad.Set("department", fmt.Sprint(own))
		bad.Set("contract_to", "2020-01-01")
		auditee.Post("/vendor", bad).Want(http.StatusUnprocessableEntity, "終了日が開始日より前")
		auditee.Post("/vendor", form).Redirects("/vendor/")
		id := s.ID("SELECT id FROM vendor_requests WHERE service_name = '住民票の写しのオンライン申請'")
		path := fmt.Sprintf("/vendor/%d", id)
		auditee.Get(path).Want(http.StatusOK, "依頼受付").Lacks("調査票を作成</button>")
		auditee.Post(path+"/build", url.Values{}).Want(http.StatusForbidden)

		admin.Post(path+"/build", url.Values{}).Redirects(path)
		st := vendor.NewStore(s.Deps())
		x, err := st.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		items, err := st.Items(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		cat := catalog.NewStore(s.DB)
		all, err := cat.Items(t.Context(), catalog.ItemFilter{TemplateID: x.TemplateID})
		if err != nil {
			t.Fatal(err)
		}
		want, withMyNumber := 0, false
		for _, it := range all {
			if x.Applies(it.Applicability) {
				want++
				for _, a := range it.Applicability {
					withMyNumber = withMyNumber || a == "mynumber"
				}
			}
		}
		if len(items) != want || want == 0 || !withMyNumber || x.TemplateVersion == 0 {
			t.Fatalf("%d items built, want %d (with the 特定個人情報 items: %v), version %d", len(items), want, withMyNumber, x.TemplateVersion)
		}

		page := admin.Post(path+"/links", url.Values{"days": {"14"}}).Want(http.StatusOK, "回答用リンク")
		m := linkRe.FindStringSubmatch(page.Body)
		if m == nil {
			t.Fatal("no link shown")
		}
		tok := m[1]
		if s.Count("SELECT COUNT(*) FROM vendor_links WHERE token_hash = ?", tok) != 0 {
			t.Fatal("the token is stored as issued")
		}
		v := s.Anonymous()
		link := "/vendor-answer/" + tok
		v.Get(link).Want(http.StatusOK, "株式会社テストクラウド", items[0].Question)
		v.Get("/vendor-answer/"+strings.Repeat("x", 32)).Want(http.StatusNotFound, "このリンクは無効")
		if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'vendor.link_refused'") == 0 {
			t.Error("a guessed link is not logged")
		}

		// Answers as typed, kept on a refusal; a submission with gaps refused.
		half := url.Values{"action": {"save"}}
		for _, i := range items[:3] {
			half.Set("a_"+i.Code, "はい")
			half.Set("n_"+i.Code, "規程で定め、年1回点検しています。")
		}
		half.Set("n_"+items[3].Code, "説明だけ先に書きました。")
		v.Post(link, half).Redirects(link)
		half.Set("action", "submit")
		v.Post(link, half).Want(http.StatusUnprocessableEntity, "回答のない項目が")
		if got := s.Count("SELECT COUNT(*) FROM vendor_items WHERE request_id = ? AND answer_note = '説明だけ先に書きました。'", id); got != 1 {
			t.Error("a note without an answer was lost")
		}
		v.Post(link, url.Values{"a_NOPE-1": {"はい"}}).Want(http.StatusUnprocessableEntity, "この調査票にありません")
		v.Post(link, url.Values{"a_" + items[0].Code: {"たぶん"}}).Want(http.StatusUnprocessableEntity, "いずれかです")
		v.Upload(link+"/evidence", url.Values{"item": {items[0].Code}, "effective": {"2026-04-01"}}, "file", "規程.pdf", []byte(samplePDF)).Redirects(link)
		v.Upload(link+"/evidence", url.Values{"item": {items[0].Code}}, "file", "tool.exe", []byte("MZ\x90\x00binary")).Want(http.StatusBadRequest)
		if n := s.Count("SELECT COUNT(*) FROM vendor_evidence WHERE request_id = ? AND effective_on = '2026-04-01' AND sha256 <> ''", id); n != 1 {
			t.Fatalf("%d evidence files kept, want 1", n)
		}
		full := url.Values{"action": {"submit"}}
		for _, i := range items {
			full.Set("a_"+i.Code, "はい")
		}
		full.Set("a_"+items[1].Code, "いいえ")
		full.Set("n_"+items[1].Code, "現在は対応していません。")
		v.Post(link, full).Redirects(link)
		v.Get(link).Want(http.StatusOK, "回答は提出済み")
		v.Post(link, full).Want(http.StatusUnprocessableEntity, "受け付けていません")

		// The review: 要修正 with a comment to the vendor and an internal note.
		admin.Post(path+"/review", url.Values{"item": {items[1].Code}, "review": {"fix"}}).Want(http.StatusUnprocessableEntity, "事業者への依頼")
		admin.Post(path+"/review", url.Values{"item": {items[1].Code}, "review": {"fix"}, "to_vendor": {"対応の予定時期を示してください。"},
			"internal": {"内部メモ：前回の監査でも指摘あり"}}).Redirects(path)
		admin.Post(path+"/decide", url.Values{"decision": {"conditional"}, "reason": {"一部の対策が未実施のため"}, "conditions": {""}}).
			Want(http.StatusUnprocessableEntity, "条件付承認には")
		admin.Post(path+"/return", url.Values{}).Redirects(path)
		page = admin.Post(path+"/links", url.Values{"days": {"7"}}).Want(http.StatusOK)
		v.Get(link).Want(http.StatusNotFound, "このリンクは無効") // the earlier link was revoked
		tok2 := linkRe.FindStringSubmatch(page.Body)[1]
		link2 := "/vendor-answer/" + tok2
		v.Get(link2).Want(http.StatusOK, "対応の予定時期を示してください。").Lacks("内部メモ", "前回の監査でも指摘あり")
		fix := url.Values{"action": {"submit"}, "a_" + items[1].Code: {"一部"}, "n_" + items[1].Code: {"令和9年3月までに対応します。"}}
		v.Post(link2, fix).Redirects(link2)
		if n := s.Count("SELECT COUNT(*) FROM vendor_submissions WHERE request_id = ?", id); n != 2 {
			t.Fatalf("%d submissions kept, want 2", n)
		}
		admin.Get(path).Want(http.StatusOK, "前回の提出から変わった項目", "令和9年3月までに対応します。")
		admin.Post(path+"/decide", url.Values{"decision": {"conditional"}, "reason": {"主要な対策は講じられているが、一部は来年度の対応となるため"},
			"conditions": {"対策の実施状況を報告すること：2027-03-31"}}).Redirects(path)
		if n := s.Count("SELECT COUNT(*) FROM vendor_conditions WHERE request_id = ? AND due_on = '2027-03-31'", id); n != 1 {
			t.Fatal("the condition was not kept with its date")
		}
		xl := admin.Download(path+"/result?format=xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		if len(xl) < 1000 || string(xl[:2]) != "PK" {
			t.Error("the result workbook is not a workbook")
		}
		admin.Download(path+"/result?format=pdf", "application/pdf")
		auditee.Get(path).Want(http.StatusOK, "条件付承認")
		v.Get(link2).Want(http.StatusNotFound) // a decision closes the links
		admin.Post(path+"/conditions", url.Values{"seq": {"9"}}).Want(http.StatusUnprocessableEntity, "その条件はこの審査にない")
		admin.Post(path+"/conditions", url.Values{"seq": {"1"}}).Redirects(path)
		admin.Get(path).Want(http.StatusOK, "満たした（")
		admin.Post(path+"/rereview", url.Values{}).Redirects("/vendor/")
		if n := s.Count("SELECT COUNT(*) FROM vendor_requests WHERE service_name = '住民票の写しのオンライン申請' AND state = 'requested'"); n != 1 {
			t.Errorf("re-review: %d new requests", n)
		}
		if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE target = ? AND action LIKE 'vendor.%'", fmt.Sprintf("vendor_request:%d", id)); n < 8 {
			t.Errorf("%d audit entries", n)
		}
	})
}

// fill writes answers into a downloaded questionnaire workbook: by key,
// the answer and the note (an empty value leaves the cell as it is).
func fill(t *testing.T, book []byte, answers map[string][2]string) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(book))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("確認事項")
	if err != nil {
		t.Fatal(err)
	}
	hdr, cols := -1, map[string]int{}
	for i, r := range rows {
		for j, c := range r {
			if c == "キー" {
				hdr = i
			}
			cols[c] = j + 1
		}
		if hdr >= 0 {
			break
		}
	}
	if hdr < 0 {
		t.Fatal("no header row")
	}
	for i := hdr + 1; i < len(rows); i++ {
		r := rows[i]
		if len(r) < cols["キー"] {
			continue
		}
		a, ok := answers[r[cols["キー"]-1]]
		if !ok {
			continue
		}
		for k, col := range []string{"回答", "説明（取組・根拠資料）"} {
			if a[k] != "" {
				cell, _ := excelize.CoordinatesToCellName(cols[col], i+1)
				if err := f.SetCellValue("確認事項", cell, a[k]); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	var out bytes.Buffer
	if err := f.Write(&out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestVendorExcelRoundTrip: the questionnaire goes out as Excel and comes
// back filled in; the preview lists every change, a blank cell changes
// nothing; a file of another request, an export made before the answers
// changed, an answer that is not a choice and a file that is not a
// workbook are refused with nothing changed; the import can count as the
// vendor's submission.
func TestVendorExcelRoundTrip(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	admin := s.As("admin")
	id := s.ID("SELECT id FROM vendor_requests WHERE code = 'VR-R8-002'") // returned for corrections: open to answers
	other := s.ID("SELECT id FROM vendor_requests WHERE code = 'VR-R8-003'")
	path := fmt.Sprintf("/vendor/%d", id)
	xlsxType := "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	book := admin.Download(path+"/workbook", xlsxType)
	items, err := vendor.NewStore(s.Deps()).Items(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	var fixed []vendor.Item
	for _, i := range items {
		if i.Review == "fix" {
			fixed = append(fixed, i)
		}
	}
	if len(fixed) < 2 {
		t.Fatalf("the demo request has %d items to correct", len(fixed))
	}
	filled := fill(t, book, map[string][2]string{
		fixed[0].Code: {"はい", "再委託は区の書面による承認を得た場合に限ると契約書案に明記しました。"},
		fixed[1].Code: {"", "データ消去証明書の様式を添付資料7として提出します。"},
	})
	before := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'vendor.answer'")
	p := admin.Upload(path+"/import", url.Values{}, "file", "回答.xlsx", filled).Want(http.StatusOK, "変わる回答 2 項目", fixed[0].Code, "契約書案に明記しました。")
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'vendor.answer'") != before {
		t.Fatal("the preview changed answers")
	}
	// The preview's form carries the changes; applying it saves them.
	form := url.Values{"rev": {regexp.MustCompile(`name="rev" value="(\d+)"`).FindStringSubmatch(p.Body)[1]}, "file": {"回答.xlsx"}}
	for _, m := range regexp.MustCompile(`name="code" value="([^"]*)"><input type="hidden" name="answer" value="([^"]*)"><input type="hidden" name="note" value="([^"]*)"`).FindAllStringSubmatch(p.Body, -1) {
		form.Add("code", m[1])
		form.Add("answer", m[2])
		form.Add("note", m[3])
	}
	admin.Post(path+"/import/apply", form).Redirects(path)
	if n := s.Count("SELECT COUNT(*) FROM vendor_items WHERE request_id = ? AND item_code = ? AND answer = 'はい'", id, fixed[0].Code); n != 1 {
		t.Fatal("the imported answer was not saved")
	}
	if n := s.Count("SELECT COUNT(*) FROM vendor_items WHERE request_id = ? AND item_code = ? AND answer = ? AND answer_note = 'データ消去証明書の様式を添付資料7として提出します。'", id, fixed[1].Code, fixed[1].Answer); n != 1 {
		t.Fatal("a blank answer cell changed the answer, or the note was not saved")
	}
	// The same file again: exported before these answers, refused.
	admin.Upload(path+"/import", url.Values{}, "file", "回答.xlsx", filled).Want(http.StatusUnprocessableEntity, "出力した後に")
	admin.Post(path+"/import/apply", form).Want(http.StatusConflict, "何も変更していません")
	fresh := admin.Download(path+"/workbook", xlsxType)
	admin.Upload(fmt.Sprintf("/vendor/%d/import", other), url.Values{}, "file", "回答.xlsx", fresh).Want(http.StatusUnprocessableEntity)
	admin.Upload(path+"/import", url.Values{}, "file", "回答.xlsx", fill(t, fresh, map[string][2]string{fixed[0].Code: {"たぶん", ""}})).
		Want(http.StatusUnprocessableEntity, "選べません")
	admin.Upload(path+"/import", url.Values{}, "file", "回答.xlsx", []byte("PK\x03\x04not really")).Want(http.StatusUnprocessableEntity, "ファイルとして読めません")
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'vendor.import_refused'") < 2 {
		t.Error("refused imports are not logged")
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestVendorLinkLimits: a link after its expiry opens nothing (and is
// logged); a file over 10 MB is refused; a link opens its own request only.
func TestVendorLinkLimits(t *testing.T) {
	clk := &clock{t: time.Now()}
	s := webtest.Start(t, webtest.Options{Demo: true, Now: clk.Now})
	admin := s.As("admin")
	id := s.ID("SELECT id FROM vendor_requests WHERE code = 'VR-R8-002'")
	page := admin.Post(fmt.Sprintf("/vendor/%d/links", id), url.Values{"days": {"7"}}).Want(http.StatusOK)
	link := "/vendor-answer/" + linkRe.FindStringSubmatch(page.Body)[1]
	v := s.Anonymous()
	v.Get(link).Want(http.StatusOK, "VR-R8-002").Lacks("VR-R8-001", "VR-R8-003")
	big := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0"), 10<<20)...)
	v.Upload(link+"/evidence", url.Values{"item": {"OS-8.1-01"}}, "file", "big.pdf", big).Want(http.StatusRequestEntityTooLarge)
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'vendor.evidence_refused'") != 1 {
		t.Error("a refused file is not logged")
	}
	admin.Post(fmt.Sprintf("/vendor/%d/links", id), url.Values{"days": {"90"}}).Want(http.StatusUnprocessableEntity, "1～60日")
	clk.Add(9 * 24 * time.Hour)
	before := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'vendor.link_refused'")
	v.Get(link).Want(http.StatusNotFound, "有効期限が過ぎている")
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'vendor.link_refused' AND detail LIKE '%有効期限切れ%'") != before+1 {
		t.Error("an expired link is not logged")
	}
}
