package storetest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/vocab"
)

const killEnv = "PACTWATCH_STORE_KILL_DSN"

// KillChild is the helper process of Kill. Call it at the top of a test
// named in Kill's helper argument: when the process was started by Kill it
// writes to the store until it is killed, printing "ack <id>" once each
// write is acknowledged; otherwise it returns at once.
func KillChild() {
	dsn := os.Getenv(killEnv)
	if dsn == "" {
		return
	}
	ctx := context.Background()
	s, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	var out sync.Mutex
	run := time.Now().UnixNano()
	for w := range 8 {
		go func() {
			for k := 0; ; k++ {
				n := 1 + k%5
				recs := make([]observation.Record, n)
				leaves := make([]store.Leaf, n)
				for j := range n {
					r, _ := Obs(0, vocab.Explosion, t0, nil)
					r.ID = fmt.Sprintf("kill-%d-%d-%d-%d", run, w, k, j)
					recs[j], leaves[j] = r, LeafFor(ledger.TypeObservation, r.ID, t0, []byte(r.Narrative))
				}
				var ids []string
				if w == 0 && k%3 == 0 {
					id := fmt.Sprintf("kill-rec-%d-%d", run, k)
					body := []byte(`{"k":1}`)
					_, err = s.AppendRecords(ctx, []store.GenericRecord{{Type: ledger.TypeDecision, ID: id, Time: t0, Body: body, Leaf: LeafFor(ledger.TypeDecision, id, t0, body)}})
					ids = append(ids, id)
				} else {
					_, err = s.InsertObservations(ctx, recs, leaves)
					for _, r := range recs {
						ids = append(ids, r.ID)
					}
				}
				if err != nil {
					fmt.Println("error", err)
					os.Exit(2)
				}
				out.Lock()
				for _, id := range ids {
					fmt.Println("ack", id)
				}
				out.Unlock()
			}
		}()
	}
	select {}
}

// Kill starts this test binary again running the test named helper (which
// must call KillChild), lets it write to the store at dsn, kills it with
// SIGKILL after acks acknowledged records, then opens the store and checks
// that every acknowledged record is there with its leaf, that every leaf
// has its record, and that the stored hashes give the tree hash recomputed
// from the entries.
func Kill(t *testing.T, dsn, helper string, acks int) {
	cmd := exec.Command(os.Args[0], "-test.run=^"+helper+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), killEnv+"="+dsn)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	sc := bufio.NewScanner(stdout)
	deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	killed := false
	for sc.Scan() {
		line := sc.Text()
		if id, ok := strings.CutPrefix(line, "ack "); ok {
			acked = append(acked, id)
		} else if strings.HasPrefix(line, "error") {
			t.Errorf("helper: %s", line)
		}
		if len(acked) >= acks && !killed {
			cmd.Process.Kill() // SIGKILL: no deferred function, no Close
			killed = true
		}
	}
	cmd.Wait()
	if !killed {
		t.Fatalf("helper stopped after %d acknowledgements, before it was killed", len(acked))
	}
	t.Logf("killed the writer after %d acknowledged records", len(acked))

	s, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for _, id := range acked {
		idx, leaf, err := s.LeafByRecord(ctx, id)
		if err != nil {
			t.Fatalf("acknowledged record %s has no leaf: %v", id, err)
		}
		if strings.HasPrefix(id, "kill-rec-") {
			if _, err := s.Record(ctx, id); err != nil {
				t.Fatalf("acknowledged record %s lost: %v", id, err)
			}
			continue
		}
		r, err := s.Observation(ctx, id)
		if err != nil {
			t.Fatalf("acknowledged observation %s lost: %v", id, err)
		}
		if r.Seq != idx+1 || leaf.Entry.RecordID != id {
			t.Fatalf("observation %s has seq %d but its leaf is %d", id, r.Seq, idx)
		}
	}
	n, err := s.TreeSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := s.Entries(ctx, 0, n)
	if err != nil {
		t.Fatalf("entries of the %d-leaf tree: %v", n, err)
	}
	for i, data := range entries {
		e, err := ledger.ParseEntry(data)
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if e.Type == ledger.TypeObservation {
			_, err = s.Observation(ctx, e.RecordID)
		} else {
			_, err = s.Record(ctx, e.RecordID)
		}
		if err != nil {
			t.Fatalf("entry %d has no record: %v", i, err)
		}
	}
	if _, err := s.Entries(ctx, n, n+1); err == nil {
		t.Fatalf("an entry beyond the tree head %d", n)
	}
	checkTree(t, s)
}
