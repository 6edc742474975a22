package main

import (
	"strings"
	"testing"
)

// bench checkpoint runs briefly on SQLite and prints its figures. It
// asserts what was measured, never how fast.
func TestBenchCheckpointPrints(t *testing.T) {
	out, stderr, err := runCLI(t, "bench", "checkpoint", "--duration", "300ms", "--rate", "1000", "--runs", "2", "--checkpoint-interval", "20ms")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, want := range []string{"through SQLite", "run 1: 300 observations acknowledged", "run 2:", "covered by a published checkpoint: median", "p95", "p99", "state file", "witnesses"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, _, err := runCLI(t, "bench", "checkpoint", "--witnesses", "0", "--duration", "100ms", "--runs", "1"); err != nil {
		t.Errorf("without witnesses: %v", err)
	}
}
