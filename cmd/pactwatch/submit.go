package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/keys"
	"github.com/pactwatch/pactwatch/observation"
)

// draftNamespace is the UUIDv5 namespace for ids submit gives drafts that
// have none: derived from the file's bytes and the item's index, so that
// submitting the same file twice stores it once.
var draftNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/pactwatch/pactwatch/submit"))

// apiFlags are the flags every command that calls the API shares.
type apiFlags struct {
	server, token, tokenFile string
}

func (a *apiFlags) register(fs interface {
	StringVar(p *string, name, value, usage string)
}) {
	fs.StringVar(&a.server, "server", "http://127.0.0.1:8080", "the pactwatch server's URL")
	fs.StringVar(&a.token, "token", "", "bearer token (default: $PACTWATCH_TOKEN, or --token-file)")
	fs.StringVar(&a.tokenFile, "token-file", "", "file holding the bearer token")
}

func (a *apiFlags) client() (*client.Client, error) {
	tok := a.token
	if tok == "" && a.tokenFile != "" {
		b, err := os.ReadFile(a.tokenFile)
		if err != nil {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "token-file", "%v", err)
		}
		tok = strings.TrimSpace(string(b))
	}
	if tok == "" {
		tok = os.Getenv("PACTWATCH_TOKEN")
	}
	if tok == "" {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "token", "give --token, --token-file or $PACTWATCH_TOKEN")
	}
	return client.New(a.server, tok), nil
}

func runSubmit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("submit", "--key KEY [--server URL] [--token T] [--outbox DIR] FILE…\n       pactwatch submit --flush --outbox DIR [--server URL] [--token T]",
		"Sign observations (JSON files: one observation or {\"observations\":[…]}, unsigned) with your key and send them.\n"+
			"Drafts without an id get one derived from the file, so sending the same file again stores nothing new;\n"+
			"signed_at is set to now. With --outbox, each signed observation is first written to DIR (atomically),\n"+
			"then sent and removed; what cannot be sent now (network down, server busy) stays queued for --flush.\n"+
			"Observations the server refuses are moved to DIR/rejected with the reason.", stderr)
	var api apiFlags
	api.register(fs)
	keyFile := fs.String("key", "", "your ed25519 private key file (pactwatch keygen)")
	outbox := fs.String("outbox", "", "queue folder for signed observations")
	flush := fs.Bool("flush", false, "send the observations queued in --outbox, each once")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *flush {
		if *outbox == "" || fs.NArg() > 0 {
			fmt.Fprintln(stderr, "pactwatch submit: --flush takes --outbox DIR and no files")
			return errUsage
		}
		c, err := api.client()
		if err != nil {
			return err
		}
		return flushOutbox(ctx, c, *outbox, stdout)
	}
	if *keyFile == "" || fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	priv, err := keys.ReadPrivate(*keyFile)
	if err != nil {
		return err
	}
	var signed []observation.Observation
	for _, name := range fs.Args() {
		obs, err := readDrafts(name)
		if err != nil {
			return err
		}
		if err := signAll(obs, priv, time.Now()); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		signed = append(signed, obs...)
	}
	if *outbox != "" {
		for _, o := range signed {
			if err := enqueue(*outbox, o); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "queued %d observation(s) in %s\n", len(signed), *outbox)
		c, err := api.client()
		if err != nil {
			return err
		}
		return flushOutbox(ctx, c, *outbox, stdout)
	}
	c, err := api.client()
	if err != nil {
		return err
	}
	return sendAll(ctx, c, signed, stdout)
}

// readDrafts reads a file of unsigned observations, giving each item
// without an id a UUIDv5 of the file's hash and the item's index.
func readDrafts(name string) ([]observation.Observation, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	data, err = fillIDs(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	obs, err := observation.DecodeUnsigned(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, joinFieldErrors(err))
	}
	return obs, nil
}

// joinFieldErrors lists every field error, one per line.
func joinFieldErrors(err error) error {
	errs := observation.FieldErrors(err)
	if len(errs) <= 1 {
		return err
	}
	var b strings.Builder
	for i, e := range errs {
		if i > 0 {
			b.WriteString("\n  ")
		}
		b.WriteString(e.Error())
	}
	return errors.New(b.String())
}

func fillIDs(data []byte) ([]byte, error) {
	sum := sha256.Sum256(data)
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, pactwatch.Errorf(pactwatch.EINVALID, "malformed JSON: %v", err)
	}
	fill := func(raw json.RawMessage, i int) (json.RawMessage, error) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, fmt.Sprintf("observations[%d]", i), "not an object")
		}
		if _, ok := m["id"]; ok {
			return raw, nil
		}
		id := uuid.NewSHA1(draftNamespace, fmt.Appendf(sum[:], "/%d", i)).String()
		m["id"], _ = json.Marshal(id)
		return json.Marshal(m)
	}
	items, isBatch := top["observations"]
	if !isBatch {
		return fill(data, 0)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(items, &list); err != nil {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "observations", "want an array")
	}
	for i := range list {
		var err error
		if list[i], err = fill(list[i], i); err != nil {
			return nil, err
		}
	}
	top["observations"], _ = json.Marshal(list)
	return json.Marshal(top)
}

// signAll sets signed_at (when missing) and signs each observation.
func signAll(obs []observation.Observation, priv ed25519.PrivateKey, now time.Time) error {
	for i := range obs {
		if obs[i].SignedAt.IsZero() {
			obs[i].SignedAt = now.UTC().Truncate(time.Second)
		}
		if err := observation.Sign(&obs[i], priv); err != nil {
			return err
		}
	}
	return nil
}

// sendAll sends observations in batches of up to 500 (all or nothing per
// batch) and prints what the server did with each.
func sendAll(ctx context.Context, c *client.Client, obs []observation.Observation, stdout io.Writer) error {
	for i := 0; i < len(obs); i += 500 {
		batch := obs[i:min(i+500, len(obs))]
		if len(batch) == 1 {
			rec, existed, err := c.Submit(ctx, batch[0])
			if err != nil {
				return fmt.Errorf("%s: %w", batch[0].ID, err)
			}
			printResult(stdout, rec.ID, rec.Seq, existed)
			continue
		}
		res, err := c.SubmitBatch(ctx, batch)
		if err != nil {
			var be *client.BatchError
			if errors.As(err, &be) {
				return fmt.Errorf("batch of %d observations refused, nothing stored: %w", len(batch), be)
			}
			return err
		}
		for _, r := range res.Observations {
			printResult(stdout, r.ID, r.Seq, r.Existed)
		}
	}
	return nil
}

func printResult(w io.Writer, id string, seq int64, existed bool) {
	if existed {
		fmt.Fprintf(w, "%s already stored (seq %d)\n", id, seq)
	} else {
		fmt.Fprintf(w, "%s stored (seq %d)\n", id, seq)
	}
}

// enqueue writes a signed observation to the outbox as <id>.json: to a
// temporary file, synced, then renamed, so a crash leaves either the whole
// file or none.
func enqueue(dir string, o observation.Observation) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	data, err := observation.Marshal(o)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, o.ID+".json"), data, 0o600)
}

func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// flushOutbox sends each queued observation once, oldest name first:
// stored or already stored → removed; refused by the server (4xx other
// than 429) → moved to DIR/rejected with a .error file; the server
// unreachable or busy → left queued, and flushing stops.
func flushOutbox(ctx context.Context, c *client.Client, dir string, stdout io.Writer) error {
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return err
	}
	sort.Strings(names)
	sent, rejected := 0, 0
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		status, err := c.SubmitRaw(ctx, data)
		switch {
		case err == nil:
			existed := status == 200
			fmt.Fprintf(stdout, "%s %s\n", strings.TrimSuffix(filepath.Base(name), ".json"), map[bool]string{true: "already stored", false: "stored"}[existed])
			if err := os.Remove(name); err != nil {
				return err
			}
			sent++
		case retryable(client.HTTPStatus(err)):
			fmt.Fprintf(stdout, "%d sent, %d rejected; %d still queued in %s: %v\n", sent, rejected, len(names)-sent-rejected, dir, err)
			return pactwatch.Errorf(pactwatch.EUNAVAILABLE, "server unreachable or busy; run `pactwatch submit --flush --outbox %s` later", dir)
		default:
			rdir := filepath.Join(dir, "rejected")
			if err := os.MkdirAll(rdir, 0o700); err != nil {
				return err
			}
			base := filepath.Base(name)
			if werr := os.WriteFile(filepath.Join(rdir, strings.TrimSuffix(base, ".json")+".error"), []byte(err.Error()+"\n"), 0o600); werr != nil {
				return werr
			}
			if err := os.Rename(name, filepath.Join(rdir, base)); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s rejected: %v\n", strings.TrimSuffix(base, ".json"), err)
			rejected++
		}
	}
	fmt.Fprintf(stdout, "%d sent, %d rejected, 0 queued\n", sent, rejected)
	if rejected > 0 {
		return errSilent
	}
	return nil
}

// retryable: no answer at all, too many requests, or a server-side failure.
func retryable(status int) bool {
	return status == 0 || status == 429 || status >= 500
}
