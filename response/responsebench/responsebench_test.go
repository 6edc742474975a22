package responsebench

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/response/journalstore"
	"github.com/pactwatch/pactwatch/store/storetest"
)

// TestRun runs every phase small and checks the figures add up.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	cfg := Config{Changes: 20, Messages: 200, Rate: 50, Duration: 300 * time.Millisecond, Interval: 20 * time.Millisecond, OpenSteps: 300, Ticks: 3}
	if err := Run(context.Background(), cfg, &out); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	for _, want := range []string{"changes/s", "deliveries/s", "state change → receipt", "woken by each append", "open steps in", "idle tick", "burst"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// databases are the benchmarks' stores: temporary SQLite files, and
// PostgreSQL when PACTWATCH_TEST_POSTGRES names a server.
func databases(b *testing.B, run func(b *testing.B, dsn string)) {
	b.Run("sqlite", func(b *testing.B) { run(b, "") })
	b.Run("postgres", func(b *testing.B) { run(b, storetest.PostgresURL(b)) })
}

func benchOf(b *testing.B, cfg Config) *Bench {
	bn, err := NewBench(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(bn.Close)
	return bn
}

// BenchmarkStateChange: one state change (a case confirmed: 2–3
// transitions) appended with its outbox messages in one transaction;
// "none" is the same change with no subscriptions.
func BenchmarkStateChange(b *testing.B) {
	databases(b, func(b *testing.B, dsn string) {
		for _, subs := range []int{1, 0} {
			name := map[int]string{0: "none", 1: "messages"}[subs]
			b.Run(name, func(b *testing.B) {
				bn := benchOf(b, Config{DSN: dsn})
				ctx := context.Background()
				st, err := bn.Open(ctx, "statechange", time.Now)
				if err != nil {
					b.Fatal(err)
				}
				if err := bn.Subscribe(ctx, st, subs, "http://127.0.0.1:9/never"); err != nil {
					b.Fatal(err)
				}
				ch := bn.NewChanger(st, "case", time.Now)
				msgs := 0
				for b.Loop() {
					ts, err := ch.Change(ctx)
					if err != nil {
						b.Fatal(err)
					}
					keys, _ := subscribedKeys(ts)
					msgs += len(keys) * subs
				}
				b.ReportMetric(float64(msgs)/float64(b.N), "messages/op")
			})
		}
	})
}

// BenchmarkDelivery: b.N messages delivered by two workers to a loopback
// receiver that checks every signature (ns/op is per delivery).
func BenchmarkDelivery(b *testing.B) {
	databases(b, func(b *testing.B, dsn string) {
		bn := benchOf(b, Config{DSN: dsn})
		ctx := context.Background()
		rc := NewReceiver(bn.Signer)
		hs := httptest.NewServer(rc)
		defer hs.Close()
		st, err := bn.Open(ctx, "delivery", time.Now)
		if err != nil {
			b.Fatal(err)
		}
		n, err := bn.Backlog(ctx, st, hs.URL+"/bench", b.N)
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		stop := bn.Workers(st, 2, time.Second, nil)
		err = waitReceived(ctx, rc, n)
		b.StopTimer()
		stop()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "deliveries/s")
	})
}

// BenchmarkSchedulerTick: an idle scheduler tick (sync from the store and
// the deadline scan) with 10,000 open steps.
func BenchmarkSchedulerTick(b *testing.B) {
	databases(b, func(b *testing.B, dsn string) {
		bn := benchOf(b, Config{DSN: dsn})
		ctx := context.Background()
		now := func() time.Time { return T0.Add(5 * time.Hour) }
		st, err := bn.Open(ctx, "tick", now)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := bn.Fill(ctx, st, 10000, now); err != nil {
			b.Fatal(err)
		}
		s := &response.Scheduler{Engine: response.New(bn.A, now), Journal: &journalstore.Journal{Store: st, Now: now}}
		if err := s.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if ts, err := s.Tick(ctx); err != nil || len(ts) != 0 {
				b.Fatalf("%d transitions, %v", len(ts), err)
			}
		}
		b.ReportMetric(float64(OpenSteps(s.Engine)), "open-steps")
	})
}

// BenchmarkDueScan: the deadline scan alone, in memory, over 10,000 open
// steps with nothing due.
func BenchmarkDueScan(b *testing.B) {
	bn := benchOf(b, Config{})
	ctx := context.Background()
	now := func() time.Time { return T0.Add(5 * time.Hour) }
	st, err := bn.Open(ctx, "scan", now)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := bn.Fill(ctx, st, 10000, now); err != nil {
		b.Fatal(err)
	}
	s := &response.Scheduler{Engine: response.New(bn.A, now), Journal: &journalstore.Journal{Store: st}}
	if err := s.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if len(s.Engine.Due(now())) != 0 {
			b.Fatal("something due")
		}
	}
}
