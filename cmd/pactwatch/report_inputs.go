package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/report"
	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/response/service"
	"github.com/pactwatch/pactwatch/server"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/vocab"
)

// newPublisher is the one way serve, the demo and the web's provisional
// reports build a day's report: the same inputs everywhere, because two
// publishers that disagree store one body and fail the other with
// ECONFLICT. Without a pipeline (serve --no-pipeline) reports count
// observations and say "no data" for cases and steps.
func newPublisher(ps report.PublishStore, agr *agreement.Agreement, in *reportInputs, now func() time.Time) *report.Publisher {
	p := &report.Publisher{Store: ps, Agreement: agr, NewLeaf: server.NewLeaf, Now: now}
	if in != nil {
		p.Inputs = in.Add
	}
	return p
}

// computeReport builds day's report as of asOf as the publisher would,
// without publishing it (the web's report of a day not yet published).
func computeReport(ctx context.Context, st report.ObservationSource, agr *agreement.Agreement, in *reportInputs, day string, asOf time.Time) (*report.Report, error) {
	obs, err := report.ReadObservations(ctx, st, agr, day)
	if err != nil {
		return nil, err
	}
	ri := report.Input{Agreement: agr, Observations: obs, AsOf: asOf}
	if in != nil {
		if err := in.Add(ctx, day, &ri); err != nil {
			return nil, err
		}
	}
	return report.Daily(ri, day)
}

// recordReader reads one ledger record by id.
type recordReader interface {
	Record(ctx context.Context, id string) (store.GenericRecord, error)
}

// reportInputs adds the pipeline's incidents, violations and cases and
// the response service's steps to a day's report, each as it stood at the
// report's as-of time (docs/report.md: what is exact, what conservative).
type reportInputs struct {
	store    recordReader
	pipeline *pipeline.Pipeline
	response *service.Service

	mu      sync.Mutex
	closed  map[string]time.Time        // case id → when it closed (closed is final)
	resumes map[string][]response.Pause // case id → its resumptions found so far
}

// newReportInputs returns nil without a pipeline: no cases nor incidents.
func newReportInputs(st recordReader, pl *pipeline.Pipeline, resp *service.Service) *reportInputs {
	if pl == nil || resp == nil {
		return nil
	}
	return &reportInputs{store: st, pipeline: pl, response: resp, closed: map[string]time.Time{}, resumes: map[string][]response.Pause{}}
}

// Add implements report.Publisher.Inputs. It fails with EUNAVAILABLE when
// the pipeline does not run on this server: a report without incidents
// would differ from one with them.
func (ri *reportInputs) Add(ctx context.Context, day string, in *report.Input) error {
	if !ri.pipeline.Ready() {
		return pactwatch.Errorf(pactwatch.EUNAVAILABLE, "reports: the incident pipeline is not running on this server; the report for %s waits for it", day)
	}
	asOf := in.AsOf
	if asOf.IsZero() {
		_, to, err := report.Bounds(day, in.Agreement.Location())
		if err != nil {
			return err
		}
		asOf = to
	}
	// Everything received by asOf must be clustered first: drain what the
	// pipeline has not read yet (Step is what its own loop runs). Not
	// under ctx: the report leadership (or a web request) ending must not
	// cut a pipeline batch's commit short.
	for {
		n, err := ri.pipeline.Step(context.WithoutCancel(ctx))
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	incs, status, err := ri.incidents(in.Observations, asOf)
	if err != nil {
		return err
	}
	in.Incidents = incs
	if in.Violations, err = ri.violations(in.Agreement, status, asOf); err != nil {
		return err
	}
	if in.Cases, err = ri.cases(ctx, asOf); err != nil {
		return err
	}
	from, _, err := report.Bounds(day, in.Agreement.Location())
	if err != nil {
		return err
	}
	in.Steps, err = ri.steps(ctx, from, asOf)
	return err
}

// incidents returns the incidents holding the observations received by
// asOf, each reduced to those reports, with its status as of asOf (from
// its history), and every such incident's status by id.
func (ri *reportInputs) incidents(obs []observation.Record, asOf time.Time) ([]report.Incident, map[string]incident.Status, error) {
	received := make(map[string]time.Time, len(obs))
	for i := range obs {
		received[obs[i].ID] = obs[i].ReceivedAt
	}
	var all []*incident.Incident
	for _, s := range []incident.Status{"", incident.Verified, incident.Rejected} { // "": the open ones
		list, err := ri.pipeline.Incidents(pipeline.Filter{Status: s})
		if err != nil {
			return nil, nil, err
		}
		all = append(all, list...)
	}
	out := []report.Incident{}
	status := map[string]incident.Status{}
	for _, inc := range all {
		r, ok := incidentAsOf(inc, received, asOf)
		if !ok {
			continue
		}
		status[r.ID] = incident.Status(r.Status)
		out = append(out, r)
	}
	return out, status, nil
}

// incidentAsOf reduces an incident to its reports received by asOf
// (received: observation id → received time), with its status then; false
// when none was received by then, or it had been merged into another.
func incidentAsOf(inc *incident.Incident, received map[string]time.Time, asOf time.Time) (report.Incident, bool) {
	if inc.MergedInto != "" {
		return report.Incident{}, false // its reports are counted in the incident it joined
	}
	var known []incident.Report
	for _, r := range inc.Reports {
		if t, ok := received[r.ID]; ok && !t.After(asOf) {
			known = append(known, r)
		}
	}
	if len(known) == 0 {
		return report.Incident{}, false // not known at asOf, or of neither the day nor the day before
	}
	st := statusAsOf(inc, asOf)
	if st == incident.Merged {
		return report.Incident{}, false
	}
	r := report.Incident{ID: inc.ID, Status: string(st), At: known[0].At, Counts: incident.CombineCounts(known),
		Weapons: weaponsOf(known), Observations: len(known)}
	for _, k := range known {
		if k.At.Before(r.At) {
			r.At = k.At
		}
		r.CalibreMM = max(r.CalibreMM, k.CalibreMM)
	}
	if l := inc.Location; l != nil {
		r.Position = &observation.Position{Lat: l.Point[1], Lon: l.Point[0], UncertaintyM: l.RadiusKm * 1000}
	} else {
		// Seen or heard from: the most precise observer among the reports
		// known at asOf (the report publishes it at the observer grid).
		var best *incident.Disc
		for _, k := range known {
			if o := k.Observer; o != nil && (best == nil || o.RadiusKm < best.RadiusKm) {
				best = o
			}
		}
		if best != nil {
			r.Observer = &observation.Position{Lat: best.Point[1], Lon: best.Point[0], UncertaintyM: best.RadiusKm * 1000}
		}
	}
	return r, true
}

// statusAsOf is the incident's status after its last change at or before
// asOf (reported before any).
func statusAsOf(inc *incident.Incident, asOf time.Time) incident.Status {
	st := incident.Reported
	for _, c := range inc.History {
		if c.At.After(asOf) {
			break
		}
		st = c.Status
	}
	return st
}

// weaponsOf counts weapons per class as the incident engine combines
// them: each reporter's sightings summed, the largest sum across
// reporters (independent reporters see the same weapons).
func weaponsOf(reports []incident.Report) map[vocab.WeaponClass]int {
	sums := map[[2]string]int{}
	for _, r := range reports {
		if r.WeaponClass == "" || r.Category.Family() != vocab.FamilyWeapons {
			continue
		}
		sums[[2]string{string(r.WeaponClass), r.Reporter}] += max(r.Count, 1)
	}
	if len(sums) == 0 {
		return nil
	}
	out := map[vocab.WeaponClass]int{}
	for k, n := range sums {
		wc := vocab.WeaponClass(k[0])
		out[wc] = max(out[wc], n)
	}
	return out
}

// violations returns the compliance engine's findings known at asOf: of
// incidents verified by then (findings of inspections: made by then).
func (ri *reportInputs) violations(a *agreement.Agreement, status map[string]incident.Status, asOf time.Time) ([]report.Violation, error) {
	res, err := ri.pipeline.Violations()
	if err != nil {
		return nil, err
	}
	out := []report.Violation{}
	if res == nil {
		return out, nil
	}
	for _, v := range res.Violations {
		if v.At.After(asOf) || v.Incident != "" && status[v.Incident] != incident.Verified {
			continue
		}
		rv := report.Violation{ID: v.ID, Commitment: v.Commitment, Rule: v.Rule, Party: v.Party(), At: v.At,
			WeaponClass: v.WeaponClass, Count: v.Count, DistanceKm: v.DistanceKm, LimitKm: v.LimitKm}
		if w := v.Where; w != nil {
			rv.Position = &observation.Position{Lat: w.Point[1], Lon: w.Point[0], UncertaintyM: w.RadiusKm * 1000}
		}
		if c := a.Commitment(v.Commitment); v.Rule == agreement.RuleHoldingInventory && c != nil && len(c.Rule.Zones) == 1 {
			rv.Zone = c.Rule.Zones[0] // the one holding area it names; several: unnamed
		}
		out = append(out, rv)
	}
	return out, nil
}

// cases returns the cases opened by asOf with their status then: closed
// only if closed by asOf (when is read from the case's last transition,
// closed being final), confirmed only if confirmed by then.
func (ri *reportInputs) cases(ctx context.Context, asOf time.Time) ([]report.Case, error) {
	cs, err := ri.pipeline.Cases("")
	if err != nil {
		return nil, err
	}
	out := []report.Case{}
	for _, c := range cs {
		if c.Opened.After(asOf) {
			continue
		}
		rc := report.Case{ID: c.ID, Commitment: c.Group.Commitment, Party: c.Group.Party, Area: c.Group.Area,
			Status: string(compliance.Candidate), Opened: c.Opened}
		if !c.Confirmed.IsZero() && !c.Confirmed.After(asOf) {
			rc.Status = string(compliance.Confirmed)
		}
		if c.Status == compliance.Closed {
			at, err := ri.closedAt(ctx, c)
			if err != nil {
				return nil, err
			}
			if !at.After(asOf) {
				rc.Status, rc.Closed = string(compliance.Closed), at
			}
		}
		out = append(out, rc)
	}
	return out, nil
}

// closedAt is when a closed case closed: the time of its last transition.
func (ri *reportInputs) closedAt(ctx context.Context, c *compliance.Case) (time.Time, error) {
	ri.mu.Lock()
	at, ok := ri.closed[c.ID]
	ri.mu.Unlock()
	if ok {
		return at, nil
	}
	rec, err := ri.store.Record(ctx, fmt.Sprintf("%s/v%d", c.ID, c.Version))
	if err != nil {
		return time.Time{}, err
	}
	ri.mu.Lock()
	ri.closed[c.ID] = rec.Time
	ri.mu.Unlock()
	return rec.Time, nil
}

// steps returns the steps of the runs started by asOf: done only if done
// by asOf, each deadline as it stood at asOf (less the pauses of its case
// resumed after asOf, which moved it later). A step ended or cancelled
// with its case by asOf before its deadline never fell due: left out. So
// is a step settled undone (missed at the cutoff, cancelled) before the
// report's day began: it is no longer owed, and would otherwise count as
// overdue at the end of every later day.
func (ri *reportInputs) steps(ctx context.Context, from, asOf time.Time) ([]report.Step, error) {
	runs, err := ri.response.Runs(ctx, "")
	if err != nil {
		return nil, err
	}
	out := []report.Step{}
	for _, r := range runs {
		if r.Started.After(asOf) {
			continue
		}
		resumes, err := ri.resumesOf(ctx, r.Case)
		if err != nil {
			return nil, err
		}
		for _, s := range r.Steps {
			due := deadlineAsOf(s, resumes, asOf)
			if (s.State == response.Ended || s.State == response.Cancelled) && !s.Closed.After(asOf) && !s.Closed.After(due) {
				continue
			}
			doneBy := s.Done != nil && !s.Done.At.After(asOf)
			if !doneBy && !s.Closed.IsZero() && s.Closed.Before(from) {
				continue
			}
			rs := report.Step{Case: r.Case, Step: r.Protocol + "/" + s.Key, Actor: s.Actor, Action: s.Action, Due: due}
			if doneBy {
				rs.Done = s.Done.At
			}
			out = append(out, rs)
		}
	}
	return out, nil
}

// deadlineAsOf undoes the moves of the step's deadline by resumptions
// after asOf: a resumption moves the deadlines of the steps still pending
// then (not done, not overdue, not closed) by the pause's length.
func deadlineAsOf(s *response.Step, resumes []response.Pause, asOf time.Time) time.Time {
	d := s.Deadline
	for _, p := range resumes {
		at := p.Until
		if !at.After(asOf) {
			continue
		}
		pending := (s.Done == nil || s.Done.At.After(at)) && (s.OverdueAt.IsZero() || s.OverdueAt.After(at)) &&
			(s.Closed.IsZero() || s.Closed.After(at))
		if pending {
			d = d.Add(-p.Until.Sub(p.From))
		}
	}
	return d
}

// resumesOf returns the pauses of a case that have ended, read from its
// resumption records ("<case>/resumed/<n>", numbered from 1); found ones
// are remembered (records never change), the next one is looked for again.
func (ri *reportInputs) resumesOf(ctx context.Context, caseID string) ([]response.Pause, error) {
	ri.mu.Lock()
	have := ri.resumes[caseID]
	ri.mu.Unlock()
	for {
		rec, err := ri.store.Record(ctx, fmt.Sprintf("%s/resumed/%d", caseID, len(have)+1))
		if pactwatch.ErrorCode(err) == pactwatch.ENOTFOUND {
			break
		}
		if err != nil {
			return nil, err
		}
		t, err := response.ParseTransition(rec.Body)
		if err != nil {
			return nil, err
		}
		if t.Pause == nil {
			return nil, pactwatch.Errorf(pactwatch.EINTERNAL, "record %s resumes no pause", rec.ID)
		}
		have = append(have, *t.Pause)
	}
	ri.mu.Lock()
	ri.resumes[caseID] = have
	ri.mu.Unlock()
	return have, nil
}
