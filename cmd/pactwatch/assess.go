package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/assess"
)

// runAssess is `pactwatch assess FILE|-` and `pactwatch assess eval`.
func runAssess(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "eval" {
		return runAssessEval(args[1:], stdout, stderr)
	}
	fs := newFlags("assess", "[--json] [--lang en|uk|ru] [-v] FILE|-\n       pactwatch assess eval [--set FILE] [-v]",
		"Split an agreement's text into clauses and label each: guarantee, conditional_guarantee,\n"+
			"assurance or no_commitment, with a 0–100 score and the words that decided it.\n"+
			"`assess eval` measures the analyser on its labelled development set.", stderr)
	asJSON := fs.Bool("json", false, `print {"clauses":[{"text","label","score","dimensions","spans"}]}`)
	lang := fs.String("lang", "", "language of the text: en, uk or ru (default: detect)")
	verbose := fs.Bool("v", false, "print each clause's dimensions under its row")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	text, err := readInput(fs.Arg(0), os.Stdin)
	if err != nil {
		fmt.Fprintln(stderr, "pactwatch assess:", userMessage(err))
		return errSilent
	}
	res, err := assess.Analyse(text, assess.Options{Lang: *lang})
	if err != nil {
		fmt.Fprintln(stderr, "pactwatch assess:", userMessage(err))
		return errSilent
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(res)
	}
	writeAssessTable(stdout, res, *verbose)
	return nil
}

func readInput(name string, stdin io.Reader) (string, error) {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return "", pactwatch.FieldErrorf(pactwatch.ENOTFOUND, name, "cannot open: %v", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, assess.MaxInput+1))
	if err != nil {
		return "", pactwatch.FieldErrorf(pactwatch.EINVALID, name, "cannot read: %v", err)
	}
	return string(b), nil
}

// writeAssessTable prints one row per clause: number, label, score, the
// decisive words, and the clause's opening words; with verbose, the
// dimensions behind the label under each row.
func writeAssessTable(w io.Writer, res assess.Result, verbose bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NO\tLABEL\tSCORE\tDECISIVE WORDS\tCLAUSE")
	for i, c := range res.Clauses {
		var words []string
		for _, s := range c.Spans {
			if s.Decisive {
				words = append(words, fmt.Sprintf("%q", shorten(oneLine(s.Text), 6)))
			}
		}
		if len(words) == 0 {
			words = []string{"-"}
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\n", i+1, c.Label, c.Score, strings.Join(words, " "), excerpt(c.Text, 60))
		if verbose {
			d := c.Dimensions
			// In the last column, which does not set the others' widths.
			fmt.Fprintf(tw, "\t\t\t\t  obligation %s (instrument %s), undertaking %s, trigger %s, discretion %s\n",
				d.Obligation, d.Instrument, d.Undertaking, d.Trigger, d.Discretion)
			fmt.Fprintf(tw, "\t\t\t\t  response %s, escapes %s, precision %s, delegation %s\n", strings.Join(d.Response, "+"), orNone(d.Escapes), orNone(d.Precision), orNone(d.Delegation))
		}
	}
	tw.Flush()
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, "+")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// shorten keeps the first and last words of a long span: "attack against
// one … against them all".
func shorten(s string, words int) string {
	f := strings.Fields(s)
	if len(f) <= words {
		return s
	}
	return strings.Join(f[:words/2], " ") + " … " + strings.Join(f[len(f)-words/2:], " ")
}

func excerpt(s string, n int) string {
	s = oneLine(s)
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func runAssessEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("assess eval", "[--set FILE] [-v]",
		"Measure the analyser on a labelled set (default: the built-in development set):\n"+
			"accuracy overall, on the dev and held-out splits and per language, the confusion\n"+
			"matrix, mean scores per label, and uk/ru agreement with the English original.", stderr)
	set := fs.String("set", "", "YAML evaluation set (format: assess/testdata/devset.yaml)")
	verbose := fs.Bool("v", false, "list every misclassified clause")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	items := assess.DevSet()
	if *set != "" {
		b, err := os.ReadFile(*set)
		if err != nil {
			fmt.Fprintln(stderr, "pactwatch assess eval:", err)
			return errSilent
		}
		if items, err = assess.ParseSet(b); err != nil {
			fmt.Fprintf(stderr, "pactwatch assess eval: %s: %s\n", *set, userMessage(err))
			return errSilent
		}
	}
	writeEval(stdout, assess.Evaluate(items), *set == "", *verbose)
	return nil
}

// writeEval prints the evaluation. The dev/held-out split is printed for
// the built-in development set only: other sets are wholly held out.
func writeEval(w io.Writer, r assess.Report, splits, verbose bool) {
	line := func(name string, keep func(assess.Item) bool) {
		acc, ok, n := r.Accuracy(keep)
		if n > 0 {
			fmt.Fprintf(w, "  %-22s %5.1f%%  (%d/%d)\n", name, 100*acc, ok, n)
		}
	}
	fmt.Fprintln(w, "Accuracy")
	line("all", nil)
	if splits {
		line("dev split (tuned on)", func(it assess.Item) bool { return it.Split() == "dev" })
		line("held-out split", func(it assess.Item) bool { return it.Split() == "heldout" })
	}
	for _, l := range assess.Languages {
		line("lang "+l, func(it assess.Item) bool { return it.Lang == l })
	}
	line("checked wording", func(it assess.Item) bool { return !it.Unsure })
	line("recalled wording", func(it assess.Item) bool { return it.Unsure })

	fmt.Fprintln(w, "\nConfusion matrix (rows: gold label, columns: assigned)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "\t")
	for _, l := range assess.Labels {
		fmt.Fprintf(tw, "%s\t", l)
	}
	fmt.Fprintln(tw)
	m := r.Confusion()
	for _, g := range assess.Labels {
		fmt.Fprintf(tw, "%s\t", g)
		for _, l := range assess.Labels {
			fmt.Fprintf(tw, "%d\t", m[g][l])
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()

	fmt.Fprintln(w, "\nMean score by gold label")
	ms := r.MeanScores()
	for _, l := range assess.Labels {
		if v, ok := ms[l]; ok {
			fmt.Fprintf(w, "  %-22s %5.1f\n", l, v)
		}
	}
	same, n, differ := r.Agreement()
	fmt.Fprintf(w, "\nuk/ru clauses labelled as their English original: %d/%d\n", same, n)
	for _, o := range differ {
		fmt.Fprintf(w, "  %s: %s\n", o.Item.ID, o.Got)
	}
	misses := r.Misses()
	fmt.Fprintf(w, "\nMisclassified: %d\n", len(misses))
	if verbose {
		for _, o := range misses {
			fmt.Fprintf(w, "  %-24s gold %-22s got %-22s %s\n", o.Item.ID, o.Item.Label, o.Got, excerpt(o.Item.Text, 70))
		}
	}
}
