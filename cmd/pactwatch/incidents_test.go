package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a server's output, safe to read while it writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// demoServer runs `pactwatch serve --demo` (observations, then the
// simulated analysts' decisions and cases) until the test ends.
func demoServer(t *testing.T, data string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--log-level", "error", "--data", data, "--demo", "--demo-days", "1", "--rate", "0"}, out, out)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if _, after, ok := strings.Cut(out.String(), " serving "); ok {
			if !strings.Contains(out.String(), "demo: analysts reviewed") {
				t.Fatalf("the demo's analysts did not report:\n%s", out)
			}
			return strings.Fields(after)[0]
		}
		select {
		case err := <-errc:
			t.Fatalf("serve exited: %v\n%s", err, out)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not start:\n%s", out)
	return ""
}

// The incidents and cases commands against a demo server: the queue, an
// incident's versions and decisions, a claim, decisions with their errors,
// cases as an analyst and as the public, and the role check on disputes.
func TestIncidentsAndCasesCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a demo server")
	}
	data := t.TempDir()
	url := demoServer(t, data)
	tok := filepath.Join(data, "demo", "analyst-1.token")
	if _, err := os.Stat(tok); err != nil {
		t.Fatal(err)
	}
	api := []string{"--server", url, "--token-file", tok}
	cli := func(args ...string) (string, string, error) {
		t.Helper()
		return runCLI(t, args...)
	}

	out, stderr, err := cli(append([]string{"incidents", "list", "--limit", "5"}, api...)...)
	if err != nil || !strings.Contains(out, "ID ") || !strings.Contains(out, "5 incidents") {
		t.Fatalf("incidents list: %v\n%s%s", err, out, stderr)
	}
	id := regexp.MustCompile(`inc-[0-9a-f]{16}`).FindString(out)
	out, _, err = cli(append(append([]string{"incidents", "show"}, api...), id)...)
	if err != nil || !strings.Contains(out, "incident "+id) || !strings.Contains(out, "versions") || !strings.Contains(out, "created") {
		t.Fatalf("incidents show: %v\n%s", err, out)
	}
	out, _, err = cli(append(append([]string{"incidents", "claim"}, api...), id)...)
	if err != nil || !strings.Contains(out, "claimed "+id) {
		t.Fatalf("incidents claim: %v\n%s", err, out)
	}
	_, stderr, err = cli(append(append([]string{"incidents", "decide", "--decision", "rejected"}, api...), id)...)
	if err == nil || !strings.Contains(stderr, "a rejection needs a reason") {
		t.Fatalf("a rejection without a reason: %v\n%s", err, stderr)
	}
	out, stderr, err = cli(append(append([]string{"incidents", "decide", "--decision", "rejected", "--reason", "out_of_scope", "--note", "not in the zone"}, api...), id)...)
	if err != nil || !strings.Contains(out, id+": rejected (decision "+id+"/v") {
		t.Fatalf("incidents decide: %v\n%s%s", err, out, stderr)
	}
	_, stderr, err = cli(append(append([]string{"incidents", "decide", "--decision", "disputed"}, api...), id)...)
	if err == nil || !strings.Contains(stderr, "is already rejected") {
		t.Fatalf("deciding a decided incident: %v\n%s", err, stderr)
	}

	// Cases: the analyst sees every case; the public only confirmed ones.
	out, _, err = cli(append([]string{"cases", "list"}, api...)...)
	if err != nil || !strings.Contains(out, "confirmed") {
		t.Fatalf("cases list: %v\n%s", err, out)
	}
	caseID := regexp.MustCompile(`case-[0-9a-f]{16}`).FindString(out)
	out, _, err = cli("cases", "list", "--server", url, "--status", "confirmed")
	if err != nil || !strings.Contains(out, caseID) {
		t.Fatalf("public cases list: %v\n%s", err, out)
	}
	out, _, err = cli("cases", "show", "--server", url, caseID)
	if err != nil || !strings.Contains(out, "case "+caseID) || strings.Contains(out, "approvals") {
		t.Fatalf("public cases show (redacted): %v\n%s", err, out)
	}
	out, _, err = cli(append(append([]string{"cases", "show"}, api...), caseID)...)
	if err != nil || !strings.Contains(out, "approvals") || !strings.Contains(out, "violation ") {
		t.Fatalf("analyst's cases show: %v\n%s", err, out)
	}
	_, stderr, err = cli(append(append([]string{"cases", "confirm"}, api...), caseID)...)
	if err == nil || !strings.Contains(stderr, "not a candidate") {
		t.Fatalf("confirming a confirmed case: %v\n%s", err, stderr)
	}
	_, stderr, err = cli(append(append([]string{"cases", "dispute", "--position", "x"}, api...), caseID)...)
	if err == nil || !strings.Contains(stderr, "may not call") {
		t.Fatalf("an analyst disputing: %v\n%s", err, stderr)
	}
	if _, _, err := cli("cases", "close", "--server", url, caseID); err == nil {
		t.Fatal("closing without a token succeeded")
	}
}

// Every verb answers -h, and a missing id is a usage error.
func TestIncidentsAndCasesUsage(t *testing.T) {
	for _, args := range [][]string{
		{"incidents", "list", "-h"}, {"incidents", "show", "-h"}, {"incidents", "claim", "-h"}, {"incidents", "decide", "-h"},
		{"cases", "list", "-h"}, {"cases", "show", "-h"}, {"cases", "confirm", "-h"}, {"cases", "close", "-h"},
		{"cases", "dispute", "-h"}, {"cases", "resolve", "-h"}, {"cases", "open", "-h"},
	} {
		if _, stderr, err := runCLI(t, args...); err != nil || !strings.Contains(stderr, "Usage: pactwatch "+args[0]+" "+args[1]) {
			t.Errorf("%v: %v\n%s", args, err, stderr)
		}
	}
	for _, args := range [][]string{{"incidents"}, {"incidents", "frob"}, {"incidents", "show"}, {"cases", "confirm", "a", "b"}} {
		if _, _, err := runCLI(t, args...); err != errUsage {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
