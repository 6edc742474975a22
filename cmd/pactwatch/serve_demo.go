package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/demo"
)

// demoClock returns the clock of a demo about to be seeded: a fresh data
// folder under --demo starts at the beginning of the simulated month, and
// the seeding moves the clock forward to real time. Otherwise (no --demo,
// or a folder seeded before: a restart runs in real time) it returns nil.
func demoClock(c serveConfig, agr *agreement.Agreement) *demo.Clock {
	if !c.demo {
		return nil
	}
	if _, err := os.Stat(filepath.Join(c.data, "demo")); err == nil {
		return nil
	}
	start := demo.MonthStart(demo.Config{Agreement: agr}, c.demoDays, time.Now())
	return demo.NewClock(start, time.Now)
}

// demoSeeded reports whether the data folder holds a seeded demo (its
// newcomer's monitor key).
func demoSeeded(data string) bool {
	_, err := os.Stat(filepath.Join(data, "demo", "monitor.key"))
	return err == nil
}

// demoFreshStore lets the demo clock start in the past only on an empty
// ledger: a database that holds records (a folder served before without
// --demo, or a shared PostgreSQL database) keeps real time, so that no
// record is stamped before the ones already stored.
func (a *app) demoFreshStore(ctx context.Context) error {
	if a.clock == nil {
		return nil
	}
	n, err := a.store.TreeSize(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		a.log.Warn("demo: the database already holds records; the demo runs in real time", "records", n)
		a.clock.GoLive()
	}
	return nil
}

// seedDemo seeds a fresh data folder (one without <data>/demo) through the
// running server: the simulated month on the demo clock (demo.Month), then
// real time. A folder seeded before is served as is.
func (a *app) seedDemo(ctx context.Context, c serveConfig, stdout io.Writer) error {
	dir := filepath.Join(c.data, "demo")
	if _, err := os.Stat(dir); err == nil {
		fmt.Fprintf(stdout, "demo data already seeded in %s\n", dir)
		return nil
	}
	if a.admin == "" {
		return pactwatch.Errorf(pactwatch.EINVALID, "the demo needs the admin token in %s", filepath.Join(c.data, "admin.token"))
	}
	if a.pipeline == nil || a.response == nil {
		return pactwatch.Errorf(pactwatch.EINVALID, "the demo needs the incident pipeline and the response service")
	}
	clock := a.clock
	if clock == nil || clock.Live() {
		// The month is replayed in the past, before every record: only
		// into an empty database.
		fmt.Fprintf(stdout, "demo: the database already holds records; not seeding (use a fresh --data folder)\n")
		return nil
	}
	began := time.Now()
	cfg := demo.Config{Client: client.New(a.url, a.admin), Agreement: a.agreement, Dir: dir,
		Seed: c.demoSeed, Days: c.demoDays, Now: clock.Now, ServerURL: a.url, Clock: clock, Hooks: a.demoHooks()}
	res, err := demo.Month(ctx, cfg)
	if err != nil {
		return err
	}
	// The newcomer's example observation is of a moment ago, in real time.
	if err := demo.Newcomer(ctx, cfg); err != nil {
		return err
	}
	took := time.Since(began)
	loc := a.agreement.Location()
	fmt.Fprintf(stdout, "demo: %d days and today (%s to %s) replayed in %.1f s: %d monitors submitted %d observations\n",
		res.Days, res.Start.In(loc).Format(time.DateOnly), res.End.In(loc).Format("2006-01-02 15:04 MST"), took.Seconds(), res.Monitors, res.Observations)
	fmt.Fprintf(stdout, "demo: analysts reviewed %d incidents (%d verified, %d rejected, %d disputed); %d cases (%d confirmed, %d remedied, %d withdrawn), %d protocol runs\n",
		res.Incidents, res.Verified, res.Rejected, res.Disputed, res.Cases, res.Confirmed, res.Remedied, res.Withdrawn, res.Runs)
	fmt.Fprintf(stdout, "demo: guarantors' steps %d on time, %d late, %d missed; %d daily reports published\n",
		res.OnTime, res.Late, res.Missed, res.Reports)
	fmt.Fprintf(stdout, "  demo analyst: token in %s; try: pactwatch incidents list --server %s --token-file %s\n",
		filepath.Join(dir, "analyst-1.token"), a.url, filepath.Join(dir, "analyst-1.token"))
	go a.demoLiaisons(ctx, cfg)
	return nil
}

// demoHooks runs the server's background work in step with the demo clock:
// the pipeline drains what was accepted, the scheduler ticks, the reports
// due are published. The servers' own loops keep running too; what they
// store is the same (the journal and the ledger keep one of each).
func (a *app) demoHooks() demo.Hooks {
	return demo.Hooks{
		Settle: func(ctx context.Context) error {
			for !a.pipeline.Ready() {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(10 * time.Millisecond):
				}
			}
			for {
				n, err := a.pipeline.Step(ctx)
				if err != nil || n == 0 {
					return err
				}
			}
		},
		Tick: func(ctx context.Context) (int, error) {
			ts, err := a.response.Tick(ctx)
			return len(ts), err
		},
		Publish: func(ctx context.Context) ([]string, error) {
			p := newPublisher(a.store, a.agreement, newReportInputs(a.store, a.pipeline, a.response), a.clock.Now)
			return p.PublishDue(ctx)
		},
	}
}

// demoLiaisons keeps the demo's liaisons acting in real time after the
// seeding: every minute, late guarantors record the steps that went
// overdue; never-acting ones are left to be missed.
func (a *app) demoLiaisons(ctx context.Context, cfg demo.Config) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := demo.Respond(ctx, cfg); err != nil && ctx.Err() == nil {
				a.log.Warn("demo liaisons", "err", err)
			}
		}
	}
}

// demoLive keeps the simulated monitors reporting until ctx ends.
func (a *app) demoLive(ctx context.Context, c serveConfig) {
	err := demo.Live(ctx, demo.Config{
		Client: client.New(a.url, a.admin), Agreement: a.agreement, Dir: filepath.Join(c.data, "demo"),
		Seed: c.demoSeed, Now: a.now(), ServerURL: a.url,
	})
	if err != nil && ctx.Err() == nil {
		a.log.Error("demo-live", "err", err)
	}
}

// now is the app's clock.
func (a *app) now() func() time.Time {
	if a.clock != nil {
		return a.clock.Now
	}
	return time.Now
}
