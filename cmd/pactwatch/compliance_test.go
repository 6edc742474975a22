package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

// complianceInput writes a UAV sighting of a howitzer 10 km inside
// Ukraine's withdrawal zone and a lone uncorroborated party complaint.
func complianceInput(t *testing.T) string {
	at := time.Date(2027, 1, 15, 9, 0, 0, 0, time.UTC)
	obs := []observation.Observation{
		{ID: uuid.NewString(), ObservedAt: at, TimePrecision: "minute", SignedAt: at, Category: vocab.HeavyWeaponSighted,
			Count: 1, WeaponClass: vocab.Artillery, CalibreMM: 122, SourceType: vocab.UAV, Grade: "A1", Reporter: "0123456789abcdef",
			Target: &observation.Position{Lat: 48.40, Lon: 37.30, UncertaintyM: 50}},
		{ID: uuid.NewString(), ObservedAt: at, TimePrecision: "minute", SignedAt: at, Category: vocab.Airstrike,
			Count: 1, SourceType: vocab.PartyComplaint, Grade: "C3", Reporter: "fedcba9876543210",
			Target: &observation.Position{Lat: 47.85, Lon: 35.20, UncertaintyM: 2000}},
	}
	b, err := json.Marshal(obs)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "obs.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestComplianceEvaluate(t *testing.T) {
	in := complianceInput(t)
	out, stderr, err := runCLI(t, "compliance", "evaluate", "--now", "2027-01-16T00:00:00Z", in)
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	for _, want := range []string{"2 in 2 incidents, 1 verified", "withdrawal-ukraine/", "ukraine", "position", "guarantor-response"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = runCLI(t, "compliance", "evaluate", "--json", "--now", "2027-01-16T00:00:00Z", in)
	var ev struct {
		Violations []struct{ Commitment string } `json:"violations"`
		Cases      []json.RawMessage             `json:"cases"`
	}
	if err != nil || json.Unmarshal([]byte(out), &ev) != nil || len(ev.Violations) != 1 || len(ev.Cases) != 1 {
		t.Fatalf("--json: %v\n%s", err, out)
	}
}

func TestComplianceEvaluateRejects(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`[{"id":"not-a-uuid","category":"explosion"}]`), 0o644)
	_, stderr, err := runCLI(t, "compliance", "evaluate", bad)
	if err != errSilent || !strings.Contains(stderr, "observations[0].") {
		t.Fatalf("%v: %q", err, stderr)
	}
	if _, _, err := runCLI(t, "compliance", "frobnicate"); err != errUsage {
		t.Fatalf("unknown subcommand: %v", err)
	}
}

func TestComplianceBench(t *testing.T) {
	out, stderr, err := runCLI(t, "compliance", "bench", "-n", "3000", "-days", "1")
	if err != nil || !strings.Contains(out, "RE-EVALUATION: the incidents of 3000 observations") {
		t.Fatalf("%v %s\n%s", err, stderr, out)
	}
}

// FuzzDecodeRecords: the evaluate command's input parser never panics and
// returns only records that validate.
func FuzzDecodeRecords(f *testing.F) {
	now := time.Date(2027, 1, 16, 0, 0, 0, 0, time.UTC)
	f.Add([]byte(`[{"id":"6f1c1b7e-3d3c-4a57-9d0f-2f7f3f0f8e11","observed_at":"2027-01-15T09:00:00Z","time_precision":"minute","signed_at":"2027-01-15T09:00:00Z","category":"explosion","count":3,"source_type":"patrol","grade":"B2","reporter":"0123456789abcdef"}]`))
	f.Add([]byte("{}\n{}"))
	f.Add([]byte(`[null]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := decodeRecords(data, now)
		if err != nil {
			return
		}
		for _, r := range recs {
			if r == nil || r.Validate(now, 24*time.Hour) != nil {
				t.Fatalf("decodeRecords returned an invalid record %+v", r)
			}
		}
	})
}
