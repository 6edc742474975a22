package incident

import (
	"strings"

	"github.com/pactwatch/pactwatch/vocab"
)

// Corroboration is the rule that says when independent sources agree. An
// agreement configures it as `verification.corroboration` (package
// pipeline maps it); DefaultCorroboration applies where it is silent.
//
// An incident is corroborated when either
//   - at least MinIndependent of its reports come from independent sources:
//     pairwise different reporters AND different source types (two patrols
//     of the same mission are one kind of eye; a patrol and a camera are
//     two), or
//   - one report is a direct observation (vocab.SourceType.Direct) by a
//     source whose reliability letter is in DirectReliability, with
//     information credibility no worse than DirectMaxCredibility.
type Corroboration struct {
	MinIndependent       int    `json:"min_independent"`        // ≥ 2; 0 disables the rule
	DirectReliability    string `json:"direct_reliability"`     // e.g. "AB"; "" disables the rule
	DirectMaxCredibility int    `json:"direct_max_credibility"` // 1–6; 0 means any
}

// DefaultCorroboration: two independent sources, or one A/B-graded direct
// observation.
var DefaultCorroboration = Corroboration{MinIndependent: 2, DirectReliability: "AB"}

// Satisfied reports whether the reports corroborate each other under the rule.
func (c Corroboration) Satisfied(reports []Report) bool {
	for i := range reports {
		r := &reports[i]
		if c.DirectReliability != "" && r.SourceType.Direct() && r.Grade.Valid() &&
			strings.IndexByte(c.DirectReliability, r.Grade.Reliability()) >= 0 &&
			(c.DirectMaxCredibility == 0 || r.Grade.Credibility() <= c.DirectMaxCredibility) {
			return true
		}
	}
	return c.MinIndependent > 0 && IndependentSources(reports) >= c.MinIndependent
}

// IndependentSources returns the largest number of reports that come from
// pairwise different reporters and pairwise different source types: a
// maximum bipartite matching between reporters and source types, since one
// reporter may file as several types (a patrol with a UAV) and one type has
// many reporters.
func IndependentSources(reports []Report) int {
	if len(reports) < 2 {
		return len(reports)
	}
	edges := map[string]map[vocab.SourceType]bool{}
	var reporters []string
	for i := range reports {
		r := &reports[i]
		if edges[r.Reporter] == nil {
			edges[r.Reporter] = map[vocab.SourceType]bool{}
			reporters = append(reporters, r.Reporter)
		}
		edges[r.Reporter][r.SourceType] = true
	}
	match := map[vocab.SourceType]string{} // source type → reporter
	var try func(rep string, seen map[vocab.SourceType]bool) bool
	try = func(rep string, seen map[vocab.SourceType]bool) bool {
		for _, st := range vocab.SourceTypes() { // stable order
			if !edges[rep][st] || seen[st] {
				continue
			}
			seen[st] = true
			if other, ok := match[st]; !ok || try(other, seen) {
				match[st] = rep
				return true
			}
		}
		return false
	}
	n := 0
	for _, rep := range reporters {
		if try(rep, map[vocab.SourceType]bool{}) {
			n++
		}
	}
	return n
}
