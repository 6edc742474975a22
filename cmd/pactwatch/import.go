package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/intake"
	"github.com/pactwatch/pactwatch/keys"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import", "--format csv|geojson|acled [--dry-run] [--key KEY --server URL --token T] FILE",
		"Map another tool's export into observations, sign them with your key (the importing principal's) and send them.\n"+
			"Each keeps its provenance (format, the file's SHA-256, row). Ids derive from the file and row, so importing\n"+
			"the same file again stores nothing twice. --dry-run lists what would be imported and every rejected row with\n"+
			"its reason, and sends nothing.", stderr)
	var api apiFlags
	api.register(fs)
	format := fs.String("format", "", "csv (pactwatch's columns), geojson (Point features) or acled (ACLED's columns)")
	dryRun := fs.Bool("dry-run", false, "list what would be imported and what is rejected; send nothing")
	keyFile := fs.String("key", "", "your ed25519 private key file (pactwatch keygen)")
	source := fs.String("source-type", "", "source type for rows without one (default open_source)")
	grade := fs.String("grade", "", "Admiralty grade for rows without one (default F6; ACLED: from source_scale)")
	asJSON := fs.Bool("json", false, "with --dry-run: print the observations and rejects as JSON")
	idKeyFile := fs.String("id-key", "", "the mission's secret import-id key file (the same for every importer; e.g.\n"+
		"`head -c 32 /dev/urandom | base64 > import-id.key`): ids become keyed hashes of the file and row (ACLED: the\n"+
		"event id) that only the mission can compute; without it ids are public UUIDv5s anyone holding the file can match")
	signedAt := fs.String("signed-at", "", "RFC 3339 time to sign every row at (default: now). Give the time printed by the first\n"+
		"import to re-import the same file as a no-op")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 || *format == "" {
		fs.Usage()
		return errUsage
	}
	if !*dryRun && *keyFile == "" {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "key", "give --key to sign the imported observations (or --dry-run)")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	opt := intake.ImportOptions{SourceType: vocab.SourceType(*source), Grade: vocab.Grade(*grade), Skew: 5 * time.Minute}
	if *idKeyFile != "" {
		k, err := os.ReadFile(*idKeyFile)
		if err != nil {
			return err
		}
		opt.IDKey = []byte(strings.TrimSpace(string(k)))
	} else {
		fmt.Fprintln(stderr, "pactwatch import: warning: no --id-key: ids are public UUIDv5s of the file and row, so anyone holding the file can tell whether the mission imported it")
	}
	if *signedAt != "" {
		t, err := time.Parse(time.RFC3339, *signedAt)
		if err != nil {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, "signed-at", "want an RFC 3339 time such as 2026-11-22T04:00:00Z")
		}
		opt.SignedAt = t.UTC()
	} else if !*dryRun {
		opt.SignedAt = time.Now().UTC().Truncate(time.Second)
		fmt.Fprintf(stderr, "pactwatch import: signed at %s (re-import the same file with --signed-at %s to change nothing)\n",
			opt.SignedAt.Format(time.RFC3339), opt.SignedAt.Format(time.RFC3339))
	}
	obs, rejects, err := intake.Import(*format, f, opt)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	if *dryRun {
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(map[string]any{"observations": obs, "rejected": rejects})
		}
		fmt.Fprintf(stdout, "%s: %d observation(s) would be imported, %d row(s) rejected\n", fs.Arg(0), len(obs), len(rejects))
		for _, o := range obs {
			fmt.Fprintf(stdout, "  row %-5d %s %s %-22s %s\n", rowOf(o), o.ID, o.ObservedAt.UTC().Format(time.RFC3339), o.Category, where(o))
		}
		for _, r := range rejects {
			fmt.Fprintf(stdout, "  row %-5d REJECTED: %s\n", r.Row, r.Reason)
		}
		return nil
	}
	priv, err := keys.ReadPrivate(*keyFile)
	if err != nil {
		return err
	}
	c, err := api.client()
	if err != nil {
		return err
	}
	if err := signAll(obs, priv, time.Now()); err != nil {
		return err
	}
	for _, r := range rejects {
		fmt.Fprintf(stderr, "%s: row %d rejected: %s\n", fs.Arg(0), r.Row, r.Reason)
	}
	stored, known, err := sendImported(ctx, c, obs, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d imported, %d already imported, %d rejected\n", stored, known, len(rejects))
	return nil
}

// sendImported sends imported observations in batches. Ids derive from
// the file and row, but signed_at is the time of the import, so a row
// imported before comes back as a conflict (same id, other signed bytes);
// a batch refused for a conflict is resent one observation at a time, and
// each conflict counts as already imported.
func sendImported(ctx context.Context, c *client.Client, obs []observation.Observation, stdout io.Writer) (stored, known int, err error) {
	for i := 0; i < len(obs); i += 500 {
		batch := obs[i:min(i+500, len(obs))]
		res, err := c.SubmitBatch(ctx, batch)
		if err == nil {
			for _, r := range res.Observations {
				printResult(stdout, r.ID, r.Seq, r.Existed)
				if r.Existed {
					known++
				} else {
					stored++
				}
			}
			continue
		}
		if pactwatch.ErrorCode(err) != pactwatch.ECONFLICT {
			return stored, known, err
		}
		for _, o := range batch {
			rec, existed, err := c.Submit(ctx, o)
			switch {
			case pactwatch.ErrorCode(err) == pactwatch.ECONFLICT:
				fmt.Fprintf(stdout, "%s already imported (signed at another time)\n", o.ID)
				known++
			case err != nil:
				return stored, known, fmt.Errorf("%s: %w", o.ID, err)
			default:
				printResult(stdout, rec.ID, rec.Seq, existed)
				if existed {
					known++
				} else {
					stored++
				}
			}
		}
	}
	return stored, known, nil
}

func rowOf(o observation.Observation) int {
	if o.Provenance != nil {
		return o.Provenance.Row
	}
	return 0
}

func where(o observation.Observation) string {
	var parts []string
	for _, p := range []struct {
		name string
		pos  *observation.Position
	}{{"target", o.Target}, {"origin", o.Origin}, {"observer", o.Observer}} {
		if p.pos != nil {
			parts = append(parts, fmt.Sprintf("%s %.4f,%.4f ±%gm", p.name, p.pos.Lat, p.pos.Lon, p.pos.UncertaintyM))
		}
	}
	return strings.Join(parts, " ")
}
