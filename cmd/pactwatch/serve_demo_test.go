package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/report"
)

// TestServeDemoMonth replays a short demo month through a real server and
// checks what a visitor sees over HTTP: the guarantors' scorecard has
// steps on time, late and missed; a seeded day's report is in the ledger
// with that day's figures; every observation was received on the day it
// was observed; then, the server stopped, the ledger verifies offline.
func TestServeDemoMonth(t *testing.T) {
	if testing.Short() {
		t.Skip("replays a demo month")
	}
	data := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	out := &serveOutput{}
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--log-level", "error", "--data", data, "--demo", "--demo-days", "4"}, out, out)
	}()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-errc; err != nil {
				t.Errorf("serve after SIGTERM: %v", err)
			}
		}
	}
	t.Cleanup(stop)
	var url string
	deadline := time.Now().Add(2 * time.Minute) // a hang, not a speed goal
	for url == "" {
		if _, after, ok := strings.Cut(out.String(), " serving "); ok {
			url = strings.Fields(after)[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", out)
		}
		select {
		case err := <-errc:
			stopped = true
			t.Fatalf("serve exited: %v\n%s", err, out)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if !strings.Contains(out.String(), "demo: 4 days and today (") {
		t.Fatalf("announcement:\n%s", out)
	}
	tok, err := os.ReadFile(filepath.Join(data, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	admin := client.New(url, strings.TrimSpace(string(tok)))

	sc, err := client.New(url, "").Scorecard(ctx, time.Time{}, "")
	if err != nil {
		t.Fatal(err)
	}
	var onTime, late, missed int
	for _, a := range sc.Actors {
		if a.Actor != "mission" {
			onTime, late, missed = onTime+a.Overall.OnTime, late+a.Overall.Late, missed+a.Overall.Missed
		}
	}
	if onTime == 0 || late == 0 || missed == 0 {
		t.Errorf("scorecard: %d on time, %d late, %d missed; want some of each", onTime, late, missed)
	}

	// The report of the day before yesterday is published: in the ledger,
	// with the day's ceasefire violations.
	agr, err := agreement.Default()
	if err != nil {
		t.Fatal(err)
	}
	loc := agr.Location()
	day := time.Now().In(loc).AddDate(0, 0, -2).Format(time.DateOnly)
	resp, err := http.Get(url + "/api/v1/ledger/entries/" + report.RecordID(day))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the ledger entry of %s's report: %s", day, resp.Status)
	}
	resp, err = http.Get(url + "/reports/daily/" + day + ".json")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var rep report.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("%s's report: %v\n%s", day, err, b)
	}
	if rep.Date != day || rep.Ceasefire.Total.Day.Total == 0 || rep.Ceasefire.Total.Day.Explosions == 0 || len(rep.Events) == 0 {
		t.Errorf("%s's report is empty: %+v", day, rep.Ceasefire.Total)
	}

	// Every observation was received on its day, shortly after it was
	// observed; the month's first ones on its first day.
	first := time.Now().In(loc).AddDate(0, 0, -4).Format(time.DateOnly)
	days := map[string]int{}
	q := client.Query{Limit: 1000}
	for {
		page, err := admin.Observations(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range page.Observations {
			var rec observation.Record
			if err := json.Unmarshal(raw, &rec); err != nil {
				t.Fatal(err)
			}
			od, rd := rec.ObservedAt.In(loc).Format(time.DateOnly), rec.ReceivedAt.In(loc).Format(time.DateOnly)
			if od != rd || rec.ReceivedAt.Before(rec.ObservedAt) || rec.ReceivedAt.Sub(rec.ObservedAt) > 3*time.Hour {
				t.Fatalf("observed %s, received %s", rec.ObservedAt.In(loc), rec.ReceivedAt.In(loc))
			}
			days[od]++
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	if days[first] == 0 || days[day] == 0 {
		t.Errorf("observations per day: %v", days)
	}

	// Stopped, the folder's ledger verifies offline, records included.
	stop()
	if out, _, err := runCLI(t, "verify", "--data", data, "--quorum", "0", "--records"); err != nil || !strings.Contains(out, "OK") {
		t.Fatalf("verify --data: %v\n%s", err, out)
	}
}

// A folder served before without --demo holds records in real time: the
// demo does not replay a month before them, and the server serves as is.
func TestServeDemoOnUsedFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers")
	}
	data := t.TempDir()
	serveAndStop(t, data)
	_, out2 := serveInProcess(t, "--data", data, "--demo")
	if !strings.Contains(out2.String(), "demo: the database already holds records; not seeding") || strings.Contains(out2.String(), "analysts reviewed") || strings.Contains(out2.String(), "demo monitor") {
		t.Errorf("--demo on a used folder:\n%s", out2)
	}
}
