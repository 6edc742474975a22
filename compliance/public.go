package compliance

import (
	"time"

	"github.com/pactwatch/pactwatch/vocab"
)

// PublicCase is what the public sees of a confirmed case: which commitment,
// which party, where and when, how serious, its status and outcome, and
// whether the party disputed it and how that was resolved. Left out: the
// analysts' and liaisons' names, the positions' texts and evidence (they
// may name people and sources), and the violations' ids (they name
// incidents the public may not see).
type PublicCase struct {
	ID         string     `json:"id"`
	Version    int        `json:"version"`
	Group      Group      `json:"group"`
	Protocol   string     `json:"protocol,omitempty"`
	Severity   Severity   `json:"severity"`
	Status     CaseStatus `json:"status"`
	Confirmed  time.Time  `json:"confirmed"`
	Closure    Closure    `json:"closure,omitempty"`
	Violations int        `json:"violations"`
	Disputes   []string   `json:"disputes,omitempty"` // each dispute's resolution ("open" while unresolved)
	Paused     bool       `json:"paused"`
}

// Visible reports whether the public may see the case: once confirmed,
// including after it is closed.
func (c *Case) Visible() bool { return !c.Confirmed.IsZero() }

// AnsweredBy reports whether a principal of the role, acting for of, is a
// liaison of the case's party: they see the case in full, to answer it.
func (c *Case) AnsweredBy(role vocab.Role, of string) bool {
	return role.NeedsOf() && of != "" && c.Group.Party == of
}

// PublicOf returns the public projection of a case.
func PublicOf(c *Case) PublicCase {
	p := PublicCase{ID: c.ID, Version: c.Version, Group: c.Group, Protocol: c.Protocol, Severity: c.Severity,
		Status: c.Status, Confirmed: c.Confirmed.UTC(), Closure: c.Closure, Violations: len(c.Violations), Paused: c.Paused}
	for _, d := range c.Disputes {
		r := d.Resolution
		if r == "" {
			r = "open"
		}
		p.Disputes = append(p.Disputes, r)
	}
	return p
}
