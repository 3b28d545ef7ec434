package parse

import (
	"encoding/json"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"mamori/internal/scan/finding"
)

type sarifText struct {
	Text string `json:"text"`
}

// sarifProps holds the property bag entries Mamori reads; they are kept
// raw because producers disagree on their types.
type sarifProps struct {
	Tags             json.RawMessage `json:"tags"`
	SecuritySeverity json.RawMessage `json:"security-severity"`
}

type sarifRule struct {
	ID                   string    `json:"id"`
	Name                 string    `json:"name"`
	ShortDescription     sarifText `json:"shortDescription"`
	FullDescription      sarifText `json:"fullDescription"`
	Help                 sarifText `json:"help"`
	HelpURI              string    `json:"helpUri"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
	Properties    sarifProps `json:"properties"`
	Relationships []struct {
		Target struct {
			ID            string `json:"id"`
			ToolComponent struct {
				Name string `json:"name"`
			} `json:"toolComponent"`
		} `json:"target"`
	} `json:"relationships"`
	MessageStrings map[string]sarifText `json:"messageStrings"`
}

type sarifComponent struct {
	Name            string      `json:"name"`
	Version         string      `json:"version"`
	SemanticVersion string      `json:"semanticVersion"`
	Rules           []sarifRule `json:"rules"`
}

type sarifTool struct {
	Driver     sarifComponent   `json:"driver"`
	Extensions []sarifComponent `json:"extensions"`
}

type sarifResult struct {
	RuleID    string `json:"ruleId"`
	RuleIndex *int   `json:"ruleIndex"`
	Rule      *struct {
		ID            string `json:"id"`
		Index         *int   `json:"index"`
		ToolComponent *struct {
			Index *int `json:"index"`
		} `json:"toolComponent"`
	} `json:"rule"`
	Kind    string `json:"kind"`
	Level   string `json:"level"`
	Message struct {
		Text      string   `json:"text"`
		ID        string   `json:"id"`
		Arguments []string `json:"arguments"`
	} `json:"message"`
	Locations []struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region struct {
				StartLine int `json:"startLine"`
			} `json:"region"`
		} `json:"physicalLocation"`
	} `json:"locations"`
	Fingerprints        map[string]string `json:"fingerprints"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          sarifProps        `json:"properties"`
	Suppressions        []struct {
		Status string `json:"status"`
	} `json:"suppressions"`
	BaselineState string `json:"baselineState"`

	line int // where the result starts in the file
}

// sarifRun is what is known of the run being read.
type sarifRun struct {
	tool    *sarifTool
	byID    map[string]*sarifRule
	pending []*sarifResult // results read before the tool
}

func (r *sarifRun) setTool(t *sarifTool) {
	r.tool = t
	r.byID = map[string]*sarifRule{}
	add := func(c *sarifComponent) {
		for i := range c.Rules {
			if id := c.Rules[i].ID; id != "" {
				if _, dup := r.byID[id]; !dup {
					r.byID[id] = &c.Rules[i]
				}
			}
		}
	}
	add(&t.Driver)
	for i := range t.Extensions {
		add(&t.Extensions[i])
	}
}

// rule finds the rule of res: by index (in the driver, or in the
// extension the result names), checked against the id, else by id (or
// the id's part before '/', as SARIF's hierarchical ids allow).
func (r *sarifRun) rule(res *sarifResult, id string) *sarifRule {
	if r.tool == nil {
		return nil
	}
	comp := &r.tool.Driver
	idx := res.RuleIndex
	if res.Rule != nil {
		if res.Rule.Index != nil {
			idx = res.Rule.Index
		}
		if tc := res.Rule.ToolComponent; tc != nil && tc.Index != nil {
			if *tc.Index >= 0 && *tc.Index < len(r.tool.Extensions) {
				comp = &r.tool.Extensions[*tc.Index]
			} else {
				comp = nil
			}
		}
	}
	if comp != nil && idx != nil && *idx >= 0 && *idx < len(comp.Rules) {
		if ru := &comp.Rules[*idx]; id == "" || ru.ID == "" || ru.ID == id {
			return ru
		}
	}
	if ru := r.byID[id]; ru != nil {
		return ru
	}
	if head, _, ok := strings.Cut(id, "/"); ok {
		return r.byID[head]
	}
	return nil
}

type sarifParser struct {
	j   *jsonReader
	s   *sink
	sum *Summary
}

func parseSARIF(r io.Reader, s *sink, sum *Summary) error {
	j := newJSONReader(r, SARIF)
	t, err := j.first()
	if err != nil {
		return err
	}
	if t != json.Delim('{') {
		return j.notFormat("JSON のオブジェクトではありません")
	}
	p := &sarifParser{j: j, s: s, sum: sum}
	seenRuns := false
	version := ""
	err = j.object(func(key string) error {
		switch key {
		case "runs":
			seenRuns = true
			if version != "" && !strings.HasPrefix(version, "2.") {
				return j.notFormat("version が " + version + " です")
			}
			return j.array("runs", p.run)
		case "version":
			var v any
			if err := j.decode(&v); err != nil {
				return err
			}
			version = strings.TrimSpace(toString(v))
			return nil
		}
		return j.skip()
	})
	if err != nil {
		return err
	}
	if !seenRuns {
		return j.notFormat("runs がありません")
	}
	if version != "" && !strings.HasPrefix(version, "2.") {
		return j.notFormat("version が " + version + " です")
	}
	return nil
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}

func (p *sarifParser) run() error {
	j := p.j
	ok, err := j.openObject("runs")
	if err != nil || !ok {
		return err
	}
	p.sum.Targets++
	first := p.sum.Targets == 1
	run := &sarifRun{}
	err = j.object(func(key string) error {
		switch key {
		case "tool":
			var t sarifTool
			if err := j.decode(&t); err != nil {
				return err
			}
			run.setTool(&t)
			if first {
				p.sum.Scanner = strings.TrimSpace(t.Driver.Name)
				p.sum.ScannerVersion = strings.TrimSpace(orDefault(t.Driver.Version, t.Driver.SemanticVersion))
			}
			for _, res := range run.pending {
				if err := p.result(run, res); err != nil {
					return err
				}
			}
			run.pending = nil
			return nil
		case "results":
			return j.array("results", func() error {
				line := j.line()
				res := &sarifResult{}
				if err := j.decode(res); err != nil {
					return err
				}
				res.line = line
				if run.tool != nil {
					return p.result(run, res)
				}
				// The tool comes after the results (semgrep writes keys
				// in alphabetical order): hold the results until then.
				if p.s.n+len(run.pending) >= p.s.max {
					return p.s.tooMany()
				}
				res.Message.Text = finding.Cut(res.Message.Text, finding.MaxText)
				if len(res.Locations) > 1 {
					res.Locations = res.Locations[:1]
				}
				run.pending = append(run.pending, res)
				return nil
			})
		case "invocations":
			if !first {
				return j.skip()
			}
			var inv []struct {
				Start string `json:"startTimeUtc"`
				End   string `json:"endTimeUtc"`
			}
			if err := j.decode(&inv); err != nil {
				return err
			}
			if len(inv) > 0 {
				p.sum.Started = parseTime(inv[0].Start)
				p.sum.Finished = parseTime(inv[0].End)
			}
			return nil
		}
		return j.skip()
	})
	if err != nil {
		return err
	}
	for _, res := range run.pending { // a run without a tool
		if err := p.result(run, res); err != nil {
			return err
		}
	}
	return nil
}

var (
	mdLinkRe   = regexp.MustCompile(`\[([^\]]*)\]\(\d+\)`)
	placeRe    = regexp.MustCompile(`\{(\d+)\}`)
	levelToSev = map[string]finding.Severity{"error": finding.High, "warning": finding.Medium, "note": finding.Low, "none": finding.Info}
)

// messageText is the result's message with its arguments filled in and
// SARIF's embedded links ("[text](1)") reduced to their text.
func messageText(res *sarifResult, rule *sarifRule) string {
	text := res.Message.Text
	if text == "" && res.Message.ID != "" && rule != nil {
		text = rule.MessageStrings[res.Message.ID].Text
	}
	if len(res.Message.Arguments) > 0 {
		text = placeRe.ReplaceAllStringFunc(text, func(m string) string {
			n, err := strconv.Atoi(m[1 : len(m)-1])
			if err != nil || n >= len(res.Message.Arguments) {
				return m
			}
			return res.Message.Arguments[n]
		})
	}
	return strings.TrimSpace(mdLinkRe.ReplaceAllString(text, "$1"))
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

// score reads a security-severity value ("7.5" or 7.5).
func score(raw json.RawMessage) (float64, bool) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if s == "" {
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !(v >= 0 && v <= 10) {
		return 0, false
	}
	return v, true
}

func tags(raw json.RawMessage) []string {
	var t []string
	if len(raw) == 0 || json.Unmarshal(raw, &t) != nil {
		return nil
	}
	return t
}

// firstValue is the value of the alphabetically first key (maps have no
// order of their own, and the key must not change between imports).
func firstValue(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if strings.TrimSpace(v) != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	slices.Sort(keys)
	return strings.TrimSpace(m[keys[0]])
}

func (p *sarifParser) result(run *sarifRun, res *sarifResult) error {
	switch strings.ToLower(res.Kind) {
	case "pass", "notapplicable":
		return nil
	}
	for _, sp := range res.Suppressions {
		if st := strings.ToLower(sp.Status); st == "" || st == "accepted" {
			return nil // suppressed in the source or by the tool
		}
	}
	if strings.EqualFold(res.BaselineState, "absent") {
		return nil
	}
	id := strings.TrimSpace(res.RuleID)
	if id == "" && res.Rule != nil {
		id = strings.TrimSpace(res.Rule.ID)
	}
	rule := run.rule(res, id)
	if id == "" && rule != nil {
		id = strings.TrimSpace(rule.ID)
	}
	msg := messageText(res, rule)
	title := ""
	if rule != nil {
		for _, c := range []string{rule.ShortDescription.Text, rule.Name} {
			// Skip texts that only repeat the rule id (CodeQL's name,
			// semgrep's "Semgrep Finding: <id>"): the message says more.
			if c = strings.TrimSpace(c); c != "" && (id == "" || !strings.Contains(c, id)) {
				title = c
				break
			}
		}
	}
	if title == "" {
		title = firstLine(msg)
	}
	if title == "" && id == "" {
		return &Error{Format: SARIF, Line: res.line, Msg: msgNoTitle}
	}
	if title == "" {
		title = id
	}
	if id == "" {
		id = title
	}
	uri, startLine := "", 0
	if len(res.Locations) > 0 {
		pl := res.Locations[0].PhysicalLocation
		uri = strings.TrimSpace(pl.ArtifactLocation.URI)
		startLine = max(pl.Region.StartLine, 0)
	}
	fp := firstValue(res.Fingerprints)
	if fp == "" {
		fp = firstValue(res.PartialFingerprints)
	}
	if fp == "" {
		fp = strconv.Itoa(startLine)
	}
	toolName := ""
	if run.tool != nil {
		toolName = strings.TrimSpace(run.tool.Driver.Name)
	}
	f := finding.Finding{
		Key:   "sarif|" + toolName + "|" + id + "|" + uri + "|" + fp,
		Title: title,
		File:  uri,
		Line:  startLine,
		Area:  finding.AreaCode,
	}
	sc, hasScore := score(res.Properties.SecuritySeverity)
	if !hasScore && rule != nil {
		sc, hasScore = score(rule.Properties.SecuritySeverity)
	}
	level := strings.ToLower(strings.TrimSpace(res.Level))
	if level == "" && rule != nil {
		level = strings.ToLower(strings.TrimSpace(rule.DefaultConfiguration.Level))
	}
	if level == "" {
		level = "warning"
	}
	ev := []string{"ルール：" + id}
	if hasScore {
		f.Severity = finding.FromCVSS(sc)
		ev = append(ev, "security-severity "+strconv.FormatFloat(sc, 'f', -1, 64))
	} else if sv, ok := levelToSev[level]; ok {
		f.Severity = sv
	} else {
		f.Severity = finding.Medium
	}
	ev = append(ev, "level "+level)
	if toolName != "" {
		ev = append(ev, "ツール："+toolName)
	}
	f.Evidence = strings.Join(ev, "、")
	var tagList []string
	if rule != nil {
		tagList = append(tagList, tags(rule.Properties.Tags)...)
		for _, rel := range rule.Relationships {
			if strings.EqualFold(rel.Target.ToolComponent.Name, "CWE") {
				tagList = append(tagList, "CWE-"+strings.TrimSpace(rel.Target.ID))
			}
		}
	}
	tagList = append(tagList, tags(res.Properties.Tags)...)
	for _, t := range tagList {
		if c := normCWE(t); c != "" {
			f.CWE = append(f.CWE, c)
		}
	}
	var desc []string
	if msg != "" && msg != title {
		desc = append(desc, msg)
	}
	if rule != nil {
		if fd := strings.TrimSpace(rule.FullDescription.Text); fd != "" && fd != title && fd != msg {
			desc = append(desc, fd)
		}
	}
	f.Description = strings.Join(desc, "\n\n")
	if rule != nil {
		f.Remedy = strings.TrimSpace(rule.Help.Text)
		if f.Remedy == "" && rule.HelpURI != "" {
			f.Remedy = "ルールの説明（" + strings.TrimSpace(rule.HelpURI) + "）に従って、指摘箇所のコードを修正してください。"
		}
	}
	if f.Remedy == "" {
		f.Remedy = "指摘箇所のコードを確認し、ルールの説明に従って修正してください。"
	}
	return p.s.put(f)
}
