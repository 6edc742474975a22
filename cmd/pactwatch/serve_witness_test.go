package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
)

// A demo of the embedded example runs the example's witnesses in-process:
// its checkpoints carry their cosignatures, and `pactwatch verify
// --server` checks them against the agreement's keys and quorum.
func TestServeDemoCheckpointsAreCosigned(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a demo server")
	}
	data := t.TempDir()
	url, out := serveInProcess(t, "--data", data, "--demo", "--demo-days", "1", "--checkpoint-interval", "100ms")
	var note string
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/log/checkpoint")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			note = string(b)
			if resp.StatusCode == 200 && strings.Count(note, "— ") == 3 { // the log and both witnesses
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint cosigned by both witnesses: %q\n%s", note, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, w := range []string{"press-witness.example", "guarantor-witness.example"} {
		if !strings.Contains(note, "— "+w+" ") {
			t.Errorf("checkpoint lacks %s's cosignature:\n%s", w, note)
		}
		if _, err := os.Stat(filepath.Join(data, "witnesses", w+".json")); err != nil {
			t.Errorf("witness state: %v", err)
		}
	}
	stdout, stderr, err := runCLI(t, "verify", "--server", url)
	if err != nil || !strings.Contains(stdout, "cosigned    by 2 of 2 witnesses") || !strings.Contains(stdout, "1 required") || !strings.Contains(stdout, "\nOK\n") {
		t.Fatalf("verify --server: %v\n%s%s", err, stdout, stderr)
	}
}

func TestCheckpointQuorum(t *testing.T) {
	agr, err := agreement.Default()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		c    serveConfig
		want int
	}{
		{"example, no demo: its witnesses have no URL", serveConfig{witnessQuorum: -1}, 0},
		{"example demo: witnesses run in-process", serveConfig{witnessQuorum: -1, demo: true}, agr.Mission.WitnessQuorum},
		{"explicit quorum", serveConfig{witnessQuorum: 2, demo: true}, 2},
		{"own agreement", serveConfig{witnessQuorum: -1, agreementFile: "a.yaml"}, agr.Mission.WitnessQuorum},
		{"demo of an own agreement: no witness keys", serveConfig{witnessQuorum: -1, agreementFile: "a.yaml", demo: true}, 0},
	}
	for _, tt := range tests {
		if got := checkpointQuorum(tt.c, agr); got != tt.want {
			t.Errorf("%s: quorum %d, want %d", tt.name, got, tt.want)
		}
	}
}
