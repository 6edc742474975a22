package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/examples"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/store"
)

// runScorecard prints the guarantors' scorecard from the response records
// (ledger type "action") a store holds.
func runScorecard(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("scorecard", "(--data DIR | --db DSN | --server URL) [--agreement FILE] [--as-of TIME] [--from DAY] [--every DURATION] [--json]",
		"Rebuild the response protocols from the stored action records and print, per guarantor, the steps\n"+
			"due, done on time, late, missed and still overdue, and the median time to act — overall and per\n"+
			"window — then the confirmed cases per commitment and per party.", stderr)
	data := fs.String("data", "", "the data folder of a SQLite store ("+dataDBName+")")
	dsn := fs.String("db", "", "a store DSN (SQLite path or postgres:// URL)")
	path := fs.String("agreement", "", "agreement file (default: the embedded examples/ukraine)")
	asOf := fs.String("as-of", "", "judge deadlines as of this RFC 3339 time (default: now)")
	from := fs.String("from", "", "first window's day, YYYY-MM-DD (default: the first confirmed case's day)")
	every := fs.String("every", "1mo", "window length: a calendar duration (7d, 1mo, 1y)")
	asJSON := fs.Bool("json", false, "print the scorecard as JSON")
	server := fs.String("server", "", "ask a running server (GET /api/v1/scorecard) instead of reading a store")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	fail := func(err error) error {
		fmt.Fprintln(stderr, "pactwatch scorecard:", userMessage(err))
		return errSilent
	}
	if n := btoi(*data != "") + btoi(*dsn != "") + btoi(*server != ""); n != 1 {
		return fail(pactwatch.Errorf(pactwatch.EINVALID, "give one of --data, --db or --server"))
	}
	a, err := scorecardAgreement(*path)
	if err != nil {
		return fail(err)
	}
	now := time.Now().UTC()
	if *asOf != "" {
		if now, err = time.Parse(time.RFC3339, *asOf); err != nil {
			return fail(pactwatch.FieldErrorf(pactwatch.EINVALID, "as-of", "want an RFC 3339 time, e.g. 2026-12-31T00:00:00Z"))
		}
	}
	if _, _, err := agreement.Duration(*every).Parse(); err != nil {
		return fail(pactwatch.FieldErrorf(pactwatch.EINVALID, "every", "%v", err))
	}
	if *server != "" {
		sc, err := client.New(*server, "").Scorecard(ctx, now, *every)
		if err != nil {
			return fail(err)
		}
		if *asJSON {
			return printJSON(stdout, sc)
		}
		printScorecard(stdout, a, sc)
		return nil
	}
	db := *dsn
	if *data != "" {
		db = filepath.Join(*data, dataDBName)
		if _, err := os.Stat(db); err != nil {
			return fail(pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "data", "no database %s", db))
		}
	}
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		return fail(err)
	}
	defer st.Close()
	e := response.New(a, func() time.Time { return now })
	if err := loadActions(ctx, st, e); err != nil {
		return fail(err)
	}
	cases := e.Cases()
	start := now
	if *from != "" {
		if start, err = agreement.Date(*from).In(a.Location()); err != nil {
			return fail(pactwatch.FieldErrorf(pactwatch.EINVALID, "from", "%v", err))
		}
	} else if len(cases) > 0 {
		first := cases[0].Confirmed
		for _, c := range cases {
			if c.Confirmed.Before(first) {
				first = c.Confirmed
			}
		}
		start, _ = agreement.Date(first.In(a.Location()).Format(time.DateOnly)).In(a.Location())
	}
	sc := response.Score(a, e.Runs(), cases, now, response.Windows(start, now, agreement.Duration(*every)))
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(sc)
	}
	printScorecard(stdout, a, sc)
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func scorecardAgreement(path string) (*agreement.Agreement, error) {
	if path == "" {
		return agreement.ParseFS(examples.Ukraine, "agreement.yaml")
	}
	return agreement.Load(path)
}

// loadActions folds every stored action record into the engine, in ledger
// order: what a restarted server does.
func loadActions(ctx context.Context, st store.Store, e *response.Engine) error {
	var from int64
	for {
		recs, err := st.Records(ctx, ledger.TypeAction, from, 1000)
		if err != nil {
			return err
		}
		for _, r := range recs {
			t, err := response.ParseTransition(r.Body)
			if err != nil {
				return pactwatch.FieldErrorf(pactwatch.EINVALID, "record "+r.ID, "%s", pactwatch.ErrorMessage(err))
			}
			if err := e.Apply(t); err != nil {
				return err
			}
			from = r.Index + 1
		}
		if len(recs) < 1000 {
			return nil
		}
	}
}

func printScorecard(w io.Writer, a *agreement.Agreement, sc response.Scorecard) {
	fmt.Fprintf(w, "Scorecard as of %s: %d confirmed cases\n\n", sc.AsOf.Format(time.RFC3339), total(sc.Commitments))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "actor\tdue\ton time\tlate\tmissed\toverdue\tpending\tended\tmedian to act (h)\t")
	for _, as := range sc.Actors {
		t := as.Overall
		median := "-" // nothing done yet
		if t.OnTime+t.Late > 0 {
			median = fmt.Sprintf("%.1f", t.MedianHours)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n", a.ActorName(as.Actor), t.Due, t.OnTime, t.Late, t.Missed, t.Overdue, t.Pending, t.Ended, median)
	}
	tw.Flush()
	if len(sc.Windows) > 1 {
		fmt.Fprintln(w, "\nPer window (by deadline): on time / due")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprint(tw, "actor\t")
		for _, win := range sc.Windows {
			fmt.Fprintf(tw, "%s\t", win.From.Format(time.DateOnly))
		}
		fmt.Fprintln(tw)
		for _, as := range sc.Actors {
			fmt.Fprintf(tw, "%s\t", a.ActorName(as.Actor))
			for _, t := range as.Windows {
				fmt.Fprintf(tw, "%d/%d\t", t.OnTime, t.Due)
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
	}
	for _, part := range []struct {
		title  string
		counts []response.CaseCount
	}{{"commitment", sc.Commitments}, {"party", sc.Parties}} {
		fmt.Fprintf(w, "\nConfirmed cases per %s\n", part.title)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		for _, c := range part.counts {
			fmt.Fprintf(tw, "%s\t%d\t\n", c.ID, c.Total)
		}
		tw.Flush()
	}
}

func total(cs []response.CaseCount) int {
	n := 0
	for _, c := range cs {
		n += c.Total
	}
	return n
}
