package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/pactwatch/pactwatch"

	"github.com/pactwatch/pactwatch/keys"
	"github.com/pactwatch/pactwatch/observation"
)

// runKeygen writes a new ed25519 key pair. The private file gets mode 0600
// and is never overwritten; the public line is what an agreement's keys or
// the admin API take.
func runKeygen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("keygen", "[-o NAME]",
		"Write a new ed25519 signing key pair: NAME.key (private, PKCS#8 PEM, mode 0600)\n"+
			"and NAME.pub (one line of base64, as agreements and the admin API take it),\n"+
			"then print the public key and its key id. Existing files are never overwritten.", stderr)
	name := fs.String("o", "pactwatch", "path and base name of the key files")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	keyPath, pubPath := *name+".key", *name+".pub"
	// Check both first so a half-written pair is never left behind.
	for _, p := range []string{keyPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return pactwatch.FieldErrorf(pactwatch.ECONFLICT, p, "already exists; not overwriting a key file")
		}
	}
	pub, priv := keys.Generate()
	if err := keys.WritePrivate(keyPath, priv); err != nil {
		return err
	}
	if err := keys.WritePublic(pubPath, pub); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "private key:     %s (keep it secret; mode 0600)\npublic key file: %s\npublic key:      %s\nkey id:          %s\n",
		keyPath, pubPath, keys.FormatPublic(pub), observation.KeyID(pub))
	return nil
}
