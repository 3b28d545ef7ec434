package incident

import (
	"strings"
	"testing"
	"time"

	"mamori/internal/jp"
)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, jp.JST)
	if err != nil {
		panic(err)
	}
	return t
}

func facts(persons int, flags ...string) Facts {
	f := Facts{Flags: map[string]bool{}, Persons: persons}
	for _, x := range flags {
		f.Flags[x] = true
	}
	return f
}

func byKey(ds []Deadline) map[string]Deadline {
	out := map[string]Deadline{}
	for _, d := range ds {
		out[d.Rule.Key] = d
	}
	return out
}

// endOfDay is 23:59:59 JST of date s.
func endOfDay(s string) time.Time { return at(s+" 00:00").AddDate(0, 0, 1).Add(-time.Second) }

// TestClockCommissionDeadlines: the commission's 確報 counted with the day
// of awareness as day 1, moved off weekends, national holidays and the
// year-end closure; 60 days where the leak may have been for an improper
// purpose; the 100-person threshold exclusive.
func TestClockCommissionDeadlines(t *testing.T) {
	r, err := LoadRules()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		f       Facts
		aware   string
		key     string
		due     time.Time
		rolled  bool
		missing []string
	}{
		{"30 days, a Thursday", facts(150, "personal"), "2026-06-03 10:00", "ppc-final-appi", endOfDay("2026-07-02"), false, []string{"ppc-final-appi-60"}},
		{"day 30 a Saturday", facts(150, "personal"), "2026-06-05 09:00", "ppc-final-appi", endOfDay("2026-07-06"), true, nil},
		{"day 30 海の日", facts(0, "personal", "sensitive"), "2026-06-21 18:00", "ppc-final-appi", endOfDay("2026-07-21"), true, nil},
		{"day 30 in the year-end closure", facts(0, "personal", "financial"), "2026-11-30 08:30", "ppc-final-appi", endOfDay("2027-01-04"), true, nil},
		{"60 days, improper purpose", facts(3, "personal", "wrongdoing"), "2026-06-03 10:00", "ppc-final-appi-60", endOfDay("2026-08-03"), true, []string{"ppc-final-appi"}},
		{"特定個人情報 in a number system", facts(10, "mynumber", "mynumber_system"), "2026-06-03 10:00", "ppc-final-mynumber", endOfDay("2026-07-02"), false, nil},
		{"aware just after midnight JST", facts(101, "personal"), "2026-06-04 00:30", "ppc-final-appi", endOfDay("2026-07-03"), false, nil},
	}
	for _, c := range cases {
		ds := byKey(r.Deadlines(c.f, at(c.aware), time.Time{}, nil))
		d, ok := ds[c.key]
		if !ok {
			t.Errorf("%s: no %s (have %v)", c.name, c.key, keys(ds))
			continue
		}
		if !d.Due.Equal(c.due) || d.Rolled != c.rolled {
			t.Errorf("%s: %s due %s (rolled %v), want %s (rolled %v)", c.name, c.key, d.Due.In(jp.JST), d.Rolled, c.due, c.rolled)
		}
		if !strings.Contains(d.Source, "施行規則") && !strings.Contains(d.Source, "確報の定め") {
			t.Errorf("%s: the deadline does not name its rule's source: %q", c.name, d.Source)
		}
		for _, k := range c.missing {
			if _, ok := ds[k]; ok {
				t.Errorf("%s: %s should not apply", c.name, k)
			}
		}
		if p, ok := ds[strings.Replace(strings.Replace(c.key, "-60", "", 1), "final", "prompt", 1)]; !ok || !p.Guide {
			t.Errorf("%s: no 速報 as a guide", c.name)
		}
	}
	// Exactly 100 people, no other fact: no report to the commission.
	for k := range byKey(r.Deadlines(facts(100, "personal"), at("2026-06-03 10:00"), time.Time{}, nil)) {
		if strings.HasPrefix(k, "ppc-") {
			t.Errorf("100 people: %s applies", k)
		}
	}
}

func keys(m map[string]Deadline) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestClockWardChain: the handbook's hours, 直ちに, 当日中 by the JST date,
// the deadlines counted from closure pending until it, overdue and guides.
func TestClockWardChain(t *testing.T) {
	r, err := LoadRules()
	if err != nil {
		t.Fatal(err)
	}
	aware := at("2026-06-03 23:20")
	ds := byKey(r.Deadlines(facts(0, "level2", "level3"), aware, time.Time{}, map[string]time.Time{"ward-first": aware.Add(40 * time.Minute)}))
	if d := ds["ward-first"]; !d.Due.Equal(aware.Add(time.Hour)) || !d.Done() || d.Overdue(aware.Add(3*time.Hour)) {
		t.Errorf("第一報: %+v", d)
	}
	if d := ds["ward-form"]; !d.Due.Equal(aware.Add(2*time.Hour)) || !d.Overdue(aware.Add(2*time.Hour+time.Minute)) || d.Overdue(aware.Add(time.Hour)) {
		t.Errorf("報告票: due %s", d.Due)
	}
	if d := ds["ciso-level3"]; !d.Due.Equal(aware) || d.Label != "直ちに" {
		t.Errorf("CISO level 3: %+v", d)
	}
	if _, ok := ds["ciso-level2"]; ok {
		t.Error("a level 3 incident also got the level 2 CISO rule")
	}
	if d := ds["tokyo"]; !d.Due.Equal(endOfDay("2026-06-03")) {
		t.Errorf("東京都 same day: %s", d.Due)
	}
	if d := ds["after-report"]; !d.Pending || !d.Due.IsZero() || d.Overdue(aware.AddDate(1, 0, 0)) {
		t.Errorf("after-report before closure: %+v", d)
	}
	closed := at("2026-08-20 17:00")
	ds = byKey(r.Deadlines(facts(0, "level2"), aware, closed, nil))
	if d := ds["after-report"]; !d.Due.Equal(endOfDay("2026-09-18")) {
		t.Errorf("after-report: %s", d.Due)
	}
	if _, ok := ds["tokyo"]; ok {
		t.Error("a level 2 incident got the Tokyo rule")
	}
	// A guide (速やかに) is never overdue.
	ds = byKey(r.Deadlines(facts(500, "personal"), aware, time.Time{}, nil))
	if d := ds["notify-persons"]; !d.Guide || d.Overdue(aware.AddDate(0, 1, 0)) || !strings.Contains(d.Remaining(aware.AddDate(0, 1, 0)), "目安") {
		t.Errorf("本人への通知: %+v", d)
	}
	if d := ds["police"]; d.Rule.Key != "" {
		t.Error("police without a crime")
	}
}

// TestParseRulesRefuses: a rule naming an unknown fact or source, or with
// two kinds of due, is refused with the rule named.
func TestParseRulesRefuses(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"sources: {a: A}\nfacts: {x: X}\nrules:\n - {key: r1, label: L, when: {all: [y]}, from: aware, due: {days: 3}, source: a 1}\n", "事実 \"y\""},
		{"sources: {a: A}\nfacts: {x: X}\nrules:\n - {key: r1, label: L, from: aware, due: {days: 3}, source: b 1}\n", "根拠 \"b\""},
		{"sources: {a: A}\nfacts: {x: X}\nrules:\n - {key: r1, label: L, from: aware, due: {days: 3, none: true}, source: a 1}\n", "一つの書き方"},
		{"sources: {a: A}\nfacts: {x: X}\nrules:\n - {key: r1, label: L, from: later, due: {days: 3}, source: a 1}\n", "from は"},
	} {
		if _, err := ParseRules([]byte(c.yaml)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.yaml, err, c.want)
		}
	}
}
