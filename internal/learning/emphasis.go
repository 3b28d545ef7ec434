package learning

import (
	"context"
	"strings"

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
