package journalstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storetest"
	"github.com/pactwatch/pactwatch/vocab"
)

var t0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// opener opens the n-th handle on one database: two handles are two servers.
type opener func(t *testing.T) store.Store

func sqliteOpener(t *testing.T) opener {
	path := filepath.Join(t.TempDir(), "pactwatch.db")
	return func(t *testing.T) store.Store {
		s, err := store.Open(context.Background(), path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

func postgresOpener(t *testing.T) opener {
	admin := storetest.PostgresURL(t)
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	schema := fmt.Sprintf("journal_%x", sha256.Sum256([]byte(t.Name())))[:40]
	if _, err := db.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE") })
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return func(t *testing.T) store.Store {
		s, err := store.Open(context.Background(), u.String(), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

func TestSQLite(t *testing.T)     { testTwoServers(t, sqliteOpener(t)) }
func TestPostgreSQL(t *testing.T) { testTwoServers(t, postgresOpener(t)) }

// server is one pactwatch node: its store handle, and its scheduler while
// it holds the leader lock.
type server struct {
	st      store.Store
	release func()
	sched   *response.Scheduler
	fired   []string // ids of the transitions its ticks stored
	down    bool     // crashed, not yet restarted
}

// testTwoServers: two servers on one database tick the same deadlines in
// parallel, each only while it holds TryLeader(LeaderLock); the leader
// steps down midway (as a crashed node's lock is lost) and the other takes
// over from the stored records. Every deadline is fired by exactly one
// server, and stored exactly once.
func testTwoServers(t *testing.T, open opener) {
	ctx := context.Background()
	a, err := agreement.Load("../testdata/agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }

	// The API confirms three cases and records one action, through a third handle.
	apiStore := open(t)
	api := response.New(a, clock)
	j := &Journal{Store: apiStore}
	for i := range 3 {
		ts, err := api.Confirm(response.Case{ID: fmt.Sprintf("case-%d", i), Commitment: "ceasefire", Party: "north", Confirmed: t0.Add(time.Duration(i) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if err := j.Append(ctx, ts); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	now = t0.Add(5 * time.Hour) // before the first deadline: the servers fire them all
	mu.Unlock()
	ts, err := api.Record(response.Recorder{Principal: "l", Role: vocab.RoleGuarantorLiaison, Of: "a"}, "case-0/respond", "consult/a", response.Action{Statement: "consulted"})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(ctx, ts); err != nil {
		t.Fatal(err)
	}

	servers := []*server{{st: open(t)}, {st: open(t)}}
	tick := func(s *server) error {
		if s.down {
			return nil
		}
		if s.sched == nil {
			release, ok, err := s.st.TryLeader(ctx, LeaderLock)
			if err != nil || !ok {
				return err
			}
			// A new leader starts from what is stored.
			s.release, s.sched = release, &response.Scheduler{Engine: response.New(a, clock), Journal: &Journal{Store: s.st}}
		}
		ts, err := s.sched.Tick(ctx)
		for _, tr := range ts {
			s.fired = append(s.fired, tr.ID)
		}
		return err
	}
	for round := range 60 {
		mu.Lock()
		now = t0.Add(5*time.Hour + time.Duration(round)*6*time.Hour)
		mu.Unlock()
		switch round {
		case 15: // the leader crashes: its lock is lost with it
			for _, s := range servers {
				if s.release != nil {
					s.release()
					s.release, s.sched, s.down = nil, nil, true
				}
			}
		case 25: // and restarts, as a follower while the other leads
			for _, s := range servers {
				s.down = false
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, len(servers))
		for i, s := range servers {
			wg.Go(func() { errs[i] = tick(s) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, s := range servers {
		if s.release != nil {
			s.release()
		}
	}

	fired := map[string]int{}
	for _, s := range servers {
		for _, id := range s.fired {
			fired[id]++
		}
	}
	if len(servers[0].fired) == 0 || len(servers[1].fired) == 0 {
		t.Errorf("fired %d and %d: the second leader never took over", len(servers[0].fired), len(servers[1].fired))
	}
	stored, _, err := j.Since(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	deadlines := 0
	for _, tr := range stored {
		if seen[tr.ID] {
			t.Errorf("%s stored twice", tr.ID)
		}
		seen[tr.ID] = true
		if tr.Kind == response.KindStepOverdue || tr.Kind == response.KindStepMissed {
			deadlines++
			if fired[tr.ID] != 1 {
				t.Errorf("%s fired by %d servers", tr.ID, fired[tr.ID])
			}
		}
	}
	// 3 runs × (mission + a, b, c): 12 steps, 11 undone → overdue, then
	// missed at the cutoff; the escalation's heavier run (case-2) adds 5
	// steps overdue and missed at its 14-day cutoff.
	if deadlines != 2*(11+5) {
		t.Errorf("%d deadline transitions stored, want %d", deadlines, 2*(11+5))
	}
	// A fresh engine from the store equals the last leader's.
	fresh := &response.Scheduler{Engine: response.New(a, clock), Journal: j}
	if err := fresh.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := fresh.Engine.Due(clock()); len(got) != 0 {
		t.Errorf("deadlines left: %d", len(got))
	}
}
