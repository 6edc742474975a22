package postgres_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storetest"
	"github.com/pactwatch/pactwatch/vocab"
)

// TestServerKilled kills the PostgreSQL server itself (SIGKILL to the
// postmaster) while writers run: writes during the outage must fail with
// EUNAVAILABLE, never report success falsely, and once the server is back
// every acknowledged record is there with its leaf.
func TestServerKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("runs its own PostgreSQL server")
	}
	pgbin := os.Getenv("PACTWATCH_TEST_PGBIN")
	if pgbin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("PACTWATCH_TEST_PGBIN is not set, and CI=true requires this test (scripts/test.sh sets it)")
		}
		t.Skip("PACTWATCH_TEST_PGBIN is not set: skipping the PostgreSQL kill test")
	}
	pg := startPostgres(t, pgbin)
	s, err := store.Open(context.Background(), pg.url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	var mu sync.Mutex
	var acked []string
	var unexpected []error
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				r, _ := storetest.Obs(0, vocab.Explosion, time.Now(), nil)
				r.ID = fmt.Sprintf("pgkill-%d-%d", w, k)
				l := storetest.LeafFor(ledger.TypeObservation, r.ID, r.ObservedAt, []byte(r.Narrative))
				_, err := s.InsertObservations(context.Background(), []observation.Record{r}, []store.Leaf{l})
				mu.Lock()
				if err == nil {
					acked = append(acked, r.ID)
				} else if pactwatch.ErrorCode(err) != pactwatch.EUNAVAILABLE {
					unexpected = append(unexpected, err)
				}
				mu.Unlock()
				if err != nil {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	waitFor(t, func() bool { return count() >= 200 })
	pg.kill(t)
	before := count()
	time.Sleep(300 * time.Millisecond)
	pg.start(t)
	waitFor(t, func() bool { return count() >= before+200 })
	close(stop)
	wg.Wait()
	for _, err := range unexpected {
		t.Errorf("write failed with %v, want EUNAVAILABLE during the outage", err)
	}
	ctx := context.Background()
	for _, id := range acked {
		r, err := s.Observation(ctx, id)
		if err != nil {
			t.Fatalf("acknowledged observation %s lost: %v", id, err)
		}
		if idx, _, err := s.LeafByRecord(ctx, id); err != nil || idx != r.Seq-1 {
			t.Fatalf("observation %s (seq %d) has leaf %d, %v", id, r.Seq, idx, err)
		}
	}
	n, err := s.TreeSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Entries(ctx, 0, n); err != nil {
		t.Fatalf("entries of the %d-leaf tree: %v", n, err)
	}
	t.Logf("%d acknowledged before the kill, %d in all, tree size %d", before, len(acked), n)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type server struct {
	bin, dir, url string
	port          int
}

func startPostgres(t *testing.T, bin string) *server {
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		// initdb refuses to run as root: hand the folder to postgres.
		os.Chmod(dir, 0o777)
		for d := filepath.Dir(dir); d != "/" && d != "."; d = filepath.Dir(d) {
			if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
				os.Chmod(d, fi.Mode().Perm()|0o001)
			}
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &server{bin: bin, dir: dir, port: port,
		url: fmt.Sprintf("postgres://pactwatch@127.0.0.1:%d/postgres?sslmode=disable", port)}
	s.run(t, "initdb", "-D", filepath.Join(dir, "data"), "-U", "pactwatch", "--auth=trust", "-E", "UTF8")
	s.start(t)
	t.Cleanup(func() {
		s.cmd("pg_ctl", "-D", filepath.Join(dir, "data"), "-m", "immediate", "stop").Run()
	})
	return s
}

func (s *server) cmd(name string, args ...string) *exec.Cmd {
	path := filepath.Join(s.bin, name)
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (s *server) run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := s.cmd(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

func (s *server) start(t *testing.T) {
	s.run(t, "pg_ctl", "-D", filepath.Join(s.dir, "data"), "-l", filepath.Join(s.dir, "log"), "-w",
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", s.port, s.dir), "start")
}

// kill sends SIGKILL to the postmaster and its backends.
func (s *server) kill(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(s.dir, "data", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(data), "\n", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	// The backends are the postmaster's children: kill them too, as a
	// crash of the machine would, so no backend finishes a commit after.
	out, _ := exec.Command("pgrep", "-P", strconv.Itoa(pid)).Output()
	syscall.Kill(pid, syscall.SIGKILL)
	for _, f := range strings.Fields(string(out)) {
		if c, err := strconv.Atoi(f); err == nil {
			syscall.Kill(c, syscall.SIGKILL)
		}
	}
	for i := 0; i < 200 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	os.Remove(filepath.Join(s.dir, "data", "postmaster.pid"))
}
