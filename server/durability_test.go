package server_test

// Durability under kill -9: the real pactwatch binary serves, concurrent
// clients submit, the process (or PostgreSQL itself) is killed with
// SIGKILL while requests are in flight, and after a restart every
// observation that was acknowledged with a 2xx must be there, with its
// ledger leaf.

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/keys"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// TestMain removes the binary the kill tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// pactwatchBinary builds cmd/pactwatch once per test run.
func pactwatchBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pactwatch-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "pactwatch")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/pactwatch").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is a running `pactwatch serve`.
type proc struct {
	cmd *exec.Cmd
	url string
	log *strings.Builder
}

// startServe starts the binary on a free loopback port and waits for its
// announcement.
func startServe(t *testing.T, data, db string) *proc {
	t.Helper()
	args := []string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--rate", "0", "--witness-quorum", "0", "--log-level", "warn", "--checkpoint-interval", "200ms"}
	if db != "" {
		args = append(args, "--db", db)
	}
	cmd := exec.Command(pactwatchBinary(t), args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &strings.Builder{}
	cmd.Stderr = &syncWriter{w: logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, log: logs}
	t.Cleanup(func() { p.kill() })
	lines := bufio.NewScanner(stdout)
	found := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if _, after, ok := strings.Cut(lines.Text(), " serving "); ok {
				found <- strings.TrimSpace(after)
			}
		}
		close(found)
	}()
	select {
	case u, ok := <-found:
		if !ok {
			_ = cmd.Wait()
			t.Fatalf("pactwatch serve exited before serving:\n%s", logs)
		}
		p.url = u
	case <-time.After(60 * time.Second):
		t.Fatalf("pactwatch serve did not announce itself:\n%s", logs)
	}
	go io.Copy(io.Discard, stdout)
	return p
}

// kill sends SIGKILL and reaps the process.
func (p *proc) kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

// load drives concurrent single and batch submissions until stop is
// closed, returning the ids acknowledged with a 2xx.
type load struct {
	mu    sync.Mutex
	acked map[string]bool
	sent  int
}

func (l *load) run(url, token string, key ed25519.PrivateKey, workers int, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := client.New(url, token)
			c.HTTP.Timeout = 10 * time.Second
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				n := 1
				if w%2 == 1 {
					n = 1 + i%20 // batches of up to 20 from odd workers
				}
				obs := make([]observation.Observation, n)
				for k := range obs {
					obs[k] = killObservation(key)
				}
				l.mu.Lock()
				l.sent += n
				l.mu.Unlock()
				var err error
				if n == 1 {
					_, _, err = c.Submit(context.Background(), obs[0])
				} else {
					_, err = c.SubmitBatch(context.Background(), obs)
				}
				if err != nil {
					if client.HTTPStatus(err) == 0 || client.HTTPStatus(err) >= 500 {
						time.Sleep(20 * time.Millisecond) // the server is down
						continue
					}
					panic(fmt.Sprintf("unexpected refusal: %v", err))
				}
				l.mu.Lock()
				for _, o := range obs {
					l.acked[o.ID] = true
				}
				l.mu.Unlock()
			}
		}()
	}
	return &wg
}

func killObservation(key ed25519.PrivateKey) observation.Observation {
	now := time.Now().UTC()
	o := observation.Observation{
		ID: uuid.NewString(), ObservedAt: now.Add(-time.Hour).Truncate(time.Minute), TimePrecision: "minute",
		SignedAt: now.Truncate(time.Second),
		Target:   &observation.Position{Lat: 48.0159, Lon: 37.8028, UncertaintyM: 500},
		Category: vocab.Explosion, Count: 2, SourceType: vocab.Patrol, Grade: "B2",
	}
	if err := observation.Sign(&o, key); err != nil {
		panic(err)
	}
	return o
}

// setupMonitor registers a monitor through the admin API.
func setupMonitor(t *testing.T, url, data string) (string, ed25519.PrivateKey) {
	t.Helper()
	tok, err := os.ReadFile(filepath.Join(data, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	pub, priv := keys.Generate()
	from := time.Now().Add(-2 * time.Hour)
	np, err := client.New(url, strings.TrimSpace(string(tok))).AddPrincipal(context.Background(),
		client.PrincipalRequest{Name: "kill-test monitor", Role: "monitor", PublicKey: keys.FormatPublic(pub), ValidFrom: &from})
	if err != nil {
		t.Fatal(err)
	}
	return np.Token, priv
}

// checkAcked asks a restarted server for every acknowledged observation
// and its ledger entry.
func checkAcked(t *testing.T, url, adminToken string, acked map[string]bool) {
	t.Helper()
	ctx := context.Background()
	c := client.New(url, adminToken)
	public := client.New(url, "")
	missing, noLeaf := 0, 0
	for id := range acked {
		if _, err := c.Observation(ctx, id); err != nil {
			missing++
			if missing <= 5 {
				t.Errorf("acknowledged observation %s lost: %v", id, err)
			}
			continue
		}
		resp, err := public.HTTP.Get(url + "/api/v1/ledger/entries/" + id)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			noLeaf++
			if noLeaf <= 5 {
				t.Errorf("observation %s has no ledger entry: %d", id, resp.StatusCode)
			}
		}
	}
	if missing+noLeaf > 0 {
		t.Fatalf("%d of %d acknowledged observations lost, %d without a leaf", missing, len(acked), noLeaf)
	}
}

func adminToken(t *testing.T, data string) string {
	b, err := os.ReadFile(filepath.Join(data, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// killCycles runs rounds of load + SIGKILL of the server + restart.
func killCycles(t *testing.T, db string) {
	if testing.Short() {
		t.Skip("kill tests build and run the binary; skipped with -short")
	}
	data := t.TempDir()
	p := startServe(t, data, db)
	token, key := setupMonitor(t, p.url, data)
	l := &load{acked: map[string]bool{}}
	for round := range 3 {
		stop := make(chan struct{})
		wg := l.run(p.url, token, key, 8, stop)
		// Let acknowledgements accumulate, then kill mid-load.
		time.Sleep(time.Duration(700+300*round) * time.Millisecond)
		p.kill()
		close(stop)
		wg.Wait()
		p = startServe(t, data, db)
		checkAcked(t, p.url, adminToken(t, data), l.acked)
		t.Logf("round %d: %d acknowledged so far, %d sent", round, len(l.acked), l.sent)
	}
	if len(l.acked) == 0 {
		t.Fatal("no observation was acknowledged: the test proved nothing")
	}
	p.kill()
}

func TestKillServerSQLite(t *testing.T) {
	killCycles(t, "")
}

func TestKillServerPostgreSQL(t *testing.T) {
	dsn := postgresURL(t)
	killCycles(t, freshDatabase(t, dsn))
}

// postgresURL is PACTWATCH_TEST_POSTGRES, or a skip (a failure under CI).
func postgresURL(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("PACTWATCH_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("PACTWATCH_TEST_POSTGRES is not set under CI")
		}
		t.Skip("PACTWATCH_TEST_POSTGRES not set: run scripts/test.sh for the PostgreSQL kill test")
	}
	return dsn
}

// freshDatabase creates an empty database for one test and returns its URL.
func freshDatabase(t *testing.T, dsn string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "pw_kill_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// TestKillPostgreSQL kills the database server itself (SIGKILL to the
// postmaster) under load, restarts it, and checks every acknowledged
// observation: PostgreSQL's commit (fsync on, synchronous_commit on) must
// have made each one durable before the server answered.
func TestKillPostgreSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("kill tests build and run the binary; skipped with -short")
	}
	pgbin := os.Getenv("PACTWATCH_TEST_PGBIN")
	if pgbin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("PACTWATCH_TEST_PGBIN is not set under CI")
		}
		t.Skip("PACTWATCH_TEST_PGBIN not set: run scripts/test.sh for the PostgreSQL kill test")
	}
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux")
	}
	pg := startPostgres(t, pgbin)
	data := t.TempDir()
	p := startServe(t, data, pg.url)
	token, key := setupMonitor(t, p.url, data)
	l := &load{acked: map[string]bool{}}
	for round := range 2 {
		stop := make(chan struct{})
		wg := l.run(p.url, token, key, 8, stop)
		time.Sleep(time.Duration(800+400*round) * time.Millisecond)
		pg.kill(t)
		time.Sleep(300 * time.Millisecond) // requests fail while it is down
		pg.start(t)
		time.Sleep(500 * time.Millisecond) // the server's pool reconnects
		close(stop)
		wg.Wait()
		// The same server process, reconnected, must have everything.
		checkAcked(t, p.url, adminToken(t, data), l.acked)
		t.Logf("round %d: %d acknowledged so far, %d sent", round, len(l.acked), l.sent)
	}
	// And a restarted server too.
	p.kill()
	p = startServe(t, data, pg.url)
	checkAcked(t, p.url, adminToken(t, data), l.acked)
	if len(l.acked) == 0 {
		t.Fatal("no observation was acknowledged: the test proved nothing")
	}
}

// pgServer is a private PostgreSQL cluster in a temporary folder.
type pgServer struct {
	bin, dir, url string
	port          int
}

func (pg *pgServer) run(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(pg.bin, name), args...)
	if os.Getuid() == 0 {
		// PostgreSQL refuses to run as root.
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(pg.bin, name)}, args...)...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		logs, _ := os.ReadFile(filepath.Join(pg.dir, "log"))
		t.Fatalf("%s %v: %v\n%s\nserver log:\n%s", name, args, err, out, logs)
	}
}

func startPostgres(t *testing.T, bin string) *pgServer {
	t.Helper()
	dir, err := os.MkdirTemp("", "pactwatch-killpg-")
	if err != nil {
		t.Fatal(err)
	}
	if os.Getuid() == 0 {
		if out, err := exec.Command("chown", "postgres", dir).CombinedOutput(); err != nil {
			t.Fatalf("chown: %v %s", err, out)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	pg := &pgServer{bin: bin, dir: dir, port: port,
		url: fmt.Sprintf("postgres://pactwatch@127.0.0.1:%d/postgres?sslmode=disable", port)}
	pg.run(t, "initdb", "-D", filepath.Join(dir, "data"), "-U", "pactwatch", "--auth=trust", "-E", "UTF8")
	pg.start(t)
	t.Cleanup(func() {
		cmd := exec.Command(filepath.Join(bin, "pg_ctl"), "-D", filepath.Join(dir, "data"), "-m", "immediate", "stop")
		if os.Getuid() == 0 {
			cmd = exec.Command("runuser", "-u", "postgres", "--", filepath.Join(bin, "pg_ctl"), "-D", filepath.Join(dir, "data"), "-m", "immediate", "stop")
		}
		_ = cmd.Run()
		os.RemoveAll(dir)
	})
	return pg
}

func (pg *pgServer) start(t *testing.T) {
	t.Helper()
	pg.run(t, "pg_ctl", "-D", filepath.Join(pg.dir, "data"), "-l", filepath.Join(pg.dir, "log"), "-w",
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on", pg.port, pg.dir), "start")
}

// kill sends SIGKILL to the postmaster: no shutdown checkpoint, no flush.
// Its children exit when they notice it is gone; start waits for that.
func (pg *pgServer) kill(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(pg.dir, "data", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Sscanf(strings.SplitN(string(b), "\n", 2)[0], "%d", &pid); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Kill its backends too, as a power cut would, and wait until they
	// are gone and the port is free.
	for range 100 {
		if exec.Command("pkill", "-KILL", "-P", fmt.Sprint(pid)).Run() != nil {
			break // no child left
		}
		time.Sleep(50 * time.Millisecond)
	}
	for range 100 {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", pg.port), 100*time.Millisecond)
		if err != nil {
			break
		}
		c.Close()
		time.Sleep(50 * time.Millisecond)
	}
	// In a container whose init does not reap orphans, the killed
	// postmaster stays a zombie, and PostgreSQL would take its pid in
	// postmaster.pid for a live server. Once it is dead or a zombie, the
	// lock files (data folder and socket) are stale: remove them, as an
	// operator would after a crash.
	for range 100 {
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || zombie(st) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stale, _ := filepath.Glob(filepath.Join(pg.dir, ".s.PGSQL.*"))
	for _, f := range append(stale, filepath.Join(pg.dir, "data", "postmaster.pid")) {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
}

// zombie reports whether a /proc/<pid>/stat line is a zombie's.
func zombie(stat []byte) bool {
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'Z'
}
