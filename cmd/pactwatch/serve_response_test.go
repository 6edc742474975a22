package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pactwatch/pactwatch"
)

// The webhook key is created once, private, and the same on every start;
// a damaged file is refused, not replaced.
func TestWebhookSigner(t *testing.T) {
	dir := t.TempDir()
	s1, err := loadWebhookSigner(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, webhookKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", fi, err)
	}
	s2, err := loadWebhookSigner(dir)
	if err != nil || s2.PublicKey() != s1.PublicKey() || s2.KeyID != s1.KeyID || s1.KeyID == "" {
		t.Fatalf("second start: %+v, %v (first %s)", s2.KeyID, err, s1.KeyID)
	}
	if err := os.WriteFile(filepath.Join(dir, webhookKeyFile), []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadWebhookSigner(dir); pactwatch.ErrorCode(err) != pactwatch.EINVALID {
		t.Fatalf("damaged key: %v", err)
	}
	if _, err := loadWebhookSigner(filepath.Join(dir, "missing", "dir")); err == nil {
		t.Fatal("a missing folder must fail")
	}
}
