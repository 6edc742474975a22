package incident

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/geo"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/vocab"
)

var update = flag.Bool("update", false, "rewrite golden files")

// reviewFixture: three incidents far apart — corroborated (a B2 patrol),
// reported (a C3 patrol) and corroborated (a camera).
func reviewFixture(t *testing.T) (*Tracker, *clock, []*Incident) {
	tr, c := newTracker()
	var out []*Incident
	for i, spec := range []struct {
		st    vocab.SourceType
		grade vocab.Grade
		cat   vocab.Category
	}{{vocab.Patrol, "B2", vocab.Explosion}, {vocab.Patrol, "C3", vocab.BurstOfFire}, {vocab.StaticCamera, "B1", vocab.HeavyWeaponSighted}} {
		r := rec([]string{"obs-a", "obs-b", "obs-c"}[i], "reporter", spec.st, spec.grade, spec.cat, 4, t0.Add(time.Duration(i)*time.Minute))
		r.Target = pos(orb.Point{36 + float64(i), 48}, 0.2)
		out = append(out, mustAdd(t, tr, r))
	}
	return tr, c, out
}

func snapshotJSON(t *testing.T, tr *Tracker) []byte {
	b, err := json.Marshal(tr.Incidents())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReviewErrors: each bad request gets its specific error and changes
// nothing.
func TestReviewErrors(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(tr *Tracker, c *clock, incs []*Incident)
		do       func(tr *Tracker, incs []*Incident) error
		code     string
		sentinel error
	}{
		{"unknown incident", nil, func(tr *Tracker, _ []*Incident) error {
			_, err := tr.Decide("inc-nope", "a1", OutcomeVerified, "", "")
			return err
		}, pactwatch.ENOTFOUND, nil},
		{"claimed by another analyst", func(tr *Tracker, _ *clock, incs []*Incident) {
			tr.Claim(incs[0].ID, "a2")
		}, func(tr *Tracker, incs []*Incident) error {
			_, err := tr.Decide(incs[0].ID, "a1", OutcomeVerified, "", "")
			return err
		}, pactwatch.ECONFLICT, ErrClaimed},
		{"claim held by another", func(tr *Tracker, _ *clock, incs []*Incident) {
			tr.Claim(incs[0].ID, "a2")
		}, func(tr *Tracker, incs []*Incident) error {
			_, err := tr.Claim(incs[0].ID, "a1")
			return err
		}, pactwatch.ECONFLICT, ErrClaimed},
		{"already decided", func(tr *Tracker, _ *clock, incs []*Incident) {
			tr.Decide(incs[0].ID, "a2", OutcomeVerified, "", "")
		}, func(tr *Tracker, incs []*Incident) error {
			_, err := tr.Decide(incs[0].ID, "a1", OutcomeRejected, RejectInaccurate, "")
			return err
		}, pactwatch.ECONFLICT, ErrDecided},
		{"verify uncorroborated", nil, func(tr *Tracker, incs []*Incident) error {
			_, err := tr.Decide(incs[1].ID, "a1", OutcomeVerified, "", "")
			return err
		}, pactwatch.EINVALID, ErrTransition},
		{"dispute twice", func(tr *Tracker, _ *clock, incs []*Incident) {
			tr.Decide(incs[0].ID, "a2", OutcomeDisputed, "", "sources disagree")
		}, func(tr *Tracker, incs []*Incident) error {
			_, err := tr.Decide(incs[0].ID, "a1", OutcomeDisputed, "", "")
			return err
		}, pactwatch.EINVALID, ErrTransition},
		{"reject without reason", nil, func(tr *Tracker, incs []*Incident) error {
			_, err := tr.Decide(incs[0].ID, "a1", OutcomeRejected, "", "")
			return err
		}, pactwatch.EINVALID, nil},
		{"unknown outcome", nil, func(tr *Tracker, incs []*Incident) error {
			_, err := tr.Decide(incs[0].ID, "a1", "maybe", "", "")
			return err
		}, pactwatch.EINVALID, nil},
		{"no analyst", nil, func(tr *Tracker, incs []*Incident) error {
			_, err := tr.Decide(incs[0].ID, " ", OutcomeVerified, "", "")
			return err
		}, pactwatch.EINVALID, nil},
		{"decide a merged incident", func(tr *Tracker, _ *clock, incs []*Incident) {
			r := rec("obs-d", "r2", vocab.Patrol, "C3", vocab.Explosion, 1, t0.Add(3*time.Hour))
			r.Target = pos(orb.Point{30, 50}, 0.1)
			d, _ := tr.Add(r)
			if _, err := tr.Merge([]string{incs[0].ID, d.ID}, "a2", "same shelling, late report"); err != nil {
				panic(err)
			}
		}, func(tr *Tracker, incs []*Incident) error {
			merged := ""
			for _, i := range tr.Incidents() {
				if i.Status == Merged {
					merged = i.ID
				}
			}
			_, err := tr.Decide(merged, "a1", OutcomeVerified, "", "")
			return err
		}, pactwatch.EINVALID, ErrTransition},
		{"merge across families", nil, func(tr *Tracker, incs []*Incident) error {
			_, err := tr.Merge([]string{incs[0].ID, incs[2].ID}, "a1", "why not")
			return err
		}, pactwatch.EINVALID, ErrTransition},
		{"merge a decided incident", func(tr *Tracker, _ *clock, incs []*Incident) {
			tr.Decide(incs[0].ID, "a2", OutcomeVerified, "", "")
		}, func(tr *Tracker, incs []*Incident) error {
			_, err := tr.Merge([]string{incs[1].ID, incs[0].ID}, "a1", "same event")
			return err
		}, pactwatch.ECONFLICT, ErrDecided},
		{"merge without reason", nil, func(tr *Tracker, incs []*Incident) error {
			_, err := tr.Merge([]string{incs[0].ID, incs[1].ID}, "a1", "")
			return err
		}, pactwatch.EINVALID, nil},
		{"split out everything", nil, func(tr *Tracker, incs []*Incident) error {
			_, _, err := tr.Split(incs[0].ID, []string{"obs-a"}, "a1", "two events")
			return err
		}, pactwatch.EINVALID, nil},
		{"split a foreign observation", nil, func(tr *Tracker, incs []*Incident) error {
			_, _, err := tr.Split(incs[0].ID, []string{"obs-b"}, "a1", "two events")
			return err
		}, pactwatch.EINVALID, nil},
		{"release an unclaimed incident", nil, func(tr *Tracker, incs []*Incident) error {
			return tr.Release(incs[0].ID, "a1")
		}, pactwatch.EINVALID, ErrTransition},
		{"release another's claim", func(tr *Tracker, _ *clock, incs []*Incident) {
			tr.Claim(incs[0].ID, "a2")
		}, func(tr *Tracker, incs []*Incident) error {
			return tr.Release(incs[0].ID, "a1")
		}, pactwatch.ECONFLICT, ErrClaimed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, c, incs := reviewFixture(t)
			if tc.setup != nil {
				tc.setup(tr, c, incs)
			}
			before := snapshotJSON(t, tr)
			err := tc.do(tr, incs)
			if pactwatch.ErrorCode(err) != tc.code {
				t.Fatalf("error %v (code %q), want code %q", err, pactwatch.ErrorCode(err), tc.code)
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Fatalf("error %v is not %v", err, tc.sentinel)
			}
			var pe *pactwatch.Error
			if !errors.As(err, &pe) || pe.Field == "" {
				t.Fatalf("error %v names no field", err)
			}
			if after := snapshotJSON(t, tr); !bytes.Equal(before, after) {
				t.Fatalf("a failed request changed the incidents:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func TestClaimsExpire(t *testing.T) {
	tr, c, incs := reviewFixture(t)
	id := incs[0].ID
	if _, err := tr.Claim(id, "a2"); err != nil {
		t.Fatal(err)
	}
	if q := tr.Queue(QueueFilter{Unclaimed: true, Analyst: "a1"}); len(q) != 2 {
		t.Fatalf("unclaimed queue for a1: %d incidents, want 2", len(q))
	}
	c.advance(tr.Config.ClaimTTL - time.Second)
	if _, err := tr.Claim(id, "a1"); !errors.Is(err, ErrClaimed) {
		t.Fatalf("claim before expiry: %v", err)
	}
	c.advance(2 * time.Second)
	if _, err := tr.Claim(id, "a1"); err != nil {
		t.Fatalf("claim after expiry: %v", err)
	}
	d, err := tr.Decide(id, "a1", OutcomeVerified, "", "")
	if err != nil {
		t.Fatal(err)
	}
	inc, _ := tr.Get(id)
	if inc.Claim != nil || inc.Status != Verified || d.Status != Verified {
		t.Fatalf("after the decision: claim %v, status %s", inc.Claim, inc.Status)
	}
}

func TestQueueOrderAndFilters(t *testing.T) {
	tr, _, incs := reviewFixture(t)
	q := tr.Queue(QueueFilter{})
	if len(q) != 3 || q[0].ID != incs[0].ID || q[2].ID != incs[2].ID {
		t.Fatalf("queue order: %v", ids(q))
	}
	if q := tr.Queue(QueueFilter{Categories: []vocab.Category{vocab.BurstOfFire}}); len(q) != 1 || q[0].ID != incs[1].ID {
		t.Fatalf("by category: %v", ids(q))
	}
	if q := tr.Queue(QueueFilter{MinGrade: "B2"}); len(q) != 2 {
		t.Fatalf("B2 or better: %v", ids(q))
	}
	area := orb.Polygon{{{36.5, 47.5}, {38.5, 47.5}, {38.5, 48.5}, {36.5, 48.5}, {36.5, 47.5}}}
	if q := tr.Queue(QueueFilter{Area: area}); len(q) != 2 || q[0].ID != incs[1].ID {
		t.Fatalf("by area: %v", ids(q))
	}
	tr.Decide(incs[0].ID, "a1", OutcomeRejected, RejectDuplicate, "")
	if q := tr.Queue(QueueFilter{}); len(q) != 2 {
		t.Fatalf("decided incidents stay queued: %v", ids(q))
	}
}

func ids(incs []*Incident) []string {
	var out []string
	for _, i := range incs {
		out = append(out, i.ID)
	}
	return out
}

// TestMergeSplitKeepHistory: merge and split make new versions naming who
// and why; no report or incident disappears.
func TestMergeSplitKeepHistory(t *testing.T) {
	tr, c, _ := newTrackerWith(t)
	a, _ := tr.Get(mustID(tr, "m1"))
	b, _ := tr.Get(mustID(tr, "m2"))
	c.advance(time.Minute)
	d, err := tr.Merge([]string{a.ID, b.ID}, "a1", "one barrage reported twice")
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != Merged || b.MergedInto != a.ID || len(a.Reports) != 2 || d.Outcome != OutcomeMerged {
		t.Fatalf("after merge: %s → %s, %d reports", b.Status, b.MergedInto, len(a.Reports))
	}
	if a.Counts[vocab.Explosion] != 7 { // two reporters, 7 and 5: max
		t.Fatalf("merged counts %v", a.Counts)
	}
	last := a.History[len(a.History)-1]
	if last.By != "a1" || last.Reason == "" || last.Action != ActionMergedFrom {
		t.Fatalf("merge version %+v", last)
	}
	child, sd, err := tr.Split(a.ID, []string{"m2"}, "a1", "two barrages after all")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Reports) != 1 || len(child.Reports) != 1 || child.Reports[0].ID != "m2" || sd.Related[0] != child.ID {
		t.Fatalf("after split: %d and %d reports", len(a.Reports), len(child.Reports))
	}
	if got, _ := tr.IncidentOf("m2"); got != child.ID {
		t.Fatalf("m2 is in %s, want %s", got, child.ID)
	}
	if len(tr.Incidents()) != 3 {
		t.Fatalf("%d incidents: merged ones must be kept", len(tr.Incidents()))
	}
	for _, inc := range tr.Incidents() {
		for i, h := range inc.History {
			if h.Version != i+1 || h.By == "" || h.At.IsZero() {
				t.Fatalf("%s history %d: %+v", inc.ID, i, h)
			}
		}
	}
}

func newTrackerWith(t *testing.T) (*Tracker, *clock, []*Incident) {
	tr, c := newTracker()
	// Two reports of one event 8 km apart: too far to cluster by default.
	r1 := rec("m1", "p1", vocab.Patrol, "B2", vocab.Explosion, 7, t0)
	r1.Target = pos(orb.Point{37.5, 48.0}, 0.3)
	r2 := rec("m2", "p2", vocab.Patrol, "B2", vocab.Explosion, 5, t0.Add(2*time.Minute))
	r2.Target = pos(orb.Point{37.5, 48.07}, 0.3)
	return tr, c, []*Incident{mustAdd(t, tr, r1), mustAdd(t, tr, r2)}
}

func mustID(tr *Tracker, obs string) string {
	id, ok := tr.IncidentOf(obs)
	if !ok {
		panic(obs)
	}
	return id
}

// TestDecisionGolden pins a decision's canonical bytes and ledger entry.
func TestDecisionGolden(t *testing.T) {
	tr, c, incs := reviewFixture(t)
	c.t = time.Date(2027, 1, 15, 10, 30, 0, 0, time.UTC)
	d, err := tr.Decide(incs[1].ID, "analyst-1", OutcomeRejected, RejectUnverifiable, "no second source")
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	e, err := d.LedgerEntry(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	got := append(append(b, '\n'), e.Marshal()...)
	golden := filepath.Join("testdata", "decision.golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(golden, got, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("decision record changed:\n%s\nwant\n%s", got, want)
	}
	if _, err := ledger.ParseEntry(e.Marshal()); err != nil {
		t.Fatal(err)
	}
}

func TestPublic(t *testing.T) {
	tr, _, incs := reviewFixture(t)
	inc := incs[0]
	if inc.Visible() {
		t.Fatal("an unverified incident is public")
	}
	tr.Decide(inc.ID, "analyst-1", OutcomeVerified, "", "looked hard")
	if !inc.Visible() {
		t.Fatal("a verified incident is not public")
	}
	p := Public(inc)
	b, err := CanonicalPublic(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"reporter", "analyst-1", "looked hard"} {
		if bytes.Contains(b, []byte(secret)) {
			t.Fatalf("public projection reveals %q: %s", secret, b)
		}
	}
	d := geo.DistanceKm(p.Location.Point, inc.Location.Point)
	if d+inc.Location.RadiusKm > p.Location.RadiusKm || p.Location.Point[0] != 36 {
		t.Fatalf("public location %+v does not contain %+v", p.Location, inc.Location)
	}
}

// TestRestore: incidents saved as JSON and restored into a new tracker
// keep clustering new records as before.
func TestRestore(t *testing.T) {
	tr, c, _ := newTrackerWith(t)
	b, err := json.Marshal(tr.Incidents())
	if err != nil {
		t.Fatal(err)
	}
	var saved []*Incident
	if err := json.Unmarshal(b, &saved); err != nil {
		t.Fatal(err)
	}
	back := NewTracker(DefaultConfig(), c.now)
	if err := back.Restore(saved); err != nil {
		t.Fatal(err)
	}
	if again, _ := json.Marshal(back.Incidents()); !bytes.Equal(again, b) {
		t.Fatalf("restored incidents differ:\n%s\n%s", again, b)
	}
	r := rec("m3", "p3", vocab.StaticCamera, "C3", vocab.Explosion, 6, t0.Add(4*time.Minute))
	r.Target = pos(orb.Point{37.5, 48.005}, 0.3)
	inc := mustAdd(t, back, r)
	if inc.ID != saved[0].ID || len(inc.Reports) != 2 || !inc.Corroborated {
		t.Fatalf("new record did not join the restored incident: %+v", inc.ID)
	}
	if err := back.Restore(saved); pactwatch.ErrorCode(err) != pactwatch.ECONFLICT {
		t.Fatalf("restore into a used tracker: %v", err)
	}
	dup := NewTracker(DefaultConfig(), c.now)
	if err := dup.Restore([]*Incident{saved[0], saved[0]}); pactwatch.ErrorCode(err) != pactwatch.EINVALID {
		t.Fatalf("duplicate incident: %v", err)
	}
}
