package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/pactwatch/pactwatch"
)

// errUsage means the usage was already printed; exit status 2.
var errUsage = errors.New("usage")

// errSilent means the command already reported its failure; exit status 1.
var errSilent = errors.New("failed")

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// it comes from the module's build info.
var version = ""

// command is one subcommand. run gets the arguments after the command's name.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands lists every subcommand in the order `pactwatch help` shows them.
// Each lives in its own file, named after it.
func commands() []command {
	return []command{
		{"version", "print pactwatch's version", runVersion},
		{"serve", "run the HTTP server (--demo: with a simulated mission)", runServe},
		{"submit", "sign observations and send them (or queue them in an outbox)", runSubmit},
		{"import", "import CSV, GeoJSON or ACLED exports as signed observations", runImport},
		{"bench", "measure ingest, store and ledger speed and print the figures", runBench},
		{"agreement", "check an agreement file or show what it holds", runAgreement},
		{"keygen", "write a new ed25519 signing key pair", runKeygen},
		{"assess", "label clauses: guarantee, conditional guarantee, assurance or none", runAssess},
		{"incidents", "review incidents on a server: queue, show, claim, decide", runIncidents},
		{"cases", "violation cases on a server: list, show, confirm, close, dispute, resolve, open", runCases},
		{"compliance", "cluster observations and evaluate them against the commitments; bench", runCompliance},
		{"report", "the daily report for a day: HTML, JSON, CSV or GeoJSON (serve publishes them)", runReport},
		{"verify", "audit the ledger: signatures, cosignatures, every tile and entry", runVerify},
		{"scorecard", "the guarantors' scorecard from the stored response records", runScorecard},
		{"steps", "response protocol steps on a server: list a case's steps, record an action (liaisons)", runSteps},
		{"witness", "run a transparency-log witness that cosigns checkpoints", runWitness},
	}
}

// run is the whole CLI, callable from tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return errUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			return run(ctx, []string{args[1], "-h"}, stdout, stderr)
		}
		usage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "pactwatch: unknown command %q\n\n", name)
	usage(stderr)
	return errUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, "pactwatch — monitoring, response protocols and a tamper-evident record for security guarantees\n\nUsage: pactwatch <command> [flags] [args]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun `pactwatch <command> -h` for a command's flags.\n")
}

// newFlags returns a FlagSet that prints the command's usage line, summary
// and flags on -h, writing to stderr.
func newFlags(name, argsUsage, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: pactwatch %s %s\n\n%s\n", name, argsUsage, summary)
		var has bool
		fs.VisitAll(func(*flag.Flag) { has = true })
		if has {
			fmt.Fprint(stderr, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args, mapping -h to a nil error after printing help
// (help is a success) and other flag errors to errUsage.
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, errUsage
	}
	return false, nil
}

// userMessage is what the CLI prints for err: pactwatch errors with their
// field, anything else as is (the CLI user is the operator, not a remote
// client, so internal causes are shown).
func userMessage(err error) string {
	var e *pactwatch.Error
	if errors.As(err, &e) {
		return strings.TrimSpace(e.Error())
	}
	return err.Error()
}

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", "", "Print pactwatch's version.", stderr)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	fmt.Fprintln(stdout, "pactwatch", versionString())
	return nil
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
