package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/keys"
	"github.com/pactwatch/pactwatch/observation"
)

func TestKeygen(t *testing.T) {
	base := filepath.Join(t.TempDir(), "monitor")
	out, _, err := runCLI(t, "keygen", "-o", base)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := keys.ReadPrivate(base + ".key")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := keys.ReadPublic(base + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(priv.Public()) {
		t.Fatal("public file does not match the private key")
	}
	for _, want := range []string{keys.FormatPublic(pub), observation.KeyID(pub), base + ".key"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	before, _ := os.ReadFile(base + ".key")
	_, _, err = runCLI(t, "keygen", "-o", base)
	if pactwatch.ErrorCode(err) != pactwatch.ECONFLICT {
		t.Fatalf("second keygen: %v", err)
	}
	after, _ := os.ReadFile(base + ".key")
	if string(before) != string(after) {
		t.Fatal("keygen overwrote a key")
	}
	if _, _, err := runCLI(t, "keygen", "extra"); err != errUsage {
		t.Fatalf("stray argument: %v", err)
	}
}
