package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/report"
	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/server"
	"github.com/pactwatch/pactwatch/vocab"
)

// TestPublishedReportsWithCasesAndSteps seeds a short demo through serve
// (SQLite): its daily reports, published as each simulated day's as-of
// time passed, list cases opened and closed and steps due, done and
// missed; and each, rebuilt after a restart — after later reviews, case
// closures and recorded steps — is byte for byte the body in the ledger.
func TestPublishedReportsWithCasesAndSteps(t *testing.T) {
	if testing.Short() {
		t.Skip("replays a demo month")
	}
	c := serveConfig{data: t.TempDir(), addr: "127.0.0.1:0", witnessQuorum: -1, checkpointInterval: time.Second,
		maxBody: server.DefaultMaxBody, maxEvidence: server.DefaultMaxEvidence, maxBatch: server.DefaultMaxBatch,
		demo: true, demoSeed: 1, demoDays: 4}
	ctx := context.Background()
	a, err := startServer(ctx, c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := a.seedDemo(ctx, c, &out); err != nil {
		a.close()
		t.Fatal(err)
	}
	// Restarted, the server restores its pipeline and response state
	// from the ledger: what the rebuilt reports read below.
	a.close()
	c.demo = false
	if a, err = startServer(ctx, c, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	defer a.close()
	for deadline := time.Now().Add(time.Minute); !a.pipeline.Ready(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) { // a hang, not a speed goal
			t.Fatal("the restarted pipeline is not ready")
		}
	}
	recs, err := a.store.Records(ctx, ledger.TypeReport, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	in := newReportInputs(a.store, a.pipeline, a.response)
	var reports, opened, closed, due, done, missed int
	for _, rec := range recs {
		if !strings.HasPrefix(rec.ID, "report:daily:") {
			continue
		}
		reports++
		var r report.Report
		if err := json.Unmarshal(rec.Body, &r); err != nil {
			t.Fatal(err)
		}
		if r.Source != report.FromIncidents || r.Cases.Source != report.FromCases || r.Steps.Source != report.FromSteps {
			t.Errorf("%s: sources %s, %s, %s; want incidents, cases and steps", rec.ID, r.Source, r.Cases.Source, r.Steps.Source)
		}
		opened, closed = opened+len(r.Cases.Opened), closed+len(r.Cases.Closed)
		due, done, missed = due+len(r.Steps.Due), done+len(r.Steps.Done), missed+len(r.Steps.Missed)
		for _, s := range r.Steps.Done {
			if s.Done.After(r.AsOf) {
				t.Errorf("%s: step %s done at %s, after the report's as-of %s", rec.ID, s.Step, s.Done, r.AsOf)
			}
		}

		again, err := computeReport(ctx, a.store, a.agreement, in, r.Date, r.AsOf)
		if err != nil {
			t.Fatal(err)
		}
		gen, err := report.Record(again)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(gen.Body, rec.Body) {
			t.Errorf("%s rebuilt as of %s differs from the published body:\n%s\n%s", rec.ID, r.AsOf, gen.Body, rec.Body)
		}
	}
	if reports < 3 || opened == 0 || closed == 0 || due == 0 || done == 0 || missed == 0 {
		t.Errorf("%d reports: %d cases opened, %d closed; %d steps due, %d done, %d missed; want some of each\n%s",
			reports, opened, closed, due, done, missed, &out)
	}
}

// A resumption after the as-of time moved a pending step's deadline: the
// report takes it back; a step done or overdue before it kept its own.
func TestDeadlineAsOf(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 11, 20, h, 0, 0, 0, time.UTC) }
	pauses := []response.Pause{{From: at(2), Until: at(4)}, {From: at(10), Until: at(13)}}
	tests := []struct {
		name string
		step response.Step
		asOf time.Time
		want time.Time
	}{
		{"both resumed before as-of", response.Step{Deadline: at(20)}, at(14), at(20)},
		{"second resumed after as-of", response.Step{Deadline: at(20)}, at(12), at(17)},
		{"both after as-of", response.Step{Deadline: at(20)}, at(1), at(15)},
		{"done before the second", response.Step{Deadline: at(17), Done: &response.Action{At: at(9)}}, at(1), at(15)},
		{"overdue before the second", response.Step{Deadline: at(8), OverdueAt: at(8)}, at(1), at(6)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := deadlineAsOf(&tt.step, pauses, tt.asOf); !got.Equal(tt.want) {
				t.Errorf("deadline as of %s = %s, want %s", tt.asOf, got, tt.want)
			}
		})
	}
}

// An incident as of a time holds only the reports received by then, with
// its status then; one merged away, or known to nobody yet, is left out.
func TestIncidentAsOf(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 11, 20, h, 0, 0, 0, time.UTC) }
	inc := &incident.Incident{ID: "inc-1", Status: incident.Verified,
		Reports: []incident.Report{
			{ID: "o1", Reporter: "a", Category: vocab.Explosion, Count: 3, At: at(5)},
			{ID: "o2", Reporter: "b", Category: vocab.Explosion, Count: 5, At: at(4)},
			{ID: "o3", Reporter: "a", Category: vocab.HeavyWeaponSighted, WeaponClass: vocab.MLRS, Count: 2, CalibreMM: 122, At: at(6)},
		},
		History: []incident.Change{
			{At: at(5), Status: incident.Reported}, {At: at(8), Status: incident.Corroborated}, {At: at(12), Status: incident.Verified},
		}}
	received := map[string]time.Time{"o1": at(5), "o2": at(8), "o3": at(9)}
	tests := []struct {
		name string
		asOf time.Time
		want *report.Incident // nil: left out
	}{
		{"before any report", at(4), nil},
		{"first report only", at(6), &report.Incident{ID: "inc-1", Status: "reported", At: at(5),
			Counts: map[vocab.Category]int{vocab.Explosion: 3}, Observations: 1}},
		{"corroborated, earlier report", at(8), &report.Incident{ID: "inc-1", Status: "corroborated", At: at(4),
			Counts: map[vocab.Category]int{vocab.Explosion: 5}, Observations: 2}},
		{"verified, all", at(12), &report.Incident{ID: "inc-1", Status: "verified", At: at(4),
			Counts:  map[vocab.Category]int{vocab.Explosion: 5, vocab.HeavyWeaponSighted: 2},
			Weapons: map[vocab.WeaponClass]int{vocab.MLRS: 2}, CalibreMM: 122, Observations: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := incidentAsOf(inc, received, tt.asOf)
			if tt.want == nil {
				if ok {
					t.Fatalf("got %+v, want it left out", got)
				}
				return
			}
			if !ok || !reflect.DeepEqual(got, *tt.want) {
				t.Errorf("got %+v (%v), want %+v", got, ok, *tt.want)
			}
		})
	}
	merged := *inc
	merged.MergedInto = "inc-2"
	if got, ok := incidentAsOf(&merged, received, at(12)); ok {
		t.Errorf("a merged incident: got %+v", got)
	}
}
