package main

import (
	"strings"
	"testing"
)

// bench notify, small: every phase prints its figure; a database that is
// neither empty nor PostgreSQL is refused.
func TestBenchNotify(t *testing.T) {
	out, stderr, err := runCLI(t, "bench", "notify", "--changes", "5", "--messages", "50", "--rate", "20",
		"--duration", "200ms", "--interval", "20ms", "--open-steps", "100", "--ticks", "2")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, want := range []string{"changes/s", "deliveries/s", "0 duplicates", "state change → receipt", "Deliverer.Wake", "open steps", "idle tick", "burst"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, stderr, err := runCLI(t, "bench", "notify", "-h"); err != nil || !strings.Contains(stderr, "Usage: pactwatch bench notify") {
		t.Errorf("-h: %v %q", err, stderr)
	}
	if _, _, err := runCLI(t, "bench", "notify", "--db", "/tmp/x.db", "--changes", "1"); err == nil || !strings.Contains(err.Error(), "postgres://") {
		t.Errorf("a SQLite path: %v", err)
	}
}
