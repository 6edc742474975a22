package agreement

import "strings"

// verification checks what the schema cannot: combinations of the
// verification and case settings that would leave the mission unable to
// corroborate anything, or cluster nonsensically.
func (c *checker) verification() {
	co := c.a.Verification.Corroboration
	if co.MinIndependent != nil && *co.MinIndependent == 1 {
		c.addf("verification.corroboration.min_independent", "1 would corroborate every single report: use 2 or more, or 0 to rely on direct observations only")
	}
	noIndependent := co.MinIndependent != nil && *co.MinIndependent == 0
	noDirect := co.DirectReliability != nil && *co.DirectReliability == ""
	if noIndependent && noDirect {
		c.addf("verification.corroboration", "with min_independent 0 and no direct_reliability no incident could ever be corroborated, so none could be verified")
	}
	if r := co.DirectReliability; r != nil {
		seen := map[rune]bool{}
		for _, l := range *r {
			if seen[l] {
				c.addf("verification.corroboration.direct_reliability", "letter %c listed twice", l)
			}
			seen[l] = true
		}
		if *r != "" && !strings.ContainsRune(*r, 'A') {
			c.addf("verification.corroboration.direct_reliability", "%q leaves out A: a completely reliable source's direct observation would corroborate less than a lesser one's", *r)
		}
	}
	cl := c.a.Verification.Clustering
	if cl.WindowMinutes != nil && cl.MaxSpanMinutes != nil && *cl.WindowMinutes > *cl.MaxSpanMinutes {
		c.addf("verification.clustering.window_minutes", "window %d min is longer than max_span_minutes %d: an incident could never take a second report", *cl.WindowMinutes, *cl.MaxSpanMinutes)
	}
}
