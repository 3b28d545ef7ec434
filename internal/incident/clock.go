package incident

import (
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"mamori/content"
	"mamori/internal/jp"
)

// The legal clock: which reports and notices an incident calls for and by
// when, computed from the aware-at time (認知日時) and the facts with the
// rules of content/incident/clock.yaml. The rules are data with their
// sources; each deadline names the rule that produced it.

// Rules is the rule file.
type Rules struct {
	Version string            `yaml:"version"`
	Sources map[string]string `yaml:"sources"`
	Facts   map[string]string `yaml:"facts"`
	Rules   []Rule            `yaml:"rules"`
}

// Rule is one report or notice.
type Rule struct {
	Key    string `yaml:"key"`
	Label  string `yaml:"label"`
	To     string `yaml:"to"`
	When   When   `yaml:"when"`
	From   string `yaml:"from"` // aware or closed
	Due    Due    `yaml:"due"`
	Source string `yaml:"source"` // "<sources key> <clause>"
}

// When is a rule's condition: every fact of All, at least one of Any (when
// Any is given) and none of None.
type When struct {
	All  []string `yaml:"all"`
	Any  []string `yaml:"any"`
	None []string `yaml:"none"`
}

// Due is how a rule's deadline is counted.
type Due struct {
	Hours   *int `yaml:"hours"`    // within N hours of the start (0: 直ちに)
	Days    int  `yaml:"days"`     // the start's date is day 1; due at the end of day N
	Roll    bool `yaml:"roll"`     // a due date on a closed day moves to the next open day
	SameDay bool `yaml:"same_day"` // within the start's date
	ASAP    int  `yaml:"asap"`     // 速やかに: day N shown as a guide, never overdue
	None    bool `yaml:"none"`     // no deadline: done or not
}

// Facts are what the rules test: named flags and the number of people.
type Facts struct {
	Flags   map[string]bool
	Persons int
}

func (f Facts) has(name string) bool {
	if n, ok := strings.CutPrefix(name, "persons>"); ok {
		v, err := strconv.Atoi(n)
		return err == nil && f.Persons > v
	}
	return f.Flags[name]
}

// Applies reports whether the condition holds for f.
func (w When) Applies(f Facts) bool {
	for _, n := range w.All {
		if !f.has(n) {
			return false
		}
	}
	for _, n := range w.None {
		if f.has(n) {
			return false
		}
	}
	if len(w.Any) == 0 {
		return true
	}
	return slices.ContainsFunc(w.Any, f.has)
}

var rules struct {
	once sync.Once
	r    *Rules
	err  error
}

// LoadRules reads the rule file (once) and checks it.
func LoadRules() (*Rules, error) {
	rules.once.Do(func() {
		b, err := fs.ReadFile(content.FS, "incident/clock.yaml")
		if err != nil {
			rules.err = err
			return
		}
		rules.r, rules.err = ParseRules(b)
	})
	return rules.r, rules.err
}

// ParseRules reads and checks a rule file: every fact, source and start
// named must be declared, and each rule must have exactly one kind of due.
func ParseRules(b []byte) (*Rules, error) {
	var r Rules
	if err := yaml.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("clock.yaml: %w", err)
	}
	var errs []string
	seen := map[string]bool{}
	for _, x := range r.Rules {
		if x.Key == "" || seen[x.Key] {
			errs = append(errs, fmt.Sprintf("規則 %q: key がないか重なっています", x.Key))
		}
		seen[x.Key] = true
		for _, n := range slices.Concat(x.When.All, x.When.Any, x.When.None) {
			if _, ok := r.Facts[n]; !ok && !strings.HasPrefix(n, "persons>") {
				errs = append(errs, fmt.Sprintf("規則 %s: 事実 %q は facts にありません", x.Key, n))
			}
		}
		if src, _, _ := strings.Cut(x.Source, " "); r.Sources[src] == "" {
			errs = append(errs, fmt.Sprintf("規則 %s: 根拠 %q は sources にありません", x.Key, src))
		}
		if x.From != "aware" && x.From != "closed" {
			errs = append(errs, fmt.Sprintf("規則 %s: from は aware か closed です", x.Key))
		}
		kinds := 0
		for _, b := range []bool{x.Due.Hours != nil, x.Due.Days > 0, x.Due.SameDay, x.Due.ASAP > 0, x.Due.None} {
			if b {
				kinds++
			}
		}
		if kinds != 1 {
			errs = append(errs, fmt.Sprintf("規則 %s: due は一つの書き方で指定してください", x.Key))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("clock.yaml: %s", strings.Join(errs, "; "))
	}
	return &r, nil
}

// Deadline is one report or notice an incident calls for.
type Deadline struct {
	Rule    Rule
	Source  string    // the rule's source written out
	Start   time.Time // aware-at or closed-at (zero: not yet, for closed)
	Due     time.Time // zero: none (or the start has not come)
	Guide   bool      // 速やかに: Due is a guide only
	Label   string    // the due as written: 「1時間以内」「30日目（翌開庁日）」…
	Rolled  bool      // the due date was moved off a closed day
	DoneAt  time.Time // when it was done (recorded on the incident)
	Pending bool      // the start has not come (the incident is not closed)
}

// Done reports whether the report has been made.
func (d Deadline) Done() bool { return !d.DoneAt.IsZero() }

// Overdue reports whether the deadline has passed undone at now (a guide
// never is).
func (d Deadline) Overdue(now time.Time) bool {
	return !d.Done() && !d.Guide && !d.Due.IsZero() && now.After(d.Due)
}

// Remaining is the time left at now as Japanese text (or how late).
func (d Deadline) Remaining(now time.Time) string {
	switch {
	case d.Done():
		return "済（" + jp.FormatWarekiDateTime(d.DoneAt) + "）"
	case d.Pending:
		return "対処の完了後に計算"
	case d.Due.IsZero():
		return "期限の定めなし"
	}
	left := d.Due.Sub(now)
	if left < 0 {
		if d.Guide {
			return "目安を " + span(-left) + " 過ぎています"
		}
		return span(-left) + " 超過"
	}
	return "あと " + span(left)
}

func span(d time.Duration) string {
	h := int(d.Hours())
	switch {
	case h >= 48:
		return fmt.Sprintf("%d日", h/24)
	case h >= 1:
		return fmt.Sprintf("%d時間%d分", h, int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d分", max(int(d.Minutes()), 1))
}

// Deadlines are the reports that facts call for, counted from aware (and
// closed, zero while open), with the done times given by rule key.
func (r *Rules) Deadlines(f Facts, aware, closed time.Time, done map[string]time.Time) []Deadline {
	var out []Deadline
	for _, x := range r.Rules {
		if !x.When.Applies(f) {
			continue
		}
		src, clause, _ := strings.Cut(x.Source, " ")
		name, _, _ := strings.Cut(r.Sources[src], "（")
		d := Deadline{Rule: x, Source: strings.TrimSpace(name + " " + clause), DoneAt: done[x.Key]}
		d.Start = aware
		if x.From == "closed" {
			d.Start = closed
		}
		if d.Start.IsZero() {
			d.Pending = x.From == "closed"
			out = append(out, d)
			continue
		}
		d.Due, d.Label, d.Guide, d.Rolled = dueOf(x.Due, d.Start)
		out = append(out, d)
	}
	return out
}

// dueOf is the deadline of due counted from start: hours from the moment;
// days with start's date as day 1, ending at 24:00 JST of day N (moved to
// the next open day when roll is set and day N is a closed day).
func dueOf(due Due, start time.Time) (t time.Time, label string, guide, rolled bool) {
	day := func(n int) time.Time {
		s := start.In(jp.JST)
		return time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, jp.JST).AddDate(0, 0, n-1)
	}
	endOf := func(d time.Time) time.Time { return d.AddDate(0, 0, 1).Add(-time.Second) }
	switch {
	case due.Hours != nil && *due.Hours == 0:
		return start, "直ちに", false, false
	case due.Hours != nil:
		return start.Add(time.Duration(*due.Hours) * time.Hour), fmt.Sprintf("%d時間以内", *due.Hours), false, false
	case due.SameDay:
		return endOf(day(1)), "当日中", false, false
	case due.ASAP > 0:
		return endOf(day(due.ASAP)), fmt.Sprintf("速やかに（目安 %d日目）", due.ASAP), true, false
	case due.Days > 0:
		d := day(due.Days)
		label = fmt.Sprintf("%d日以内", due.Days)
		if due.Roll && jp.OfficeClosed(d) {
			d, rolled = jp.NextOpenDay(d), true
			label += "（期限日が閉庁日のため翌開庁日）"
		}
		return endOf(d), label, false, rolled
	}
	return time.Time{}, "期限の定めなし", false, false
}
