package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/notify"
	"github.com/pactwatch/pactwatch/response/service"
	"github.com/pactwatch/pactwatch/store"
)

// webhookKeyFile holds the server's webhook signing key: base64 of the
// 32-byte Ed25519 seed, mode 0600, created on first start. Servers sharing
// one database should share the file, so receivers need one key.
const webhookKeyFile = "webhook.key"

// loadWebhookSigner reads <data>/webhook.key, creating it on first start.
func loadWebhookSigner(data string) (notify.Signer, error) {
	path := filepath.Join(data, webhookKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createWebhookKey(path); err != nil {
			return notify.Signer{}, err
		}
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return notify.Signer{}, err
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return notify.Signer{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "webhook.key", "%s: want base64 of a 32-byte Ed25519 seed", path)
	}
	key := ed25519.NewKeyFromSeed(seed)
	sum := sha256.Sum256(key.Public().(ed25519.PublicKey))
	return notify.Signer{KeyID: "webhook-" + hex.EncodeToString(sum[:8]), Key: key}, nil
}

// createWebhookKey writes a new seed, never replacing an existing file
// (two servers starting at once on one folder keep the first).
func createWebhookKey(path string) error {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(seed) + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	return werr
}

// newResponse prepares the response engine (protocol runs, scheduler,
// liaison actions, scorecard) and the webhook signer.
func newResponse(c serveConfig, agr *agreement.Agreement, st store.Store, now func() time.Time, log *slog.Logger) (*service.Service, notify.Signer, error) {
	signer, err := loadWebhookSigner(c.data)
	if err != nil {
		return nil, notify.Signer{}, fmt.Errorf("webhook key: %w", err)
	}
	return service.New(st, agr, now, log), signer, nil
}

// responseTick is how often the scheduler and the webhook worker wake.
const responseTick = 2 * time.Second

// startResponse runs the response scheduler (while this server holds the
// "response-scheduler" leader lock) and the webhook delivery worker (on
// every server: claims are leased) until ctx ends; the channel closes
// when both have stopped, so the store is closed only after them.
func startResponse(ctx context.Context, svc *service.Service, st store.Store, signer notify.Signer, now func() time.Time, log *slog.Logger) <-chan struct{} {
	done := make(chan struct{})
	sched := make(chan struct{})
	go func() {
		defer close(sched)
		svc.Loop(ctx, responseTick)
	}()
	go func() {
		defer close(done)
		d := &service.Deliverer{Store: st, Signer: signer, Now: now, Log: log, Wake: svc.Appended()}
		d.Run(ctx, responseTick)
		<-sched
	}()
	return done
}
