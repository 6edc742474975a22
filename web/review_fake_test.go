package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/geo"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/vocab"
)

// reviewPipeline is an Incidents (and EvidenceSource) that behaves like
// *pipeline.Pipeline for review: the real incident.Tracker clusters the
// records, runs claims and decisions with their errors, and the fake
// returns copies, keeps decisions per incident and filters as
// Pipeline.Incidents does. Nothing is stored.
type reviewPipeline struct {
	mu        sync.Mutex
	agreement *agreement.Agreement
	tracker   *incident.Tracker
	decisions map[string][]*incident.Decision
	records   map[string]observation.Record
	files     map[string][]byte // evidence bytes by SHA-256
	types     map[string]string // evidence media types
	now       func() time.Time
}

func newReviewPipeline(a *agreement.Agreement, now func() time.Time) *reviewPipeline {
	return &reviewPipeline{
		agreement: a, tracker: incident.NewTracker(incident.DefaultConfig(), now), now: now,
		decisions: map[string][]*incident.Decision{}, records: map[string]observation.Record{},
		files: map[string][]byte{}, types: map[string]string{},
	}
}

// add clusters a record, as the pipeline does on ingest.
func (p *reviewPipeline) add(t testing.TB, rec observation.Record) *incident.Incident {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	inc, err := p.tracker.Add(&rec)
	if err != nil {
		t.Fatal(err)
	}
	p.records[rec.ID] = rec
	return copyOf(inc)
}

// addFile registers an evidence file.
func (p *reviewPipeline) addFile(sum, mediaType string, data []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.files[sum], p.types[sum] = data, mediaType
}

func copyOf[T any](v *T) *T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	out := new(T)
	if err := json.Unmarshal(b, out); err != nil {
		panic(err)
	}
	return out
}

func (p *reviewPipeline) Agreement() *agreement.Agreement { return p.agreement }

func (p *reviewPipeline) Incidents(f pipeline.Filter) ([]*incident.Incident, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var list []*incident.Incident
	if f.Status == "" || f.Status.Open() {
		list = p.tracker.Queue(incident.QueueFilter{Area: f.Area, Categories: f.Categories, MinGrade: f.MinGrade})
	} else {
		for _, inc := range p.tracker.Incidents() {
			if inc.Status == f.Status && matchDecided(inc, f) {
				list = append(list, inc)
			}
		}
		sort.SliceStable(list, func(i, j int) bool { return list[i].First.Before(list[j].First) })
	}
	var out []*incident.Incident
	for _, inc := range list {
		if f.Status != "" && inc.Status != f.Status {
			continue
		}
		out = append(out, copyOf(inc))
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out, nil
}

// matchDecided is the pipeline's filter of decided incidents.
func matchDecided(inc *incident.Incident, f pipeline.Filter) bool {
	if len(f.Categories) > 0 && !slices.ContainsFunc(f.Categories, func(c vocab.Category) bool { _, ok := inc.Counts[c]; return ok }) {
		return false
	}
	if f.MinGrade != "" && (!inc.BestGrade.Valid() || inc.BestGrade.Reliability() > f.MinGrade.Reliability() || inc.BestGrade.Credibility() > f.MinGrade.Credibility()) {
		return false
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

func (p *reviewPipeline) Incident(id string) (*incident.Incident, []*incident.Decision, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	inc, err := p.tracker.Get(id)
	if err != nil {
		return nil, nil, err
	}
	var ds []*incident.Decision
	for _, d := range p.decisions[id] {
		ds = append(ds, copyOf(d))
	}
	return copyOf(inc), ds, nil
}

func (p *reviewPipeline) Claim(id, analyst string) (*incident.Claim, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tracker.Claim(id, analyst)
}

func (p *reviewPipeline) Decide(_ context.Context, id, analyst string, outcome incident.Outcome, reason incident.RejectReason, note string, observations []string) (*incident.Decision, *incident.Incident, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, o := range observations {
		if got, ok := p.tracker.IncidentOf(o); !ok || got != id {
			if _, err := p.tracker.Get(id); err != nil {
				return nil, nil, err
			}
			return nil, nil, pactwatch.FieldErrorf(pactwatch.EINVALID, fmt.Sprintf("observations[%d]", i), "observation %q is not in incident %s", o, id)
		}
	}
	d, err := p.tracker.Decide(id, analyst, outcome, reason, note)
	if err != nil {
		return nil, nil, err
	}
	if len(observations) > 0 {
		d.Observations = slices.Compact(slices.Sorted(slices.Values(observations)))
	}
	p.decisions[id] = append(p.decisions[id], d)
	inc, _ := p.tracker.Get(id)
	return copyOf(d), copyOf(inc), nil
}

func (p *reviewPipeline) Cases(compliance.CaseStatus) ([]*compliance.Case, error) { return nil, nil }
func (p *reviewPipeline) Case(id string) (*compliance.Case, []compliance.Violation, error) {
	return nil, nil, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "case", "no case %q", id)
}
func (p *reviewPipeline) Violations() (*compliance.Result, error) { return &compliance.Result{}, nil }

// Observation implements EvidenceSource.
func (p *reviewPipeline) Observation(_ context.Context, id string) (observation.Record, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.records[id]
	if !ok {
		return observation.Record{}, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "id", "no observation %q", id)
	}
	return r, nil
}

// Evidence implements EvidenceSource.
func (p *reviewPipeline) Evidence(_ context.Context, sum string) (store.Evidence, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	data, ok := p.files[sum]
	if !ok {
		return store.Evidence{}, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "sha256", "no evidence %s", sum)
	}
	return store.Evidence{SHA256: sum, Size: int64(len(data)), MediaType: p.types[sum], UploadedBy: "monitor-1"}, nil
}

// OpenEvidence implements EvidenceSource.
func (p *reviewPipeline) OpenEvidence(ctx context.Context, sum string) (store.Evidence, io.ReadCloser, error) {
	ev, err := p.Evidence(ctx, sum)
	if err != nil {
		return ev, nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return ev, io.NopCloser(bytes.NewReader(p.files[sum])), nil
}

var (
	_ Incidents      = (*reviewPipeline)(nil)
	_ EvidenceSource = (*reviewPipeline)(nil)
)

// reviewRecord is an observation record of the review tests.
func reviewRecord(id, reporter string, st vocab.SourceType, grade vocab.Grade, cat vocab.Category, count int, at time.Time, at2 orb.Point) observation.Record {
	return observation.Record{Observation: observation.Observation{
		ID: id, ObservedAt: at, TimePrecision: observation.PrecisionMinute, SignedAt: at,
		Category: cat, Count: count, SourceType: st, Grade: grade, Reporter: reporter,
		Target:   &observation.Position{Lon: at2[0], Lat: at2[1], UncertaintyM: 300},
		Observer: &observation.Position{Lon: at2[0] + 0.03, Lat: at2[1] + 0.02, UncertaintyM: 20},
	}, PrincipalID: "monitor-" + reporter, ReceivedAt: at.Add(time.Minute)}
}
