package learning

import (
	"context"
	"slices"
	"strings"
	"time"

	"mamori/internal/improve"
)

// Emphasis is a weak risk domain another workstream reported through the
// improvement register (the self-assessment's weak domains), with the
// course's lessons that teach it: the course suggests them as this year's
// emphasis.
type Emphasis struct {
	Domain  string // the survey's domain key, e.g. misdelivery
	Title   string // the register action's title
	Lessons []string
}

// emphasisOf reads fiscal year fy's (and the year before's) weak domains
// from the register and matches them to the lessons' domains.
func (s *Store) emphasisOf(ctx context.Context, fy int, lessons []Lesson) ([]Emphasis, error) {
	if s.reg == nil {
		return nil, nil
	}
	reg := s.reg
	var out []Emphasis
	seen := map[string]bool{}
	for _, y := range []int{fy, fy - 1} {
		as, _, err := reg.List(ctx, improve.Filter{FiscalYear: y, Source: improve.SourceSurveyWeakness})
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			_, domain, ok := strings.Cut(a.SourceRef, "/")
			if !ok || seen[domain] {
				continue
			}
			seen[domain] = true
			e := Emphasis{Domain: domain, Title: a.Title}
			for _, l := range lessons {
				for _, d := range l.Domains {
					if d == domain {
						e.Lessons = append(e.Lessons, l.Code)
					}
				}
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// Case is a recurrence-prevention measure of one of the ward's own
// incidents (written into the register by the incident module), cited in
// the lessons of its risk domain without the department or the people:
// its title only.
type Case struct {
	Domain string
	Title  string
	Year   int
}

// casesTTL is how long the cases are kept: every lesson page shows them.
const casesTTL = time.Minute

type keptCases struct {
	at    time.Time
	cases []Case
}

// casesOf are fiscal year fy's and the year before's incident measures in
// the register whose source reference names a risk domain
// ("<incident>/<domain>/…", as the self-assessment writes "<campaign>/<domain>").
func (s *Store) casesOf(ctx context.Context, fy int) ([]Case, error) {
	if s.reg == nil {
		return nil, nil
	}
	if v, ok := s.cases.Load(fy); ok && time.Since(v.(keptCases).at) < casesTTL {
		return v.(keptCases).cases, nil
	}
	var out []Case
	for _, y := range []int{fy, fy - 1} {
		as, _, err := s.reg.List(ctx, improve.Filter{FiscalYear: y, Source: improve.SourceIncidentMeasure})
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			parts := strings.Split(a.SourceRef, "/")
			if len(parts) < 2 || parts[1] == "" {
				continue
			}
			out = append(out, Case{Domain: parts[1], Title: a.Title, Year: a.FiscalYear})
		}
	}
	s.cases.Store(fy, keptCases{time.Now(), out})
	return out, nil
}

// casesFor are the cases of lesson l's risk domains.
func casesFor(cs []Case, l Lesson) []Case {
	var out []Case
	for _, c := range cs {
		if slices.Contains(l.Domains, c.Domain) {
			out = append(out, c)
		}
	}
	return out
}
