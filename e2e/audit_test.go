package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAuditJourney is issue 11's journey through one internal audit of
// 戸籍住民課, every step through the pages in Chromium, each user in a
// browser context of their own (one server, one browser): the consultant
// registers the audit with the auditor as lead and moves it to 事前調査;
// the auditee answers the pre-audit questionnaire (a refused early submit,
// then all answers) and hands in a PDF for a requested document; the
// consultant moves the audit to 実施; the auditor, on a tablet-sized
// window, judges one item ○ (autosaved) and one × (keyboard and 保存),
// sees both after reloading and writes a finding from the × item; the
// consultant records a witness point; the auditor finalises the report and
// downloads the 監査報告書 PDF; the auditee submits an improvement plan;
// the auditor verifies it as 改善済.
func TestAuditJourney(t *testing.T) {
	base := serve(t)
	root := browser(t)
	as := func(user string) context.Context {
		ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		// The tab opens here, on a context without a time limit: a tab
		// opened by a step's limited context closes when the step ends.
		if err := chromedp.Do(ctx); err != nil {
			t.Fatalf("open a browser context for %s: %v", user, err)
		}
		login(t, ctx, base, user)
		return ctx
	}
	consultant, auditee, auditor := as("consultant"), as("auditee"), as("auditor")

	const (
		title       = "情報セキュリティ内部監査（戸籍住民課・臨時）"
		dept        = "区民部 戸籍住民課"
		requestName = "電磁的記録媒体管理簿（USBメモリ等）"
		okNotes     = "情報セキュリティポリシーの概要を課内研修の資料で確認した。係長2名に聞き取り、目的を説明できた。"
		ngNotes     = "電磁的記録媒体管理簿を閲覧した。USBメモリの返却日の記入漏れが3件あり、月末の点検も行われていなかった。"
		recommend   = "管理簿の記入を貸出・返却のたびに確かめ、月末に係長が点検して押印する手順を定めること。"
		witnessNote = "予定した時間配分に沿って質問と閲覧が進み、重点項目を先に確認していた。"
		summary     = "戸籍住民課の情報セキュリティ対策は概ね適切に運用されているが、電磁的記録媒体の管理に不備があった。"
		opinion     = "電磁的記録媒体の貸出・返却の記録と月末の点検を、課の手順として定着させることを優先されたい。"
		planText    = "貸出・返却の都度、管理簿の記入を係長が確認する。月末点検の様式を作り、課長が結果を確認する。"
		verdictNote = "翌月分の管理簿と月末点検の記録を書類で確認し、記入漏れがないことを確かめた。"
	)
	jst := time.FixedZone("JST", 9*3600)
	visit := time.Now().In(jst).Format("2006-01-02")
	due := time.Now().In(jst).AddDate(0, 4, 0).Format("2006-01-02")
	pdfFile := filepath.Join(t.TempDir(), "媒体管理簿.pdf")
	pdfBody := samplePDF("USB media register, Koseki-Jumin section")
	if err := os.WriteFile(pdfFile, pdfBody, 0o644); err != nil {
		t.Fatal(err)
	}

	var id, findingID, findingTitle string // as the pages' URLs and headings carry them
	tab := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.CSS(fmt.Sprintf(`nav.tabs a[href="/audit/%s%s"]`, id, name)))
	}
	// open is the engagement reached from the programme list by its title.
	open := func(t *testing.T, ctx context.Context, who string) {
		t.Helper()
		step(t, ctx, who+": programme", chromedp.Navigate(base+"/audit"), chromedp.WaitVisible(chromedp.CSS("main h1")))
		step(t, ctx, who+": open the audit", leave,
			chromedp.Click(fmt.Sprintf(`//main//table//a[normalize-space(.)='%s']`, title)), nextPage(`^/audit/\d+$`))
	}

	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"consultant registers the audit", func(t *testing.T) {
			ctx := consultant
			step(t, ctx, "programme", chromedp.Navigate(base+"/audit"), chromedp.WaitVisible(chromedp.CSS("main h1")))
			step(t, ctx, "new audit", leave, chromedp.Click(chromedp.CSS(`main a[href^="/audit/new"]`)), nextPage(`^/audit/new$`))
			step(t, ctx, "fill the form",
				chromedp.SetValue(chromedp.CSS("#kind"), "internal"),
				chromedp.SendKeys(chromedp.CSS("#title"), title),
				choose(`select[name=target_department]`, 0, dept, true),
				chromedp.SetValue(chromedp.CSS(`input[name=target_date]`), visit),
				chromedp.SendKeys(chromedp.CSS(`input[name=target_time]`), "13:30～16:30"),
				choose(`select[name=member_user]`, 0, "内部監査人", false),
				choose(`select[name=member_role]`, 0, "監査責任者", true),
				choose(`select[name=member_user]`, 1, "担当コンサルタント", false),
				choose(`select[name=member_role]`, 1, "立会い（支援事業者）", true),
			)
			step(t, ctx, "register", leave, chromedp.Click(chromedp.CSS(`form[action="/audit"] button[type=submit]`)), nextPage(`^/audit/\d+$`))
			wantFlash(t, ctx, "内部監査「"+title+"」", "を登録しました")
			id = strings.TrimPrefix(evalString(t, ctx, `location.pathname`), "/audit/")
			overview := mainText(t, ctx)
			for _, want := range []string{"工程： 計画", "監査責任者 総務課 内部監査担当", "立会い（支援事業者） 支援事業者 担当コンサルタント", "戸籍住民課"} {
				if !strings.Contains(squash(overview), squash(want)) {
					t.Errorf("overview lacks %s:\n%s", want, truncate(overview, 2000))
				}
			}
			advance(t, ctx, "事前調査")
			// The document the auditee is asked for.
			step(t, ctx, "presurvey", leave, tab("/presurvey"), nextPage(`/presurvey$`))
			step(t, ctx, "requests", leave, chromedp.Click(chromedp.CSS(`main nav.tabs a[href$="/requests"]`)), nextPage(`/requests$`))
			step(t, ctx, "add a request",
				chromedp.SendKeys(chromedp.CSS("#rq-name"), requestName),
				chromedp.SendKeys(chromedp.CSS("#rq-purpose"), "USBメモリ等の貸出・返却と点検の記録を確認するため"),
				leave, chromedp.Click(chromedp.CSS(`form[action$="/requests"] button[type=submit]`)), nextPage(`/requests$`))
			if l := mainText(t, ctx); !strings.Contains(l, requestName) || !strings.Contains(l, "未提出 1 件") {
				t.Errorf("requests list lacks the new request:\n%s", truncate(l, 2000))
			}
		}},
		{"auditee answers the questionnaire and hands in a document", func(t *testing.T) {
			ctx := auditee
			open(t, ctx, "auditee")
			step(t, ctx, "questionnaire", leave, tab("/presurvey"), nextPage(`/presurvey$`), chromedp.WaitVisible(chromedp.CSS("#presurvey-form")))
			var ids []string
			if err := json.Unmarshal([]byte(evalString(t, ctx, `JSON.stringify([...document.querySelectorAll('#presurvey-form input[name=item]')].map(i => i.value))`)), &ids); err != nil || len(ids) < 4 {
				t.Fatalf("questionnaire items: %v %v", ids, err)
			}
			answers := []struct{ choice, text string }{
				{"yes", "課の業務ごとに想定される脅威と対策を一覧にし、年度当初に見直している（業務別リスク一覧）。"},
				{"partly", "新規配属者の確認書は取っているが、会計年度任用職員の一部が未提出である。"},
				{"yes", "全庁の時期に自己点検を行い、根拠資料とともに期限内に報告した。"},
			}
			for i, a := range answers {
				step(t, ctx, "answer "+ids[i],
					chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name="choice_%s"][value=%s]`, ids[i], a.choice))),
					chromedp.SendKeys(chromedp.CSS("#text-"+ids[i]), a.text))
			}
			step(t, ctx, "save", leave, chromedp.Click(chromedp.CSS(`#presurvey-form button[name=action][value=save]`)), nextPage(`/presurvey$`))
			wantFlash(t, ctx, "3 項目の回答を一時保存しました")
			if got := evalString(t, ctx, fmt.Sprintf(`document.querySelector('input[name="choice_%s"]:checked').value + ' ' + document.querySelector('#text-%s').value`, ids[1], ids[1])); got != "partly "+answers[1].text {
				t.Errorf("saved answer %s reads %q", ids[1], got)
			}
			// Submitting with unanswered items is refused, naming how many.
			step(t, ctx, "submit too early", leave, chromedp.Click(chromedp.CSS(`#presurvey-form button[name=action][value=submit]`)), nextPage(`/presurvey$`))
			if msg := text(t, ctx, "main .alert-error"); !strings.Contains(msg, fmt.Sprintf("まだ回答を選んでいない項目が %d 件あります", len(ids)-3)) {
				t.Errorf("early submit message: %q", msg)
			}
			n := evalString(t, ctx, `String([...document.querySelectorAll('#presurvey-form input[name=item]')].filter(i => {
				const r = document.querySelector('input[name="choice_' + i.value + '"]:checked');
				if (r && r.value !== '') return false;
				document.querySelector('input[name="choice_' + i.value + '"][value="yes"]').click();
				return true;
			}).length)`)
			if n != fmt.Sprint(len(ids)-3) {
				t.Errorf("answered %s more items, want %d", n, len(ids)-3)
			}
			step(t, ctx, "submit", leave, chromedp.Click(chromedp.CSS(`#presurvey-form button[name=action][value=submit]`)), nextPage(`/presurvey$`))
			wantFlash(t, ctx, "事前調査票を提出しました")
			if p := text(t, ctx, "main dl.props"); !strings.Contains(p, "提出済") || !strings.Contains(p, fmt.Sprintf("%d / %d 項目", len(ids), len(ids))) {
				t.Errorf("questionnaire state after submit:\n%s", p)
			}
			// The requested document, handed in as a PDF.
			row := fmt.Sprintf(`//tr[.//strong[normalize-space(.)='%s']]`, requestName)
			step(t, ctx, "requests", leave, chromedp.Click(chromedp.CSS(`main nav.tabs a[href$="/requests"]`)), nextPage(`/requests$`))
			step(t, ctx, "upload",
				chromedp.SetUploadFiles(row+`//input[@type='file']`, []string{pdfFile}),
				chromedp.SendKeys(row+`//input[@name='note']`, "4月から11月までの分"),
				leave, chromedp.Click(row+`//button[@type='submit']`), nextPage(`/requests$`))
			wantFlash(t, ctx, "媒体管理簿.pdf")
			cell := evalString(t, ctx, fmt.Sprintf(`document.evaluate(%q, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue.innerText`, row))
			sum := sha256.Sum256(pdfBody)
			for _, want := range []string{"媒体管理簿.pdf", fmt.Sprintf("%x", sum[:6]), "戸籍住民課", "4月から11月までの分"} {
				if !strings.Contains(cell, want) {
					t.Errorf("request row lacks %s:\n%s", want, cell)
				}
			}
			if strings.Contains(cell, "未提出") {
				t.Errorf("request still 未提出 after the upload:\n%s", cell)
			}
			shot(t, ctx, "audit-requests-auditee")
		}},
		{"consultant reads the document and moves the audit to 実施", func(t *testing.T) {
			ctx := consultant
			step(t, ctx, "requests", chromedp.Navigate(fmt.Sprintf("%s/audit/%s/requests", base, id)), chromedp.WaitVisible(chromedp.CSS("main h1")))
			href := evalString(t, ctx, `[...document.querySelectorAll('main a[href*="/evidence/"]')].find(a => a.textContent.trim() === '媒体管理簿.pdf').href`)
			if got := fetch(t, sessionClient(t, ctx, base), href, "application/pdf"); !bytes.Equal(got, pdfBody) {
				t.Errorf("the document read back differs from the one handed in (%d bytes, want %d)", len(got), len(pdfBody))
			}
			step(t, ctx, "overview", chromedp.Navigate(fmt.Sprintf("%s/audit/%s", base, id)), chromedp.WaitVisible(chromedp.CSS("main h1")))
			advance(t, ctx, "説明会")
			advance(t, ctx, "実施")
		}},
		{"auditor judges items on a tablet and writes a finding", func(t *testing.T) {
			ctx := auditor
			step(t, ctx, "tablet", chromedp.EmulateViewport(820, 1180))
			open(t, ctx, "auditor")
			step(t, ctx, "fieldwork", leave, tab("/fieldwork"), nextPage(`/fieldwork$`))
			if l := mainText(t, ctx); !strings.Contains(l, "判定済み") || !strings.Contains(l, "未判定") {
				t.Errorf("fieldwork list:\n%s", truncate(l, 1500))
			}
			step(t, ctx, "first item", leave, chromedp.Click(chromedp.CSS(`main table a[href*="/items/"]`)), nextPage(`/items/\d+$`))
			first := evalString(t, ctx, `location.pathname`)
			// ○ with notes: saved as it is typed.
			step(t, ctx, "judge ○",
				chromedp.Click(chromedp.CSS(`input[name=judgement][value=conform]`)),
				chromedp.SendKeys(chromedp.CSS("#fw-notes"), okNotes),
				saved)
			// × by the keyboard (3), notes, and the 保存 button.
			step(t, ctx, "next item", leave, chromedp.Click(chromedp.CSS(`a[data-nav=next]`)), nextPage(`/items/\d+$`))
			code := strings.TrimSpace(strings.Fields(text(t, ctx, "main h2"))[0])
			step(t, ctx, "judge × by key",
				chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`),
				chromedp.KeyEvent("3"),
				chromedp.Poll[chromedp.Void](`document.querySelector('input[name=judgement][value=nonconform]').checked`, chromedp.WithPollingTimeout(5*time.Second)),
				chromedp.SendKeys(chromedp.CSS("#fw-notes"), ngNotes),
				chromedp.Click(chromedp.CSS(`#item-form .fw-savebar button[type=submit]:not([name])`)),
				saved)
			shot(t, ctx, "audit-item-tablet")
			// Both are stored: the × item reloaded, the ○ item reached
			// again with 「前の項目」, then back to the × item.
			stored := func(what, judgement, notes string) {
				t.Helper()
				got := evalString(t, ctx, `(document.querySelector('input[name=judgement]:checked') || {value: ''}).value + '|' + document.querySelector('#fw-notes').value + '|' + document.querySelector('input[name=status]:checked').value`)
				if want := judgement + "|" + notes + "|doing"; got != want {
					t.Errorf("%s: %q, want %q", what, got, want)
				}
			}
			step(t, ctx, "reload", leave, chromedp.Reload(), nextPage(`/items/\d+$`))
			stored("× item after reloading", "nonconform", ngNotes)
			step(t, ctx, "previous item", leave, chromedp.Click(chromedp.CSS(`a[data-nav=prev]`)), nextPage(`/items/\d+$`))
			if p := evalString(t, ctx, `location.pathname`); p != first {
				t.Errorf("「前の項目」 went to %s, want %s", p, first)
			}
			stored("○ item opened again", "conform", okNotes)
			// The finding, drafted from the × item.
			step(t, ctx, "× item", leave, chromedp.Click(chromedp.CSS(`a[data-nav=next]`)), nextPage(`/items/\d+$`))
			step(t, ctx, "draft finding", leave, chromedp.Click(chromedp.CSS(`a[href*="/findings/new?item="]`)), nextPage(`/findings/new$`))
			if got := evalString(t, ctx, `document.querySelector('input[name=type]:checked').value + '|' + document.querySelector('#item_codes').value + '|' + document.querySelector('#condition').value`); got != "finding|"+code+"|"+ngNotes {
				t.Errorf("finding form drafted from %s: %q", code, got)
			}
			findingTitle = evalString(t, ctx, `document.querySelector('#title').value`)
			step(t, ctx, "register finding",
				chromedp.SendKeys(chromedp.CSS("#cause"), "月末点検の担当と手順が決まっていなかった。"),
				chromedp.SendKeys(chromedp.CSS("#effect"), "媒体の紛失に気付くのが遅れ、情報の漏えいにつながるおそれがある。"),
				chromedp.SendKeys(chromedp.CSS("#recommendation"), recommend),
				chromedp.SendKeys(chromedp.CSS("#due"), due),
				leave, chromedp.Click(chromedp.CSS(`main form[action$="/findings"] button[type=submit]`)), nextPage(`/findings/\d+$`))
			wantFlash(t, ctx, "指摘事項等を登録しました")
			findingID = evalString(t, ctx, `location.pathname.split('/').pop()`)
			// The team's page of a finding is its form, until the report is
			// final; the finding is in the improvement register.
			if got := evalString(t, ctx, `['#title', '#item_codes', '#condition', '#recommendation'].map(s => document.querySelector(s).value).join('|')`); got != strings.Join([]string{findingTitle, code, ngNotes, recommend}, "|") {
				t.Errorf("finding as stored: %q", got)
			}
			if page := mainText(t, ctx); !strings.Contains(page, "指摘事項1") || !strings.Contains(page, "改善措置台帳：No.") {
				t.Errorf("finding page:\n%s", truncate(page, 2000))
			}
		}},
		{"consultant records a witness point", func(t *testing.T) {
			ctx := consultant
			step(t, ctx, "overview", chromedp.Navigate(fmt.Sprintf("%s/audit/%s", base, id)), chromedp.WaitVisible(chromedp.CSS("main h1")))
			step(t, ctx, "witness record", leave, tab("/witness"), nextPage(`/witness$`))
			step(t, ctx, "record",
				choose(`#rating_progress`, 0, "良好", true),
				chromedp.SendKeys(chromedp.CSS("#comment_progress"), witnessNote),
				chromedp.SendKeys(chromedp.CSS("#advice_progress"), "終了時刻までに確認できなかった項目の扱いを、講評の前に被監査所属と取り決めるとよい。"),
				leave, chromedp.Click(chromedp.CSS(`main form[action$="/witness"] button[type=submit]`)), nextPage(`/witness$`))
			wantFlash(t, ctx)
			if got := evalString(t, ctx, `document.querySelector('#rating_progress').selectedOptions[0].text.trim() + '|' + document.querySelector('#comment_progress').value`); got != "良好|"+witnessNote {
				t.Errorf("witness point after saving: %q", got)
			}
			if l := mainText(t, ctx); !strings.Contains(l, "記録した観点 1 /") {
				t.Errorf("witness page does not count the point:\n%s", truncate(l, 800))
			}
		}},
		{"auditor finalises the report and downloads it", func(t *testing.T) {
			ctx := auditor
			step(t, ctx, "full width", chromedp.EmulateViewport(1280, 900))
			step(t, ctx, "overview", chromedp.Navigate(fmt.Sprintf("%s/audit/%s", base, id)), chromedp.WaitVisible(chromedp.CSS("main h1")))
			advance(t, ctx, "報告")
			step(t, ctx, "report", leave, tab("/report"), nextPage(`/report$`))
			step(t, ctx, "write",
				chromedp.SendKeys(chromedp.CSS("#summary"), summary),
				chromedp.SendKeys(chromedp.CSS("#opinion"), opinion),
				leave, chromedp.Click(chromedp.CSS(`main form[action$="/report"] button[type=submit]`)), nextPage(`/report$`))
			wantFlash(t, ctx)
			step(t, ctx, "to review", leave, chromedp.Click(`//form[contains(@action,'/report/state')][.//input[@name='to' and @value='review']]//button`), nextPage(`/report$`))
			wantFlash(t, ctx)
			// Most items are not judged in this short journey: the quality
			// checks say so, and the lead confirms them to finalise.
			step(t, ctx, "finalise",
				chromedp.Evaluate[chromedp.Void](`(document.querySelector('form[action$="/report/state"] input[name=confirm]') || {click() {}}).click()`),
				leave, chromedp.Click(`//form[contains(@action,'/report/state')][.//input[@name='to' and @value='final']]//button`), nextPage(`/report$`))
			wantFlash(t, ctx)
			status := text(t, ctx, "main .report-status")
			if !strings.Contains(status, "確定") || !strings.Contains(status, "第1版") {
				t.Errorf("report status after finalising: %q", status)
			}
			page := mainText(t, ctx)
			for _, want := range []string{summary, opinion, findingTitle, ngNotes} {
				if !strings.Contains(page, want) {
					t.Errorf("final report page lacks %s", want)
				}
			}
			shot(t, ctx, "audit-report-final")
			href := evalString(t, ctx, `[...document.querySelectorAll('main a')].find(a => a.textContent.trim() === '監査報告書（PDF）').href`)
			pdf := squash(pdfText(t, fetch(t, sessionClient(t, ctx, base), href, "application/pdf")))
			for _, want := range []string{"監査報告書", "戸籍住民課", findingTitle, ngNotes, recommend, summary} {
				if !strings.Contains(pdf, squash(want)) {
					t.Errorf("監査報告書 PDF lacks %s:\n%s", want, truncate(pdf, 3000))
				}
			}
			step(t, ctx, "overview", chromedp.Navigate(fmt.Sprintf("%s/audit/%s", base, id)), chromedp.WaitVisible(chromedp.CSS("main h1")))
			advance(t, ctx, "フォローアップ")
		}},
		{"auditee submits an improvement plan", func(t *testing.T) {
			ctx := auditee
			open(t, ctx, "auditee")
			step(t, ctx, "findings", leave, tab("/findings"), nextPage(`/findings$`))
			step(t, ctx, "the finding", leave,
				chromedp.Click(fmt.Sprintf(`//main//table//a[normalize-space(.)='%s']`, findingTitle)), nextPage(`/findings/\d+$`))
			if page := mainText(t, ctx); !strings.Contains(page, ngNotes) || !strings.Contains(page, recommend) {
				t.Errorf("auditee's finding page:\n%s", truncate(page, 2000))
			}
			step(t, ctx, "follow-up", leave, chromedp.Click(`//main//a[normalize-space(.)='フォローアップの画面へ']`), nextPage(`/followup$`))
			card := fmt.Sprintf("#f%s", findingID)
			step(t, ctx, "plan",
				chromedp.SendKeys(chromedp.CSS("#plan_action_"+findingID), planText),
				chromedp.SendKeys(chromedp.CSS("#plan_owner_"+findingID), "戸籍住民課 庶務係長"),
				chromedp.SendKeys(chromedp.CSS("#plan_due_"+findingID), due),
				leave, chromedp.Click(chromedp.CSS(card+` form[action$="/plan"] button[type=submit]`)), nextPage(`/followup$`))
			wantFlash(t, ctx, "改善計画を保存しました")
			if c := text(t, ctx, card); !strings.Contains(c, planText) || !strings.Contains(c, "戸籍住民課 庶務係長") || !strings.Contains(c, "まだ確認していません") {
				t.Errorf("follow-up card after the plan:\n%s", c)
			}
		}},
		{"auditor verifies the improvement", func(t *testing.T) {
			ctx := auditor
			step(t, ctx, "finding", chromedp.Navigate(fmt.Sprintf("%s/audit/%s/findings/%s", base, id, findingID)), chromedp.WaitVisible(chromedp.CSS("main h1")))
			step(t, ctx, "follow-up", leave, chromedp.Click(`//main//a[normalize-space(.)='フォローアップの画面へ']`), nextPage(`/followup$`))
			card := fmt.Sprintf("#f%s", findingID)
			if c := text(t, ctx, card); !strings.Contains(c, planText) {
				t.Errorf("auditor does not see the plan:\n%s", c)
			}
			step(t, ctx, "verdict",
				chromedp.Click(chromedp.CSS(card+" details summary")),
				chromedp.Click(chromedp.CSS(card+` input[name=method][value=document]`)),
				chromedp.Click(chromedp.CSS(card+` input[name=verdict][value=improved]`)),
				chromedp.SendKeys(chromedp.CSS("#followup_comment_"+findingID), verdictNote),
				leave, chromedp.Click(chromedp.CSS(card+` form[action$="/followup"] button[type=submit]`)), nextPage(`/followup$`))
			wantFlash(t, ctx)
			if c := text(t, ctx, card); !strings.Contains(c, "改善済（書類調査") || !strings.Contains(c, verdictNote) {
				t.Errorf("follow-up card after the verdict:\n%s", c)
			}
			if l := mainText(t, ctx); !strings.Contains(l, "改善済 1 件") {
				t.Errorf("follow-up counts:\n%s", truncate(l, 1500))
			}
			shot(t, ctx, "audit-followup")
			step(t, ctx, "finding again", chromedp.Navigate(fmt.Sprintf("%s/audit/%s/findings/%s", base, id, findingID)), chromedp.WaitVisible(chromedp.CSS("main h1")))
			if p := mainText(t, ctx); !strings.Contains(p, "確認結果") || !strings.Contains(p, "改善済") {
				t.Errorf("finding page does not show the verdict:\n%s", truncate(p, 2000))
			}
			// The auditee sees it too.
			step(t, auditee, "auditee follow-up", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(card)))
			if c := text(t, auditee, card); !strings.Contains(c, "改善済") {
				t.Errorf("auditee's follow-up card:\n%s", c)
			}
		}},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			t.Fatalf("the journey stops at %q", s.name)
		}
	}
}

// leave marks the page shown, so that nextPage can tell the page that
// answers a click from the one left behind (a refused form comes back on
// the same path).
var leave = chromedp.Evaluate[chromedp.Void](`document.documentElement.dataset.e2eLeft = "1"`)

// nextPage waits for the page after leave, whose path must match pathRe,
// loaded with its scripts (the fieldwork page's autosave and keys) and its
// heading shown.
func nextPage(pathRe string) chromedp.Action[chromedp.Void] {
	re := regexp.MustCompile(pathRe)
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		last := ""
		for {
			p, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState !== 'complete' || document.documentElement.dataset.e2eLeft ? '' : location.pathname`))
			if err == nil && p != "" {
				last = p
				if re.MatchString(p) {
					return chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("main h1")))
				}
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("never reached %s (at %s)", pathRe, last)
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

// saved waits until the fieldwork item's form says it is saved and this
// browser's outbox holds nothing unsent.
var saved = chromedp.Poll[chromedp.Void](`!localStorage.getItem('mamori.fieldwork.outbox') &&
	document.querySelector('[data-save-state]').textContent.includes('保存しました')`, chromedp.WithPollingTimeout(15*time.Second))

// choose picks, in the n-th select matching sel, the option whose label is
// label (exact) or contains it, as a user's choice does (change event).
func choose(sel string, n int, label string, exact bool) chromedp.Action[chromedp.Void] {
	q, _ := json.Marshal(sel)
	l, _ := json.Marshal(label)
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const s = document.querySelectorAll(%s)[%d];
		if (!s) throw new Error('no select ' + %s);
		const o = [...s.options].find(o => %t ? o.text.trim() === %s : o.text.includes(%s));
		if (!o) throw new Error('no option ' + %s + ' in ' + %s);
		s.value = o.value;
		s.dispatchEvent(new Event('change', {bubbles: true}));
	})()`, q, n, q, exact, l, l, l, q))
}

// advance moves the engagement shown to the next phase with its button
// and checks the message.
func advance(t *testing.T, ctx context.Context, to string) {
	t.Helper()
	step(t, ctx, "advance to "+to, leave,
		chromedp.Click(fmt.Sprintf(`//form[contains(@action,'/phase')]//button[normalize-space(.)='「%s」へ進める']`, to)), nextPage(`^/audit/\d+$`))
	wantFlash(t, ctx, "「"+to+"」へ進めました")
	if p := text(t, ctx, "main p.muted"); !strings.Contains(p, "工程： "+to) && !strings.Contains(p, "工程："+to) {
		t.Errorf("phase after advancing to %s: %q", to, p)
	}
}

// wantFlash checks that the page says the change was made (the green
// message), with the texts given.
func wantFlash(t *testing.T, ctx context.Context, texts ...string) {
	t.Helper()
	msg := evalString(t, ctx, `(document.querySelector('.alert-ok[role=status]') || {textContent: ''}).textContent.trim()`)
	if msg == "" {
		t.Fatalf("no success message; the page says:\n%s", truncate(mainText(t, ctx), 1500))
	}
	for _, want := range texts {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}

// mainText is the visible text of the page's main part.
func mainText(t *testing.T, ctx context.Context) string {
	t.Helper()
	return evalString(t, ctx, `document.querySelector('main').innerText`)
}

// squash removes white space, so that text wrapped by a PDF's lines or a
// page's layout compares with the text typed.
func squash(s string) string {
	return strings.Join(strings.Fields(s), "")
}

// samplePDF is a one-page PDF of a line of text (ASCII): the smallest
// real PDF, as a department hands in a scanned register.
func samplePDF(line string) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(s string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), s)
	}
	b.WriteString("%PDF-1.4\n")
	content := fmt.Sprintf("BT /F1 14 Tf 72 760 Td (%s) Tj ET", line)
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>")
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}
