package report

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storetest"
)

func TestPublisher(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "pactwatch.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	in := fixture(t)
	var leaves []store.Leaf
	for _, o := range in.Observations {
		leaves = append(leaves, storetest.LeafFor("observation", o.ID, o.ReceivedAt, []byte(o.ID)))
	}
	if _, err := st.InsertObservations(ctx, in.Observations, leaves); err != nil {
		t.Fatal(err)
	}
	now := utc("2026-11-21T00:00:00Z") // 02:00 in Kyiv: the 20th is due
	p := &Publisher{Store: st, Agreement: in.Agreement, Now: func() time.Time { return now }, CatchUp: 3,
		NewLeaf: func(typ, id string, t time.Time, canonical, _ []byte) store.Leaf {
			return storetest.LeafFor(typ, id, t, canonical)
		}}

	got, err := p.PublishDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"report:daily:2026-11-18", "report:daily:2026-11-19", "report:daily:2026-11-20"}; !slices.Equal(got, want) {
		t.Errorf("published %v, want %v", got, want)
	}
	if got, err := p.PublishDue(ctx); err != nil || len(got) != 0 {
		t.Errorf("second call published %v (%v), want nothing", got, err)
	}
	// Publishing a day again appends nothing: same body.
	if existed, err := p.Publish(ctx, "2026-11-20"); err != nil || !existed {
		t.Errorf("republish: existed %v, %v", existed, err)
	}
	if _, err := p.Publish(ctx, "2026-11-21"); pactwatch.ErrorCode(err) != pactwatch.EINVALID {
		t.Errorf("publishing a day not yet due: %v", err)
	}

	// A record inserted into a published day afterwards (it could only be
	// by tampering or a clock far off) makes a different report: refused.
	late := obs{id: "late", at: "2026-11-18T10:00:00Z", cat: "explosion", n: 1, where: horlivka}.record()
	if _, err := st.InsertObservations(ctx, []observation.Record{late}, []store.Leaf{storetest.LeafFor("observation", "late", late.ReceivedAt, []byte("late"))}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Publish(ctx, "2026-11-18"); pactwatch.ErrorCode(err) != pactwatch.ECONFLICT {
		t.Errorf("republishing a changed day: %v, want ECONFLICT", err)
	}

	// Catch-up never reaches before the agreement's effective day.
	early := *p
	early.Now = func() time.Time { return utc("2026-10-02T10:00:00Z") }
	early.CatchUp = 0
	if got, err := early.PublishDue(ctx); err != nil || !slices.Equal(got, []string{"report:daily:2026-10-01"}) {
		t.Errorf("first day of the agreement: published %v (%v)", got, err)
	}

	rec, err := st.Record(ctx, "report:daily:2026-11-20")
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal(rec.Body, &r); err != nil {
		t.Fatal(err)
	}
	// The published report is as of 02:00 on the 21st: o09, received at
	// 01:00 local, is in it (the fixture's own as-of, 00:30, left it out).
	if r.Ceasefire.Total.Day.Explosions != 16 || !r.Complete || rec.Type != "report" || !rec.Time.Equal(now) {
		t.Errorf("published: explosions %d, complete %v, type %s, time %v", r.Ceasefire.Total.Day.Explosions, r.Complete, rec.Type, rec.Time)
	}
}
