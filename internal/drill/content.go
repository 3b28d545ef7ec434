package drill

import (
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"mamori/content"
)

// The content the module reads: the citizen-service registry and the
// scenario templates (content/drill, see its README.md).

// System is an information system a scenario can take down.
type System struct {
	ID      int64  `yaml:"-" json:"-"`
	Code    string `yaml:"code" json:"code"`
	Name    string `yaml:"name" json:"name"`
	Segment string `yaml:"segment" json:"segment"`
	Owner   string `yaml:"owner" json:"owner"`
	Note    string `yaml:"note" json:"note"`
}

// Counter is where a service is given.
type Counter struct {
	Department string `yaml:"department" json:"department"`
	Place      string `yaml:"place" json:"place"`
}

// Service is a citizen service and what it needs.
type Service struct {
	ID        int64     `yaml:"-" json:"-"`
	Code      string    `yaml:"code" json:"code"`
	Name      string    `yaml:"name" json:"name"`
	Systems   []string  `yaml:"systems" json:"systems"`
	Counters  []Counter `yaml:"counters" json:"counters"`
	Residents string    `yaml:"residents" json:"residents"`
	Daily     int       `yaml:"daily" json:"daily"`
	Fallback  string    `yaml:"fallback" json:"fallback"`
	Steps     []string  `yaml:"steps" json:"steps"`
	Notice    string    `yaml:"notice" json:"notice"`
}

// Registry is the citizen-service impact model.
type Registry struct {
	Systems  []System  `yaml:"systems"`
	Services []Service `yaml:"services"`
}

// System returns the system of code.
func (r *Registry) System(code string) (System, bool) {
	i := slices.IndexFunc(r.Systems, func(s System) bool { return s.Code == code })
	if i < 0 {
		return System{}, false
	}
	return r.Systems[i], true
}

// Impact is one service a set of stopped systems stops.
type Impact struct {
	Service Service
	Because []System // the stopped systems it needs
}

// Impacts are the services that stop when systems stop, in registry order.
func (r *Registry) Impacts(systems []string) []Impact {
	var out []Impact
	for _, s := range r.Services {
		var because []System
		for _, c := range s.Systems {
			if slices.Contains(systems, c) {
				if sys, ok := r.System(c); ok {
					because = append(because, sys)
				}
			}
		}
		if len(because) > 0 {
			out = append(out, Impact{Service: s, Because: because})
		}
	}
	return out
}

// Team is a group of players that receives its own injects.
type Team struct {
	Key     string `yaml:"key" json:"key"`
	Label   string `yaml:"label" json:"label"`
	Default string `yaml:"default" json:"default"` // a department's name; "" for the drill's department
}

// Objective is what the drill tests, with its critical tasks.
type Objective struct {
	Key    string   `yaml:"key" json:"key"`
	Title  string   `yaml:"title" json:"title"`
	Clause string   `yaml:"clause" json:"clause"`
	Tasks  []string `yaml:"tasks" json:"tasks"`
}

// Attachment is a document an inject carries (a ransom note, the
// suspicious e-mail, a newspaper's question), given as its text.
type Attachment struct {
	Name string `yaml:"name" json:"name"`
	Text string `yaml:"text" json:"text"`
}

// InjectSpec is an inject of a scenario.
type InjectSpec struct {
	Offset      int          `yaml:"offset" json:"offset"` // minutes from the start
	Persona     string       `yaml:"persona" json:"persona"`
	From        string       `yaml:"from" json:"from"`
	Team        string       `yaml:"team" json:"team"`
	Channel     string       `yaml:"channel" json:"channel"`
	Subject     string       `yaml:"subject" json:"subject"`
	Body        string       `yaml:"body" json:"body"`
	Expected    string       `yaml:"expected" json:"expected"`
	Objective   string       `yaml:"objective" json:"objective"`
	Attachments []Attachment `yaml:"attachments" json:"attachments,omitempty"`
}

// Module is a phase of a scenario.
type ScenarioModule struct {
	Title     string       `yaml:"title" json:"title"`
	Narrative string       `yaml:"narrative" json:"narrative"`
	Questions []string     `yaml:"questions" json:"questions"`
	Injects   []InjectSpec `yaml:"injects" json:"injects"`
}

// Scenario is a scenario template (or a drill's frozen copy of one).
type Scenario struct {
	Code            string           `yaml:"code" json:"code"`
	Title           string           `yaml:"title" json:"title"`
	Threat          string           `yaml:"threat" json:"threat"`
	Severity        string           `yaml:"severity" json:"severity"`
	Format          string           `yaml:"format" json:"format"`
	Minutes         int              `yaml:"minutes" json:"minutes"`
	Summary         string           `yaml:"summary" json:"summary"`
	Systems         []string         `yaml:"systems" json:"systems"`
	Clauses         []string         `yaml:"clauses" json:"clauses"`
	Teams           []Team           `yaml:"teams" json:"teams"`
	Objectives      []Objective      `yaml:"objectives" json:"objectives"`
	Modules         []ScenarioModule `yaml:"modules" json:"modules"`
	ControllerNotes string           `yaml:"controller_notes" json:"controller_notes"`
}

// Objective returns the objective of key.
func (s *Scenario) Objective(key string) (Objective, bool) {
	i := slices.IndexFunc(s.Objectives, func(o Objective) bool { return o.Key == key })
	if i < 0 {
		return Objective{}, false
	}
	return s.Objectives[i], true
}

// Team returns the team of key.
func (s *Scenario) Team(key string) (Team, bool) {
	i := slices.IndexFunc(s.Teams, func(t Team) bool { return t.Key == key })
	if i < 0 {
		return Team{}, false
	}
	return s.Teams[i], true
}

// Threats are the scenario threats offered.
var Threats = []string{"ランサムウェア", "標的型メール", "誤送信", "USB紛失", "委託先からの漏えい", "窓口システム停止", "大規模災害時の情報持出し", "不正アクセス", "その他"}

// Formats are the kinds of drill.
var Formats = []string{"机上訓練", "実動訓練"}

var (
	scenarioCodeRe = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,39}$`)
	keyRe          = regexp.MustCompile(`^[a-zA-Z0-9_]{1,20}$`)
)

// ScenarioErrors lists what is wrong with a scenario, in Japanese.
type ScenarioErrors []string

func (e ScenarioErrors) Error() string { return strings.Join(e, " ") }

// ParseScenario reads a scenario in YAML and checks it against the
// registry (every system it stops must be registered).
func ParseScenario(b []byte, reg *Registry) (*Scenario, error) {
	if len(b) > 512<<10 {
		return nil, ScenarioErrors{"シナリオが大きすぎます（512KB まで）。"}
	}
	if !utf8.Valid(b) {
		return nil, ScenarioErrors{"シナリオは UTF-8 の文字で書いてください。"}
	}
	var s Scenario
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, ScenarioErrors{"YAML として読めません：" + yamlMessage(err)}
	}
	return &s, s.Check(reg)
}

// yamlMessage shortens a decoder error to its line and message.
func yamlMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.ReplaceAll(msg, "unmarshal errors:\n  ", "")
	msg = strings.ReplaceAll(msg, "field ", "項目 ")
	msg = strings.ReplaceAll(msg, " not found in type drill.", " はありません（型 ")
	return strings.ReplaceAll(msg, "line ", "行 ")
}

// Check reports every problem of a scenario.
func (s *Scenario) Check(reg *Registry) error {
	var e ScenarioErrors
	add := func(f string, a ...any) { e = append(e, fmt.Sprintf(f, a...)) }
	if !scenarioCodeRe.MatchString(s.Code) {
		add("code「%s」は、英大文字・数字・ハイフンの2～40文字で書いてください（例：RANSOM-JUKI）。", s.Code)
	}
	if t := strings.TrimSpace(s.Title); t == "" || utf8.RuneCountInString(t) > 200 {
		add("title（題名）を200文字以内で書いてください。")
	}
	if !slices.Contains(Threats, s.Threat) {
		add("threat「%s」は次のいずれかです：%s。", s.Threat, strings.Join(Threats, "、"))
	}
	if s.Format != "" && !slices.Contains(Formats, s.Format) {
		add("format「%s」は 机上訓練 か 実動訓練 です。", s.Format)
	}
	if s.Minutes < 0 || s.Minutes > 600 {
		add("minutes（所要時間）は 0～600 分です。")
	}
	for _, c := range s.Systems {
		if reg == nil {
			break
		}
		if _, ok := reg.System(c); !ok {
			add("systems のシステム「%s」は区民サービス影響モデルに登録されていません（先に登録するか、登録済みのコードを使ってください）。", c)
		}
	}
	teams := map[string]bool{}
	for i, t := range s.Teams {
		if !keyRe.MatchString(t.Key) || teams[t.Key] {
			add("teams の %d 番目：key「%s」が空か、重なっています。", i+1, t.Key)
		}
		teams[t.Key] = true
		if strings.TrimSpace(t.Label) == "" {
			add("teams の %d 番目：label（チームの名前）を書いてください。", i+1)
		}
	}
	if !teams["lead"] {
		add("teams に key「lead」（所管課）のチームを置いてください。")
	}
	objs := map[string]bool{}
	for i, o := range s.Objectives {
		if !keyRe.MatchString(o.Key) || objs[o.Key] {
			add("objectives の %d 番目：key「%s」が空か、重なっています。", i+1, o.Key)
		}
		objs[o.Key] = true
		if strings.TrimSpace(o.Title) == "" {
			add("objectives の %d 番目：title（訓練目標）を書いてください。", i+1)
		}
	}
	if len(s.Objectives) == 0 {
		add("objectives（訓練目標）を一つ以上書いてください。")
	}
	if len(s.Modules) == 0 {
		add("modules（場面）を一つ以上書いてください。")
	}
	n := 0
	for i, m := range s.Modules {
		if strings.TrimSpace(m.Title) == "" {
			add("modules の %d 番目：title を書いてください。", i+1)
		}
		last := -1
		for j, in := range m.Injects {
			n++
			where := fmt.Sprintf("場面%d の状況付与 %d", i+1, j+1)
			if in.Offset < 0 || in.Offset > 24*60 {
				add("%s：offset（開始からの分）は 0～1440 です。", where)
			}
			if in.Offset < last {
				add("%s：offset が前の状況付与より早くなっています。", where)
			}
			last = in.Offset
			if !teams[in.Team] {
				add("%s：team「%s」は teams にありません。", where, in.Team)
			}
			if in.Objective != "" && !objs[in.Objective] {
				add("%s：objective「%s」は objectives にありません。", where, in.Objective)
			}
			if strings.TrimSpace(in.Body) == "" {
				add("%s：body（本文）を書いてください。", where)
			}
			for k, a := range in.Attachments {
				if strings.TrimSpace(a.Name) == "" || runes(a.Name) > 100 || strings.TrimSpace(a.Text) == "" || runes(a.Text) > 4000 {
					add("%s：添付 %d は name（100文字まで）と text（4,000文字まで）を書いてください。", where, k+1)
				}
			}
		}
	}
	if n > 200 {
		add("状況付与は200件までです。")
	}
	if len(e) > 0 {
		return e
	}
	return nil
}

// Builtin content, read from content/drill.

// BuiltinRegistry is the registry shipped in content/drill/registry.yaml.
func BuiltinRegistry() (*Registry, error) {
	b, err := fs.ReadFile(content.FS, "drill/registry.yaml")
	if err != nil {
		return nil, err
	}
	return ParseRegistry(b)
}

// ParseRegistry reads and checks a registry file.
func ParseRegistry(b []byte) (*Registry, error) {
	var r Registry
	if err := yaml.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("registry.yaml: %w", err)
	}
	var e ScenarioErrors
	sys := map[string]bool{}
	for _, s := range r.Systems {
		if !keyRe.MatchString(s.Code) || sys[s.Code] || s.Name == "" {
			e = append(e, fmt.Sprintf("システム「%s」：code が空か重なっているか、name がありません。", s.Code))
		}
		sys[s.Code] = true
	}
	svc := map[string]bool{}
	for _, s := range r.Services {
		if !keyRe.MatchString(s.Code) || svc[s.Code] || s.Name == "" {
			e = append(e, fmt.Sprintf("サービス「%s」：code が空か重なっているか、name がありません。", s.Code))
		}
		svc[s.Code] = true
		for _, c := range s.Systems {
			if !sys[c] {
				e = append(e, fmt.Sprintf("サービス「%s」：システム「%s」は systems にありません。", s.Name, c))
			}
		}
	}
	if len(e) > 0 {
		return nil, e
	}
	return &r, nil
}

// BuiltinScenarios are the scenario templates of content/drill/scenarios,
// as YAML by file name.
func BuiltinScenarios() (map[string][]byte, error) {
	names, err := fs.Glob(content.FS, "drill/scenarios/*.yaml")
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, n := range names {
		b, err := fs.ReadFile(content.FS, n)
		if err != nil {
			return nil, err
		}
		out[n] = b
	}
	return out, nil
}
