package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"mamori/content"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/scan/finding"
	"mamori/internal/scan/parse"
	"mamori/internal/scan/probe"
	"mamori/internal/web"
)

// The demo ward's technical verification (content/demo/scan): the
// resident-record system audit (on premises) has an approved plan, two
// Nmap scans two weeks apart (Apache updated, telnet stopped, a remote
// desktop port back after being closed, a new Tomcat port), a Trivy scan
// of its application server and recorded TLS/HTTP checks of its portal;
// the e-application service audit (cloud) has a Trivy scan of its
// container image, an Nmap scan of its two public ports and recorded
// checks of its public site. Findings are left in every state, replayed through the
// store on a moving clock dated back from the day the demo is made.

type recordedCheck struct {
	Engagement string          `json:"engagement"`
	Kind       string          `json:"kind"`
	Report     json.RawMessage `json:"report"`
}

// CreateDemo implements module.DemoMaker.
func (m *Module) CreateDemo(ctx context.Context, demo module.Demo) error {
	k, err := m.keeper()
	if err != nil {
		return nil // no audits in this deployment: nothing to attach to
	}
	es, err := k.AuditEngagements(ctx, 0)
	if err != nil {
		return err
	}
	var sys []module.AuditEngagement
	for _, e := range es {
		if e.System {
			full, err := k.AuditEngagement(ctx, e.ID)
			if err != nil {
				return err
			}
			sys = append(sys, full)
		}
	}
	if len(sys) < 2 {
		return nil
	}
	demo.Progress("技術的検証（情報システム監査2件）")
	var checks []recordedCheck
	b, err := fs.ReadFile(content.FS, "demo/scan/checks.json")
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &checks); err != nil {
		return fmt.Errorf("demo/scan/checks.json: %w", err)
	}
	now := m.store.now()
	day := func(d int, hour int) time.Time {
		t := now.In(jp.JST).AddDate(0, 0, d)
		return time.Date(t.Year(), t.Month(), t.Day(), hour, 0, 0, 0, jp.JST)
	}
	if err := m.demoJuki(ctx, k, sys[0], checks, day); err != nil {
		return fmt.Errorf("技術的検証 %s: %w", sys[0].Code, err)
	}
	if err := m.demoShinsei(ctx, sys[1], checks, day); err != nil {
		return fmt.Errorf("技術的検証 %s: %w", sys[1].Code, err)
	}
	return nil
}

// at is the store on a clock stopped at t.
func (m *Module) at(t time.Time) *Store {
	return &Store{db: m.store.db, log: m.store.log, now: func() time.Time { return t }}
}

func (m *Module) demoImport(ctx context.Context, s *Store, e module.AuditEngagement, file string, format parse.Format) error {
	data, err := fs.ReadFile(content.FS, "demo/scan/"+file)
	if err != nil {
		return err
	}
	_, err = s.ApplyImport(ctx, e, ImportInput{Format: format, Filename: file, Size: int64(len(data)),
		Open: func() (io.Reader, error) { return bytes.NewReader(data), nil }}, "支援事業者 情報システム監査チーム")
	return err
}

// demoChecks records the recorded check reports of one engagement.
func (m *Module) demoChecks(ctx context.Context, s *Store, e module.AuditEngagement, checks []recordedCheck, code string) error {
	var done []collected
	for _, c := range checks {
		if c.Engagement != code {
			continue
		}
		run := CheckRun{Kind: c.Kind, Started: s.now(), Finished: s.now().Add(40 * time.Second)}
		var fs []finding.Finding
		switch c.Kind {
		case "tls":
			var r probe.TLSReport
			if err := json.Unmarshal(c.Report, &r); err != nil {
				return err
			}
			fs, run.Target, run.Summary = r.Findings(), r.Host+":"+strconv.Itoa(r.Port), tlsSummary(r)
			done = append(done, collected{run: run, report: string(c.Report), findings: fs, scope: run.Target})
		case "http":
			var r probe.HTTPReport
			if err := json.Unmarshal(c.Report, &r); err != nil {
				return err
			}
			fs, run.Target, run.Summary = r.Findings(), r.URL, httpSummary(r)
			done = append(done, collected{run: run, report: string(c.Report), findings: fs, scope: r.URL})
		}
	}
	_, err := s.applyChecks(ctx, e, done, nil, "支援事業者 情報システム監査チーム", int64(len(done))*6, nil)
	return err
}

// demoStatus sets the status of the findings whose title and place
// contain the words.
func (m *Module) demoStatus(ctx context.Context, s *Store, e module.AuditEngagement, words []string, status, note string, until time.Time) error {
	p, err := s.PlanOf(ctx, e.ID)
	if err != nil {
		return err
	}
	fs, err := s.Findings(ctx, p.ID, Filter{})
	if err != nil {
		return err
	}
	n := 0
	for _, f := range fs {
		text := f.Title + " " + f.Where() + " " + strings.Join(f.CVE, " ")
		match := true
		for _, w := range words {
			match = match && strings.Contains(text, w)
		}
		if !match {
			continue
		}
		in := UpdateInput{Status: status, Note: note, ItemCodes: f.ItemCodes, Rev: f.Rev}
		if !until.IsZero() {
			in.AcceptUntil = jp.DateKey(until)
		}
		if err := s.UpdateFinding(ctx, e, f, in, "支援事業者 情報システム監査チーム"); err != nil {
			return fmt.Errorf("%s: %w", f.Title, err)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("検出事項「%s」が見つかりません", strings.Join(words, " "))
	}
	return nil
}

func (m *Module) demoJuki(ctx context.Context, k module.EngagementKeeper, e module.AuditEngagement, checks []recordedCheck, day func(int, int) time.Time) error {
	s := m.at(day(-22, 10))
	err := s.SavePlan(ctx, e, PlanInput{
		Targets: "10.10.20.16/28  # 住民記録システムのサーバ区画（業務・DB・連携・保守端末）\njuki-portal.city.example.lg.jp\nhttps://juki-portal.city.example.lg.jp/juki/login",
		Ports:   "", Start: day(-18, 9).Format("2006-01-02T15:04"), End: day(-2, 17).Format("2006-01-02T15:04"), Rate: "5", Profile: "recommended",
		Methods:    "支援事業者の監査人が、庁舎内の検証用端末（情報政策課が用意）から Nmap 7.94（TCP 接続スキャン、サービス検出、vulners スクリプト、毎秒20パケットまで）を実行し、結果の XML を取り込む。平日 9時〜17時に限り、窓口の繁忙時間（9時〜10時）はポートスキャンを行わない。ポータルの TLS・HTTP は Mamori の組込み検査で確認する。",
		ApprovedBy: "戸籍住民課長", ApprovedOn: jp.DateKey(day(-20, 9)),
		Emergency: "戸籍住民課 システム担当 内線2314／保守事業者 運用センター 03-5555-0123（平日 8時30分〜18時）",
		Notes:     "本番の住民記録システムが対象のため、スキャン中は保守事業者が監視画面で負荷を確認する。異常時は中止スイッチを入れ、上記に連絡する。"}, "支援事業者 情報システム監査チーム")
	if err != nil {
		return err
	}
	if err := m.demoImport(ctx, m.at(day(-17, 11)), e, "juki-20261117.xml", parse.Nmap); err != nil {
		return err
	}
	if err := m.demoChecks(ctx, m.at(day(-16, 14)), e, checks, "2026-SA-01"); err != nil {
		return err
	}
	if err := m.demoImport(ctx, m.at(day(-15, 16)), e, "juki-ap01-trivy.json", parse.Trivy); err != nil {
		return err
	}
	s = m.at(day(-10, 15))
	if err := m.demoStatus(ctx, s, e, []string{"23/tcp"}, StatusProgress, "連携サーバの telnet は旧システムからの名残。保守事業者が停止の作業日を調整中（12月第1週の定期保守で停止予定）。", time.Time{}); err != nil {
		return err
	}
	if err := m.demoStatus(ctx, s, e, []string{"3389/tcp"}, StatusFixed, "保守端末のリモートデスクトップは、保守作業の時だけファイアウォールで許可する運用に変更したと報告あり。", time.Time{}); err != nil {
		return err
	}
	if err := m.demoStatus(ctx, s, e, []string{"1521/tcp", "開放ポート"}, StatusAccepted,
		"Oracle のリスナーは業務サーバからの接続に限定するファイアウォールの規則を確認した。区画外からは到達しないため、次回の更改まで受容（判断：戸籍住民課長）。", day(150, 0)); err != nil {
		return err
	}
	if err := m.demoStatus(ctx, s, e, []string{"CVE-2023-48795"}, StatusFalse,
		"Ubuntu のパッケージ（3ubuntu0.4）で Terrapin 対策の修正が取り込まれていることを保守事業者の回答と changelog で確認。版数の表示だけによる誤検知。", time.Time{}); err != nil {
		return err
	}
	if err := m.demoImport(ctx, m.at(day(-3, 11)), e, "juki-20261201.xml", parse.Nmap); err != nil {
		return err
	}
	// One finding becomes an audit finding while the report is open.
	if e.ReportFinal {
		return nil
	}
	p, err := m.store.PlanOf(ctx, e.ID)
	if err != nil {
		return err
	}
	fs, err := m.store.Findings(ctx, p.ID, Filter{Source: "nmap", Status: StatusOpen})
	if err != nil {
		return err
	}
	var f Stored
	for _, x := range fs {
		if x.Port == 21 && strings.HasPrefix(x.Title, "開放ポート") {
			f = x // the FTP service of the batch server
		}
	}
	if f.ID == 0 {
		return fmt.Errorf("FTP の開放ポートが見つかりません")
	}
	u := &web.User{Role: web.RoleConsultant, DisplayName: "支援事業者 情報システム監査チーム"}
	return m.store.db.WithTx(ctx, func(ctx context.Context) error {
		label, link, err := k.ProposeFinding(ctx, u, e.ID, Proposal(f, e))
		if err != nil {
			return err
		}
		return m.at(day(-2, 16)).MarkProposed(ctx, e, f, label, link, "支援事業者 情報システム監査チーム")
	})
}

func (m *Module) demoShinsei(ctx context.Context, e module.AuditEngagement, checks []recordedCheck, day func(int, int) time.Time) error {
	err := m.at(day(-20, 10)).SavePlan(ctx, e, PlanInput{
		Targets: "https://shinsei.city.example.lg.jp/\nshinsei.city.example.lg.jp",
		Ports:   "80, 443", Start: day(-16, 9).Format("2006-01-02T15:04"), End: day(10, 17).Format("2006-01-02T15:04"), Rate: "2", Profile: "recommended",
		Methods:    "クラウド事業者の規約（事前の届出による脆弱性診断を許可）に沿って届け出た上で行う。コンテナイメージは運用事業者が Trivy で走査し、その JSON を監査人に提出する。公開サイトの TLS・HTTP は Mamori の組込み検査で確認し、ポートは 80・443 に限る。",
		ApprovedBy: "情報政策課長", ApprovedOn: jp.DateKey(day(-18, 9)),
		Emergency: "情報政策課 内線2101／運用事業者 ヘルプデスク 050-5555-0188（24時間）"}, "支援事業者 情報システム監査チーム")
	if err != nil {
		return err
	}
	if err := m.demoImport(ctx, m.at(day(-15, 10)), e, "shinsei-web-2.8.1-trivy.json", parse.Trivy); err != nil {
		return err
	}
	if err := m.demoImport(ctx, m.at(day(-15, 11)), e, "shinsei-20261119.xml", parse.Nmap); err != nil {
		return err
	}
	if err := m.demoChecks(ctx, m.at(day(-14, 14)), e, checks, "2026-SA-02"); err != nil {
		return err
	}
	s := m.at(day(-9, 16))
	if err := m.demoStatus(ctx, s, e, []string{"application-dev.yml"}, StatusProgress,
		"開発用の設定ファイルがイメージに含まれていた。運用事業者がキーを無効化し、イメージから除外した版を作成中。", time.Time{}); err != nil {
		return err
	}
	return m.demoStatus(ctx, s, e, []string{"CVE-2023-45853"}, StatusAccepted,
		"zlib の minizip（zip の作成）は本サービスで使っておらず、修正版も未提供。次のイメージ更新で再確認する（判断：情報政策課長）。", day(90, 0))
}
