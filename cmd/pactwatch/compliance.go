package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/compliance/compliancebench"
	"github.com/pactwatch/pactwatch/examples"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/observation"
)

// runCompliance is `pactwatch compliance evaluate|bench`.
func runCompliance(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("compliance", "evaluate [flags] OBSERVATIONS.json|-\n       pactwatch compliance bench [flags]",
		"Cluster observations into incidents and evaluate them against an agreement's commitments:\n"+
			"violations (with attribution), indeterminate checks, cases and tallies. `bench` measures\n"+
			"re-evaluating 1,000,000 synthetic observations against the agreement.", stderr)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	switch fs.Arg(0) {
	case "evaluate":
		return runComplianceEvaluate(ctx, fs.Args()[1:], os.Stdin, stdout, stderr)
	case "bench":
		return runComplianceBench(ctx, fs.Args()[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "pactwatch compliance: unknown subcommand %q\n", fs.Arg(0))
	fs.Usage()
	return errUsage
}

// complianceAgreement loads the file, or the embedded example when path is "".
func complianceAgreement(path string) (*agreement.Agreement, error) {
	if path == "" {
		return agreement.ParseFS(examples.Ukraine, "agreement.yaml")
	}
	return agreement.Load(path)
}

func runComplianceBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("compliance bench", "[-n N] [-days D] [-seed S] [-agreement FILE]",
		"Generate N plausible observations along the agreement's contact line, cluster them, verify the\n"+
			"corroborated incidents, evaluate them against every commitment and group the violations into\n"+
			"cases, printing the time of each stage. The issue's target: re-evaluation of 1,000,000 in under 10 s.", stderr)
	n := fs.Int("n", 1_000_000, "observations to generate")
	days := fs.Int("days", 30, "days the observations span")
	seed := fs.Uint64("seed", 1, "generator seed")
	path := fs.String("agreement", "", "agreement file (default: the embedded examples/ukraine)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	a, err := complianceAgreement(*path)
	if err != nil {
		fmt.Fprintln(stderr, "pactwatch compliance bench:", userMessage(err))
		return errSilent
	}
	if err := compliancebench.Run(ctx, compliancebench.Config{Agreement: a, Observations: *n, Days: *days, Seed: *seed}, stdout); err != nil {
		fmt.Fprintln(stderr, "pactwatch compliance bench:", userMessage(err))
		return errSilent
	}
	return nil
}

// evaluation is what `compliance evaluate --json` prints.
type evaluation struct {
	Agreement     string                 `json:"agreement"`
	Incidents     []*incident.Incident   `json:"incidents"`
	Violations    []compliance.Violation `json:"violations"`
	Indeterminate []compliance.Check     `json:"indeterminate"`
	Cases         []*compliance.Case     `json:"cases"`
	Tallies       []compliance.Tally     `json:"tallies"`
}

func runComplianceEvaluate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("compliance evaluate", "[--agreement FILE] [--now TIME] [--review=false] [--json] OBSERVATIONS.json|-",
		"Read observations (a JSON array, or one JSON object per line), cluster them into incidents,\n"+
			"verify every corroborated one as analyst \"cli\" (unless --review=false: then nothing is verified\n"+
			"and nothing is evaluated but levels and milestones), and print the violations, indeterminate checks,\n"+
			"cases and tallies the agreement's commitments yield. Nothing is stored: this is a what-if tool.", stderr)
	path := fs.String("agreement", "", "agreement file (default: the embedded examples/ukraine)")
	nowFlag := fs.String("now", "", "evaluate as of this RFC 3339 time (default: now)")
	review := fs.Bool("review", true, "verify every corroborated incident before evaluating")
	asJSON := fs.Bool("json", false, "print incidents, violations, indeterminate checks, cases and tallies as JSON")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	fail := func(err error) error {
		fmt.Fprintln(stderr, "pactwatch compliance evaluate:", userMessage(err))
		return errSilent
	}
	now := time.Now().UTC()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return fail(pactwatch.FieldErrorf(pactwatch.EINVALID, "--now", "want an RFC 3339 time, e.g. 2027-01-17T00:00:00Z"))
		}
		now = t
	}
	a, err := complianceAgreement(*path)
	if err != nil {
		return fail(err)
	}
	var data []byte
	if fs.Arg(0) == "-" {
		data, err = io.ReadAll(io.LimitReader(stdin, 1<<30))
	} else {
		data, err = os.ReadFile(fs.Arg(0))
	}
	if err != nil {
		return fail(pactwatch.FieldErrorf(pactwatch.EINVALID, fs.Arg(0), "cannot read: %v", err))
	}
	recs, err := decodeRecords(data, now)
	if err != nil {
		return fail(err)
	}
	tr := incident.NewTracker(incident.DefaultConfig(), func() time.Time { return now })
	for _, r := range recs {
		if _, err := tr.Add(r); err != nil {
			return fail(err)
		}
	}
	if *review {
		for _, inc := range tr.Incidents() {
			if inc.Status == incident.Corroborated {
				if _, err := tr.Decide(inc.ID, "cli", incident.OutcomeVerified, "", "compliance evaluate --review"); err != nil {
					return fail(err)
				}
			}
		}
	}
	ev, err := compliance.New(a, compliance.DefaultPolicy())
	if err != nil {
		return fail(err)
	}
	res, err := ev.Evaluate(ctx, compliance.Inputs{Incidents: tr.Incidents()}, now)
	if err != nil {
		return fail(err)
	}
	book := compliance.NewBook(a, ev.Policy(), func() time.Time { return now })
	book.Ingest(res.Violations)
	out := evaluation{Agreement: a.Hash(), Incidents: tr.Incidents(), Violations: res.Violations,
		Indeterminate: res.Indeterminate, Cases: book.Cases(), Tallies: ev.Policy().Tallies(a, res.Violations)}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(out)
	}
	writeEvaluation(stdout, a, &out, tr)
	return nil
}

// decodeRecords reads observations or records, as an array or one object
// per line, validating each as of now (a day of clock skew allowed).
func decodeRecords(data []byte, now time.Time) ([]*observation.Record, error) {
	data = bytes.TrimSpace(data)
	var recs []*observation.Record
	if len(data) > 0 && data[0] == '[' {
		if err := json.Unmarshal(data, &recs); err != nil {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "observations", "not a JSON array of observations: %v", err)
		}
	} else {
		dec := json.NewDecoder(bytes.NewReader(data))
		for dec.More() {
			var r observation.Record
			if err := dec.Decode(&r); err != nil {
				return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, fmt.Sprintf("observations[%d]", len(recs)), "not a JSON observation: %v", err)
			}
			recs = append(recs, &r)
		}
	}
	for i, r := range recs {
		if r == nil {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, fmt.Sprintf("observations[%d]", i), "null")
		}
		if err := r.Validate(now, 24*time.Hour); err != nil {
			var pe *pactwatch.Error
			if errors.As(err, &pe) {
				return nil, pactwatch.FieldErrorf(pe.Code, fmt.Sprintf("observations[%d].%s", i, pe.Field), "%s", pe.Message)
			}
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, fmt.Sprintf("observations[%d]", i), "%v", err)
		}
		if r.Seq == 0 {
			r.Seq = int64(i + 1)
		}
	}
	return recs, nil
}

func writeEvaluation(w io.Writer, a *agreement.Agreement, out *evaluation, tr *incident.Tracker) {
	verified := len(tr.Verified())
	var reports int
	for _, inc := range out.Incidents {
		reports += len(inc.Reports)
	}
	fmt.Fprintf(w, "agreement      %s (%.12s)\n", a.Title, out.Agreement)
	fmt.Fprintf(w, "observations   %d in %d incidents, %d verified\n", reports, len(out.Incidents), verified)
	bySev := map[compliance.Severity]int{}
	for _, v := range out.Violations {
		bySev[v.Severity]++
	}
	fmt.Fprintf(w, "violations     %d (%d grave, %d serious, %d minor); %d indeterminate\n\n", len(out.Violations),
		bySev[compliance.Grave], bySev[compliance.Serious], bySev[compliance.Minor], len(out.Indeterminate))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if len(out.Violations) > 0 {
		fmt.Fprintln(tw, "VIOLATION\tPARTY\tBASIS\tSEVERITY\tDETAIL")
		for _, v := range out.Violations {
			party := v.Attribution.Party
			if party == "" {
				party = "unattributed"
				if len(v.Obligors) > 0 {
					party = "joint"
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.ID, party, v.Attribution.Basis, v.Severity, v.Detail)
		}
		fmt.Fprintln(tw)
	}
	for _, c := range out.Indeterminate {
		fmt.Fprintf(tw, "indeterminate\t%s\t%s\t%s\n", c.Commitment, c.Incident, c.Detail)
	}
	if len(out.Cases) > 0 {
		fmt.Fprintln(tw, "\nCASE\tCOMMITMENT\tPARTY\tAREA\tPERIOD\tSEVERITY\tVIOLATIONS\tPROTOCOL")
		for _, c := range out.Cases {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", c.ID, c.Group.Commitment, c.Group.Party, c.Group.Area, c.Group.Period, c.Severity, len(c.Violations), c.Protocol)
		}
	}
	if len(out.Tallies) > 0 {
		fmt.Fprintln(tw, "\nTALLY\tPARTY\tAREA\tPERIOD\tVIOLATIONS\tEVENTS")
		for _, t := range out.Tallies {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\n", t.Commitment, t.Party, t.Area, t.Period, t.Count, t.Events)
		}
	}
	tw.Flush()
}
