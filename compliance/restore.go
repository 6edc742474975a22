package compliance

import (
	"fmt"

	"github.com/pactwatch/pactwatch"
)

// Restore loads cases saved earlier (the latest snapshot of each, from its
// last Transition) into an empty book, in order of opening, so a restarted
// server keeps adding violations to the same open cases and never opens a
// second case for a violation already in one. A case whose severity is
// below the policy's threshold was opened by escalating lesser violations
// and is indexed as such.
func (b *Book) Restore(cases []*Case) error {
	if len(b.cases) > 0 {
		return pactwatch.Errorf(pactwatch.ECONFLICT, "restore needs an empty case book")
	}
	for i, c := range cases {
		field := fmt.Sprintf("cases[%d]", i)
		if c == nil || c.ID == "" {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, field, "a case needs an id")
		}
		if b.cases[c.ID] != nil {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, field+".id", "case %s twice", c.ID)
		}
		for _, v := range c.Violations {
			if other := b.caseOf[v]; other != "" {
				return pactwatch.FieldErrorf(pactwatch.EINVALID, field+".violations", "violation %s is also in %s", v, other)
			}
		}
		key := ""
		if !c.Manual && c.Status != Closed {
			key = c.Group.key()
			if c.Severity < b.Policy.CaseThreshold {
				key += "|minor"
			}
		}
		b.add(c, key)
	}
	return nil
}
