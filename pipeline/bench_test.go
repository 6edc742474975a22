package pipeline_test

import (
	"context"
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
	if recsN != b.N {
		b.Fatalf("%d version records for %d observations", recsN, b.N)
	}
}
