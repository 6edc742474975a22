package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/report"
	"github.com/pactwatch/pactwatch/store"
)

// runReport is `pactwatch report daily`.
func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report", "daily [flags]",
		"Build a report from the store. `daily` is the mission's daily report for one day in the agreement's\n"+
			"time zone: ceasefire violations per area against the previous day, weapons, restrictions, casualties,\n"+
			"cases and response steps, as HTML, JSON, CSV or GeoJSON (see docs/report.md).", stderr)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	switch fs.Arg(0) {
	case "daily":
		return runReportDaily(ctx, fs.Args()[1:], time.Now, stdout, stderr)
	}
	fmt.Fprintf(stderr, "pactwatch report: unknown report %q\n", fs.Arg(0))
	fs.Usage()
	return errUsage
}

func runReportDaily(ctx context.Context, args []string, now func() time.Time, stdout, stderr io.Writer) error {
	fs := newFlags("report daily", "[--date YYYY-MM-DD] [--data DIR | --db DSN] [--agreement FILE] [--format html|json|csv|geojson] [--lang en|uk|ru] [--as-of TIME] [--cluster] [-o FILE]",
		"Print the daily report for one day (a day is midnight to midnight in the agreement's time zone).\n"+
			"Figures count observations received by the \"as of\" time. This is a working view from the database;\n"+
			"serve publishes each day's report in the ledger (with incidents, violations, cases and steps as they stood\n"+
			"at the day's end plus "+report.PublishDelay.String()+"): read those at /reports/daily.", stderr)
	date := fs.String("date", "", "the report day, YYYY-MM-DD (default: yesterday in the agreement's time zone)")
	data := fs.String("data", "", "data folder whose SQLite database to read (default ./pactwatch-data)")
	dsn := fs.String("db", "", "database to read: a SQLite path or a postgres:// URL")
	agreementFile := fs.String("agreement", "", "agreement file (default: the embedded illustrative Ukraine example, as serve)")
	format := fs.String("format", "html", "output: html, json, csv or geojson")
	lang := fs.String("lang", "en", "language of the HTML: en, uk or ru")
	asOfFlag := fs.String("as-of", "", "count observations received by this RFC 3339 time (default: now)")
	out := fs.String("o", "", "write to this file instead of standard output")
	cluster := fs.Bool("cluster", false, "count incidents instead of reports: cluster the observations in memory with the incident engine (unreviewed: no analyst decision is applied)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 0 || (*data != "" && *dsn != "") {
		fs.Usage()
		return errUsage
	}
	fail := func(err error) error {
		fmt.Fprintln(stderr, "pactwatch report daily:", userMessage(err))
		return errSilent
	}
	switch *format {
	case "html", "json", "csv", "geojson":
	default:
		return fail(pactwatch.FieldErrorf(pactwatch.EINVALID, "format", "format %q: want html, json, csv or geojson", *format))
	}
	agr, err := serveAgreement(*agreementFile)
	if err != nil {
		return fail(err)
	}
	loc := agr.Location()
	t := now()
	day := *date
	if day == "" {
		d, _ := report.ParseDay(report.DayOf(t, loc))
		day = d.AddDate(0, 0, -1).Format(time.DateOnly)
	}
	if _, err := report.ParseDay(day); err != nil {
		return fail(err)
	}
	asOf := t
	if *asOfFlag != "" {
		if asOf, err = time.Parse(time.RFC3339, *asOfFlag); err != nil {
			return fail(pactwatch.FieldErrorf(pactwatch.EINVALID, "as-of", "want an RFC 3339 time, e.g. 2026-11-21T02:00:00+02:00"))
		}
	}
	if from, _, _ := report.Bounds(day, loc); asOf.Before(from) {
		return fail(pactwatch.FieldErrorf(pactwatch.EINVALID, "date", "%s has not begun yet in %s", day, loc))
	}

	db := *dsn
	if db == "" {
		dir := *data
		if dir == "" {
			dir = "./pactwatch-data"
		}
		db = filepath.Join(dir, dataDBName)
		// store.Open creates a missing database: a report must not.
		if _, err := os.Stat(db); err != nil {
			return fail(pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "data", "no database %s (give --data DIR of a server's data folder, or --db)", db))
		}
	}
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		return fail(err)
	}
	defer st.Close()
	obs, err := report.ReadObservations(ctx, st, agr, day)
	if err != nil {
		return fail(err)
	}
	in := report.Input{Agreement: agr, Observations: obs, AsOf: asOf}
	if *cluster {
		if in.Incidents, err = clusterIncidents(obs, asOf); err != nil {
			return fail(err)
		}
	}
	r, err := report.Daily(in, day)
	if err != nil {
		return fail(err)
	}

	var b bytes.Buffer
	switch *format {
	case "html":
		err = report.WriteHTML(&b, r, report.HTMLOptions{Lang: *lang})
	case "json":
		err = report.WriteJSON(&b, r)
	case "csv":
		err = report.WriteCSV(&b, r)
	case "geojson":
		err = report.WriteGeoJSON(&b, r)
	}
	if err != nil {
		return fail(err)
	}
	if *out != "" {
		if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
			return fail(err)
		}
	} else if _, err := stdout.Write(b.Bytes()); err != nil {
		return err
	}
	return nil
}

// clusterIncidents merges the observations received by asOf into
// incidents with the incident engine, as `compliance evaluate` does, and
// reduces them to what the report counts. No analyst has reviewed them:
// their status is reported or corroborated.
func clusterIncidents(obs []observation.Record, asOf time.Time) ([]report.Incident, error) {
	tr := incident.NewTracker(incident.DefaultConfig(), func() time.Time { return asOf })
	for i := range obs {
		if obs[i].ReceivedAt.After(asOf) {
			continue
		}
		if _, err := tr.Add(&obs[i]); err != nil {
			return nil, err
		}
	}
	out := []report.Incident{}
	for _, inc := range tr.Incidents() {
		if inc.MergedInto != "" {
			continue
		}
		ri := report.Incident{ID: inc.ID, Status: string(inc.Status), At: inc.First, Counts: inc.Counts,
			Weapons: inc.Weapons, Observations: len(inc.Reports)}
		if l := inc.Location; l != nil {
			ri.Position = &observation.Position{Lat: l.Point[1], Lon: l.Point[0], UncertaintyM: l.RadiusKm * 1000}
		}
		out = append(out, ri)
	}
	return out, nil
}
