// Package keys reads and writes the ed25519 key files monitors sign
// observations with. A private key is a PKCS#8 PEM file readable only by
// its owner; a public key is one line of standard base64 of the raw 32-byte
// key, the same text an agreement's keys[].public_key holds, so it can be
// pasted there or into the admin API as is.
package keys

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strings"

	"filippo.io/edwards25519"

	"github.com/pactwatch/pactwatch"
)

// MaxFileSize bounds what ReadPrivate and ReadPublic read: key files are
// a few hundred bytes, anything bigger is the wrong file.
const MaxFileSize = 64 << 10

// Generate returns a new key pair from crypto/rand.
func Generate() (ed25519.PublicKey, ed25519.PrivateKey) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		// crypto/rand does not fail on supported platforms.
		panic("keys: " + err.Error())
	}
	return pub, priv
}

// WritePrivate writes priv to path as a PKCS#8 PEM block ("PRIVATE KEY")
// with mode 0600. It refuses to overwrite an existing file (ECONFLICT): a
// lost private key cannot be recovered, so replacing one must be deliberate.
func WritePrivate(path string, priv ed25519.PrivateKey) error {
	if len(priv) != ed25519.PrivateKeySize {
		return pactwatch.Errorf(pactwatch.EINVALID, "not an ed25519 private key")
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return pactwatch.Internal(err)
	}
	return writeNew(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}

// WritePublic writes pub to path as one line of standard base64, mode 0644,
// refusing to overwrite an existing file.
func WritePublic(path string, pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return pactwatch.Errorf(pactwatch.EINVALID, "not an ed25519 public key")
	}
	return writeNew(path, []byte(FormatPublic(pub)+"\n"), 0o644)
}

// FormatPublic returns pub as standard padded base64, the public-key text
// of key files and agreements.
func FormatPublic(pub ed25519.PublicKey) string {
	return base64.StdEncoding.EncodeToString(pub)
}

// writeNew creates path exclusively with the mode, writes data and syncs.
// On any failure it removes what it created.
func writeNew(path string, data []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrExist) {
		return pactwatch.FieldErrorf(pactwatch.ECONFLICT, path, "already exists; not overwriting a key file")
	}
	if err != nil {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, path, "%v", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return pactwatch.FieldErrorf(pactwatch.EINVALID, path, "writing key: %v", err)
	}
	return nil
}

// ReadPrivate reads a private key written by WritePrivate (any PKCS#8 PEM
// ed25519 key). Like ssh, it refuses a file that group or others can read
// or write: such a key must be assumed compromised.
func ReadPrivate(path string) (ed25519.PrivateKey, error) {
	data, info, err := readSmall(path)
	if err != nil {
		return nil, err
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, path,
			"permissions %04o are too open for a private key: run chmod 600 %s", info.Mode().Perm(), path)
	}
	return ParsePrivate(data, path)
}

// ParsePrivate parses a PKCS#8 PEM ed25519 private key; name labels errors.
func ParsePrivate(data []byte, name string) (ed25519.PrivateKey, error) {
	block, rest := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, name, "not a PEM \"PRIVATE KEY\" file (make one with pactwatch keygen)")
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, name, "trailing data after the PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, name, "bad PKCS#8 key: %v", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, name, "a %T, not an ed25519 key", k)
	}
	return priv, nil
}

// ReadPublic reads a public key file: one line of base64 (WritePublic's
// form) or, for keys made by other tools, a PEM "PUBLIC KEY" (PKIX) block.
func ReadPublic(path string) (ed25519.PublicKey, error) {
	data, _, err := readSmall(path)
	if err != nil {
		return nil, err
	}
	if block, rest := pem.Decode(data); block != nil {
		if block.Type != "PUBLIC KEY" || len(bytes.TrimSpace(rest)) != 0 {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, path, "want one PEM \"PUBLIC KEY\" block")
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, path, "bad public key: %v", err)
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, path, "a %T, not an ed25519 key", k)
		}
		if err := CheckPublic(pub); err != nil {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, path, "%s", pactwatch.ErrorMessage(err))
		}
		return pub, nil
	}
	pub, err := ParsePublic(string(data))
	if err != nil {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, path, "%s", pactwatch.ErrorMessage(err))
	}
	return pub, nil
}

// ParsePublic parses standard base64 of a raw 32-byte ed25519 public key,
// ignoring surrounding white space. The base64 must be canonical (padded,
// zero padding bits), so one key has one text, and the key must pass
// CheckPublic.
func ParsePublic(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "public_key", "want standard base64 of a 32-byte ed25519 public key")
	}
	if err := CheckPublic(b); err != nil {
		return nil, err
	}
	return ed25519.PublicKey(b), nil
}

// CheckPublic refuses ed25519 public keys that cannot bind a signature to
// its message: encodings that are not a point, non-canonical encodings, and
// points of small order (the identity, the all-zero key, …), for which one
// fixed signature verifies under ZIP-215 rules (observation.Verify) for
// every message.
func CheckPublic(pub []byte) error {
	if len(pub) != ed25519.PublicKeySize {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "public_key", "want a 32-byte ed25519 public key")
	}
	pt, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "public_key", "not an ed25519 point")
	}
	if !bytes.Equal(pt.Bytes(), pub) {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "public_key", "non-canonical ed25519 point encoding")
	}
	if new(edwards25519.Point).MultByCofactor(pt).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "public_key", "a small-order point: signatures under it prove nothing")
	}
	return nil
}

func readSmall(path string) ([]byte, fs.FileInfo, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, path, "no such key file")
	}
	if err != nil {
		return nil, nil, pactwatch.FieldErrorf(pactwatch.EINVALID, path, "%v", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, pactwatch.FieldErrorf(pactwatch.EINVALID, path, "%v", err)
	}
	if !info.Mode().IsRegular() || info.Size() > MaxFileSize {
		return nil, nil, pactwatch.FieldErrorf(pactwatch.EINVALID, path, "not a key file (%d bytes)", info.Size())
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize))
	if err != nil {
		return nil, nil, pactwatch.FieldErrorf(pactwatch.EINVALID, path, "%v", err)
	}
	return data, info, nil
}
