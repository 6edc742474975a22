package agreement

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/pactwatch/pactwatch/keys"
)

// cosignatureKey returns the tlog-cosignature/v1 verifier key of pub.
func cosignatureKey(name string, pub []byte) string {
	key := append([]byte{0x04}, pub...)
	h := sha256.Sum256(append([]byte(name+"\n"), key...))
	return fmt.Sprintf("%s+%x+%s", name, h[:4], base64.StdEncoding.EncodeToString(key))
}

// TestKeysMustBeDistinctAndSound: the agreement refuses keys that serve
// would refuse (small-order points), one key written twice in two base64
// spellings, and one witness key under two names (a cosignature does not
// commit to the name, so it would count twice towards the quorum).
func TestKeysMustBeDistinctAndSound(t *testing.T) {
	base, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pub1, _ := keys.Generate()
	pub2, _ := keys.Generate()
	k1 := keys.FormatPublic(pub1)
	// The same 32 bytes with the two unused bits of the last base64 digit set.
	last := strings.IndexByte(stdAlphabet, k1[42])
	k1loose := k1[:42] + string(stdAlphabet[last|3]) + "="
	if last&3 == 3 {
		k1loose = k1[:42] + string(stdAlphabet[last&^3]) + "="
	}
	identity := base64.StdEncoding.EncodeToString(append([]byte{1}, make([]byte, 31)...))
	logKey := "pactwatch.example/ukraine-demo+bf941e7f+ASDequl2RGCI9VOZyaAYnqDcSTOSm1rrOcUvYwuK++ot"
	logRaw, _ := base64.StdEncoding.DecodeString(strings.SplitN(logKey, "+", 3)[2])

	keyLine := func(id, k string) string {
		return fmt.Sprintf("  - {id: %s, role: monitor, public_key: %q, valid_from: 2026-10-01}\n", id, k)
	}
	witness := func(name string, pub []byte) string {
		return fmt.Sprintf("    - {name: %s, public_key: %q}\n", name, cosignatureKey(name, pub))
	}
	tests := []struct {
		name, keys, witnesses, wantPath string
	}{
		{"sound", keyLine("a", k1) + keyLine("b", keys.FormatPublic(pub2)), witness("w1", pub1) + witness("w2", pub2), ""},
		{"small-order key", keyLine("a", identity), "", "keys[0].public_key"},
		{"one key in two spellings", keyLine("a", k1) + keyLine("b", k1loose), "", "keys[1].public_key"},
		{"one key twice", keyLine("a", k1) + keyLine("b", k1), "", "keys[1].public_key"},
		{"one witness key under two names", "", witness("w1", pub1) + witness("w2", pub1), "mission.witnesses[1].public_key"},
		{"witness key is the log key", "", witness("w1", logRaw[1:]), "mission.witnesses[0].public_key"},
		{"small-order witness key", "", witness("w1", append([]byte{1}, make([]byte, 31)...)), "mission.witnesses[0].public_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := string(base)
			if tt.witnesses != "" {
				i := strings.Index(doc, "\nreporting:")
				doc = doc[:i] + "\n  witnesses:\n" + strings.TrimSuffix(tt.witnesses, "\n") + doc[i:]
			}
			if tt.keys != "" {
				doc += "keys:\n" + tt.keys
			}
			_, err := Parse("k.yaml", []byte(doc), nil)
			var ps Problems
			if tt.wantPath == "" {
				if err != nil {
					t.Fatalf("want valid, got:\n%v", err)
				}
				return
			}
			if !errors.As(err, &ps) {
				t.Fatalf("got %v, want a problem at %s", err, tt.wantPath)
			}
			for _, p := range ps {
				if p.Path == tt.wantPath {
					return
				}
			}
			t.Errorf("no problem at %s:\n%v", tt.wantPath, err)
		})
	}
}

const stdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
