package pipeline_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storetest"
	"github.com/pactwatch/pactwatch/vocab"
)

// BenchmarkCatchUp measures how fast a pipeline clusters and persists a
// backlog of stored observations (b.N of them, a few reports per event
// spread along the front) on SQLite, and how fast a restart restores it.
func BenchmarkCatchUp(b *testing.B) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2027, 1, 20, 12, 0, 0, 0, time.UTC)}
	dir := b.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "b.db"), store.Options{Now: clk.now})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	start := clk.now().Add(-72 * time.Hour)
	var recs []observation.Record
	var leaves []store.Leaf
	for i := range b.N {
		ev := i / 3 // three reports per event
		p := &observation.Position{Lon: 36 + float64(ev%400)*0.01, Lat: 47.5 + float64(ev%7)*0.05, UncertaintyM: 500}
		r, l := storetest.Obs(i, vocab.Explosion, start.Add(time.Duration(ev)*time.Minute), p)
		recs, leaves = append(recs, r), append(leaves, l)
		if len(recs) == 1000 || i == b.N-1 {
			if _, err := st.InsertObservations(ctx, recs, leaves); err != nil {
				b.Fatal(err)
			}
			recs, leaves = nil, nil
		}
	}
	b.ResetTimer()
	pl := newPipeline(b, st, clk)
	for {
		n, err := pl.Step(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "obs/s")
	t0 := time.Now()
	newPipeline(b, st, clk)
	b.ReportMetric(time.Since(t0).Seconds(), "restore-s")
	recsN := 0
	for from := int64(0); ; {
		rs, err := st.Records(ctx, ledger.TypeDecision, from, store.MaxLimit)
		if err != nil {
			b.Fatal(err)
		}
		recsN += len(rs)
		if len(rs) < store.MaxLimit {
			break
		}
		from = rs[len(rs)-1].Index + 1
	}
	// Each step stores each incident it changed once: at least one version
	// per incident (three reports each), at most one per observation.
	if recsN < b.N/3 || recsN > b.N {
		b.Fatalf("%d version records for %d observations", recsN, b.N)
	}
}

// BenchmarkLargeIncident measures what one more observation costs the
// pipeline when it joins an incident that already holds size reports, as
// under a stream of single-observation requests: each iteration stores
// per-step reports of the same shelling (untimed) and times the Step that
// clusters and persists them. per-step=1 is the worst case (a step per
// request); the running pipeline pauses 50 ms after a step that caught up,
// so under a stream each step gathers many (per-step=50: 1,000 requests/s
// into one incident). Each step stores the incident's whole version once,
// so its cost grows with size and is shared by the step's observations;
// the incident engine's own clustering (incident.Tracker.Add recomputes
// the incident from its reports) grows with size per observation.
func BenchmarkLargeIncident(b *testing.B) {
	for _, size := range []int{100, 1000, 4000} {
		for _, perStep := range []int{1, 50} {
			b.Run(fmt.Sprintf("size=%d/per-step=%d", size, perStep), func(b *testing.B) {
				largeIncident(b, size, perStep)
			})
		}
	}
}

func largeIncident(b *testing.B, size, perStep int) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2027, 1, 20, 12, 0, 0, 0, time.UTC)}
	st := openStore(b, filepath.Join(b.TempDir(), "b.db"), clk)
	defer st.Close()
	at := clk.now().Add(-3 * time.Hour)
	place := &observation.Position{Lon: 37.62, Lat: 48.47, UncertaintyM: 500}
	insert := func(from, n int) {
		var recs []observation.Record
		var leaves []store.Leaf
		for i := from; i < from+n; i++ {
			// One shelling: the same place, within 90 minutes.
			r, l := storetest.Obs(i, vocab.Explosion, at.Add(time.Duration(i%90)*time.Minute), place)
			recs, leaves = append(recs, r), append(leaves, l)
		}
		if _, err := st.InsertObservations(ctx, recs, leaves); err != nil {
			b.Fatal(err)
		}
	}
	for from := 0; from < size; from += 1000 {
		insert(from, min(1000, size-from))
	}
	pl := newPipeline(b, st, clk)
	for {
		n, err := pl.Step(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	if got := len(only(b, pl).Reports); got != size {
		b.Fatalf("%d reports in the incident, want %d", got, size)
	}
	b.ResetTimer()
	var cpu time.Duration // of the process, in the steps: steadier than wall time on a shared machine
	for i := range b.N {
		b.StopTimer()
		insert(size+i*perStep, perStep)
		b.StartTimer()
		c0 := cpuTime()
		if n, err := pl.Step(ctx); n != perStep || err != nil {
			b.Fatalf("step: %d, %v", n, err)
		}
		cpu += cpuTime() - c0
	}
	b.StopTimer()
	obs := float64(b.N * perStep)
	b.ReportMetric(float64(b.Elapsed().Microseconds())/obs, "µs/obs")
	b.ReportMetric(float64(cpu.Microseconds())/obs, "cpu-µs/obs")
}
