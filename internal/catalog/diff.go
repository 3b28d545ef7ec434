package catalog

import (
	"fmt"
	"sort"

	"mamori/internal/textsim"
)

// ChangeKind is how a clause differs between two editions.
type ChangeKind string

// Kinds of clause change.
const (
	Added      ChangeKind = "追加"
	Removed    ChangeKind = "削除"
	Renumbered ChangeKind = "番号変更"
	Retitled   ChangeKind = "名称変更"
	Revised    ChangeKind = "要旨変更" // same number and title, the summary of what it asks changed
)

// ClauseChange is one difference between two editions of a framework.
type ClauseChange struct {
	Kind      ChangeKind
	OldNumber string
	NewNumber string
	OldTitle  string
	NewTitle  string
	// OldSummary and NewSummary are set for Revised.
	OldSummary string
	NewSummary string
}

func (c ClauseChange) String() string {
	switch c.Kind {
	case Added:
		return fmt.Sprintf("%s %s %s", c.Kind, c.NewNumber, c.NewTitle)
	case Removed:
		return fmt.Sprintf("%s %s %s", c.Kind, c.OldNumber, c.OldTitle)
	case Renumbered:
		if c.OldTitle != c.NewTitle {
			return fmt.Sprintf("%s %s → %s 「%s」→「%s」", c.Kind, c.OldNumber, c.NewNumber, c.OldTitle, c.NewTitle)
		}
		return fmt.Sprintf("%s %s → %s %s", c.Kind, c.OldNumber, c.NewNumber, c.NewTitle)
	case Revised:
		return fmt.Sprintf("%s %s %s\n    旧: %s\n    新: %s", c.Kind, c.NewNumber, c.NewTitle, c.OldSummary, c.NewSummary)
	default:
		return fmt.Sprintf("%s %s 「%s」→「%s」", c.Kind, c.NewNumber, c.OldTitle, c.NewTitle)
	}
}

// Diff lists the clauses added, removed, renumbered, retitled and revised
// (same number and title, different summary) from old to new. A clause is followed by its title first (so a renumbered clause
// is one change, not a removal and an addition), then by its number.
func Diff(old, new *Framework) []ClauseChange {
	type entry struct{ number, title, summary string }
	list := func(f *Framework) []entry {
		var out []entry
		f.Walk(func(c Clause, _ int) { out = append(out, entry{c.Number, c.Title, c.Summary}) })
		return out
	}
	oldSummary := map[string]string{}
	old.Walk(func(c Clause, _ int) { oldSummary[c.Number] = c.Summary })
	olds, news := list(old), list(new)
	oldByTitle, newByTitle := map[string][]string{}, map[string][]string{}
	oldByNumber, newByNumber := map[string]string{}, map[string]string{}
	for _, e := range olds {
		oldByTitle[e.title] = append(oldByTitle[e.title], e.number)
		oldByNumber[e.number] = e.title
	}
	for _, e := range news {
		newByTitle[e.title] = append(newByTitle[e.title], e.number)
		newByNumber[e.number] = e.title
	}
	matchedOld := map[string]bool{}
	var out []ClauseChange
	for _, e := range news {
		if t, ok := oldByNumber[e.number]; ok && t == e.title {
			matchedOld[e.number] = true
			if s := oldSummary[e.number]; s != e.summary {
				out = append(out, ClauseChange{Kind: Revised, OldNumber: e.number, NewNumber: e.number, OldTitle: t, NewTitle: e.title, OldSummary: s, NewSummary: e.summary})
			}
			continue
		}
		// Same title under one other number, not itself kept: renumbered.
		if ns := oldByTitle[e.title]; len(ns) == 1 && newByNumber[ns[0]] != e.title && len(newByTitle[e.title]) == 1 {
			matchedOld[ns[0]] = true
			out = append(out, ClauseChange{Kind: Renumbered, OldNumber: ns[0], NewNumber: e.number, OldTitle: e.title, NewTitle: e.title})
			continue
		}
		if t, ok := oldByNumber[e.number]; ok && !matchedOld[e.number] && len(newByTitle[t]) == 0 && textsim.Similarity(t, e.title) >= 0.3 {
			matchedOld[e.number] = true
			out = append(out, ClauseChange{Kind: Retitled, OldNumber: e.number, NewNumber: e.number, OldTitle: t, NewTitle: e.title})
			continue
		}
		out = append(out, ClauseChange{Kind: Added, NewNumber: e.number, NewTitle: e.title})
	}
	for _, e := range olds {
		if !matchedOld[e.number] {
			out = append(out, ClauseChange{Kind: Removed, OldNumber: e.number, OldTitle: e.title})
		}
	}
	out = pairMoved(out)
	order := map[ChangeKind]int{Added: 0, Renumbered: 1, Retitled: 2, Revised: 3, Removed: 4}
	sort.SliceStable(out, func(i, j int) bool { return order[out[i].Kind] < order[out[j].Kind] })
	return out
}

// pairMoved turns an added and a removed clause whose titles are much
// alike into one change (renumbered, retitled or both), most alike first.
func pairMoved(cs []ClauseChange) []ClauseChange {
	type pair struct {
		a, r int
		sim  float64
	}
	var ps []pair
	for i, a := range cs {
		if a.Kind != Added {
			continue
		}
		for j, r := range cs {
			if r.Kind == Removed {
				if sim := textsim.Similarity(r.OldTitle, a.NewTitle); sim >= 0.5 {
					ps = append(ps, pair{i, j, sim})
				}
			}
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].sim > ps[j].sim })
	used := map[int]bool{}
	for _, p := range ps {
		if used[p.a] || used[p.r] {
			continue
		}
		used[p.a], used[p.r] = true, true
		kind := Renumbered
		if cs[p.a].NewNumber == cs[p.r].OldNumber {
			kind = Retitled
		}
		cs[p.a] = ClauseChange{Kind: kind, OldNumber: cs[p.r].OldNumber, NewNumber: cs[p.a].NewNumber, OldTitle: cs[p.r].OldTitle, NewTitle: cs[p.a].NewTitle}
		cs[p.r].Kind = ""
	}
	out := cs[:0]
	for _, c := range cs {
		if c.Kind != "" {
			out = append(out, c)
		}
	}
	return out
}
