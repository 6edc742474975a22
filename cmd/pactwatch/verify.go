package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/ledger/recordform"
	"github.com/pactwatch/pactwatch/ledger/tileclient"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/witness"
)

// dataDBName is the SQLite file in a --data folder.
const dataDBName = "pactwatch.db"

// verifyState is what `pactwatch verify --state` remembers: the last
// checkpoint it verified, which every later one must extend.
type verifyState struct {
	Origin     string      `json:"origin"`
	Size       int64       `json:"size"`
	Hash       ledger.Hash `json:"hash"`
	Checkpoint string      `json:"checkpoint"`
	VerifiedAt time.Time   `json:"verified_at"`
}

// runVerify audits a ledger: a running server from its public C2SP tiles,
// or a local database offline.
func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("verify", "(--server URL [--token T --records] | --data DIR | --db DSN [--records]) [--agreement FILE | --log-key KEY] [--witness-key KEY]… [--quorum N] [--state FILE [--full]]",
		"Audit the tamper-evident ledger. Checks the checkpoint's signature with the log key the\n"+
			"agreement pins (mission.log.public_key) and the witnesses' cosignatures, reads every\n"+
			"entry and every Merkle tile (or stored hash), recomputes the root, and checks the log\n"+
			"only grew since the checkpoint verified last time (remembered in --state; later runs\n"+
			"then audit only what was added, unless --full). A failure names the exact entry\n"+
			"that was altered, deleted or reordered.", stderr)
	server := fs.String("server", "", "base URL of a pactwatch server; its tiles are read from URL/log/")
	data := fs.String("data", "", "audit the SQLite database in this data folder offline ("+dataDBName+")")
	dsn := fs.String("db", "", "audit this database offline: a SQLite path or a postgres:// URL")
	agreementFile := fs.String("agreement", "", "agreement file pinning the log key, witnesses and quorum (default: the embedded example's, as serve runs it)")
	logKey := fs.String("log-key", "", "the log's verifier key (or a file holding it); overrides the agreement's")
	var witnessKeys stringList
	fs.Var(&witnessKeys, "witness-key", "a witness's verifier key (or a file holding it); repeatable; overrides the agreement's")
	quorum := fs.Int("quorum", -1, "cosignatures required (default: the agreement's witness_quorum, else every --witness-key)")
	statePath := fs.String("state", "", "file remembering the last verified checkpoint")
	full := fs.Bool("full", false, "with --state: audit every entry again, not only those added since the remembered checkpoint")
	checkRecords := fs.Bool("records", false, "also check every record against its entry's salted digest (with --data/--db: and every row against its entry; with --server: needs --token)")
	token := fs.String("token", "", "with --server --records: an auditor's or admin's bearer token (or a file holding it)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	modes := 0
	for _, s := range []string{*server, *data, *dsn} {
		if s != "" {
			modes++
		}
	}
	if modes != 1 || fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}

	logV, witnesses, q, err := verifyKeys(*agreementFile, *logKey, witnessKeys, *quorum)
	if err != nil {
		return err
	}
	prev, err := readVerifyState(*statePath)
	if err != nil {
		return err
	}

	var src ledger.Source
	var records ledger.RecordFetcher
	var msg []byte
	var rowsOf func(ledger.Checkpoint) (*rowAudit, error) // the table walk, with --records on a database
	if *server != "" && *checkRecords {
		if *token == "" {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, "token", "checking records on a server needs an auditor's token (--token), or audit the database offline (--data or --db)")
		}
		records = httpRecords{base: strings.TrimSuffix(*server, "/"), token: keyOrFile(*token), client: &http.Client{Timeout: time.Minute}}
	}
	if *server != "" {
		c := &tileclient.Client{URL: strings.TrimSuffix(*server, "/") + "/log"}
		if msg, err = c.Checkpoint(ctx); err != nil {
			return err
		}
		src = c
		defer func() { fmt.Fprintf(stdout, "fetched     %d resources from %s\n", c.Fetches, c.URL) }()
		cp, err := ledger.ParseCheckpoint(checkpointText(msg))
		if err == nil {
			c.Size = cp.Size
		}
	} else {
		db := *dsn
		if *data != "" {
			db = filepath.Join(*data, dataDBName)
			if _, err := os.Stat(db); err != nil {
				return pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "data", "no database %s", db)
			}
		}
		st, err := store.Open(ctx, db, store.Options{})
		if err != nil {
			return err
		}
		defer st.Close()
		if _, msg, err = st.LatestCheckpoint(ctx); err != nil {
			return err
		}
		src = st
		if *checkRecords {
			// rs.rows is set by the table walk, before the audit runs.
			var rs struct{ rows *rowAudit }
			records = &recordform.Fetcher{Store: st, VerifySignatures: true, Evidence: func(_ context.Context, index int64) (store.Evidence, error) {
				ev, ok := rs.rows.evidence[index]
				if !ok {
					return ev, pactwatch.Errorf(pactwatch.ENOTFOUND, "no evidence row has the entry at index %d", index)
				}
				return ev, nil
			}}
			rowsOf = func(cp ledger.Checkpoint) (*rowAudit, error) {
				raw, closeRaw, err := openRaw(ctx, db)
				if err != nil {
					return nil, pactwatch.FieldErrorf(pactwatch.EUNAVAILABLE, "db", "%v", err)
				}
				defer closeRaw()
				size, err := st.TreeSize(ctx)
				if err != nil {
					return nil, err
				}
				rs.rows, err = auditRows(ctx, raw, size, cp.Size)
				return rs.rows, err
			}
		}
	}

	cp, cosigners, err := ledger.VerifyCosigned(msg, logV, witnesses, q)
	fmt.Fprintf(stdout, "checkpoint  %s size %d root %s\n", cp.Origin, cp.Size, cp.Hash)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "signature   log key %s+%08x: valid\n", logV.Name(), logV.KeyHash())
	fmt.Fprintf(stdout, "cosigned    by %d of %d witnesses %v, %d required\n", len(cosigners), len(witnesses), cosigners, q)
	var prevCP *ledger.Checkpoint
	if prev != nil {
		if prev.Origin != cp.Origin {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, "state", "%s remembers the log %q, not %q", *statePath, prev.Origin, cp.Origin)
		}
		prevCP = &ledger.Checkpoint{Origin: prev.Origin, Size: prev.Size, Hash: prev.Hash}
	}
	var rows *rowAudit
	if rowsOf != nil {
		if rows, err = rowsOf(cp); err != nil {
			fmt.Fprintf(stdout, "FAILED      %s\n", userMessage(err))
			return errSilent
		}
	}
	var rep ledger.AuditReport
	if prevCP != nil && !*full {
		rep, err = ledger.AuditSince(ctx, src, cp, *prevCP, records)
	} else {
		rep, err = ledger.Audit(ctx, src, cp, prevCP, records)
	}
	if err == nil && rows != nil {
		err = rows.err // only once the entries themselves are proven
	}
	if err != nil {
		fmt.Fprintf(stdout, "FAILED      %s\n", userMessage(err))
		return errSilent
	}
	since := ""
	if prevCP != nil && !*full {
		since = fmt.Sprintf(" new since size %d", prevCP.Size)
	}
	fmt.Fprintf(stdout, "entries     %d%s audited (%s), %d hashes recomputed and matched\n", rep.Size, since, byType(rep.ByType), rep.StoredHashes)
	if records != nil {
		fmt.Fprintf(stdout, "records     %d matched their digests", rep.Records)
		if len(rep.Skipped) > 0 {
			fmt.Fprintf(stdout, "; not checked: %s", byType(rep.Skipped))
		}
		fmt.Fprintln(stdout)
	}
	if rows != nil {
		fmt.Fprintf(stdout, "rows        %s: each named by its entry, query columns match their bodies", byType(rows.rows))
		if rows.pending > 0 {
			fmt.Fprintf(stdout, "; %d not yet in the checkpoint", rows.pending)
		}
		fmt.Fprintln(stdout)
	}
	if prev != nil {
		fmt.Fprintf(stdout, "consistent  with the checkpoint of size %d verified %s\n", prev.Size, prev.VerifiedAt.Format(time.RFC3339))
	}
	if *statePath != "" {
		st := verifyState{Origin: cp.Origin, Size: cp.Size, Hash: cp.Hash, Checkpoint: string(msg), VerifiedAt: time.Now().UTC()}
		b, _ := json.MarshalIndent(st, "", "  ")
		if err := witness.WriteFileAtomic(*statePath, append(b, '\n'), 0o644); err != nil {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, "state", "%v", err)
		}
	}
	fmt.Fprintln(stdout, "OK")
	return nil
}

// checkpointText is the body of a signed note (before the blank line).
func checkpointText(msg []byte) []byte {
	s := string(msg)
	if i := strings.Index(s, "\n\n"); i >= 0 {
		return []byte(s[:i+1])
	}
	return msg
}

// verifyKeys gathers the log key, witness keys and quorum from the flags
// and the agreement, flags first.
func verifyKeys(agreementFile, logKey string, witnessKeys []string, quorum int) (note.Verifier, []note.Verifier, int, error) {
	var a *agreement.Agreement
	var err error
	switch {
	case agreementFile != "":
		if a, err = agreement.Load(agreementFile); err != nil {
			return nil, nil, 0, err
		}
	case logKey == "":
		// Like `serve`, default to the embedded example (its demo log key):
		// verifying a real log against it fails on the signature.
		if a, err = agreement.Default(); err != nil {
			return nil, nil, 0, err
		}
	}
	lk := keyOrFile(logKey)
	if lk == "" {
		lk = a.Mission.Log.PublicKey
	}
	logV, err := note.NewVerifier(lk)
	if err != nil {
		return nil, nil, 0, pactwatch.FieldErrorf(pactwatch.EINVALID, "log-key", "not a signed-note verifier key: %v", err)
	}
	var wks []string
	for _, k := range witnessKeys {
		wks = append(wks, keyOrFile(k))
	}
	if len(wks) == 0 && a != nil {
		for _, w := range a.Mission.Witnesses {
			wks = append(wks, w.PublicKey)
		}
		if quorum < 0 {
			quorum = a.Mission.WitnessQuorum
		}
	}
	var witnesses []note.Verifier
	for _, k := range wks {
		v, err := fnote.NewVerifierForCosignatureV1(k)
		if err != nil {
			return nil, nil, 0, pactwatch.FieldErrorf(pactwatch.EINVALID, "witness-key", "%q: %v", k, err)
		}
		witnesses = append(witnesses, v)
	}
	if quorum < 0 {
		quorum = len(witnesses)
	}
	if quorum > len(witnesses) {
		return nil, nil, 0, pactwatch.FieldErrorf(pactwatch.EINVALID, "quorum", "%d cosignatures required but only %d witness keys given", quorum, len(witnesses))
	}
	return logV, witnesses, quorum, nil
}

func readVerifyState(path string) (*verifyState, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "state", "%v", err)
	}
	var st verifyState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "state", "%s: %v", path, err)
	}
	return &st, nil
}

func byType(m map[string]int64) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
