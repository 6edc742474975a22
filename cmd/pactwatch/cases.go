package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/compliance"
)

func runCases(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runSubcommands(ctx, "cases", "Violation cases on a pactwatch server: list and show them, confirm, close, dispute, resolve disputes, open by hand.\n"+
		"Analysts decide; a party's or guarantor's liaison disputes cases against them; the public sees confirmed cases, redacted.",
		[]subcommand{
			{"list", "[--status candidate|confirmed|closed] [--json]", "List cases in order of opening.", casesList},
			{"show", "[--json] ID", "Show a case: its group, status, approvals, disputes and violations.", casesShow},
			{"confirm", "ID", "Confirm a candidate case (under a two-person rule the first analyst approves, a second confirms).", caseAction("confirm", nil)},
			{"close", "--closure remedied|withdrawn --reason TEXT ID", "Close a case: remedied (a confirmed case) or withdrawn.", caseAction("close", func(fs *flag.FlagSet) any {
				var r client.CloseRequest
				fs.StringVar(&r.Closure, "closure", "", "remedied or withdrawn")
				fs.StringVar(&r.Reason, "reason", "", "why")
				return &r
			})},
			{"dispute", "--position TEXT [--evidence SHA256,…] ID", "Dispute a confirmed case against your party or guarantor (liaisons), with counter-evidence.", caseAction("dispute", func(fs *flag.FlagSet) any {
				r := &disputeFlags{}
				fs.StringVar(&r.Position, "position", "", "your party's position")
				fs.StringVar(&r.evidence, "evidence", "", "comma-separated SHA-256 hashes of uploaded evidence")
				return r
			})},
			{"resolve", "--resolution upheld|overturned --answer TEXT ID", "Answer a case's open dispute (analysts): upheld (the case stands) or overturned (withdrawn).", caseAction("resolve", func(fs *flag.FlagSet) any {
				var r client.ResolveRequest
				fs.StringVar(&r.Resolution, "resolution", "", "upheld or overturned")
				fs.StringVar(&r.Answer, "answer", "", "the analysts' position")
				return &r
			})},
			{"open", "--commitment ID [--party ID] --reason TEXT [--violations ID,…]", "Open a case by hand (analysts).", casesOpen},
		}, args, stdout, stderr)
}

// disputeFlags collects a dispute's evidence as one comma-separated flag.
type disputeFlags struct {
	client.DisputeRequest
	evidence string
}

func casesList(ctx context.Context, fs *flag.FlagSet, api *apiFlags, stdout io.Writer) (func() error, error) {
	status := fs.String("status", "", "candidate, confirmed or closed (default: all)")
	asJSON := fs.Bool("json", false, "print the server's JSON")
	return func() error {
		if fs.NArg() != 0 {
			return errUsage
		}
		list, err := api.readClient().Cases(ctx, *status)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(stdout, list)
		}
		tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tSEVERITY\tCOMMITMENT\tPARTY\tAREA\tPERIOD\tVIOLATIONS\tDISPUTES")
		for _, raw := range list.Cases {
			// A full case lists its violations; the public projection
			// counts them.
			var c struct {
				compliance.Case
				Violations json.RawMessage `json:"violations"`
			}
			if err := json.Unmarshal(raw, &c); err != nil {
				return err
			}
			var ids []string
			n := 0
			if json.Unmarshal(c.Violations, &ids) == nil {
				n = len(ids)
			} else if err := json.Unmarshal(c.Violations, &n); err != nil {
				return err
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", c.ID, c.Status, c.Severity, c.Group.Commitment, c.Group.Party,
				c.Group.Area, c.Group.Period, n, len(c.Disputes))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d cases\n", len(list.Cases))
		return nil
	}, nil
}

func casesShow(ctx context.Context, fs *flag.FlagSet, api *apiFlags, stdout io.Writer) (func() error, error) {
	asJSON := fs.Bool("json", false, "print the server's JSON")
	return func() error {
		id, err := oneArg(fs)
		if err != nil {
			return err
		}
		d, err := api.readClient().Case(ctx, id)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(stdout, d)
		}
		var c struct {
			compliance.Case
			Violations json.RawMessage `json:"violations"` // ids, or the public projection's count
		}
		if err := json.Unmarshal(d.Case, &c); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "case %s  version %d  %s  %s\n", c.ID, c.Version, c.Status, c.Severity)
		fmt.Fprintf(stdout, "  commitment %s  party %s  area %s  period %s\n", c.Group.Commitment, c.Group.Party, c.Group.Area, c.Group.Period)
		if c.Protocol != "" {
			fmt.Fprintf(stdout, "  protocol   %s\n", c.Protocol)
		}
		if c.OpenedBy != "" {
			fmt.Fprintf(stdout, "  opened     %s by %s\n", c.Opened.UTC().Format(time.DateTime), c.OpenedBy)
		}
		if len(c.Approvals) > 0 {
			fmt.Fprintf(stdout, "  approvals  %v\n", c.Approvals)
		}
		if !c.Confirmed.IsZero() {
			fmt.Fprintf(stdout, "  confirmed  %s\n", c.Confirmed.UTC().Format(time.DateTime))
		}
		if c.Closure != "" {
			fmt.Fprintf(stdout, "  closed     %s: %s\n", c.Closure, c.Reason)
		}
		for _, dp := range c.Disputes {
			fmt.Fprintf(stdout, "  dispute by %s (%s) %s: %s\n", dp.Party, dp.Liaison, dp.At.UTC().Format(time.DateTime), dp.Position)
			if dp.Resolution != "" {
				fmt.Fprintf(stdout, "    %s by %s: %s\n", dp.Resolution, dp.Analyst, dp.Answer)
			}
		}
		for _, v := range d.Violations {
			fmt.Fprintf(stdout, "  violation %s  %s  %s  %s\n", v.ID, v.At.UTC().Format("2006-01-02 15:04"), v.Severity, v.Detail)
		}
		return nil
	}, nil
}

// caseAction is a verb that posts to /api/v1/cases/{id}/VERB; flags (nil
// for none) registers the request's flags and returns the request.
func caseAction(verb string, flags func(*flag.FlagSet) any) func(context.Context, *flag.FlagSet, *apiFlags, io.Writer) (func() error, error) {
	return func(ctx context.Context, fs *flag.FlagSet, api *apiFlags, stdout io.Writer) (func() error, error) {
		var req any
		if flags != nil {
			req = flags(fs)
		}
		return func() error {
			id, err := oneArg(fs)
			if err != nil {
				return err
			}
			if d, ok := req.(*disputeFlags); ok {
				d.Evidence = splitList(d.evidence)
				req = d.DisputeRequest
			}
			c, err := api.client()
			if err != nil {
				return err
			}
			res, err := c.CaseAction(ctx, id, verb, req)
			if err != nil {
				return err
			}
			t := res.Transition
			fmt.Fprintf(stdout, "%s: %s → %s (transition %s)\n", id, t.Action, t.Status, t.ID)
			return nil
		}, nil
	}
}

func casesOpen(ctx context.Context, fs *flag.FlagSet, api *apiFlags, stdout io.Writer) (func() error, error) {
	var req client.CaseRequest
	var vs string
	fs.StringVar(&req.Commitment, "commitment", "", "the commitment's id")
	fs.StringVar(&req.Party, "party", "", "the obligor in breach (default: unattributed)")
	fs.StringVar(&req.Reason, "reason", "", "why the case is opened")
	fs.StringVar(&vs, "violations", "", "comma-separated violation ids")
	return func() error {
		if fs.NArg() != 0 {
			return errUsage
		}
		req.Violations = splitList(vs)
		c, err := api.client()
		if err != nil {
			return err
		}
		res, err := c.OpenCase(ctx, req)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "opened case %s (%s)\n", res.Transition.Case, res.Transition.Status)
		return nil
	}, nil
}
