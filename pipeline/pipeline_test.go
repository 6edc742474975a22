package pipeline_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storetest"
	"github.com/pactwatch/pactwatch/vocab"
)

// flaky is a store whose AppendRecords fails while fail is set, as a
// database that went away would.
type flaky struct {
	store.Store
	fail atomic.Bool
}

func (f *flaky) AppendRecords(ctx context.Context, recs []store.GenericRecord) ([]store.AppendResult, error) {
	if f.fail.Load() {
		return nil, pactwatch.Errorf(pactwatch.EUNAVAILABLE, "database unavailable")
	}
	return f.Store.AppendRecords(ctx, recs)
}

func openStore(t testing.TB, path string, clk *clock) *flaky {
	t.Helper()
	st, err := store.Open(context.Background(), path, store.Options{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return &flaky{Store: st}
}

func newPipeline(t testing.TB, st store.Store, clk *clock) *pipeline.Pipeline {
	t.Helper()
	a, err := agreement.Load("../examples/ukraine/agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.FromAgreement(a)
	cfg.Store, cfg.Now = st, clk.now
	pl, err := pipeline.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := pl.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	return pl
}

// seed stores n patrol reports of one shelling (a direct B2 observation
// corroborates it).
func seed(t *testing.T, st store.Store, from, n int, at time.Time) {
	t.Helper()
	var recs []observation.Record
	var leaves []store.Leaf
	for i := from; i < from+n; i++ {
		r, l := storetest.Obs(i, vocab.Explosion, at.Add(time.Duration(i)*time.Minute), &observation.Position{Lon: 37.62, Lat: 48.47, UncertaintyM: 500})
		recs, leaves = append(recs, r), append(leaves, l)
	}
	if _, err := st.InsertObservations(context.Background(), recs, leaves); err != nil {
		t.Fatal(err)
	}
}

func records(t testing.TB, st store.Store, typ string) int {
	t.Helper()
	recs, err := st.Records(context.Background(), typ, 0, store.MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

func only(t testing.TB, pl *pipeline.Pipeline) *incident.Incident {
	t.Helper()
	var out []*incident.Incident
	for _, s := range []incident.Status{incident.Corroborated, incident.Verified, incident.Reported} {
		got, err := pl.Incidents(pipeline.Filter{Status: s})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got...)
	}
	if len(out) != 1 {
		t.Fatalf("%d incidents, want 1", len(out))
	}
	return out[0]
}

// Each step persists each incident it changed once, at its version after
// the step (whose history lists the versions in between); a new pipeline
// on the same store restores them and resumes after the last observation,
// processing nothing twice.
func TestStepPersistsAndResumes(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2027, 1, 15, 12, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "p.db")
	st := openStore(t, path, clk)
	seed(t, st, 0, 3, clk.now().Add(-3*time.Hour))
	pl := newPipeline(t, st, clk)
	if n, err := pl.Step(ctx); n != 3 || err != nil {
		t.Fatalf("step: %d, %v", n, err)
	}
	inc := only(t, pl)
	if inc.Version != 3 || inc.Status != incident.Corroborated || records(t, st, ledger.TypeDecision) != 1 || len(inc.History) != 3 {
		t.Fatalf("v%d %s, %d records, %d changes; want v3 corroborated, 1 version record, 3 changes", inc.Version, inc.Status, records(t, st, ledger.TypeDecision), len(inc.History))
	}
	if _, _, err := st.LeafByRecord(ctx, pipeline.VersionID(inc.ID, 3)); err != nil {
		t.Fatalf("v3 not stored: %v", err)
	}
	st.Close()

	st = openStore(t, path, clk)
	defer st.Close()
	pl = newPipeline(t, st, clk)
	if n, err := pl.Step(ctx); n != 0 || err != nil {
		t.Fatalf("step after restart: %d, %v; want nothing to do", n, err)
	}
	if got := only(t, pl); got.Version != 3 || len(got.Reports) != 3 || len(got.History) != 3 {
		t.Fatalf("restored v%d with %d reports, %d changes", got.Version, len(got.Reports), len(got.History))
	}
	seed(t, st, 3, 1, clk.now().Add(-3*time.Hour))
	if n, err := pl.Step(ctx); n != 1 || err != nil {
		t.Fatalf("step: %d, %v", n, err)
	}
	if got := only(t, pl); got.Version != 4 || records(t, st, ledger.TypeDecision) != 2 {
		t.Fatalf("after a fourth report: v%d, %d records", got.Version, records(t, st, ledger.TypeDecision))
	}
}

// When the store refuses a write the pipeline's state is what the store
// holds: the decision did not happen, the observations are still to do.
func TestFailedWriteChangesNothing(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2027, 1, 15, 12, 0, 0, 0, time.UTC)}
	st := openStore(t, filepath.Join(t.TempDir(), "p.db"), clk)
	defer st.Close()
	seed(t, st, 0, 2, clk.now().Add(-3*time.Hour))
	pl := newPipeline(t, st, clk)
	st.fail.Store(true)
	if _, err := pl.Step(ctx); pactwatch.ErrorCode(err) != pactwatch.EUNAVAILABLE {
		t.Fatalf("step with the store down: %v", err)
	}
	if list, _ := pl.Incidents(pipeline.Filter{}); len(list) != 0 {
		t.Fatalf("%d incidents kept from an unstored step", len(list))
	}
	st.fail.Store(false)
	if n, err := pl.Step(ctx); n != 2 || err != nil {
		t.Fatalf("step: %d, %v", n, err)
	}
	inc := only(t, pl)
	st.fail.Store(true)
	if _, _, err := pl.Decide(ctx, inc.ID, "analyst-1", incident.OutcomeVerified, "", "", nil); pactwatch.ErrorCode(err) != pactwatch.EUNAVAILABLE {
		t.Fatalf("deciding with the store down: %v", err)
	}
	if got := only(t, pl); got.Status != incident.Corroborated || got.Version != inc.Version {
		t.Fatalf("after a failed decision: %s v%d, want %s v%d", got.Status, got.Version, inc.Status, inc.Version)
	}
	st.fail.Store(false)
	d, got, err := pl.Decide(ctx, inc.ID, "analyst-1", incident.OutcomeVerified, "", "two patrols", nil)
	if err != nil || got.Status != incident.Verified || d.Analyst != "analyst-1" {
		t.Fatalf("deciding: %+v %v", d, err)
	}
	if _, leaf, err := st.LeafByRecord(ctx, d.ID); err != nil || leaf.Entry.Type != ledger.TypeDecision {
		t.Fatalf("the decision's ledger entry: %v", err)
	}
	if _, leaf, err := st.LeafByRecord(ctx, pipeline.VersionID(inc.ID, got.Version)); err != nil || leaf.Entry.Type != ledger.TypeDecision {
		t.Fatalf("the new version's ledger entry: %v", err)
	}
}

// A pipeline that does not lead answers 503, never stale data.
func TestNotReady(t *testing.T) {
	clk := &clock{t: time.Date(2027, 1, 15, 12, 0, 0, 0, time.UTC)}
	st := openStore(t, filepath.Join(t.TempDir(), "p.db"), clk)
	defer st.Close()
	a, err := agreement.Load("../examples/ukraine/agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.FromAgreement(a)
	cfg.Store = st
	pl, err := pipeline.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pl.Incidents(pipeline.Filter{}); pactwatch.ErrorCode(err) != pactwatch.EUNAVAILABLE {
		t.Fatalf("before restoring: %v", err)
	}
	if _, err := pl.Cases(""); pactwatch.ErrorCode(err) != pactwatch.EUNAVAILABLE {
		t.Fatalf("before restoring: %v", err)
	}
}
