package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/incident"
)

// subcommand is one verb of a command with several (incidents, cases).
type subcommand struct {
	name, args, summary string
	run                 func(ctx context.Context, fs *flag.FlagSet, api *apiFlags, stdout io.Writer) (func() error, error)
}

// runSubcommands dispatches `pactwatch NAME VERB [flags] ARGS`: each verb
// has its own flags (the API flags included) and -h.
func runSubcommands(ctx context.Context, name, summary string, subs []subcommand, args []string, stdout, stderr io.Writer) error {
	var verbs []string
	for _, s := range subs {
		verbs = append(verbs, s.name)
	}
	fs := newFlags(name, strings.Join(verbs, "|")+" [flags] …", summary+"\nRun `pactwatch "+name+" VERB -h` for a verb's flags.", stderr)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	for _, s := range subs {
		if s.name != fs.Arg(0) {
			continue
		}
		sfs := newFlags(name+" "+s.name, s.args, s.summary, stderr)
		var api apiFlags
		api.register(sfs)
		do, err := s.run(ctx, sfs, &api, stdout)
		if err != nil {
			return err
		}
		if help, err := parseFlags(sfs, fs.Args()[1:]); help || err != nil {
			return err
		}
		if err := do(); err != nil {
			if errors.Is(err, errUsage) {
				sfs.Usage()
				return errUsage
			}
			fmt.Fprintf(stderr, "pactwatch %s %s: %s\n", name, s.name, userMessage(err))
			return errSilent
		}
		return nil
	}
	fmt.Fprintf(stderr, "pactwatch %s: unknown verb %q\n", name, fs.Arg(0))
	fs.Usage()
	return errUsage
}

// readClient is a client with the caller's token, or the public's when no
// token is given (reads are open to the public, redacted).
func (a *apiFlags) readClient() *client.Client {
	c, err := a.client()
	if err != nil {
		return client.New(a.server, "")
	}
	return c
}

// oneArg returns the single positional argument (an id).
func oneArg(fs *flag.FlagSet) (string, error) {
	if fs.NArg() != 1 {
		return "", errUsage
	}
	return fs.Arg(0), nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func runIncidents(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runSubcommands(ctx, "incidents", "Review incidents on a pactwatch server: the queue, one incident's versions and decisions, claims and decisions.\n"+
		"Analysts, auditors and admins see everything; without a token (or as another role) only verified incidents, redacted.",
		[]subcommand{
			{"list", "[--status S] [--category C,…] [--grade G] [--area ZONE | --bbox W,S,E,N] [--limit N] [--json]",
				"List incidents: without --status the review queue (awaiting review, oldest first).", incidentsList},
			{"show", "[--json] ID", "Show an incident: counts, places, reports, versions and decisions.", incidentsShow},
			{"claim", "ID", "Claim an incident for review (it shows as being reviewed by you until the claim expires).", incidentsClaim},
			{"decide", "--decision verified|rejected|disputed [--reason R] [--note TEXT] [--observations ID,…] ID",
				"Decide an incident. A rejection needs --reason duplicate, inaccurate, unverifiable or out_of_scope.\n" +
					"The decision is a ledger entry naming you, the reason and the observations it rests on.", incidentsDecide},
		}, args, stdout, stderr)
}

func incidentsList(ctx context.Context, fs *flag.FlagSet, api *apiFlags, stdout io.Writer) (func() error, error) {
	var q client.IncidentQuery
	var bbox string
	asJSON := fs.Bool("json", false, "print the server's JSON")
	fs.StringVar(&q.Status, "status", "", "reported, corroborated, disputed, verified, rejected or merged (default: the review queue)")
	fs.StringVar(&q.Category, "category", "", "comma-separated categories")
	fs.StringVar(&q.Grade, "grade", "", "minimum Admiralty grade, e.g. B2")
	fs.StringVar(&bbox, "bbox", "", "min lon,min lat,max lon,max lat")
	fs.StringVar(&q.Area, "area", "", "an area zone of the agreement, by id (e.g. a controlled area)")
	fs.IntVar(&q.Limit, "limit", 100, "at most this many")
	return func() error {
		if fs.NArg() != 0 {
			return errUsage
		}
		if bbox != "" {
			parts := splitList(bbox)
			var b [4]float64
			if len(parts) != 4 {
				return pactwatch.FieldErrorf(pactwatch.EINVALID, "bbox", "want min lon,min lat,max lon,max lat")
			}
			for i, p := range parts {
				f, err := strconv.ParseFloat(p, 64)
				if err != nil {
					return pactwatch.FieldErrorf(pactwatch.EINVALID, "bbox", "%q is not a number", p)
				}
				b[i] = f
			}
			q.BBox = &b
		}
		list, err := api.readClient().Incidents(ctx, q)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(stdout, list)
		}
		tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tFIRST (UTC)\tFAMILY\tCOUNTS\tREPORTS\tGRADE\tCLAIM")
		for _, raw := range list.Incidents {
			var inc incident.Incident
			if err := json.Unmarshal(raw, &inc); err != nil {
				return err
			}
			status := string(inc.Status)
			if status == "" {
				status = string(incident.Verified) // the public sees verified incidents only
			}
			claim := ""
			if inc.Claim != nil {
				claim = inc.Claim.Analyst + " until " + inc.Claim.Until.UTC().Format("15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", inc.ID, status, inc.First.UTC().Format("2006-01-02 15:04"),
				inc.Family, countsText(inc.Counts), len(inc.Reports), inc.BestGrade, claim)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d incidents\n", len(list.Incidents))
		return nil
	}, nil
}

func countsText[K ~string](m map[K]int) string {
	var keys []string
	for k := range m {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[K(k)]))
	}
	return strings.Join(parts, ", ")
}

func incidentsShow(ctx context.Context, fs *flag.FlagSet, api *apiFlags, stdout io.Writer) (func() error, error) {
	asJSON := fs.Bool("json", false, "print the server's JSON")
	return func() error {
		id, err := oneArg(fs)
		if err != nil {
			return err
		}
		d, err := api.readClient().Incident(ctx, id)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(stdout, d)
		}
		var inc incident.Incident
		if err := json.Unmarshal(d.Incident, &inc); err != nil {
			return err
		}
		status := string(inc.Status)
		if status == "" {
			status = string(incident.Verified)
		}
		fmt.Fprintf(stdout, "incident %s  version %d  %s  %s\n", inc.ID, inc.Version, status, inc.Family)
		fmt.Fprintf(stdout, "  time      %s – %s UTC\n", inc.First.UTC().Format(time.DateTime), inc.Last.UTC().Format(time.DateTime))
		fmt.Fprintf(stdout, "  counts    %s\n", countsText(inc.Counts))
		if len(inc.Weapons) > 0 {
			fmt.Fprintf(stdout, "  weapons   %s\n", countsText(inc.Weapons))
		}
		for _, x := range []struct {
			label string
			d     *incident.Disc
		}{{"location", inc.Location}, {"origin", inc.Origin}} {
			if x.d != nil {
				fmt.Fprintf(stdout, "  %-9s %.5f, %.5f ± %.2f km\n", x.label, x.d.Point[1], x.d.Point[0], x.d.RadiusKm)
			}
		}
		if inc.Status != "" {
			fmt.Fprintf(stdout, "  corroborated %v, best grade %s\n", inc.Corroborated, inc.BestGrade)
		}
		if inc.Claim != nil {
			fmt.Fprintf(stdout, "  being reviewed by %s until %s UTC\n", inc.Claim.Analyst, inc.Claim.Until.UTC().Format(time.DateTime))
		}
		if len(inc.Reports) > 0 {
			fmt.Fprintf(stdout, "reports\n")
			for _, r := range inc.Reports {
				fmt.Fprintf(stdout, "  %s  %s  %s %s ×%d  %s\n", r.ID, r.At.UTC().Format("2006-01-02 15:04"), r.SourceType, r.Grade, r.Count, r.Category)
			}
		}
		if len(inc.History) > 0 {
			fmt.Fprintf(stdout, "versions\n")
			for _, h := range inc.History {
				fmt.Fprintf(stdout, "  v%d  %s  %s  %s  → %s  %s\n", h.Version, h.At.UTC().Format("2006-01-02 15:04"), h.By, h.Action, h.Status, h.Reason)
			}
		}
		if len(d.Decisions) > 0 {
			fmt.Fprintf(stdout, "decisions\n")
			for _, dc := range d.Decisions {
				fmt.Fprintf(stdout, "  %s  %s  %s %s  by %s  on %d observations  %s\n", dc.ID, dc.At.UTC().Format("2006-01-02 15:04"),
					dc.Outcome, dc.Reason, dc.Analyst, len(dc.Observations), dc.Note)
			}
		}
		return nil
	}, nil
}

func incidentsClaim(ctx context.Context, fs *flag.FlagSet, api *apiFlags, stdout io.Writer) (func() error, error) {
	return func() error {
		id, err := oneArg(fs)
		if err != nil {
			return err
		}
		c, err := api.client()
		if err != nil {
			return err
		}
		res, err := c.Claim(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "claimed %s until %s UTC\n", id, res.Claim.Until.UTC().Format(time.DateTime))
		return nil
	}, nil
}

func incidentsDecide(ctx context.Context, fs *flag.FlagSet, api *apiFlags, stdout io.Writer) (func() error, error) {
	var req client.DecisionRequest
	var obs string
	fs.StringVar(&req.Decision, "decision", "", "verified, rejected or disputed")
	fs.StringVar(&req.Reason, "reason", "", "for a rejection: duplicate, inaccurate, unverifiable or out_of_scope")
	fs.StringVar(&req.Note, "note", "", "why, in words")
	fs.StringVar(&obs, "observations", "", "comma-separated ids the decision rests on (default: all the incident's)")
	return func() error {
		id, err := oneArg(fs)
		if err != nil {
			return err
		}
		if !slices.Contains([]string{"verified", "rejected", "disputed"}, req.Decision) {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, "decision", "want --decision verified, rejected or disputed")
		}
		req.Observations = splitList(obs)
		c, err := api.client()
		if err != nil {
			return err
		}
		res, err := c.Decide(ctx, id, req)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %s (decision %s, incident version %d)\n", id, res.Decision.Status, res.Decision.ID, res.Decision.IncidentVersion)
		return nil
	}, nil
}
