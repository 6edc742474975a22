package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/examples"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/witness"
)

// checkpointQuorum is how many witness cosignatures a checkpoint needs:
// --witness-quorum, else the agreement's. The embedded example names
// witnesses without URLs: with --demo they run in-process (its demo-only
// keys are embedded), without it nobody runs them and checkpoints go out
// uncosigned rather than never. A --demo of another agreement has no
// witness keys to run: quorum 0.
func checkpointQuorum(c serveConfig, agr *agreement.Agreement) int {
	if c.witnessQuorum >= 0 {
		return c.witnessQuorum
	}
	if c.agreementFile != "" {
		if c.demo {
			return 0
		}
		return agr.Mission.WitnessQuorum
	}
	reachable := 0
	for _, w := range agr.Mission.Witnesses {
		if w.URL != "" || c.demo && demoWitnessKey(w) != "" {
			reachable++
		}
	}
	return min(agr.Mission.WitnessQuorum, reachable)
}

// checkpointWitnesses returns the witnesses the checkpointer asks and the
// quorum it needs: every agreement witness with a URL, plus, for a --demo
// of the embedded example, its URL-less witnesses run in-process on
// loopback until ctx ends.
func checkpointWitnesses(ctx context.Context, c serveConfig, agr *agreement.Agreement, logV note.Verifier, log *slog.Logger) ([]ledger.WitnessClient, int, error) {
	quorum := checkpointQuorum(c, agr)
	if quorum < agr.Mission.WitnessQuorum && c.witnessQuorum < 0 && !c.demo {
		log.Warn("the example agreement's witnesses are not reachable by URL: publishing checkpoints without their cosignatures", "quorum", quorum)
	}
	if quorum == 0 {
		return nil, 0, nil // nobody's cosignature is needed: do not wait for witnesses
	}
	var ws []ledger.WitnessClient
	for _, w := range agr.Mission.Witnesses {
		if w.URL == "" {
			continue
		}
		v, err := fnote.NewVerifierForCosignatureV1(w.PublicKey)
		if err != nil {
			return nil, 0, pactwatch.FieldErrorf(pactwatch.EINVALID, "mission.witnesses", "witness %s: %v", w.Name, err)
		}
		ws = append(ws, &witness.Client{URL: w.URL, Verifier: v, HTTP: &http.Client{Timeout: 5 * time.Second}})
	}
	if c.demo && c.agreementFile == "" {
		demo, err := startDemoWitnesses(ctx, c, agr, logV, log)
		if err != nil {
			return nil, 0, err
		}
		ws = append(ws, demo...)
	}
	if quorum > len(ws) {
		return nil, 0, pactwatch.FieldErrorf(pactwatch.EINVALID, "witness-quorum", "quorum %d but only %d witnesses with a URL", quorum, len(ws))
	}
	return ws, quorum, nil
}

// demoWitnessKey is the embedded demo-only private key of an example
// witness (examples/ukraine/keys/witness-<name>.key), "" if there is none.
func demoWitnessKey(w agreement.Witness) string {
	if w.URL != "" {
		return ""
	}
	b, err := fs.ReadFile(examples.Ukraine, "keys/witness-"+w.Name+".key")
	if err != nil {
		return ""
	}
	return string(b)
}

// startDemoWitnesses runs each URL-less witness of the embedded example
// with its demo-only key, as `pactwatch witness` would, on a loopback port
// with its state in <data>/witnesses/<name>.json, until ctx ends. It
// checks each key against the agreement's public key for that witness.
func startDemoWitnesses(ctx context.Context, c serveConfig, agr *agreement.Agreement, logV note.Verifier, log *slog.Logger) ([]ledger.WitnessClient, error) {
	var ws []ledger.WitnessClient
	for _, w := range agr.Mission.Witnesses {
		skey := demoWitnessKey(w)
		if skey == "" {
			continue
		}
		cs, err := witness.NewCosigner(skey, nil)
		if err != nil {
			return nil, fmt.Errorf("demo witness %s: %w", w.Name, err)
		}
		v, err := fnote.NewVerifierForCosignatureV1(w.PublicKey)
		if err != nil {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "mission.witnesses", "witness %s: %v", w.Name, err)
		}
		if cs.Name() != v.Name() || cs.KeyHash() != v.KeyHash() {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "mission.witnesses", "the demo key of witness %s does not match the agreement's public key", w.Name)
		}
		dir := filepath.Join(c.data, "witnesses")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		wit, err := witness.New(witness.Config{Signer: cs, Logs: []note.Verifier{logV}, StatePath: filepath.Join(dir, w.Name+".json"), Logger: log.With("witness", w.Name)})
		if err != nil {
			return nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, pactwatch.Internal(err)
		}
		srv := &http.Server{Handler: wit.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("demo witness", "witness", w.Name, "err", err)
			}
		}()
		context.AfterFunc(ctx, func() { srv.Close() })
		url := "http://" + ln.Addr().String()
		ws = append(ws, &witness.Client{URL: url, Verifier: v, HTTP: &http.Client{Timeout: 5 * time.Second}})
		log.Info("demo witness running in-process", "witness", w.Name, "url", url)
	}
	return ws, nil
}
