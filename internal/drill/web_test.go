package drill_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"mamori/internal/drill"
	"mamori/internal/jp"
	"mamori/internal/webtest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var linkRe = regexp.MustCompile(`<strong>([^<]+)</strong>（[^<]*）</p>[\s\S]*?/drill/play/([A-Za-z0-9_-]{20,})"`)

// docxText is the text of a .docx (its document part), for checking what a
// generated file says.
func docxText(t *testing.T, b []byte) string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a docx: %v", err)
	}
	for _, f := range z.File {
		if f.Name == "word/document.xml" {
			rc, _ := f.Open()
			x, _ := io.ReadAll(rc)
			rc.Close()
			return regexp.MustCompile(`<[^>]+>`).ReplaceAllString(string(x), "")
		}
	}
	t.Fatal("no word/document.xml")
	return ""
}

// TestDrillDay runs a drill on both databases: planned, participants and
// their one-time links, the start, an inject released on demand, a
// player's answer (replayed once), an evaluator's observation, the end,
// and the evaluation with an improvement action in the register — and the
// refusals: an answer before the start, another team's inject, an
// observation on another drill's inject, an inject released after the end,
// a link after its expiry, a player asking for the controller handbook.
func TestDrillDay(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		clk := &clock{t: time.Now()}
		s := webtest.Start(t, webtest.Options{Demo: true, DSN: dsn, Now: clk.Now})
		admin := s.As("admin")
		dept := s.ID("SELECT id FROM departments WHERE name = '戸籍住民課'")
		planned := clk.Now().In(jp.JST).Add(10 * time.Minute).Format("2006-01-02T15:04")

		// Bad input first: nothing is created.
		before := s.Count("SELECT COUNT(*) FROM drills")
		admin.Post("/drill", url.Values{"title": {""}, "department": {fmt.Sprint(dept)}, "scenario": {"NOPE"}, "planned": {"あした"}}).
			Want(http.StatusUnprocessableEntity, "訓練の名前を", "シナリオを選んでください", "実施日時を入力してください")
		if got := s.Count("SELECT COUNT(*) FROM drills"); got != before {
			t.Fatalf("a refused drill was stored (%d → %d)", before, got)
		}
		r := admin.Post("/drill", url.Values{"title": {"テスト訓練"}, "department": {fmt.Sprint(dept)}, "scenario": {"RANSOM-JUKI"}, "planned": {planned}, "location": {"第1会議室"}})
		r.Redirects("/drills/")
		id := s.ID("SELECT id FROM drills WHERE title = 'テスト訓練'")
		path := fmt.Sprintf("/drills/%d", id)
		admin.Get(path).Want(http.StatusOK, "住民票の写しの交付", "手作業での交付", "戸籍住民課")

		for _, p := range []url.Values{
			{"name": {"窓口 太郎"}, "role": {"player"}, "team": {"lead"}, "department": {fmt.Sprint(dept)}},
			{"name": {"情報 花子"}, "role": {"player"}, "team": {"csirt"}},
			{"name": {"評価 次郎"}, "role": {"evaluator"}},
		} {
			admin.Post(path+"/participants", p).Redirects(path)
		}
		admin.Post(path+"/participants", url.Values{"name": {"チームなし"}, "role": {"player"}, "team": {"nope"}}).
			Want(http.StatusUnprocessableEntity, "プレイヤーのチームを選んでください")
		page := admin.Post(path+"/links", url.Values{}).Want(http.StatusOK, "参加者用リンク", "data:image/png;base64,")
		tokens := map[string]string{}
		for _, m := range linkRe.FindAllStringSubmatch(page.Body, -1) {
			tokens[m[1]] = m[2]
		}
		if len(tokens) != 3 {
			t.Fatalf("links for %v, want three people", tokens)
		}
		if n := s.Count("SELECT COUNT(*) FROM drill_participants WHERE drill_id = ? AND token_hash <> ''", id); n != 3 {
			t.Fatalf("%d hashed links stored", n)
		}
		if s.Count("SELECT COUNT(*) FROM drill_participants WHERE token_hash = ?", tokens["窓口 太郎"]) != 0 {
			t.Fatal("a link is stored as typed, not hashed")
		}
		player, other, evaluator := s.Anonymous(), s.Anonymous(), s.Anonymous()
		pl, ot, ev := "/drill/play/"+tokens["窓口 太郎"], "/drill/play/"+tokens["情報 花子"], "/drill/play/"+tokens["評価 次郎"]
		player.Get(pl).Want(http.StatusOK, "通信確認ができました")
		if n := s.Count("SELECT COUNT(*) FROM drill_participants WHERE drill_id = ? AND checked_in_at <> ''", id); n != 1 {
			t.Fatalf("comcheck: %d checked in, want 1", n)
		}
		firstInject := func() int64 { return s.ID("SELECT MIN(id) FROM drill_injects WHERE drill_id = ?", id) }
		player.Post(pl+"/responses", url.Values{"inject": {"1"}, "body": {"早すぎる"}, "key": {"k-before-start-000001"}}).
			Want(http.StatusUnprocessableEntity, "まだ始まっていません")

		// The start: the scenario is frozen, injects laid out, the first released.
		admin.Post(path+"/start", url.Values{}).Redirects(path + "/console")
		if n := s.Count("SELECT COUNT(*) FROM drill_injects WHERE drill_id = ?", id); n < 10 {
			t.Fatalf("%d injects laid out", n)
		}
		admin.Get(path+"/console").Want(http.StatusOK, "今すぐ付与", "期待される対応")
		lead0 := firstInject()
		// Send now: the lead team's next inject and the CSIRT team's first.
		next := s.ID("SELECT MIN(id) FROM drill_injects WHERE drill_id = ? AND team_key = 'lead' AND released_at = ''", id)
		csirt := s.ID("SELECT MIN(id) FROM drill_injects WHERE drill_id = ? AND team_key = 'csirt'", id)
		for _, in := range []int64{next, csirt} {
			admin.Post(fmt.Sprintf("%s/injects/%d/release", path, in), url.Values{}).Redirects(path + "/console")
		}
		if n := s.Count("SELECT COUNT(*) FROM drill_injects WHERE id IN (?, ?) AND on_demand = TRUE AND released_at <> ''", next, csirt); n != 2 {
			t.Fatalf("%d injects released on demand", n)
		}
		var expected, subject, csirtSubject string
		if err := s.DB.QueryRow(t.Context(), "SELECT expected, subject FROM drill_injects WHERE id = ?", next).Scan(&expected, &subject); err != nil {
			t.Fatal(err)
		}
		if err := s.DB.QueryRow(t.Context(), "SELECT subject FROM drill_injects WHERE id = ?", csirt).Scan(&csirtSubject); err != nil {
			t.Fatal(err)
		}
		sc, err := drill.ParseScenario(mustScenario(t, s), nil)
		if err != nil {
			t.Fatal(err)
		}
		// A player sees their own team's injects and nothing of the controller's.
		pp := player.Get(pl).Want(http.StatusOK, subject)
		pp.Lacks(expected, csirtSubject, sc.ControllerNotes[:30], "期待される対応")
		other.Get(ot).Want(http.StatusOK, csirtSubject, "添付：各フォルダに置かれていた文書", "複製したデータを公開します").Lacks(subject)
		evaluator.Get(ev).Want(http.StatusOK, expected, subject, csirtSubject)

		// A player's answer, replayed: stored once.
		answer := url.Values{"inject": {fmt.Sprint(next)}, "body": {"窓口を受付票に切り替え、課長に報告します。"}, "key": {"answer-key-0000000001"}}
		player.Post(pl+"/responses", answer).Redirects(pl)
		player.Post(pl+"/responses", answer).Redirects(pl)
		if n := s.Count("SELECT COUNT(*) FROM drill_responses WHERE drill_id = ?", id); n != 1 {
			t.Fatalf("%d responses after a replay, want 1", n)
		}
		player.Post(pl+"/responses", url.Values{"inject": {fmt.Sprint(csirt)}, "body": {"他チーム"}, "key": {"answer-key-0000000002"}}).
			Want(http.StatusUnprocessableEntity, "あなたのチームあてではありません")
		player.Post(pl+"/observations", url.Values{"body": {"x"}, "kind": {"observation"}, "key": {"obs-key-00000000001"}}).Want(http.StatusForbidden)
		admin.Get(path+"/console").Want(http.StatusOK, "窓口を受付票に切り替え")

		// An evaluator's observation on a tablet link; one on another drill's inject is refused.
		foreign := s.ID("SELECT MIN(i.id) FROM drill_injects i JOIN drills d ON d.id = i.drill_id WHERE d.code = 'DR-R8-01'")
		obsBefore := s.Count("SELECT COUNT(*) FROM drill_observations")
		evaluator.Post(ev+"/observations", url.Values{"inject": {fmt.Sprint(foreign)}, "kind": {"observation"}, "body": {"よその訓練"}, "key": {"obs-key-00000000002"}}).
			Want(http.StatusUnprocessableEntity, "この状況付与は、この訓練のものではありません")
		admin.Post(path+"/observations", url.Values{"inject": {fmt.Sprint(foreign)}, "kind": {"advice"}, "body": {"よその訓練"}, "key": {"obs-key-00000000003"}}).
			Want(http.StatusUnprocessableEntity, "この状況付与は、この訓練のものではありません")
		if n := s.Count("SELECT COUNT(*) FROM drill_observations"); n != obsBefore {
			t.Fatalf("a refused observation was stored (%d → %d)", obsBefore, n)
		}
		evaluator.Post(ev+"/observations", url.Values{"inject": {fmt.Sprint(next)}, "objective": {"O2"}, "kind": {"observation"},
			"body": {"課長が3分で受付票への切替えを指示した。"}, "key": {"obs-key-00000000004"}}).Redirects(ev)

		// The player handbook through the link is the player's; the controller handbook is not for the link.
		hb := player.Download(pl+"/handbook?format=docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
		if txt := docxText(t, hb); !strings.Contains(txt, "場面と討議の問い") || strings.Contains(txt, expected) || strings.Contains(txt, "統制上の注意") {
			t.Errorf("the player handbook holds controller material, or is not the handbook: %.300s", txt)
		}
		r = player.Get(path + "/controller?format=pdf")
		if r.StatusCode == http.StatusOK || strings.HasPrefix(r.Header.Get("Content-Type"), "application/pdf") {
			t.Fatalf("a player link opened the controller handbook: %d", r.StatusCode)
		}
		s.As("staff").Get(path + "/controller?format=pdf").Want(http.StatusForbidden)

		// Pause and resume keep the clock; the end; nothing after it.
		admin.Post(path+"/pause", url.Values{}).Redirects(path)
		clk.Add(20 * time.Minute)
		admin.Post(path+"/resume", url.Values{}).Redirects(path)
		d, err := drill.NewStore(s.Deps()).Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if d.PausedSecs < 20*60 || d.Elapsed(clk.Now()) > 5*time.Minute {
			t.Errorf("a 20-minute pause: paused %d s, elapsed %s", d.PausedSecs, d.Elapsed(clk.Now()))
		}
		admin.Post(path+"/end", url.Values{}).Redirects(path)
		unreleased := s.ID("SELECT MAX(id) FROM drill_injects WHERE drill_id = ? AND released_at = ''", id)
		admin.Post(fmt.Sprintf("%s/injects/%d/release", path, unreleased), url.Values{}).Want(http.StatusConflict, "訓練は終了しています")
		if n := s.Count("SELECT COUNT(*) FROM drill_injects WHERE id = ? AND released_at <> ''", unreleased); n != 0 {
			t.Fatal("an inject was released after the end")
		}
		player.Post(pl+"/responses", url.Values{"inject": {fmt.Sprint(lead0)}, "body": {"終了後"}, "key": {"answer-key-0000000003"}}).
			Want(http.StatusUnprocessableEntity, "訓練は終了しています")
		player.Post(pl+"/feedback", url.Values{"feedback": {"受付票の様式が見つけにくかった。"}, "key": {"feedback-key-0000001"}}).Redirects(pl)

		// The evaluation: a rating needs its reason; an improvement goes to the register.
		admin.Post(path+"/ratings", url.Values{"objective": {"O2"}, "rating": {"S"}, "reason": {""}}).Want(http.StatusUnprocessableEntity, "評価の理由")
		admin.Post(path+"/ratings", url.Values{"objective": {"O2"}, "rating": {"S"}, "reason": {"切替えは早いが案内が遅れた"}}).Redirects(path + "/evaluation")
		admin.Post(path+"/improvements", url.Values{"objective": {"O2"}, "title": {"受付票の様式を窓口に常備する"}, "observation": {"様式を探すのに5分かかった"},
			"recommendation": {"窓口ごとに受付票を常備する"}, "owner": {fmt.Sprint(dept)}, "due": {"2027-03-31"}}).Redirects(path + "/evaluation")
		if n := s.Count("SELECT COUNT(*) FROM improvement_actions WHERE source = 'drill_evaluation' AND source_module = 'drill' AND title = '受付票の様式を窓口に常備する'"); n != 1 {
			t.Fatalf("the improvement is %d times on the register", n)
		}
		rep := admin.Download(path+"/report?format=docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
		txt := docxText(t, rep)
		for _, want := range []string{"課長が3分で受付票への切替えを指示した。", "切替えは早いが案内が遅れた", "受付票の様式を窓口に常備する", "受付票の様式が見つけにくかった。", "窓口を受付票に切り替え"} {
			if !strings.Contains(txt, want) {
				t.Errorf("the evaluation report lacks %q", want)
			}
		}
		if !strings.Contains(txt, "受付票の様式が見つけにくかった。（プレイヤー）") {
			t.Error("the evaluation report's feedback is not given by role alone")
		}

		// After the link's expiry it opens nothing.
		clk.Add(72 * time.Hour)
		player.Get(pl).Want(http.StatusNotFound, "有効期限が過ぎています")
		player.Post(pl+"/feedback", url.Values{"feedback": {"遅れて"}, "key": {"feedback-key-0000002"}}).Want(http.StatusNotFound)

		// Every change was audited.
		if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'drill.%' AND target = ?", fmt.Sprintf("drill:%d", id)); n < 10 {
			t.Errorf("%d audit entries for the drill", n)
		}
	})
}

func mustScenario(t *testing.T, s *webtest.Server) []byte {
	t.Helper()
	var body string
	if err := s.DB.QueryRow(t.Context(), "SELECT body FROM drill_scenarios WHERE code = 'RANSOM-JUKI'").Scan(&body); err != nil {
		t.Fatal(err)
	}
	return []byte(body)
}

// TestScenarioEditor: a scenario naming a system not in the registry, or
// broken YAML, is refused with the reason, and nothing changes; a right
// one is stored and a drill planned from it.
func TestScenarioEditor(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	admin := s.As("admin")
	admin.Get("/drill/scenarios").Want(http.StatusOK, "RANSOM-JUKI", "MISSEND-KODOMO", "SPEAR-PHISH", "USB-LOSS", "VENDOR-LEAK", "COUNTER-DOWN", "DISASTER-CARRY")
	before := s.Count("SELECT COUNT(*) FROM drill_scenarios")
	good := string(mustScenario(t, s))
	bad := strings.Replace(strings.Replace(good, "code: RANSOM-JUKI", "code: RANSOM-COPY", 1), "systems: [JUKI, CONVENI]", "systems: [JUKI, MAINFRAME]", 1)
	if bad == strings.Replace(good, "code: RANSOM-JUKI", "code: RANSOM-COPY", 1) {
		t.Fatal("the demo scenario's systems line changed; adjust the test")
	}
	admin.Post("/drill/scenarios", url.Values{"body": {bad}}).Want(http.StatusUnprocessableEntity, "システム「MAINFRAME」は区民サービス影響モデルに登録されていません")
	admin.Post("/drill/scenarios", url.Values{"body": {"code: X\n  title: [\n"}}).Want(http.StatusUnprocessableEntity, "YAML として読めません")
	admin.Post("/drill/scenarios", url.Values{"body": {good}}).Want(http.StatusUnprocessableEntity, "すでにあります")
	if n := s.Count("SELECT COUNT(*) FROM drill_scenarios"); n != before {
		t.Fatalf("a refused scenario was stored (%d → %d)", before, n)
	}
	copy := strings.Replace(good, "code: RANSOM-JUKI", "code: RANSOM-COPY", 1)
	admin.Post("/drill/scenarios", url.Values{"body": {copy}}).Redirects("/drill/scenarios/")
	id := s.ID("SELECT id FROM drill_scenarios WHERE code = 'RANSOM-COPY'")
	admin.Post(fmt.Sprintf("/drill/scenarios/%d", id), url.Values{"body": {strings.Replace(copy, "code: RANSOM-COPY", "code: OTHER", 1)}}).
		Want(http.StatusUnprocessableEntity, "code は変えられません")
	admin.Get(fmt.Sprintf("/drill/scenarios/%d", id)).Want(http.StatusOK, "住民票の写しの交付")
	s.As("auditee").Get(fmt.Sprintf("/drill/scenarios/%d", id)).Want(http.StatusForbidden)
}

// TestRegistryAndPlan: the impact of stopped systems, a registry edit, the
// annual plan's grid, and the registry offered to the incident register
// through the module interface.
func TestRegistryAndPlan(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	admin := s.As("admin")
	admin.Get("/drill/services?system=JUKI").Want(http.StatusOK, "の区民サービスが止まります", "住民票の写しの交付", "手作業での交付")
	admin.Get("/drill/services?system=NOPE").Want(http.StatusBadRequest, "登録されていません")
	admin.Post("/drill/services", url.Values{"code": {"JUMINHYO"}, "name": {"住民票の写しの交付"}, "systems": {"NOPE"}}).
		Want(http.StatusUnprocessableEntity, "システム「NOPE」は登録されていません")
	admin.Post("/drill/services", url.Values{"code": {"TEST_SVC"}, "name": {"試験のサービス"}, "systems": {"JUKI"}, "counters": {"戸籍住民課：1階\n壊れた行"}}).
		Want(http.StatusUnprocessableEntity, "窓口の 2 行目")
	admin.Post("/drill/services", url.Values{"code": {"TEST_SVC"}, "name": {"試験のサービス"}, "systems": {"JUKI"}, "counters": {"戸籍住民課：1階"},
		"daily": {"12"}, "fallback": {"後日郵送"}}).Redirects("/drill/services")
	admin.Get("/drill/services?system=JUKI").Want(http.StatusOK, "試験のサービス")
	fy := jp.FiscalYearOf(time.Now())
	admin.Get(fmt.Sprintf("/drill/plan?year=%d", fy)).Want(http.StatusOK, "所属 × 月（23 所属）", "戸籍住民課")
	admin.Post("/drill/plan/cells", url.Values{"year": {fmt.Sprint(fy)}, "department": {"999999"}, "month": {"13"}}).
		Want(http.StatusUnprocessableEntity, "所属を選んでください", "月を選んでください")
	inc := s.ID("SELECT MIN(id) FROM incidents")
	admin.Get(fmt.Sprintf("/incident/%d", inc)).Want(http.StatusOK, `list="citizen-services"`, "試験のサービス", "区民サービス影響モデル")
	s.As("auditee").Get("/drill").Want(http.StatusOK, "DR-R8-01").Lacks("DR-R8-02")
	s.As("staff").Get("/drill").Want(http.StatusForbidden)
}
