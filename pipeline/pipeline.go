// Package pipeline runs the mission's findings in the server process: it
// follows accepted observations in ledger order, clusters them into
// incidents (package incident), evaluates verified incidents against the
// agreement (package compliance), opens and advances violation cases, and
// serves the analysts' review and case decisions. Everything it changes is
// persisted as generic store records in the same transaction as their
// ledger entries, before a caller learns of the change:
//
//   - every incident version ("incident:<id>/v<n>", ledger type decision:
//     the system's clustering decisions and the versions analysts make);
//   - every review decision (incident.Decision, ledger type decision);
//   - every case transition (compliance.Transition, ledger type case),
//     which carries the case's snapshot.
//
// On start it restores the tracker and the case book from those records
// and resumes after the last observation an incident holds, so a restart
// neither loses nor re-processes anything. With several servers on one
// database only the holder of the "pipeline" leadership lock runs it.
package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/store"
)

// stepGap is the pause after a step that caught up: the most an
// observation arriving in a stream waits for clustering on top of the step
// itself, and what bounds how often a growing incident is stored.
const stepGap = 50 * time.Millisecond

// Defaults for Config.
const (
	DefaultPoll  = time.Second
	DefaultBatch = 500
	// LeaderLock is the name of the leadership lock: one pipeline per
	// database.
	LeaderLock = "pipeline"
	// incidentPrefix marks incident version records among decision records.
	incidentPrefix = "incident:"
)

// Config is what a Pipeline needs. A zero Incidents or Policy takes the
// engine's defaults; FromAgreement fills both from an agreement.
type Config struct {
	Store     store.Store
	Agreement *agreement.Agreement
	Incidents incident.Config
	Policy    compliance.Policy
	Now       func() time.Time
	Log       *slog.Logger
	Poll      time.Duration // how often to look for new observations
	Batch     int           // observations per step
}

// Pipeline is the running engine. Its methods are safe for concurrent use:
// one mutex serialises every change and its persistence.
type Pipeline struct {
	cfg  Config
	eval *compliance.Evaluator

	mu        sync.Mutex
	ready     bool // restored and leading
	tracker   *incident.Tracker
	book      *compliance.Book
	cursor    int64 // Seq of the last observation processed
	decisions map[string][]*incident.Decision
	result    *compliance.Result
	byID      map[string]*compliance.Violation
	dirty     bool // verified incidents changed since the last evaluation
	restoring bool
	enc       incidentEncoder // incident version bodies
	wake      chan struct{}
	// lead is the leadership Run holds, or last held (nil when driven by
	// hand): once it ends nothing more is stored, for another server may
	// already run the pipeline.
	lead context.Context
}

// New prepares a pipeline (the agreement's geometry is indexed once). Call
// Run to restore and start it, or Restore and Step to drive it by hand.
func New(cfg Config) (*Pipeline, error) {
	if cfg.Store == nil || cfg.Agreement == nil {
		return nil, pactwatch.Errorf(pactwatch.EINVALID, "a pipeline needs a store and an agreement")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.Incidents == (incident.Config{}) {
		cfg.Incidents = incident.DefaultConfig()
	}
	if cfg.Policy == (compliance.Policy{}) {
		cfg.Policy = compliance.DefaultPolicy()
	}
	ev, err := compliance.New(cfg.Agreement, cfg.Policy)
	if err != nil {
		return nil, err
	}
	return &Pipeline{cfg: cfg, eval: ev, wake: make(chan struct{}, 1)}, nil
}

// Ready reports whether this pipeline leads and has restored its state:
// only then does it answer the review API.
func (p *Pipeline) Ready() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ready
}

// Notify asks the pipeline to look for new observations now (the intake
// calls it after accepting a batch); it never blocks.
func (p *Pipeline) Notify() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run takes the leadership lock (retrying every Poll while another server
// holds it), restores the stored state and then processes observations
// under the leadership until ctx ends. When the leadership is lost
// (PostgreSQL: the lock's session died, so another server may already run
// the pipeline) it stops storing anything, answers EUNAVAILABLE, and goes
// back to trying for the lock; regained, it restores from the store again.
func (p *Pipeline) Run(ctx context.Context) error {
	for {
		lead, release := p.acquire(ctx)
		if lead == nil {
			return nil
		}
		err := p.runLeading(lead)
		release()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		p.cfg.Log.Warn("pipeline: lost the leadership; waiting to lead again")
	}
}

// acquire takes the leadership lock, retrying every Poll; nil when ctx
// ended first.
func (p *Pipeline) acquire(ctx context.Context) (context.Context, func()) {
	for {
		lead, release, ok, err := p.cfg.Store.TryLead(ctx, LeaderLock)
		if err != nil && ctx.Err() == nil {
			p.cfg.Log.Warn("pipeline: leadership", "err", err)
		} else if ok {
			return lead, release
		}
		select {
		case <-ctx.Done():
			return nil, nil
		case <-time.After(p.cfg.Poll):
		}
	}
}

// runLeading restores and processes observations until lead ends; it
// returns an error only when restoring failed while still leading.
func (p *Pipeline) runLeading(lead context.Context) error {
	p.mu.Lock()
	p.lead = lead
	p.mu.Unlock()
	stop := context.AfterFunc(lead, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.ready = false
	})
	defer stop()
	if err := p.Restore(lead); err != nil {
		if lead.Err() != nil {
			return nil
		}
		return err
	}
	p.cfg.Log.Info("pipeline: leading", "cursor", p.cursor, "incidents", len(p.tracker.Incidents()), "cases", len(p.book.Cases()))
	for {
		n, err := p.Step(lead)
		if err != nil && lead.Err() == nil {
			p.cfg.Log.Warn("pipeline: step", "err", err)
		}
		if n > 0 && err == nil {
			if n < p.cfg.Batch {
				// Caught up with a stream: let the next step gather
				// stepGap's worth of observations, so that an incident
				// growing with every request is stored once per gap
				// rather than once per request.
				select {
				case <-lead.Done():
				case <-time.After(stepGap):
				}
			}
			continue // more may be waiting
		}
		select {
		case <-lead.Done():
			p.mu.Lock()
			p.ready = false
			p.mu.Unlock()
			return nil
		case <-p.wake:
		case <-time.After(p.cfg.Poll):
		}
	}
}

// leadLost reports whether the leadership Run held has ended: then the
// pipeline must store nothing more.
func (p *Pipeline) leadLost() bool { return p.lead != nil && p.lead.Err() != nil }

// errNotReady answers review requests on a server that does not run the
// pipeline (not yet restored, or another server leads).
func errNotReady() error {
	return pactwatch.Errorf(pactwatch.EUNAVAILABLE, "the incident pipeline is not running on this server (starting, or another server leads); retry shortly")
}

// Restore rebuilds the tracker and the case book from the stored records
// and sets the cursor after the last observation they hold; it then
// evaluates compliance once, so the violations are known again.
func (p *Pipeline) Restore(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restoreLocked(ctx)
}

func (p *Pipeline) restoreLocked(ctx context.Context) error {
	p.ready = false
	p.restoring = true
	defer func() { p.restoring = false }()
	tr := incident.NewTracker(p.cfg.Incidents, p.cfg.Now)
	book := compliance.NewBook(p.cfg.Agreement, p.cfg.Policy, p.cfg.Now)
	latest := map[string]*incident.Incident{}
	var order []string
	decisions := map[string][]*incident.Decision{}
	err := p.scan(ctx, ledger.TypeDecision, func(r store.GenericRecord) error {
		if strings.HasPrefix(r.ID, incidentPrefix) {
			inc := new(incident.Incident)
			if err := json.Unmarshal(r.Body, inc); err != nil {
				return pactwatch.Internal(err)
			}
			if latest[inc.ID] == nil {
				order = append(order, inc.ID)
			}
			latest[inc.ID] = inc
			return nil
		}
		d := new(incident.Decision)
		if err := json.Unmarshal(r.Body, d); err != nil {
			return pactwatch.Internal(err)
		}
		decisions[d.Incident] = append(decisions[d.Incident], d)
		return nil
	})
	if err != nil {
		return err
	}
	var incs []*incident.Incident
	var cursor int64
	for _, id := range order {
		inc := latest[id]
		incs = append(incs, inc)
		for _, r := range inc.Reports {
			cursor = max(cursor, r.Seq)
		}
	}
	if err := tr.Restore(incs); err != nil {
		return err
	}
	cases := map[string]*compliance.Case{}
	var caseOrder []string
	err = p.scan(ctx, ledger.TypeCase, func(r store.GenericRecord) error {
		var t compliance.Transition
		if err := json.Unmarshal(r.Body, &t); err != nil {
			return pactwatch.Internal(err)
		}
		if cases[t.Case] == nil {
			caseOrder = append(caseOrder, t.Case)
		}
		c := t.Snapshot
		cases[t.Case] = &c
		return nil
	})
	if err != nil {
		return err
	}
	var list []*compliance.Case
	for _, id := range caseOrder {
		list = append(list, cases[id])
	}
	if err := book.Restore(list); err != nil {
		return err
	}
	p.tracker, p.book, p.cursor, p.decisions = tr, book, cursor, decisions
	p.dirty = true
	if err := p.evaluateLocked(ctx); err != nil {
		return err
	}
	p.ready = !p.leadLost()
	return nil
}

// scan visits every stored record of one type in ledger order.
func (p *Pipeline) scan(ctx context.Context, typ string, f func(store.GenericRecord) error) error {
	var from int64
	for {
		recs, err := p.cfg.Store.Records(ctx, typ, from, store.MaxLimit)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if err := f(r); err != nil {
				return err
			}
			from = r.Index + 1
		}
		if len(recs) < store.MaxLimit {
			return nil
		}
	}
}

// Step processes the next batch of accepted observations: clusters them,
// persists the incident versions they make, and evaluates compliance when
// verified incidents changed. It returns how many observations it read.
func (p *Pipeline) Step(ctx context.Context) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tracker == nil {
		return 0, errNotReady()
	}
	recs, err := p.cfg.Store.Observations(ctx, store.ObservationFilter{After: p.cursor, Limit: p.cfg.Batch})
	if err != nil {
		return 0, err
	}
	if len(recs) == 0 {
		return 0, p.evaluateLocked(ctx)
	}
	// Each incident the batch changed is stored once, at its version after
	// the batch: its history lists every version in between, and a restart
	// resumes after the batch's last observation, so nothing is lost. One
	// version per observation instead would store (and canonicalise) a
	// growing incident once per report — quadratic in its size.
	var touched []*incident.Incident
	seen := map[*incident.Incident]bool{}
	for i := range recs {
		rec := &recs[i]
		_, held := p.tracker.IncidentOf(rec.ID)
		inc, err := p.tracker.Add(rec)
		if err != nil {
			// A record the engine cannot cluster (it passed the intake's
			// validation, so this is a vocabulary change): skip it, say so.
			p.cfg.Log.Warn("pipeline: observation not clustered", "id", rec.ID, "err", err)
			continue
		}
		if inc.Status == incident.Verified {
			p.dirty = true
		}
		if !held && !seen[inc] {
			// A record already held (a replay) changes nothing to store.
			seen[inc] = true
			touched = append(touched, inc)
		}
	}
	var out batch
	for _, inc := range touched {
		if err := out.incident(&p.enc, inc); err != nil {
			return 0, err
		}
	}
	if err := p.commit(ctx, &out); err != nil {
		return 0, err
	}
	p.cursor = recs[len(recs)-1].Seq
	if err := p.evaluateLocked(ctx); err != nil {
		return len(recs), err
	}
	return len(recs), nil
}

// evaluateLocked re-evaluates the verified incidents when they changed and
// ingests the violations into the case book, persisting the transitions.
func (p *Pipeline) evaluateLocked(ctx context.Context) error {
	if !p.dirty {
		return nil
	}
	res, err := p.eval.Evaluate(ctx, compliance.Inputs{Incidents: p.tracker.Verified()}, p.cfg.Now())
	if err != nil {
		return err
	}
	var out batch
	for _, t := range p.book.Ingest(res.Violations) {
		if err := out.transition(&t); err != nil {
			return err
		}
	}
	if err := p.commit(ctx, &out); err != nil {
		return err
	}
	p.result = res
	p.byID = make(map[string]*compliance.Violation, len(res.Violations))
	for i := range res.Violations {
		p.byID[res.Violations[i].ID] = &res.Violations[i]
	}
	p.dirty = false
	return nil
}

// batch collects the records of one change, appended in one transaction.
type batch struct {
	recs      []store.GenericRecord
	decisions []*incident.Decision
}

func salt() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

func canonical(v any) ([]byte, error) {
	return pactwatch.CanonicalJSON(v)
}

// incident adds the incident's current version.
func (b *batch) incident(enc *incidentEncoder, inc *incident.Incident) error {
	body, err := enc.encode(inc)
	if err != nil {
		return err
	}
	at := inc.History[len(inc.History)-1].At
	id := VersionID(inc.ID, inc.Version)
	s := salt()
	b.recs = append(b.recs, store.GenericRecord{Type: ledger.TypeDecision, ID: id, Time: at, Body: body,
		Leaf: store.Leaf{Entry: ledger.NewEntry(ledger.TypeDecision, id, at, body, s, nil, nil), Salt: s}})
	return nil
}

// VersionID is the record (and ledger entry) id of an incident version.
func VersionID(incidentID string, version int) string {
	return incidentPrefix + incidentID + "/v" + strconv.Itoa(version)
}

// decision adds a review decision.
func (b *batch) decision(d *incident.Decision) error {
	body, err := d.Canonical()
	if err != nil {
		return err
	}
	s := salt()
	e, err := d.LedgerEntry(s)
	if err != nil {
		return err
	}
	b.recs = append(b.recs, store.GenericRecord{Type: ledger.TypeDecision, ID: d.ID, Time: d.At, Body: body, Leaf: store.Leaf{Entry: e, Salt: s}})
	b.decisions = append(b.decisions, d)
	return nil
}

// transition adds a case transition.
func (b *batch) transition(t *compliance.Transition) error {
	body, err := t.Canonical()
	if err != nil {
		return err
	}
	s := salt()
	e, err := t.LedgerEntry(s)
	if err != nil {
		return err
	}
	b.recs = append(b.recs, store.GenericRecord{Type: ledger.TypeCase, ID: t.ID, Time: t.At, Body: body, Leaf: store.Leaf{Entry: e, Salt: s}})
	return nil
}

// commit appends the batch's records in one transaction. If that fails the
// in-memory state is ahead of the store: it is rebuilt from the store, so
// what callers see is always what is stored.
func (p *Pipeline) commit(ctx context.Context, b *batch) error {
	if len(b.recs) == 0 {
		return nil
	}
	if p.leadLost() {
		// Another server may lead now: store nothing. The state in
		// memory is restored from the store when leading again.
		p.ready = false
		return errNotReady()
	}
	if _, err := p.cfg.Store.AppendRecords(ctx, b.recs); err != nil {
		if p.leadLost() {
			p.ready = false
			return errors.Join(err, errNotReady())
		}
		if p.restoring {
			return err
		}
		p.cfg.Log.Warn("pipeline: persisting failed; restoring from the store", "err", err)
		if rerr := p.restoreLocked(context.WithoutCancel(ctx)); rerr != nil {
			p.ready = false
			p.tracker = nil
			return errors.Join(err, rerr)
		}
		return err
	}
	for _, d := range b.decisions {
		p.decisions[d.Incident] = append(p.decisions[d.Incident], d)
	}
	return nil
}
