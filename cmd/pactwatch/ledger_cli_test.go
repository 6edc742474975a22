package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/ledger/ledgertest"
	"github.com/pactwatch/pactwatch/ledger/logserver"
	"github.com/pactwatch/pactwatch/witness"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startWitnessCLI runs `pactwatch witness` on a free port until the test
// ends and returns its URL and cosignature key.
func startWitnessCLI(t *testing.T, keyFile, logVKey, state string) (url, vkey string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	var exited error
	finished := false
	go func() {
		done <- run(ctx, []string{"witness", "--key", keyFile, "--log", logVKey, "--addr", "127.0.0.1:0", "--state", state}, &out, &errOut)
	}()
	t.Cleanup(func() {
		cancel()
		if !finished {
			exited = <-done
		}
		if exited != nil {
			t.Errorf("witness: %v", exited)
		}
	})
	re := regexp.MustCompile(`listening on (http://\S+)\ncosignature key: (\S+)\n`)
	for range 500 {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1], m[2]
		}
		select {
		case exited = <-done:
			finished = true
			t.Fatalf("witness exited: %v\n%s", exited, errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("witness did not start: %s %s", out.String(), errOut.String())
	return "", ""
}

// TestWitnessAndVerifyCLI runs the whole chain over loopback HTTP: a log
// whose Checkpointer pushes checkpoints to a witness started by the CLI,
// served by logserver, audited by `pactwatch verify`, which must then name
// an entry altered behind the log's back.
func TestWitnessAndVerifyCLI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lsk, lvk, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{1}, 32)), "ledger.example.org/cli")
	if err != nil {
		t.Fatal(err)
	}
	wsk, _, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{2}, 32)), "witness.example.org")
	if err != nil {
		t.Fatal(err)
	}
	wkeyFile := filepath.Join(dir, "witness.key")
	os.WriteFile(wkeyFile, []byte(wsk+"\n"), 0o600)
	wurl, wvkey := startWitnessCLI(t, wkeyFile, lvk, filepath.Join(dir, "witness-state.json"))

	m := ledgertest.New()
	for i := range 600 {
		m.Append(ledger.NewEntry(ledger.TypeObservation, fmt.Sprintf("obs-%d", i), time.Unix(int64(i), 0), []byte("r"), []byte("s"), nil, nil).Marshal())
	}
	signer, verifier, err := ledger.LoadLogKey(lsk)
	if err != nil {
		t.Fatal(err)
	}
	wv, err := fnote.NewVerifierForCosignatureV1(wvkey)
	if err != nil {
		t.Fatal(err)
	}
	cp := &ledger.Checkpointer{Source: m, Store: m, Signer: signer, Verifier: verifier,
		Witnesses: []ledger.WitnessClient{&witness.Client{URL: wurl, Verifier: wv}}, Quorum: 1}
	if _, err := cp.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	logserver.New(m).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	state := filepath.Join(dir, "verify-state.json")
	out, _, err := runCLI(t, "verify", "--server", srv.URL, "--log-key", lvk, "--witness-key", wvkey, "--state", state)
	if err != nil {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	for _, want := range []string{"size 600", "cosigned    by 1 of 1 witnesses [witness.example.org]", "600 audited (observation 600)", "OK"} {
		if !strings.Contains(out, want) {
			t.Errorf("verify output lacks %q:\n%s", want, out)
		}
	}

	// The log grows; the second run checks consistency with the first.
	for i := 600; i < 650; i++ {
		m.Append(ledger.NewEntry(ledger.TypeKey, fmt.Sprintf("key-%d", i), time.Unix(int64(i), 0), []byte("r"), []byte("s"), nil, nil).Marshal())
	}
	if _, err := cp.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCLI(t, "verify", "--server", srv.URL, "--log-key", lvk, "--witness-key", wvkey, "--state", state)
	if err != nil || !strings.Contains(out, "consistent  with the checkpoint of size 600") || !strings.Contains(out, "50 new since size 600 audited (key 50)") {
		t.Fatalf("second verify: %v\n%s", err, out)
	}
	out, _, err = runCLI(t, "verify", "--server", srv.URL, "--log-key", lvk, "--witness-key", wvkey, "--state", state, "--full")
	if err != nil || !strings.Contains(out, "650 audited (key 50, observation 600)") {
		t.Fatalf("verify --full: %v\n%s", err, out)
	}

	// Requiring a witness that did not cosign fails.
	_, other, _ := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{3}, 32)), "absent.example.org")
	if _, _, err := runCLI(t, "verify", "--server", srv.URL, "--log-key", lvk, "--witness-key", wvkey, "--witness-key", other); err == nil {
		t.Error("verify passed without the second witness's cosignature")
	}

	// An entry of the audited prefix altered in the store: the incremental
	// run sees the prefix no longer has its root, a full run names it.
	m.SetEntry(444, ledger.NewEntry(ledger.TypeObservation, "obs-444", time.Unix(0, 0), []byte("forged"), []byte("s"), nil, nil).Marshal())
	out, _, err = runCLI(t, "verify", "--server", srv.URL, "--log-key", lvk, "--witness-key", wvkey)
	if err == nil || !strings.Contains(out, "entries[444]: altered") {
		t.Fatalf("verify of an altered log: %v\n%s", err, out)
	}
	m.Rewrite(444, []byte("rewritten with its hashes"))
	out, _, err = runCLI(t, "verify", "--server", srv.URL, "--log-key", lvk, "--witness-key", wvkey, "--state", state)
	if err == nil || !strings.Contains(out, "no longer has the root of the checkpoint verified before") {
		t.Fatalf("incremental verify of a rewritten prefix: %v\n%s", err, out)
	}
}

func TestWitnessRefusesOpenKeyFile(t *testing.T) {
	dir := t.TempDir()
	wsk, _, _ := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{2}, 32)), "witness.example.org")
	f := filepath.Join(dir, "w.key")
	os.WriteFile(f, []byte(wsk), 0o644)
	_, lvk, _ := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{1}, 32)), "ledger.example.org/cli")
	_, _, err := runCLI(t, "witness", "--key", f, "--log", lvk, "--addr", "127.0.0.1:0", "--state", filepath.Join(dir, "s.json"))
	if err == nil || !strings.Contains(userMessage(err), "chmod 600") {
		t.Fatalf("witness with a world-readable key: %v", err)
	}
}

func TestVerifyUsage(t *testing.T) {
	for _, args := range [][]string{
		{"verify"},
		{"verify", "--server", "http://x", "--data", "d", "--log-key", "k"},
		{"witness", "--key", "k"},
	} {
		if _, _, err := runCLI(t, args...); err != errUsage {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
