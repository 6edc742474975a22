package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/client"
)

// serveOutput collects a server's output, safe to read while it writes.
type serveOutput struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *serveOutput) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *serveOutput) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveInProcess runs `pactwatch serve ARGS` until the test ends and
// returns its URL and output.
func serveInProcess(t *testing.T, args ...string) (url string, out *serveOutput) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = &serveOutput{}
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-level", "error"}, args...), out, out)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("serve after SIGTERM: %v", err)
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if _, after, ok := strings.Cut(out.String(), " serving "); ok {
			return strings.Fields(after)[0], out
		}
		select {
		case err := <-errc:
			t.Fatalf("serve exited: %v\n%s", err, out)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not start:\n%s", out)
	return "", nil
}

func TestServeDemoSubmitImport(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a demo server")
	}
	data := t.TempDir()
	url, out := serveInProcess(t, "--data", data, "--demo", "--demo-days", "1")
	if !strings.Contains(out.String(), "admin token (shown once") || !strings.Contains(out.String(), "demo: 1 days and today (") {
		t.Fatalf("announcement:\n%s", out)
	}
	for _, name := range []string{"admin.token", "demo/monitor.key", "demo/monitor.token"} {
		st, err := os.Stat(filepath.Join(data, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, st.Mode().Perm())
		}
	}
	demo := filepath.Join(data, "demo")
	key, tokenFile, example := filepath.Join(demo, "monitor.key"), filepath.Join(demo, "monitor.token"), filepath.Join(demo, "observation.json")

	stdout, stderr, err := runCLI(t, "submit", "--key", key, "--server", url, "--token-file", tokenFile, example)
	if err != nil || !strings.Contains(stdout, " stored (seq ") {
		t.Fatalf("submit: %v\n%s%s", err, stdout, stderr)
	}
	stdout, _, err = runCLI(t, "submit", "--key", key, "--server", url, "--token-file", tokenFile, example)
	if err != nil || !strings.Contains(stdout, "already stored") {
		t.Fatalf("resubmit: %v\n%s", err, stdout)
	}

	// The network is down: the outbox keeps the signed observation; a
	// later flush sends it once.
	outbox := filepath.Join(t.TempDir(), "outbox")
	draft := filepath.Join(t.TempDir(), "draft.json")
	b, _ := os.ReadFile(example)
	b = bytes.Replace(b, []byte(`"count": 2`), []byte(`"count": 5`), 1)
	if err := os.WriteFile(draft, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = runCLI(t, "submit", "--key", key, "--server", "http://127.0.0.1:1", "--token-file", tokenFile, "--outbox", outbox, draft)
	if err == nil {
		t.Fatal("submit to a dead server succeeded")
	}
	if queued, _ := filepath.Glob(filepath.Join(outbox, "*.json")); len(queued) != 1 {
		t.Fatalf("outbox holds %v", queued)
	}
	stdout, _, err = runCLI(t, "submit", "--flush", "--outbox", outbox, "--server", url, "--token-file", tokenFile)
	if err != nil || !strings.Contains(stdout, "1 sent, 0 rejected, 0 queued") {
		t.Fatalf("flush: %v\n%s", err, stdout)
	}
	if queued, _ := filepath.Glob(filepath.Join(outbox, "*.json")); len(queued) != 0 {
		t.Fatalf("outbox still holds %v", queued)
	}

	// A bad draft is refused with its field named, and nothing is sent.
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, bytes.Replace(b, []byte(`"explosion"`), []byte(`"fireworks"`), 1), 0o600)
	if _, _, err := runCLI(t, "submit", "--key", key, "--server", url, "--token-file", tokenFile, bad); err == nil || !strings.Contains(err.Error(), "category") {
		t.Errorf("bad draft: %v", err)
	}

	acled := filepath.Join("..", "..", "intake", "testdata", "acled.csv")
	stdout, _, err = runCLI(t, "import", "--format", "acled", "--dry-run", acled)
	if err != nil || !strings.Contains(stdout, "would be imported") || !strings.Contains(stdout, "REJECTED") {
		t.Fatalf("import --dry-run: %v\n%s", err, stdout)
	}
	stdout, _, err = runCLI(t, "import", "--format", "acled", "--key", key, "--server", url, "--token-file", tokenFile, acled)
	if err != nil || !strings.Contains(stdout, " imported, ") {
		t.Fatalf("import: %v\n%s", err, stdout)
	}
	first := strings.Count(stdout, " stored (seq")
	// Importing the same file again, a second later (another signed_at),
	// stores nothing new.
	time.Sleep(1100 * time.Millisecond)
	stdout, _, err = runCLI(t, "import", "--format", "acled", "--key", key, "--server", url, "--token-file", tokenFile, acled)
	if err != nil || first == 0 || !strings.Contains(stdout, fmt.Sprintf("0 imported, %d already imported", first)) {
		t.Fatalf("a second import: %v\n%s", err, stdout)
	}

	// The web interface answers next to the API.
	resp, err := client.New(url, "").HTTP.Get(url + "/map")
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /map: %v %v", err, resp)
	}
	resp.Body.Close()

	// The public reads redacted observations; the ledger has a checkpoint.
	page, err := client.New(url, "").Observations(context.Background(), client.Query{Limit: 5})
	if err != nil || len(page.Observations) != 5 || strings.Contains(string(page.Observations[0]), "reporter") {
		t.Fatalf("public page: %v %s", err, page.Observations)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := client.New(url, "").HTTP.Get(url + "/log/checkpoint")
		if err == nil && resp.StatusCode == 200 {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint published")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A second start keeps the admin and does not show a token again; the
// demo is not seeded twice.
func TestServeRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers")
	}
	data := t.TempDir()
	serveAndStop(t, data)
	token, _ := os.ReadFile(filepath.Join(data, "admin.token"))
	url, out2 := serveInProcess(t, "--data", data)
	if strings.Contains(out2.String(), "shown once") {
		t.Errorf("second start shows a token again:\n%s", out2)
	}
	who, err := client.New(url, strings.TrimSpace(string(token))).Whoami(context.Background())
	if err != nil || who.Role != "admin" {
		t.Errorf("admin token after restart: %+v %v", who, err)
	}
}

func TestServeFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--tls-cert", "x"},
		{"serve", "--demo-live"},
		{"serve", "--demo", "--demo-days", "0", "--data", t.TempDir()},
		{"serve", "--data", t.TempDir(), "--agreement", "/nonexistent.yaml"},
	} {
		if _, _, err := runCLI(t, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	if _, _, err := runCLI(t, "submit", "--flush"); !errors.Is(err, errUsage) {
		t.Errorf("submit --flush without --outbox: %v", err)
	}
}

func TestFillIDs(t *testing.T) {
	single := []byte(`{"category":"explosion"}`)
	a, err := fillIDs(single)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := fillIDs(single)
	if !bytes.Equal(a, b) {
		t.Error("ids are not deterministic")
	}
	var m map[string]string
	json.Unmarshal(a, &m)
	if len(m["id"]) != 36 {
		t.Errorf("no id: %s", a)
	}
	batch, err := fillIDs([]byte(`{"observations":[{"id":"keep"},{}]}`))
	if err != nil || !strings.Contains(string(batch), `"keep"`) || strings.Count(string(batch), `"id"`) != 2 {
		t.Errorf("batch: %s %v", batch, err)
	}
}

// The benchmark runs end to end and prints its figures (their values are
// for people: timing goals are not asserted in tests).
func TestBenchIngestPrints(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	stdout, stderr, err := runCLI(t, "bench", "ingest", "--clients", "2", "--duration", "300ms", "--single", "100", "--batched", "200", "--batch", "50")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, want := range []string{"single:", "batch of 50:", "observations/s", "p99", " 0 errors"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

// serveAndStop starts serve on data without the demo, waits until it
// serves, and stops it: a folder that has been served once.
func serveAndStop(t *testing.T, data string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &serveOutput{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--log-level", "error"}, out, out)
	}()
	for !strings.Contains(out.String(), " serving ") {
		select {
		case err := <-done:
			t.Fatalf("serve exited: %v\n%s", err, out)
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
