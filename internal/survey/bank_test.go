package survey_test

import (
	"testing"

	"mamori/content"
	"mamori/internal/survey"
)

// TestBankContent: the year's question bank loads and meets the issue's
// amounts per audience (knowledge questions at least half of each).
func TestBankContent(t *testing.T) {
	qs, err := survey.LoadBank(content.FS, 2026)
	if err != nil {
		t.Fatal(err)
	}
	min := map[string]int{survey.AudienceGeneral: 40, survey.AudienceSystem: 40, survey.AudienceProtection: 30}
	for _, a := range survey.AudienceOrder {
		n, k := 0, 0
		domains := map[string]bool{}
		for _, q := range qs {
			if q.For(a) {
				n++
				domains[q.Domain] = true
				if q.Kind == survey.KindKnowledge {
					k++
				}
			}
		}
		if n < min[a] || 2*k < n {
			t.Errorf("%s: %d questions (want ≥ %d), %d knowledge (want ≥ half)", a, n, min[a], k)
		}
		t.Logf("%s: %d questions, %d knowledge, %d domains", survey.AudienceLabel(a), n, k, len(domains))
	}
}
