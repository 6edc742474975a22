package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/assess"
)

// runAgreement dispatches `pactwatch agreement check|show`.
func runAgreement(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	help := func(w io.Writer) {
		fmt.Fprint(w, `Usage: pactwatch agreement check FILE
       pactwatch agreement show FILE [--json]

Check an agreement file (print its canonical hash, or every problem as
FILE:LINE:COL: field: message) or show what it holds.
`)
	}
	if len(args) == 0 {
		help(stderr)
		return errUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		help(stderr)
		return nil
	case "check":
		return runAgreementCheck(args[1:], stdout, stderr)
	case "show":
		return runAgreementShow(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "pactwatch agreement: unknown subcommand %q\n\n", args[0])
	help(stderr)
	return errUsage
}

func runAgreementCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("agreement check", "FILE", "Validate an agreement and print its canonical hash (64 hex digits).\nExit status 1 and one line per problem if it is invalid.", stderr)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	a, err := loadAgreement(fs.Arg(0), stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, a.Hash())
	for _, w := range wordingWarnings(a) {
		fmt.Fprintln(stderr, w)
	}
	return nil
}

// wordingWarnings assesses the text of every commitment the agreement treats
// as a guarantee and warns where the wording reads as something weaker — the
// Budapest Memorandum's failure: a "guarantee" in name, an assurance in law.
// Warnings do not make the file invalid: the wording is the negotiators' call.
func wordingWarnings(a *agreement.Agreement) []string {
	var out []string
	for i, c := range a.Commitments {
		if !c.ClaimsGuarantee() || strings.TrimSpace(c.Text) == "" {
			continue
		}
		cl, err := assess.AssessClause(c.Text, "")
		if err != nil {
			out = append(out, fmt.Sprintf("warning: commitments[%d].text (%s): cannot assess the wording: %s", i, c.ID, userMessage(err)))
			continue
		}
		if cl.Label.IsGuarantee() {
			continue
		}
		var words []string
		for _, sp := range cl.Spans {
			if sp.Decisive {
				words = append(words, strconv.Quote(sp.Text))
			}
		}
		w := fmt.Sprintf("warning: commitments[%d].text (%s): kind %q treats it as a guarantee, but the wording reads as %s (score %d)",
			i, c.ID, c.Kind, strings.ReplaceAll(string(cl.Label), "_", " "), cl.Score)
		if len(words) > 0 {
			w += "; decisive words: " + strings.Join(words, ", ")
		}
		out = append(out, w)
	}
	return out
}

// loadAgreement loads an agreement, printing its problems (if any) one per
// line on stderr and returning errSilent.
func loadAgreement(path string, stderr io.Writer) (*agreement.Agreement, error) {
	a, err := agreement.Load(path)
	var ps agreement.Problems
	if errors.As(err, &ps) {
		for _, p := range ps {
			fmt.Fprintln(stderr, p)
		}
		fmt.Fprintf(stderr, "%s: %d problem(s)\n", path, len(ps))
		return nil, errSilent
	}
	return a, err
}

func runAgreementShow(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("agreement show", "FILE [--json]", "Show an agreement: parties, guarantors, zones with their size, commitments and protocols.", stderr)
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	// Accept the flag after the file too, as the usage line shows it.
	var rest []string
	for _, a := range args {
		if a == "--json" || a == "-json" {
			*asJSON = true
			continue
		}
		rest = append(rest, a)
	}
	if help, err := parseFlags(fs, rest); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	a, err := loadAgreement(fs.Arg(0), stderr)
	if err != nil {
		return err
	}
	s := a.Summarize()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	var buf bytes.Buffer
	writeSummary(&buf, a, s)
	// Aligned columns leave trailing blanks where a cell is empty.
	for line := range strings.Lines(buf.String()) {
		fmt.Fprintln(stdout, strings.TrimRight(line, " \n"))
	}
	return nil
}

// writeSummary prints the summary as aligned text sections.
func writeSummary(out io.Writer, a *agreement.Agreement, s agreement.Summary) {
	fmt.Fprintln(out, s.Title)
	terms := []string{fmt.Sprintf("version %d", s.Version)}
	if s.Effective != "" {
		terms = append(terms, "effective "+string(s.Effective))
	}
	if s.Duration != "" {
		terms = append(terms, "duration "+string(s.Duration))
	}
	if s.ReviewEvery != "" {
		terms = append(terms, "review every "+string(s.ReviewEvery))
	}
	terms = append(terms, "time zone "+s.TimeZone)
	fmt.Fprintln(out, strings.Join(terms, " · "))
	fmt.Fprintln(out, "hash", s.Hash)
	if s.Supersedes != "" {
		fmt.Fprintln(out, "supersedes", s.Supersedes)
	}

	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	section := func(title string) {
		tw.Flush()
		fmt.Fprintf(out, "\n%s\n", title)
	}
	section("Parties")
	for _, p := range s.Parties {
		fmt.Fprintf(tw, "  %s\t%s\n", p.ID, p.Name)
	}
	section("Guarantors")
	for _, g := range s.Guarantors {
		name := g.Name
		if g.Kind == "group" {
			name += " (group: " + strings.Join(g.Members, ", ") + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", g.ID, name)
	}
	section("Mission")
	m := s.Mission
	fmt.Fprintf(tw, "  %s\n", m.Name)
	fmt.Fprintf(tw, "  log\t%s\n", m.LogOrigin)
	if len(m.Witnesses) > 0 {
		fmt.Fprintf(tw, "  witnesses\t%s (quorum %d)\n", strings.Join(m.Witnesses, ", "), m.WitnessQuorum)
	}
	for _, k := range m.KeysByRole {
		role, id, _ := strings.Cut(k, ": ")
		fmt.Fprintf(tw, "  key\t%s\t%s\n", id, role)
	}
	section("Zones")
	for _, z := range s.Zones {
		size := ""
		switch {
		case z.AreaKm2 > 0:
			size = fmt.Sprintf("%.0f km²", z.AreaKm2)
		case z.LengthKm > 0:
			size = fmt.Sprintf("%.1f km", z.LengthKm)
		case z.ApproxAreaKm2 > 0:
			size = fmt.Sprintf("≈%.0f km²", z.ApproxAreaKm2)
		}
		detail := z.Name
		if z.Derived != "" {
			detail += " — " + z.Derived
		}
		if len(z.Inventory) > 0 {
			detail += " — declared: " + inventory(z.Inventory)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", z.ID, z.Kind, size, detail)
		for _, ph := range z.Phases {
			period := "from " + string(ph.From)
			if ph.Until != "" {
				period = string(ph.From) + " → " + string(ph.Until)
			}
			size := fmt.Sprintf("%.0f km²", ph.AreaKm2)
			if ph.LengthKm > 0 {
				size = fmt.Sprintf("%.1f km", ph.LengthKm)
			}
			fmt.Fprintf(tw, "    %s\tphase\t%s\t%s\n", ph.ID, size, period)
		}
	}
	section("Commitments")
	for _, c := range s.Commitments {
		term := ""
		switch {
		case c.Duration != "":
			term = "for " + string(c.Duration)
		case c.End != "":
			term = "until " + string(c.End)
		}
		if c.Start != "" {
			term = strings.TrimSpace("from " + string(c.Start) + " " + term)
		}
		then := ""
		if c.Protocol != "" {
			then = "→ " + c.Protocol
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Kind, c.Rule, term, then, strings.Join(c.Obligors, ", "))
	}
	printReviewSettings(tw, section, s)
	section("Protocols")
	for _, p := range s.Protocols {
		tw.Flush()
		fmt.Fprintf(out, "  %s — %s\n", p.ID, p.Title)
		for _, st := range p.Steps {
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", st.Deadline, a.ActorName(st.Actor), st.Action, st.ID)
		}
		tw.Flush()
		var after []string
		if p.Cutoff != "" {
			after = append(after, "cutoff "+string(p.Cutoff))
		}
		if e := p.Escalation; e != nil {
			if e.OnOverdue != "" {
				after = append(after, "overdue → "+e.OnOverdue)
			}
			if r := e.Repeated; r != nil {
				after = append(after, fmt.Sprintf("%d cases within %s → %s", r.Count, r.Within, r.Protocol))
			}
		}
		if len(after) > 0 {
			fmt.Fprintf(out, "    %s\n", strings.Join(after, " · "))
		}
	}
	tw.Flush()
}

// inventory formats declared weapons in a stable order.
func inventory(inv map[string]int) string {
	keys := make([]string, 0, len(inv))
	for k := range inv {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", inv[k], k)
	}
	return strings.Join(parts, ", ")
}
