package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/geo"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/vocab"
)

// Filter selects incidents. With no Status it is the review queue
// (reported, corroborated and disputed incidents); zero fields do not
// filter.
type Filter struct {
	Status     incident.Status
	Categories []vocab.Category
	MinGrade   vocab.Grade
	Area       orb.Geometry
	Limit      int
}

// Agreement is the agreement the pipeline evaluates against (for
// resolving zone names in filters).
func (p *Pipeline) Agreement() *agreement.Agreement { return p.cfg.Agreement }

// clone deep-copies v through JSON, so callers can read (and encode) what
// the pipeline returns after its lock is released.
func clone[T any](v *T) *T {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // engine types always marshal
	}
	out := new(T)
	if err := json.Unmarshal(b, out); err != nil {
		panic(err)
	}
	return out
}

// locked runs f with the lock held, once the pipeline is ready.
func (p *Pipeline) locked(f func() error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.ready {
		return errNotReady()
	}
	return f()
}

// Incidents returns copies of the incidents the filter selects, oldest
// first (by their earliest report).
func (p *Pipeline) Incidents(f Filter) ([]*incident.Incident, error) {
	var out []*incident.Incident
	err := p.locked(func() error {
		p.selectIncidents(f, func(inc *incident.Incident) { out = append(out, clone(inc)) })
		return nil
	})
	return out, err
}

// selectIncidents calls keep with each incident the filter selects, oldest
// first, at most f.Limit of them; the caller holds the lock. An open status
// (or none) reads the review queue, which filters open incidents itself.
func (p *Pipeline) selectIncidents(f Filter, keep func(*incident.Incident)) {
	var list []*incident.Incident
	if f.Status == "" || f.Status.Open() {
		list = p.tracker.Queue(incident.QueueFilter{Area: f.Area, Categories: f.Categories, MinGrade: f.MinGrade})
	} else {
		for _, inc := range p.tracker.Incidents() {
			if match(inc, &f) {
				list = append(list, inc)
			}
		}
		sort.SliceStable(list, func(i, j int) bool { return list[i].First.Before(list[j].First) })
	}
	n := 0
	for _, inc := range list {
		if f.Status != "" && inc.Status != f.Status {
			continue
		}
		keep(inc)
		if n++; f.Limit > 0 && n == f.Limit {
			return
		}
	}
}

// match applies the filter to a decided incident (the queue filters open
// ones itself).
func match(inc *incident.Incident, f *Filter) bool {
	if len(f.Categories) > 0 && !slices.ContainsFunc(f.Categories, func(c vocab.Category) bool { _, ok := inc.Counts[c]; return ok }) {
		return false
	}
	if f.MinGrade != "" {
		g := inc.BestGrade
		if !g.Valid() || g.Reliability() > f.MinGrade.Reliability() || g.Credibility() > f.MinGrade.Credibility() {
			return false
		}
	}
	if f.Area != nil {
		for _, d := range []*incident.Disc{inc.Location, inc.Origin} {
			if d != nil && geo.Contains(f.Area, d.Point) {
				return true
			}
		}
		return false
	}
	return true
}

// Incident returns a copy of one incident and its review decisions.
func (p *Pipeline) Incident(id string) (*incident.Incident, []*incident.Decision, error) {
	var inc *incident.Incident
	var ds []*incident.Decision
	err := p.locked(func() error {
		got, err := p.tracker.Get(id)
		if err != nil {
			return err
		}
		inc = clone(got)
		for _, d := range p.decisions[id] {
			ds = append(ds, clone(d))
		}
		return nil
	})
	return inc, ds, err
}

// Claim marks the incident as being reviewed by analyst. Claims are not
// versions and are not stored: they expire, and a restart forgets them.
func (p *Pipeline) Claim(id, analyst string) (*incident.Claim, error) {
	var c *incident.Claim
	err := p.locked(func() error {
		var err error
		c, err = p.tracker.Claim(id, analyst)
		return err
	})
	return c, err
}

// Decide records analyst's decision on an incident and persists the
// incident's new version and the decision before returning them.
// observations, when given, are the ids the decision rests on; each must be
// in the incident.
func (p *Pipeline) Decide(ctx context.Context, id, analyst string, outcome incident.Outcome, reason incident.RejectReason, note string, observations []string) (*incident.Decision, *incident.Incident, error) {
	var d *incident.Decision
	var inc *incident.Incident
	err := p.locked(func() error {
		for i, o := range observations {
			if got, ok := p.tracker.IncidentOf(o); !ok || got != id {
				if _, err := p.tracker.Get(id); err != nil {
					return err
				}
				return pactwatch.FieldErrorf(pactwatch.EINVALID, fmt.Sprintf("observations[%d]", i), "observation %q is not in incident %s", o, id)
			}
		}
		got, err := p.tracker.Decide(id, analyst, outcome, reason, note)
		if err != nil {
			return err
		}
		if len(observations) > 0 {
			got.Observations = sortedUnique(observations)
		}
		live, _ := p.tracker.Get(id)
		var b batch
		if err := b.incident(&p.enc, live); err != nil {
			return err
		}
		if err := b.decision(got); err != nil {
			return err
		}
		if err := p.commit(ctx, &b); err != nil {
			return err
		}
		p.dirty = true
		if err := p.evaluateLocked(ctx); err != nil {
			p.cfg.Log.Warn("pipeline: evaluation after a decision", "err", err)
		}
		d, inc = clone(got), clone(live)
		return nil
	})
	return d, inc, err
}

func sortedUnique(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// Merge merges incidents into ids[0] and persists every version it makes.
func (p *Pipeline) Merge(ctx context.Context, ids []string, analyst, why string) (*incident.Decision, *incident.Incident, error) {
	var d *incident.Decision
	var into *incident.Incident
	err := p.locked(func() error {
		got, err := p.tracker.Merge(ids, analyst, why)
		if err != nil {
			return err
		}
		var b batch
		for _, id := range ids {
			inc, _ := p.tracker.Get(id)
			if err := b.incident(&p.enc, inc); err != nil {
				return err
			}
		}
		if err := b.decision(got); err != nil {
			return err
		}
		if err := p.commit(ctx, &b); err != nil {
			return err
		}
		live, _ := p.tracker.Get(ids[0])
		d, into = clone(got), clone(live)
		return nil
	})
	return d, into, err
}

// Split moves observations out of an incident into a new one and persists
// both versions and the decision.
func (p *Pipeline) Split(ctx context.Context, id string, observations []string, analyst, why string) (*incident.Decision, *incident.Incident, *incident.Incident, error) {
	var d *incident.Decision
	var inc, child *incident.Incident
	err := p.locked(func() error {
		ch, got, err := p.tracker.Split(id, observations, analyst, why)
		if err != nil {
			return err
		}
		live, _ := p.tracker.Get(id)
		var b batch
		for _, x := range []*incident.Incident{live, ch} {
			if err := b.incident(&p.enc, x); err != nil {
				return err
			}
		}
		if err := b.decision(got); err != nil {
			return err
		}
		if err := p.commit(ctx, &b); err != nil {
			return err
		}
		d, inc, child = clone(got), clone(live), clone(ch)
		return nil
	})
	return d, inc, child, err
}

// Cases returns copies of the cases (of one status, if given) in order of
// opening.
func (p *Pipeline) Cases(status compliance.CaseStatus) ([]*compliance.Case, error) {
	var out []*compliance.Case
	err := p.locked(func() error {
		for _, c := range p.book.Cases() {
			if status == "" || c.Status == status {
				out = append(out, clone(c))
			}
		}
		return nil
	})
	return out, err
}

// Case returns a copy of one case and the violations it holds that the
// latest evaluation knows (a manual case may name none).
func (p *Pipeline) Case(id string) (*compliance.Case, []compliance.Violation, error) {
	var c *compliance.Case
	var vs []compliance.Violation
	err := p.locked(func() error {
		got, err := p.book.Get(id)
		if err != nil {
			return err
		}
		c = clone(got)
		for _, v := range got.Violations {
			if x := p.byID[v]; x != nil {
				vs = append(vs, *clone(x))
			}
		}
		return nil
	})
	return c, vs, err
}

// Violations returns the latest evaluation's violations and indeterminate
// checks.
func (p *Pipeline) Violations() (*compliance.Result, error) {
	var res *compliance.Result
	err := p.locked(func() error {
		res = clone(p.result)
		return nil
	})
	return res, err
}

// caseChange runs one case transition and persists it.
func (p *Pipeline) caseChange(ctx context.Context, f func() (compliance.Transition, error)) (*compliance.Transition, error) {
	var out *compliance.Transition
	err := p.locked(func() error {
		t, err := f()
		if err != nil {
			return err
		}
		var b batch
		if err := b.transition(&t); err != nil {
			return err
		}
		if err := p.commit(ctx, &b); err != nil {
			return err
		}
		out = clone(&t)
		return nil
	})
	return out, err
}

// OpenCase opens a case by hand.
func (p *Pipeline) OpenCase(ctx context.Context, analyst, commitment, party, reason string, violations []string) (*compliance.Transition, error) {
	return p.caseChange(ctx, func() (compliance.Transition, error) {
		for i, v := range violations {
			if p.byID[v] == nil {
				return compliance.Transition{}, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, fmt.Sprintf("violations[%d]", i), "no violation %q", v)
			}
		}
		_, t, err := p.book.Open(analyst, commitment, party, reason, violations)
		return t, err
	})
}

// ConfirmCase confirms a candidate case (or approves it, under the
// two-person rule).
func (p *Pipeline) ConfirmCase(ctx context.Context, id, analyst string) (*compliance.Transition, error) {
	return p.caseChange(ctx, func() (compliance.Transition, error) { return p.book.Confirm(id, analyst) })
}

// CloseCase closes a case, remedied or withdrawn.
func (p *Pipeline) CloseCase(ctx context.Context, id, analyst string, how compliance.Closure, reason string) (*compliance.Transition, error) {
	return p.caseChange(ctx, func() (compliance.Transition, error) { return p.book.Close(id, analyst, how, reason) })
}

// DisputeCase records a liaison's dispute for party.
func (p *Pipeline) DisputeCase(ctx context.Context, id, party, liaison, position string, evidence []string) (*compliance.Transition, error) {
	return p.caseChange(ctx, func() (compliance.Transition, error) {
		return p.book.Dispute(id, party, liaison, position, evidence)
	})
}

// ResolveDispute records an analyst's answer to a case's open dispute.
func (p *Pipeline) ResolveDispute(ctx context.Context, id, analyst, resolution, answer string) (*compliance.Transition, error) {
	return p.caseChange(ctx, func() (compliance.Transition, error) {
		return p.book.ResolveDispute(id, analyst, resolution, answer)
	})
}
