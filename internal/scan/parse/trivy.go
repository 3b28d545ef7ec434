package parse

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"mamori/internal/scan/finding"
)

type trivyVuln struct {
	VulnerabilityID  string
	PkgName          string
	PkgID            string
	PkgPath          string
	InstalledVersion string
	FixedVersion     string
	Status           string
	Severity         string
	Title            string
	Description      string
	PrimaryURL       string
	CweIDs           []string
	CVSS             map[string]struct {
		V3Score float64
	}
}

type trivyMisconf struct {
	Type          string
	ID            string
	AVDID         string
	Title         string
	Description   string
	Message       string
	Resolution    string
	Severity      string
	Status        string
	PrimaryURL    string
	CauseMetadata struct {
		StartLine int
		EndLine   int
	}
}

// trivySecret deliberately has no Match and no Code fields: they hold
// (masked) secret text, which must never be stored.
type trivySecret struct {
	RuleID    string
	Category  string
	Severity  string
	Title     string
	StartLine int
	EndLine   int
}

type trivyParser struct {
	j   *jsonReader
	s   *sink
	sum *Summary
}

func parseTrivy(r io.Reader, s *sink, sum *Summary) error {
	j := newJSONReader(r, Trivy)
	p := &trivyParser{j: j, s: s, sum: sum}
	t, err := j.first()
	if err != nil {
		return err
	}
	sum.Scanner = "Trivy"
	switch t {
	case json.Delim('{'):
		seen := false
		err := j.object(func(key string) error {
			switch key {
			case "SchemaVersion":
				seen = true
				var v json.Number
				return j.decode(&v)
			case "ArtifactName", "ArtifactType":
				seen = true
				var v string
				return j.decode(&v)
			case "CreatedAt":
				var v string
				if err := j.decode(&v); err != nil {
					return err
				}
				sum.Finished = parseTime(v)
				return nil
			case "Trivy":
				var v struct{ Version string }
				if err := j.decode(&v); err != nil {
					return err
				}
				sum.ScannerVersion = v.Version
				return nil
			case "Results":
				seen = true
				return j.array("Results", func() error { return p.result(false) })
			}
			return j.skip()
		})
		if err != nil {
			return err
		}
		if !seen {
			return j.notFormat("SchemaVersion・ArtifactName・Results のいずれもありません")
		}
	case json.Delim('['):
		// Schema 1 (Trivy before 0.20): an array of results.
		for j.dec.More() {
			if err := p.result(true); err != nil {
				return err
			}
		}
		if _, err := j.tok(); err != nil {
			return err
		}
	default:
		return j.notFormat("JSON のオブジェクトではありません")
	}
	return nil
}

// result reads one element of Results. Findings are emitted as they are
// read once Target is known; those read before it are held until the end
// of the element (Trivy writes Target first).
func (p *trivyParser) result(v1 bool) error {
	j := p.j
	ok, err := j.openObject("Results")
	if err != nil || !ok {
		return err
	}
	p.sum.Targets++
	target, haveTarget, seen := "", false, false
	var pending []func(target string) error
	add := func(fn func(target string) error) error {
		if haveTarget {
			return fn(target)
		}
		if p.s.n+len(pending) >= p.s.max {
			return p.s.tooMany()
		}
		pending = append(pending, fn)
		return nil
	}
	err = j.object(func(key string) error {
		switch key {
		case "Target":
			seen = true
			if err := j.decode(&target); err != nil {
				return err
			}
			haveTarget = true
			for _, fn := range pending {
				if err := fn(target); err != nil {
					return err
				}
			}
			pending = nil
			return nil
		case "Vulnerabilities":
			seen = true
			return j.array("Vulnerabilities", func() error {
				line := j.line()
				var v trivyVuln
				if err := j.decode(&v); err != nil {
					return err
				}
				return add(func(target string) error { return p.vuln(target, &v, line) })
			})
		case "Misconfigurations":
			seen = true
			return j.array("Misconfigurations", func() error {
				line := j.line()
				var m trivyMisconf
				if err := j.decode(&m); err != nil {
					return err
				}
				return add(func(target string) error { return p.misconf(target, &m, line) })
			})
		case "Secrets":
			seen = true
			return j.array("Secrets", func() error {
				line := j.line()
				var sec trivySecret
				if err := j.decode(&sec); err != nil {
					return err
				}
				return add(func(target string) error { return p.secret(target, &sec, line) })
			})
		}
		return j.skip()
	})
	if err != nil {
		return err
	}
	if v1 && !seen {
		return j.notFormat("配列の要素に Target がありません")
	}
	for _, fn := range pending {
		if err := fn(target); err != nil {
			return err
		}
	}
	return nil
}

// severity reads Trivy's severity; UNKNOWN (or anything unreadable)
// falls back to the CVSS score.
func trivySeverity(s string, cvss float64) finding.Severity {
	if !strings.EqualFold(strings.TrimSpace(s), "unknown") {
		if sv, ok := finding.ParseSeverity(s); ok {
			return sv
		}
	}
	return finding.FromCVSS(cvss)
}

func (p *trivyParser) vuln(target string, v *trivyVuln, line int) error {
	id := strings.TrimSpace(v.VulnerabilityID)
	pkg := strings.TrimSpace(v.PkgName)
	if id == "" && strings.TrimSpace(v.Title) == "" {
		return &Error{Format: Trivy, Line: line, Msg: msgNoTitle}
	}
	if id == "" {
		id = strings.TrimSpace(v.Title)
	}
	cvss := 0.0
	for _, c := range v.CVSS {
		if sc := cleanScore(c.V3Score); sc > cvss {
			cvss = sc
		}
	}
	what := strings.TrimSpace(pkg + " " + strings.TrimSpace(v.InstalledVersion))
	title := id
	if what != "" {
		title += "（" + what + "）"
	}
	if t := strings.TrimSpace(v.Title); t != "" {
		title += "：" + t
	}
	f := finding.Finding{
		Key:          "trivy|" + target + "|" + pkg + "|" + id,
		Title:        title,
		Severity:     trivySeverity(v.Severity, cvss),
		CVSS:         cvss,
		Component:    pkg,
		Version:      strings.TrimSpace(v.InstalledVersion),
		FixedVersion: strings.TrimSpace(v.FixedVersion),
		File:         strings.TrimSpace(v.PkgPath),
		Area:         finding.AreaVulnerability,
	}
	if c := strings.ToUpper(cveRe.FindString(id)); c != "" && strings.HasPrefix(strings.ToUpper(id), "CVE-") {
		f.CVE = []string{c}
	}
	for _, c := range v.CweIDs {
		if n := normCWE(c); n != "" {
			f.CWE = append(f.CWE, n)
		}
	}
	var desc []string
	if t := strings.TrimSpace(v.Title); t != "" {
		desc = append(desc, t)
	}
	if d := strings.TrimSpace(v.Description); d != "" {
		desc = append(desc, d)
	}
	if target != "" {
		desc = append(desc, "対象："+target)
	}
	if u := strings.TrimSpace(v.PrimaryURL); u != "" {
		desc = append(desc, "参考："+u)
	}
	f.Description = strings.Join(desc, "\n")
	name := orDefault(pkg, "該当パッケージ")
	switch {
	case f.FixedVersion != "":
		f.Remedy = fmt.Sprintf("%s を %s 以上に更新してください。", name, f.FixedVersion)
	case strings.EqualFold(v.Status, "will_not_fix"):
		f.Remedy = "ベンダーはこの脆弱性を修正しない方針です。影響を受ける機能を使っていないか確認し、代替のパッケージへの置き換えや緩和策を検討してください。"
	case strings.EqualFold(v.Status, "end_of_life"):
		f.Remedy = "このバージョンはサポートが終了しており、修正版は提供されません。サポートされているバージョンへ移行してください。"
	default:
		f.Remedy = "修正版は未公開です。ベンダーの情報を確認して修正版が公開されたら更新し、それまでは影響を受ける機能を使わない、到達経路を限定するなどの緩和策を検討してください。"
	}
	ev := []string{}
	if v.PkgID != "" {
		ev = append(ev, "パッケージ："+strings.TrimSpace(v.PkgID))
	}
	if v.Status != "" {
		ev = append(ev, "状態："+strings.TrimSpace(v.Status))
	}
	if v.Severity != "" {
		ev = append(ev, "Trivy の重大度："+strings.TrimSpace(v.Severity))
	}
	f.Evidence = strings.Join(ev, "、")
	return p.s.put(f)
}

func (p *trivyParser) misconf(target string, m *trivyMisconf, line int) error {
	if st := strings.TrimSpace(m.Status); st != "" && !strings.EqualFold(st, "FAIL") {
		return nil
	}
	id := strings.TrimSpace(m.ID)
	if id == "" {
		id = strings.TrimSpace(m.AVDID)
	}
	title := strings.TrimSpace(m.Title)
	if id == "" && title == "" {
		return &Error{Format: Trivy, Line: line, Msg: msgNoTitle}
	}
	if id == "" {
		id = title
	}
	full := id
	if title != "" && title != id {
		full += "：" + title
	}
	f := finding.Finding{
		Key:      "trivy|" + target + "|" + id,
		Title:    full,
		Severity: trivySeverity(m.Severity, 0),
		File:     target,
		Line:     max(m.CauseMetadata.StartLine, 0),
		Area:     finding.AreaConfig,
		Remedy:   strings.TrimSpace(m.Resolution),
		Evidence: strings.TrimSpace(m.Message),
	}
	var desc []string
	if d := strings.TrimSpace(m.Description); d != "" {
		desc = append(desc, d)
	}
	if t := strings.TrimSpace(m.Type); t != "" {
		desc = append(desc, "検査の種類："+t)
	}
	if u := strings.TrimSpace(m.PrimaryURL); u != "" {
		desc = append(desc, "参考："+u)
	}
	f.Description = strings.Join(desc, "\n")
	if f.Remedy == "" {
		f.Remedy = "設定を見直し、指摘された項目を修正してください。"
	}
	return p.s.put(f)
}

func (p *trivyParser) secret(target string, sec *trivySecret, line int) error {
	rule := strings.TrimSpace(sec.RuleID)
	title := strings.TrimSpace(sec.Title)
	if rule == "" && title == "" {
		return &Error{Format: Trivy, Line: line, Msg: msgNoTitle}
	}
	if rule == "" {
		rule = title
	}
	if title == "" {
		title = rule
	}
	startLine := max(sec.StartLine, 0)
	f := finding.Finding{
		Key:      "trivy|" + target + "|" + rule + "|" + strconv.Itoa(startLine),
		Title:    "秘密情報の埋め込み：" + title,
		Severity: trivySeverity(sec.Severity, 0),
		File:     target,
		Line:     startLine,
		Area:     finding.AreaSecret,
		Description: fmt.Sprintf("%s に秘密情報（%s）とみられる文字列が含まれています。ファイルやイメージを入手した第三者に悪用されるおそれがあります。",
			orDefault(target, "ファイル"), title),
		Remedy:   "埋め込まれた認証情報をファイルから削除し、環境変数やシークレット管理の仕組みに移してください。漏えいした可能性があるため、その認証情報は直ちに無効化（ローテーション）し、リポジトリやイメージの履歴からも削除してください。",
		Evidence: "カテゴリ：" + orDefault(strings.TrimSpace(sec.Category), "不明") + "、ルール：" + rule,
	}
	return p.s.put(f)
}
