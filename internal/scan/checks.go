package scan

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"mamori/internal/database"
	"mamori/internal/module"
	"mamori/internal/scan/finding"
	"mamori/internal/scan/probe"
)

// maxRangeHosts is how many addresses of one range the built-in TCP check
// tries; larger ranges are the scanners' work.
const maxRangeHosts = 256

// Step is one built-in check of a run: a TLS handshake series, an HTTP
// request or a TCP connect sweep.
type Step struct {
	Kind   string // tls, http, tcp
	Host   string
	Port   int
	URL    string
	Ports  []int
	Follow bool // a host entry: after the TCP sweep, check TLS and HTTP on its open web ports
}

// Target is the step's target in one line.
func (s Step) Target() string {
	switch s.Kind {
	case "http":
		return s.URL
	case "tls":
		return s.Host + ":" + strconv.Itoa(s.Port)
	}
	return s.Host
}

// PlanSteps are the checks of a plan's allow-list: a URL gets an HTTP
// check (and a TLS check for https), a host or address a TCP sweep of the
// plan's ports followed by TLS and HTTP on its open web ports, a range a
// TCP sweep of each address (the first 256).
func PlanSteps(p Plan) ([]Step, []string) {
	var steps []Step
	var notes []string
	for _, line := range p.TargetLines() {
		if i := strings.IndexAny(line, " \t#"); i > 0 {
			line = strings.TrimSpace(line[:i])
		}
		if u, err := url.Parse(line); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
			steps = append(steps, Step{Kind: "http", URL: line, Host: u.Hostname()})
			if u.Scheme == "https" {
				port := 443
				if n, err := strconv.Atoi(u.Port()); err == nil {
					port = n
				}
				steps = append(steps, Step{Kind: "tls", Host: u.Hostname(), Port: port})
			}
			continue
		}
		if pfx, err := netip.ParsePrefix(line); err == nil && pfx.Bits() < pfx.Addr().BitLen() {
			n := 0
			for a := pfx.Masked().Addr(); pfx.Contains(a); a = a.Next() {
				if n == maxRangeHosts {
					notes = append(notes, fmt.Sprintf("範囲 %s は先頭の %d アドレスだけを確認しました（広い範囲はスキャナの結果を取り込んでください）。", line, maxRangeHosts))
					break
				}
				steps = append(steps, Step{Kind: "tcp", Host: a.String(), Ports: p.Ports})
				n++
			}
			continue
		}
		steps = append(steps, Step{Kind: "tcp", Host: line, Ports: p.Ports, Follow: true})
	}
	return steps, notes
}

// CheckOptions adjust a run (tests trust their own CA and resolve names).
type CheckOptions struct {
	RootCAs *x509.CertPool
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	Sleep   func(ctx context.Context, d time.Duration) error
}

// CheckRun is one recorded check of a run.
type CheckRun struct {
	ID       int64
	Kind     string
	Target   string
	Summary  string
	Error    string
	Started  time.Time
	Finished time.Time
}

// StartedLabel is when the check started, in 和暦.
func (c CheckRun) StartedLabel() string { return stamp(c.Started) }

// KindLabel names the check.
func (c CheckRun) KindLabel() string { return SourceLabel(c.Kind) }

type collected struct {
	run      CheckRun
	report   string
	findings []finding.Finding
	scope    string
}

// RunChecks runs the plan's built-in checks now: within the plan's window,
// against its allow-list, at its rate, stopping at the abort switch. The
// checks run first; their findings are then applied in one short
// transaction, so that nothing waits for the network. progress reports
// the steps done.
func (s *Store) RunChecks(ctx context.Context, e module.AuditEngagement, by string, opt CheckOptions, progress func(done, total int, msg string)) (Outcome, error) {
	p, err := s.PlanOf(ctx, e.ID)
	if err != nil {
		return Outcome{}, err
	}
	if why := p.CheckReady(s.now()); why != "" {
		_ = s.log.Record(ctx, "scan.check_refused", fmt.Sprintf("audit_engagement:%d", e.ID), e.Code+" の組込み検査を拒否："+why)
		return Outcome{}, &RefusedError{Msg: why}
	}
	scope, err := p.Scope()
	if err != nil {
		return Outcome{}, &RefusedError{Msg: "許可リストを読めません：" + err.Error()}
	}
	var connections atomic.Int64
	ck, err := probe.New(probe.Options{Scope: scope, Start: p.Start, End: p.End, Now: s.now, Rate: float64(p.Rate), Profile: p.Profile,
		RootCAs: opt.RootCAs, Resolve: opt.Resolve, Sleep: opt.Sleep,
		Abort:     func() bool { return s.aborted(context.WithoutCancel(ctx), p.ID) },
		OnConnect: func(string) { connections.Add(1) }})
	if err != nil {
		return Outcome{}, &RefusedError{Msg: err.Error()}
	}
	steps, notes := PlanSteps(p)
	if err := s.log.Record(ctx, "scan.check_start", fmt.Sprintf("audit_engagement:%d", e.ID),
		fmt.Sprintf("%s の組込み検査を開始（%d 件の確認、上限 毎秒 %d 接続、時間帯 %s）", e.Code, len(steps), p.Rate, p.WindowLabel())); err != nil {
		return Outcome{}, err
	}
	var done []collected
	var stop error
	total := len(steps)
	for i := 0; i < len(steps); i++ {
		st := steps[i]
		if progress != nil {
			progress(i, total, SourceLabel(st.Kind)+" "+st.Target())
		}
		c := collected{run: CheckRun{Kind: st.Kind, Target: st.Target(), Started: s.now()}}
		var rep any
		var fs []finding.Finding
		var err error
		switch st.Kind {
		case "tls":
			var r probe.TLSReport
			r, fs, err = ck.TLS(ctx, st.Host, st.Port)
			rep, c.scope = r, st.Host+":"+strconv.Itoa(st.Port)
			c.run.Summary = tlsSummary(r)
		case "http":
			var r probe.HTTPReport
			r, fs, err = ck.HTTP(ctx, st.URL)
			rep, c.scope = r, st.URL
			c.run.Summary = httpSummary(r)
		case "tcp":
			var r probe.TCPReport
			r, fs, err = ck.TCP(ctx, st.Host, st.Ports)
			rep, c.scope = r, st.Host
			open := openPorts(r)
			c.run.Summary = fmt.Sprintf("%d ポート中 開放 %d（%s）", len(st.Ports), len(open), portsText(open))
			if err == nil && st.Follow {
				follow := followSteps(st.Host, open)
				steps = append(steps[:i+1], append(follow, steps[i+1:]...)...)
				total += len(follow)
			}
		}
		c.run.Finished = s.now()
		if b, jerr := json.Marshal(rep); jerr == nil {
			c.report = string(b)
		}
		if err != nil {
			c.run.Error = err.Error()
			c.scope = "" // nothing examined: close nothing there
			if errors.Is(err, probe.ErrOutsideWindow) || errors.Is(err, probe.ErrAborted) || errors.Is(err, probe.ErrOutOfScope) && st.Kind != "http" ||
				ctx.Err() != nil {
				stop = err
			}
		} else {
			c.findings = fs
		}
		done = append(done, c)
		_ = s.log.Record(ctx, "scan.check", fmt.Sprintf("audit_engagement:%d", e.ID),
			fmt.Sprintf("%s：%s %s を確認（%s）", e.Code, SourceLabel(st.Kind), c.run.Target, orText(c.run.Error, c.run.Summary)))
		if stop != nil {
			break
		}
	}
	if progress != nil {
		progress(total, total, "結果を記録しています")
	}
	out, err := s.applyChecks(context.WithoutCancel(ctx), e, done, notes, by, connections.Load(), stop)
	if err != nil {
		return out, err
	}
	if stop != nil {
		return out, &RefusedError{Msg: "検証を途中で止めました：" + stop.Error(), Partial: true}
	}
	return out, nil
}

// RefusedError is a run the plan did not allow, or one stopped midway
// (Partial: what ran before is recorded).
type RefusedError struct {
	Msg     string
	Partial bool
}

func (e *RefusedError) Error() string { return e.Msg }

func followSteps(host string, open []int) []Step {
	var out []Step
	for _, p := range open {
		switch p {
		case 443, 8443:
			out = append(out, Step{Kind: "tls", Host: host, Port: p})
			u := "https://" + hostPort(host, p, 443) + "/"
			out = append(out, Step{Kind: "http", Host: host, URL: u})
		case 80, 8080:
			u := "http://" + hostPort(host, p, 80) + "/"
			out = append(out, Step{Kind: "http", Host: host, URL: u})
		}
	}
	return out
}

func hostPort(host string, port, def int) string {
	h := host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	if port == def {
		return h
	}
	return h + ":" + strconv.Itoa(port)
}

func portsText(ps []int) string {
	if len(ps) == 0 {
		return "なし"
	}
	var s []string
	for _, p := range ps {
		s = append(s, strconv.Itoa(p))
	}
	return strings.Join(s, ", ")
}

func tlsSummary(r probe.TLSReport) string {
	if len(r.Versions) == 0 {
		return "TLS の応答なし"
	}
	return strings.Join(r.Versions, "・") + "、" + r.Grade
}

func httpSummary(r probe.HTTPReport) string {
	s := fmt.Sprintf("応答 %d", r.Status)
	if r.RedirectTo != "" {
		s += "、転送先 " + r.RedirectTo
	}
	return s
}

// applyChecks records the run and merges its findings in one transaction.
func (s *Store) applyChecks(ctx context.Context, e module.AuditEngagement, done []collected, notes []string, by string, connections int64, stop error) (Outcome, error) {
	var out Outcome
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		p, err := s.PlanOf(ctx, e.ID)
		if err != nil {
			return err
		}
		if err := s.db.LockRow(ctx, "scan_plans", p.ID); err != nil {
			return err
		}
		detail := fmt.Sprintf("確認 %d 件、接続 %d 回", len(done), connections)
		if len(notes) > 0 {
			detail += "。" + strings.Join(notes, " ")
		}
		if stop != nil {
			detail += "。途中で停止：" + stop.Error()
		}
		now := database.T(s.now())
		importID, err := s.db.InsertID(ctx, `INSERT INTO scan_imports (plan_id, kind, format, filename, scanner, targets, state, detail, created_by_name, created_at)
			VALUES (?, 'check', 'check', '', 'Mamori 組込み検査', ?, 'applied', ?, ?, ?)`, p.ID, len(done), detail, by, now)
		if err != nil {
			return fmt.Errorf("scan.applyChecks: %w", err)
		}
		m, err := s.newMerger(ctx, p.ID, []string{"tls", "http", "tcp"}, e, true)
		if err != nil {
			return err
		}
		m.importID, m.by = importID, by
		for _, c := range done {
			if c.scope != "" {
				m.cover(c.run.Kind, c.scope)
			}
			for _, f := range c.findings {
				if err := m.add(ctx, f); err != nil {
					return err
				}
			}
			if _, err := s.db.Exec(ctx, `INSERT INTO scan_checks (plan_id, import_id, kind, target, report, error, started_at, finished_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, p.ID, importID, c.run.Kind, c.run.Target, c.report, c.run.Error,
				database.FormatTime(c.run.Started), database.FormatTime(c.run.Finished)); err != nil {
				return err
			}
		}
		if err := m.finish(ctx); err != nil {
			return err
		}
		m.out.ImportID = importID
		out = *m.out
		if _, err := s.db.Exec(ctx, `UPDATE scan_imports SET findings = ?, new_count = ?, still_count = ?, gone_count = ?, reopened_count = ? WHERE id = ?`,
			out.Read, out.New, out.Still, out.Gone, out.Reopened, importID); err != nil {
			return err
		}
		return s.log.Record(ctx, "scan.check_done", fmt.Sprintf("audit_engagement:%d", e.ID),
			fmt.Sprintf("%s の組込み検査を記録（%s。検出 %d 件：新規 %d、継続 %d、解消 %d、再発 %d）", e.Code, detail, out.Read, out.New, out.Still, out.Gone, out.Reopened))
	})
	return out, err
}

// CheckRuns lists a plan's recorded checks, newest first.
func (s *Store) CheckRuns(ctx context.Context, planID int64, limit int) ([]CheckRun, error) {
	rows, err := s.db.Query(ctx, "SELECT id, kind, target, report, error, started_at, finished_at FROM scan_checks WHERE plan_id = ? ORDER BY id DESC LIMIT "+
		strconv.Itoa(limit), planID)
	if err != nil {
		return nil, fmt.Errorf("scan.CheckRuns: %w", err)
	}
	defer rows.Close()
	var out []CheckRun
	for rows.Next() {
		var c CheckRun
		var report, st, fin string
		if err := rows.Scan(&c.ID, &c.Kind, &c.Target, &report, &c.Error, &st, &fin); err != nil {
			return nil, err
		}
		c.Started, c.Finished = database.ParseTime(st), database.ParseTime(fin)
		c.Summary = reportSummary(c.Kind, report)
		out = append(out, c)
	}
	return out, rows.Err()
}

func reportSummary(kind, report string) string {
	switch kind {
	case "tls":
		var r probe.TLSReport
		if json.Unmarshal([]byte(report), &r) == nil {
			return tlsSummary(r)
		}
	case "http":
		var r probe.HTTPReport
		if json.Unmarshal([]byte(report), &r) == nil {
			return httpSummary(r)
		}
	case "tcp":
		var r probe.TCPReport
		if json.Unmarshal([]byte(report), &r) == nil {
			return fmt.Sprintf("%d ポート中 開放 %d（%s）", len(r.Ports), len(openPorts(r)), portsText(openPorts(r)))
		}
	}
	return ""
}

func openPorts(r probe.TCPReport) []int {
	var out []int
	for _, p := range r.Ports {
		if p.State == probe.StateOpen {
			out = append(out, p.Port)
		}
	}
	return out
}
