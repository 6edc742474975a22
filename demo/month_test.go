package demo

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/report"
	"github.com/pactwatch/pactwatch/response/service"
	"github.com/pactwatch/pactwatch/server"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/vocab"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestClock(t *testing.T) {
	real := &fakeClock{now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
	start := real.now.Add(-30 * 24 * time.Hour)
	c := NewClock(start, real.Now)
	if got := c.Now(); !got.Equal(start) || c.Live() {
		t.Fatalf("start: %v live %v", got, c.Live())
	}
	// Between advances it runs at real speed.
	real.set(real.now.Add(time.Minute))
	if got := c.Now(); !got.Equal(start.Add(time.Minute)) {
		t.Fatalf("a minute later: %v", got)
	}
	c.Advance(start.Add(24 * time.Hour))
	if got := c.Now(); !got.Equal(start.Add(24 * time.Hour)) {
		t.Fatalf("advanced a day: %v", got)
	}
	c.Advance(start) // never backwards
	if got := c.Now(); !got.Equal(start.Add(24 * time.Hour)) {
		t.Fatalf("advanced backwards: %v", got)
	}
	// The real clock stepping back does not move it back either.
	real.set(real.now.Add(-time.Hour))
	if got := c.Now(); got.Before(start.Add(24 * time.Hour)) {
		t.Fatalf("real clock stepped back: %v", got)
	}
	real.set(real.now.Add(time.Hour))
	// Advanced to (or past) real time it is real time for ever.
	c.Advance(real.now.Add(time.Hour))
	if !c.Live() || !c.Now().Equal(real.now) {
		t.Fatalf("past real time: %v live %v, real %v", c.Now(), c.Live(), real.now)
	}
	real.set(real.now.Add(time.Second))
	c.Advance(real.now.Add(-time.Hour))
	if !c.Now().Equal(real.now) {
		t.Fatalf("live: %v, real %v", c.Now(), real.now)
	}
	if c := NewClock(real.now.Add(time.Hour), real.Now); !c.Live() || !c.Now().Equal(real.now) {
		t.Fatalf("a start in the future: %v", c.Now())
	}
	c = NewClock(start, real.Now)
	c.GoLive()
	if !c.Live() || !c.Now().Equal(real.now) {
		t.Fatalf("GoLive: %v", c.Now())
	}
}

func TestMonthStart(t *testing.T) {
	a, err := agreement.Default()
	if err != nil {
		t.Fatal(err)
	}
	kyiv := a.Location()
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	if got, want := MonthStart(Config{Agreement: a}, 30, now), time.Date(2026, 10, 23, 0, 0, 0, 0, kyiv); !got.Equal(want) {
		t.Errorf("30 days: %v, want %v", got, want)
	}
	// Not before the agreement takes effect.
	if got, want := MonthStart(Config{Agreement: a}, 90, now), time.Date(2026, 10, 1, 0, 0, 0, 0, kyiv); !got.Equal(want) {
		t.Errorf("90 days: %v, want %v", got, want)
	}
	// An agreement not in force yet: the month is replayed anyway (and
	// finds no violations) rather than not at all.
	early := time.Date(2025, 6, 10, 9, 0, 0, 0, time.UTC)
	if got, want := MonthStart(Config{Agreement: a}, 30, early), time.Date(2025, 5, 11, 0, 0, 0, 0, kyiv); !got.Equal(want) {
		t.Errorf("before the agreement: %v, want %v", got, want)
	}
}

// A day's plan is the same for a seed, its volumes and mix are a
// monitoring mission's, and every report is signed before its step ends.
func TestDayPlan(t *testing.T) {
	a, err := agreement.Default()
	if err != nil {
		t.Fatal(err)
	}
	loc := a.Location()
	plan := func(seed int64, days int) []dated {
		g := &generator{rng: rand.New(rand.NewPCG(uint64(seed), 1)), line: contactLine(a, time.Time{}), holdings: holdingAreas(a)}
		mons := Monitors()
		for _, m := range mons {
			m.key = keyFor(seed, m.Name)
			g.place(m)
		}
		var all []dated
		day := time.Date(2026, 10, 24, 0, 0, 0, 0, loc) // 25 hours long: summer time ends
		for range days {
			next := nextDay(day, loc)
			all = append(all, g.dayPlan(mons, day, next, g.intensity())...)
			day = next
		}
		return all
	}
	p1, p2 := plan(3, 10), plan(3, 10)
	if !reflect.DeepEqual(p1, p2) {
		t.Fatal("the plan is not deterministic")
	}
	// What the seed gives, monitor by monitor and category by category:
	// a change of the simulation shows here (go test -update rewrites it).
	var sum strings.Builder
	reports, counted := map[string]int{}, map[string]int{}
	for _, d := range p1 {
		k := d.m.Name + " " + string(d.o.Category)
		reports[k]++
		counted[k] += d.o.Count
	}
	for _, k := range slices.Sorted(maps.Keys(reports)) {
		fmt.Fprintf(&sum, "%-40s %4d reports %6d events\n", k, reports[k], counted[k])
	}
	golden := filepath.Join("testdata", "dayplan-seed3-10days.txt")
	if *update {
		if err := os.WriteFile(golden, []byte(sum.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if sum.String() != string(want) {
		t.Errorf("ten days for seed 3:\n%s\nwant (%s):\n%s", sum.String(), golden, want)
	}
	if reflect.DeepEqual(p1[:10], plan(4, 10)[:10]) {
		t.Fatal("another seed, the same plan")
	}
	fam := map[vocab.Family]int{}
	events := 0
	monitors := map[vocab.Category]map[string]bool{}
	byMinute := map[time.Time]map[string]bool{}
	for _, d := range p1 {
		o := d.o
		if err := o.Validate(o.SignedAt, time.Minute); err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		day := o.ObservedAt.In(loc)
		dayStart := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
		stepEnd := dayStart.Add((o.ObservedAt.Sub(dayStart)/(StepHours*time.Hour) + 1) * StepHours * time.Hour)
		if next := nextDay(dayStart, loc); stepEnd.After(next) {
			stepEnd = next
		}
		if o.SignedAt.Before(o.ObservedAt) || o.SignedAt.After(stepEnd.Add(-2*time.Minute)) {
			t.Fatalf("observed %v, signed %v, step ends %v", o.ObservedAt, o.SignedAt, stepEnd)
		}
		for _, p := range []*observation.Position{o.Observer, o.Target, o.Origin} {
			// Around the front and the holding areas, never elsewhere.
			if p != nil && (p.Lat < 44 || p.Lat > 52 || p.Lon < 30 || p.Lon > 41) {
				t.Fatalf("position off the front: %+v", p)
			}
		}
		fam[o.Category.Family()]++
		if o.Category.Family() == vocab.FamilyFire {
			events += o.Count
		}
		if monitors[o.Category] == nil {
			monitors[o.Category] = map[string]bool{}
		}
		monitors[o.Category][d.m.Name] = true
		if byMinute[o.ObservedAt] == nil {
			byMinute[o.ObservedAt] = map[string]bool{}
		}
		byMinute[o.ObservedAt][d.m.Name] = true
	}
	// Tens to hundreds of ceasefire violations a day, counted as events;
	// most reports are of fire; weapons, strikes and restrictions appear.
	if perDay := events / 10; perDay < 100 || perDay > 3000 {
		t.Errorf("%d fire events a day", perDay)
	}
	if fam[vocab.FamilyFire] < len(p1)*6/10 {
		t.Errorf("fire reports %d of %d", fam[vocab.FamilyFire], len(p1))
	}
	for _, f := range []vocab.Family{vocab.FamilyWeapons, vocab.FamilyStrike, vocab.FamilyMission} {
		if fam[f] == 0 {
			t.Errorf("no %s reports", f)
		}
	}
	if !monitors[vocab.WeaponMissing]["inspection-team"] {
		t.Error("no weapons missing from holding areas in ten days")
	}
	// Partners report the same impacts: independent sources of one incident.
	shared := 0
	for _, ms := range byMinute {
		if ms["camera-shyrokyne"] && ms["patrol-south"] || ms["acoustic-avdiivka"] && ms["patrol-north"] {
			shared++
		}
	}
	if shared < 20 {
		t.Errorf("only %d impacts reported by two sources", shared)
	}
}

// testServer is a server with its pipeline and response service on a
// fake real clock, the demo clock over it, and the month's hooks.
func testServer(t testing.TB, real func() time.Time, days int) (Config, *service.Service) {
	t.Helper()
	ctx := t.Context()
	a, err := agreement.Default()
	if err != nil {
		t.Fatal(err)
	}
	start := MonthStart(Config{Agreement: a}, days, real())
	clk := NewClock(start, real)
	dir := t.TempDir()
	st, svc, pl, hs, tok := startServer(t, a, dir, clk.Now, start.Add(-48*time.Hour))
	if err := pl.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	hooks := Hooks{
		Settle: func(ctx context.Context) error {
			for {
				if n, err := pl.Step(ctx); err != nil || n == 0 {
					return err
				}
			}
		},
		Tick: func(ctx context.Context) (int, error) {
			ts, err := svc.Tick(ctx)
			return len(ts), err
		},
		Publish: func(ctx context.Context) ([]string, error) {
			return (&report.Publisher{Store: st, Agreement: a, NewLeaf: server.NewLeaf, Now: clk.Now}).PublishDue(ctx)
		},
	}
	return Config{Client: client.New(hs.URL, tok), Agreement: a, Dir: filepath.Join(dir, "demo"), Seed: 5, Days: days,
		ServerURL: hs.URL, Clock: clk, Hooks: hooks}, svc
}

// A short month through a real server: the same seed and real time give
// the same month; guarantors act on time, late and never; every day's
// report is published; the clock ends live.
func TestMonth(t *testing.T) {
	if testing.Short() {
		t.Skip("replays three days through a server")
	}
	now := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	real := func() time.Time { return now }
	var results [2]MonthResult
	for i := range results {
		cfg, svc := testServer(t, real, 3)
		res, err := Month(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		results[i] = res
		if !cfg.Clock.Live() || !cfg.Clock.Now().Equal(now) {
			t.Fatalf("the clock after the month: %v", cfg.Clock.Now())
		}
		runs, err := svc.Runs(t.Context(), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != res.Runs {
			t.Errorf("%d runs stored, %d counted", len(runs), res.Runs)
		}
	}
	a, b := results[0], results[1]
	if a != b {
		t.Fatalf("the same seed gave two months:\n%+v\n%+v", a, b)
	}
	t.Logf("%+v", a)
	if a.Days != 3 || a.Reports != 3 || a.Monitors != len(Monitors()) {
		t.Errorf("days %d, reports %d, monitors %d", a.Days, a.Reports, a.Monitors)
	}
	if a.Observations < 150 || a.Incidents < 50 || a.Verified == 0 || a.Rejected == 0 {
		t.Errorf("volumes: %+v", a)
	}
	if a.Confirmed < 3 || a.Remedied == 0 || a.Runs < a.Confirmed || a.OnTime == 0 || a.Late == 0 || a.Missed == 0 {
		t.Errorf("cases and steps: %+v", a)
	}
}

// BenchmarkMonth replays a week through a server per iteration: the
// seeding's speed (serve --demo prints the month's figure).
func BenchmarkMonth(b *testing.B) {
	now := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	real := func() time.Time { return now }
	for b.Loop() {
		b.StopTimer()
		cfg, _ := testServer(b, real, 7)
		b.StartTimer()
		res, err := Month(b.Context(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Observations), "observations/op")
		b.ReportMetric(float64(res.Incidents), "decisions/op")
	}
}

// On a date before the agreement takes effect the month is replayed all
// the same: observations, reviews and reports, but no violations.
func TestMonthBeforeAgreement(t *testing.T) {
	if testing.Short() {
		t.Skip("replays two days through a server")
	}
	now := time.Date(2025, 6, 10, 9, 0, 0, 0, time.UTC)
	cfg, _ := testServer(t, func() time.Time { return now }, 2)
	res, err := Month(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Days != 2 || res.Observations == 0 || res.Verified == 0 || res.Cases != 0 || res.Runs != 0 {
		t.Errorf("%+v", res)
	}
}

// startServer serves the real API over a SQLite store in dir on the clock
// now, with the response service and the incident pipeline (not yet
// restored), and returns an admin token valid from adminFrom.
func startServer(t testing.TB, a *agreement.Agreement, dir string, now func() time.Time, adminFrom time.Time) (store.Store, *service.Service, *pipeline.Pipeline, *httptest.Server, string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "db"), store.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := service.New(st, a, now, nil)
	pcfg := pipeline.FromAgreement(a)
	pcfg.Store, pcfg.Now = st, now
	pl, err := pipeline.New(pcfg)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: st, DataDir: dir, Now: now, Response: svc, Pipeline: pl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	p, tok, err := server.NewPrincipal(client.PrincipalRequest{Name: "admin", Role: string(vocab.RoleAdmin), ValidFrom: &adminFrom}, now())
	if err != nil {
		t.Fatal(err)
	}
	if err := server.AddPrincipal(ctx, st, p); err != nil {
		t.Fatal(err)
	}
	if err := srv.InvalidatePrincipals(ctx); err != nil {
		t.Fatal(err)
	}
	return st, svc, pl, hs, tok
}
