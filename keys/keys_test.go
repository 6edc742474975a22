package keys

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pactwatch/pactwatch"
)

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	pub, priv := Generate()
	kp, pp := filepath.Join(dir, "m.key"), filepath.Join(dir, "m.pub")
	if err := WritePrivate(kp, priv); err != nil {
		t.Fatal(err)
	}
	if err := WritePublic(pp, pub); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(kp)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode %o", info.Mode().Perm())
	}
	gotPriv, err := ReadPrivate(kp)
	if err != nil {
		t.Fatal(err)
	}
	if !gotPriv.Equal(priv) {
		t.Fatal("private key changed")
	}
	gotPub, err := ReadPublic(pp)
	if err != nil {
		t.Fatal(err)
	}
	if !gotPub.Equal(pub) {
		t.Fatal("public key changed")
	}
	line, _ := os.ReadFile(pp)
	if string(line) != FormatPublic(pub)+"\n" || len(line) != 45 {
		t.Fatalf("public key file %q", line)
	}
}

func TestRefusesOverwrite(t *testing.T) {
	dir := t.TempDir()
	pub, priv := Generate()
	kp := filepath.Join(dir, "m.key")
	if err := WritePrivate(kp, priv); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(kp)
	_, other := Generate()
	if err := WritePrivate(kp, other); pactwatch.ErrorCode(err) != pactwatch.ECONFLICT {
		t.Fatalf("overwrite: %v", err)
	}
	after, _ := os.ReadFile(kp)
	if !bytes.Equal(before, after) {
		t.Fatal("existing key file changed")
	}
	pp := filepath.Join(dir, "m.pub")
	os.WriteFile(pp, []byte("x"), 0o644)
	if err := WritePublic(pp, pub); pactwatch.ErrorCode(err) != pactwatch.ECONFLICT {
		t.Fatalf("overwrite public: %v", err)
	}
}

// TestKnownKey reads a key whose public half is known: RFC 8032's first
// test vector, written as PKCS#8 by OpenSSL (testdata/rfc8032.key).
func TestKnownKey(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("testdata/rfc8032.key")
	if err != nil {
		t.Fatal(err)
	}
	kp := filepath.Join(dir, "k")
	os.WriteFile(kp, src, 0o600)
	priv, err := ReadPrivate(kp)
	if err != nil {
		t.Fatal(err)
	}
	if got := FormatPublic(priv.Public().(ed25519.PublicKey)); got != "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" {
		t.Fatalf("public key %s", got)
	}
	pub, err := ReadPublic("testdata/rfc8032.pub.pem")
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(priv.Public()) {
		t.Fatal("PEM public key differs")
	}
}

func TestReadPrivateRejects(t *testing.T) {
	dir := t.TempDir()
	_, priv := Generate()
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	good := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	rsaPEM, _ := os.ReadFile("testdata/rsa.key")
	tests := []struct {
		name   string
		data   []byte
		mode   os.FileMode
		code   string
		substr string
	}{
		{"world readable", good, 0o644, pactwatch.EINVALID, "too open"},
		{"not pem", []byte("hello"), 0o600, pactwatch.EINVALID, "not a PEM"},
		{"public pem", []byte("-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n"), 0o600, pactwatch.EINVALID, "not a PEM"},
		{"garbage der", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2}}), 0o600, pactwatch.EINVALID, "PKCS#8"},
		{"trailing", append(bytes.Clone(good), "junk"...), 0o600, pactwatch.EINVALID, "trailing"},
		{"rsa", rsaPEM, 0o600, pactwatch.EINVALID, "not an ed25519"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, string(rune('a'+i)))
			if err := os.WriteFile(p, tt.data, tt.mode); err != nil {
				t.Fatal(err)
			}
			os.Chmod(p, tt.mode)
			_, err := ReadPrivate(p)
			if pactwatch.ErrorCode(err) != tt.code || !strings.Contains(pactwatch.ErrorMessage(err), tt.substr) {
				t.Fatalf("got %v, want %s …%s…", err, tt.code, tt.substr)
			}
		})
	}
	if _, err := ReadPrivate(filepath.Join(dir, "missing")); pactwatch.ErrorCode(err) != pactwatch.ENOTFOUND {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := ReadPrivate(dir); pactwatch.ErrorCode(err) != pactwatch.EINVALID {
		t.Fatalf("directory: %v", err)
	}
}

func TestParsePublic(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", true},
		{"  11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\r\n", true},
		{"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo", false},  // unpadded
		{"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo=", false}, // URL alphabet
		{"AAAA", false},
		{"", false},
		{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", false}, // all zero: a point of order 4
		{"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", false}, // the identity
		{"7P///////////////////////////////////////38=", false}, // y = p−1: order 2
		{"7f///////////////////////////////////////38=", false}, // y = p: non-canonical
	} {
		_, err := ParsePublic(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParsePublic(%q): %v", tt.in, err)
		}
		if err != nil && pactwatch.ErrorCode(err) != pactwatch.EINVALID {
			t.Errorf("code %s", pactwatch.ErrorCode(err))
		}
	}
}

func FuzzParsePublic(f *testing.F) {
	f.Add("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
	f.Add("====")
	f.Fuzz(func(t *testing.T, s string) {
		pub, err := ParsePublic(s)
		if err != nil {
			return
		}
		if len(pub) != ed25519.PublicKeySize || FormatPublic(pub) != strings.TrimSpace(s) {
			t.Fatalf("ParsePublic(%q) accepted a non-canonical form", s)
		}
	})
}

func FuzzParsePrivate(f *testing.F) {
	if data, err := os.ReadFile("testdata/rfc8032.key"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		priv, err := ParsePrivate(data, "k")
		if err != nil {
			if pactwatch.ErrorCode(err) != pactwatch.EINVALID {
				t.Fatal(err)
			}
			return
		}
		if len(priv) != ed25519.PrivateKeySize {
			t.Fatal("short key accepted")
		}
	})
}
