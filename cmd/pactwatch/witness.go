package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/witness"
)

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// runWitness runs a C2SP tlog-witness: any guarantor, party or newsroom can
// operate one to cosign the mission's checkpoints and refuse forks.
func runWitness(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("witness", "--key FILE --log LOG-KEY [--log LOG-KEY]… [--addr HOST:PORT] [--state FILE]",
		"Run a transparency-log witness (C2SP tlog-witness): POST /add-checkpoint verifies the\n"+
			"log's signature and a consistency proof from the last checkpoint it cosigned, stores\n"+
			"that checkpoint atomically in --state, and answers with a cosignature/v1. Forks,\n"+
			"rollbacks, bad proofs and unknown logs are refused with the spec's status codes.", stderr)
	keyFile := fs.String("key", "", "file holding the witness's signed-note private key (PRIVATE+KEY+<name>+…)")
	var logs stringList
	fs.Var(&logs, "log", "a log's verifier key (<origin>+<hash>+<base64>, or a file holding it); repeatable")
	addr := fs.String("addr", "127.0.0.1:8081", "address to listen on")
	state := fs.String("state", "witness-state.json", "file holding the last cosigned checkpoint of each log")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *keyFile == "" || len(logs) == 0 || fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	skey, err := readSecretFile(*keyFile)
	if err != nil {
		return err
	}
	cs, err := witness.NewCosigner(string(skey), nil)
	if err != nil {
		return err
	}
	var verifiers []note.Verifier
	for _, l := range logs {
		v, err := note.NewVerifier(keyOrFile(l))
		if err != nil {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, "log", "%q: not a signed-note verifier key: %v", l, err)
		}
		verifiers = append(verifiers, v)
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	w, err := witness.New(witness.Config{Signer: cs, Logs: verifiers, StatePath: *state, Logger: logger})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return pactwatch.FieldErrorf(pactwatch.EUNAVAILABLE, "addr", "%v", err)
	}
	fmt.Fprintf(stdout, "witness %s listening on http://%s\ncosignature key: %s\n", cs.Name(), ln.Addr(), cs.VerifierKey())
	for _, v := range verifiers {
		fmt.Fprintf(stdout, "log: %s\n", v.Name())
	}
	srv := &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return pactwatch.Internal(err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return pactwatch.Internal(err)
	}
	return nil
}

// readSecretFile reads a private key file, refusing one that group or
// others may read (as ssh and keys.ReadPrivate do).
func readSecretFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "key", "%v", err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "key", "permissions %04o are too open for a private key: run chmod 600 %s", info.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "key", "%v", err)
	}
	return data, nil
}

// keyOrFile returns the trimmed contents of the file s names, or s itself
// when no such file exists (then s should be the key).
func keyOrFile(s string) string {
	if st, err := os.Stat(s); err == nil && st.Mode().IsRegular() {
		if data, err := os.ReadFile(s); err == nil {
			return strings.TrimSpace(string(data))
		}
	}
	return strings.TrimSpace(s)
}
