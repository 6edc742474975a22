package pipeline_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/store/storetest"
	"github.com/pactwatch/pactwatch/vocab"
)

// Merging and splitting through the API: versions on every incident
// touched, one decision each in the ledger, specific errors that change
// nothing.
func TestMergeSplitAPI(t *testing.T) {
	ctx := context.Background()
	agr, err := agreement.Load("../examples/ukraine/agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	clk := &clock{t: time.Date(2027, 1, 15, 12, 0, 0, 0, time.UTC)}
	e := start(t, filepath.Join(dir, "p.db"), dir, agr, clk)
	defer e.stop()
	now := clk.now()
	m := newMonitor(t, e, now)
	an := e.client(addPrincipal(t, e, vocab.RoleAnalyst, "", nil, now))
	if err := e.srv.InvalidatePrincipals(ctx); err != nil {
		t.Fatal(err)
	}
	// Two explosions 10 km apart: two incidents of one family, which an
	// analyst knows to be one shelling.
	at := now.Add(-2 * time.Hour)
	ids := m.submit(t, e,
		observation.Observation{ObservedAt: at, Category: vocab.Explosion, Count: 4, SourceType: vocab.Patrol, Grade: "B2", Target: pos(orb.Point{37.60, 48.40}, 0.5)},
		observation.Observation{ObservedAt: at.Add(time.Minute), Category: vocab.Explosion, Count: 6, SourceType: vocab.Patrol, Grade: "B2", Target: pos(orb.Point{37.73, 48.40}, 0.5)},
	)
	storetest.WaitFor(t, "two incidents", func() bool { return len(all(t, e.pl)) == 2 })
	var into, from string
	for id, inc := range all(t, e.pl) {
		if inc.Reports[0].ID == ids[0] {
			into = id
		} else {
			from = id
		}
	}
	code := func(err error, want, what string) {
		t.Helper()
		if got := pactwatch.ErrorCode(err); got != want {
			t.Fatalf("%s: %v, want %s", what, err, want)
		}
	}
	_, err = an.Merge(ctx, client.MergeRequest{Incidents: []string{into}, Reason: "one shelling"})
	code(err, pactwatch.EINVALID, "merging one incident")
	_, err = an.Merge(ctx, client.MergeRequest{Incidents: []string{into, "inc-nope"}, Reason: "one shelling"})
	code(err, pactwatch.ENOTFOUND, "merging an unknown incident")
	_, err = an.Merge(ctx, client.MergeRequest{Incidents: []string{into, from}})
	code(err, pactwatch.EINVALID, "merging without a reason")
	if n := len(all(t, e.pl)); n != 2 {
		t.Fatalf("failed merges changed the incidents: %d", n)
	}
	res, err := an.Merge(ctx, client.MergeRequest{Incidents: []string{into, from}, Reason: "the same battery, one shelling"})
	if err != nil || len(res.Incident.Reports) != 2 || res.Incident.Counts[vocab.Explosion] != 10 { // one reporter: successive events add up
		t.Fatalf("merge: %+v %v", res.Incident, err)
	}
	if got := all(t, e.pl)[from]; got.Status != incident.Merged || got.MergedInto != into {
		t.Fatalf("merged incident: %s into %q", got.Status, got.MergedInto)
	}
	decisions := []*incident.Decision{res.Decision}

	_, err = an.Split(ctx, into, client.SplitRequest{Observations: ids, Reason: "two events after all"})
	code(err, pactwatch.EINVALID, "splitting every report out")
	_, err = an.Split(ctx, into, client.SplitRequest{Observations: []string{"nope"}, Reason: "x"})
	code(err, pactwatch.EINVALID, "splitting an observation that is not there")
	sp, err := an.Split(ctx, into, client.SplitRequest{Observations: ids[1:], Reason: "the second was a separate strike"})
	if err != nil || sp.New == nil || len(sp.Incident.Reports) != 1 || len(sp.New.Reports) != 1 {
		t.Fatalf("split: %+v %v", sp, err)
	}
	decisions = append(decisions, sp.Decision)
	for _, d := range decisions {
		if _, leaf, err := e.st.LeafByRecord(ctx, d.ID); err != nil || leaf.Entry.Type != ledger.TypeDecision {
			t.Fatalf("decision %s not in the ledger: %v", d.ID, err)
		}
	}
	// Every version of every incident touched is stored.
	for _, inc := range all(t, e.pl) {
		for v := 1; v <= inc.Version; v++ {
			if _, _, err := e.st.LeafByRecord(ctx, pipeline.VersionID(inc.ID, v)); err != nil {
				t.Fatalf("%s v%d not stored: %v", inc.ID, v, err)
			}
		}
	}
}
