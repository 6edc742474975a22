package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/pactwatch/pactwatch/client"
)

func runSteps(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runSubcommands(ctx, "steps", "Response protocol steps on a pactwatch server: list a confirmed case's steps (deadlines, states),\n"+
		"and record what was done for a step — a guarantor liaison only for its own guarantor's steps.",
		[]subcommand{
			{"list", "[--json] CASE", "List a case's protocol runs and steps: actor, deadline, state, action recorded.", stepsList},
			{"record", "[--kind KIND] (--statement TEXT | --reference REF) STEP", "Record the action taken for a step (STEP = <case>/<protocol>/<step>/<actor>, as `steps list` prints).", stepsRecord},
		}, args, stdout, stderr)
}

func stepsList(ctx context.Context, fs *flag.FlagSet, api *apiFlags, stdout io.Writer) (func() error, error) {
	asJSON := fs.Bool("json", false, "print the server's JSON")
	return func() error {
		if fs.NArg() != 1 {
			return errUsage
		}
		steps, err := api.readClient().CaseSteps(ctx, fs.Arg(0))
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(stdout, steps)
		}
		tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "STEP\tACTOR\tACTION\tDEADLINE\tSTATE\tDONE AT")
		for _, r := range steps.Runs {
			for _, s := range r.Steps {
				done := ""
				if s.Done != nil {
					done = s.Done.At.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", client.StepID(r.ID, s.Key), s.Actor, s.Action,
					s.Deadline.UTC().Format(time.RFC3339), s.State, done)
			}
		}
		return tw.Flush()
	}, nil
}

func stepsRecord(ctx context.Context, fs *flag.FlagSet, api *apiFlags, stdout io.Writer) (func() error, error) {
	var req client.ActionRequest
	fs.StringVar(&req.Kind, "kind", "", "the action kind (default: the step's)")
	fs.StringVar(&req.Statement, "statement", "", "what was done, in your words")
	fs.StringVar(&req.Reference, "reference", "", "a document: URL, note number or hash")
	return func() error {
		if fs.NArg() != 1 {
			return errUsage
		}
		run, key, ok := splitStep(fs.Arg(0))
		if !ok {
			return fmt.Errorf("a step is <case>/<protocol>/<step>/<actor>, got %q", fs.Arg(0))
		}
		c, err := api.client()
		if err != nil {
			return err
		}
		res, err := c.RecordAction(ctx, run, key, req)
		if err != nil {
			return err
		}
		for _, t := range res.Transitions {
			fmt.Fprintf(stdout, "%s\t%s\t%s\n", t.Kind, t.ID, t.At.UTC().Format(time.RFC3339))
		}
		return nil
	}, nil
}

// splitStep splits a step id into its run and its key ("<step>/<actor>").
func splitStep(id string) (run, key string, ok bool) {
	slash := 0
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '/' {
			slash++
			if slash == 2 {
				run, key = id[:i], id[i+1:]
				return run, key, run != "" && key[0] != '/' && key[len(key)-1] != '/'
			}
		}
	}
	return "", "", false
}
