// Package witness is a C2SP transparency-log witness (c2sp.org/tlog-witness)
// and its client. A witness keeps, per log, the last checkpoint it cosigned;
// it cosigns a new checkpoint only with a valid log signature and a
// consistency proof from that one, so a log cannot show it a fork or a
// rollback. Cosignatures follow c2sp.org/tlog-cosignature (cosignature/v1,
// Ed25519), verifiable with transparency-dev/formats' note verifiers.
package witness

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
)

// algCosignatureV1 is the signed-note key type of Ed25519 cosignature/v1.
const algCosignatureV1 = 0x04

// Cosigner signs checkpoints as a witness: an Ed25519 cosignature/v1 over
// "cosignature/v1\ntime <t>\n" and the checkpoint body, the signature being
// the 8-byte big-endian time followed by the Ed25519 signature. It
// implements note.Signer. It exists (rather than formats' signer) so that
// the timestamp comes from an injected clock.
type Cosigner struct {
	name string
	key  ed25519.PrivateKey
	hash uint32
	Now  func() time.Time
}

// NewCosigner parses a signed-note private key ("PRIVATE+KEY+<name>+<hash>+
// <base64 of 0x01 or 0x04 ‖ 32-byte seed>", as `pactwatch keygen` or
// note.GenerateKey write) and uses it for cosignature/v1.
func NewCosigner(skey string, now func() time.Time) (*Cosigner, error) {
	bad := pactwatch.FieldErrorf(pactwatch.EINVALID, "key", "want a signed-note private key PRIVATE+KEY+<name>+<hash>+<base64>")
	// The base64 key may itself contain "+": cut the four fields before it.
	rest := strings.TrimSpace(skey)
	var f [4]string
	for i := range f {
		var ok bool
		if f[i], rest, ok = strings.Cut(rest, "+"); !ok {
			return nil, bad
		}
	}
	if f[0] != "PRIVATE" || f[1] != "KEY" || len(f[3]) != 8 {
		return nil, bad
	}
	name := f[2]
	raw, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(raw) != 1+ed25519.SeedSize || (raw[0] != 0x01 && raw[0] != algCosignatureV1) || !validName(name) {
		return nil, bad
	}
	if now == nil {
		now = time.Now
	}
	key := ed25519.NewKeyFromSeed(raw[1:])
	pub := key.Public().(ed25519.PublicKey)
	return &Cosigner{name: name, key: key, hash: keyHash(name, pub), Now: now}, nil
}

func validName(name string) bool {
	return name != "" && !strings.ContainsAny(name, "+ \t\n\r") && !strings.ContainsRune(name, '\u2014')
}

// keyHash is the cosignature/v1 key id: the first 4 bytes of
// SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key).
func keyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', algCosignatureV1})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// Name implements note.Signer.
func (c *Cosigner) Name() string { return c.name }

// KeyHash implements note.Signer.
func (c *Cosigner) KeyHash() uint32 { return c.hash }

// Sign implements note.Signer: msg is the checkpoint body.
func (c *Cosigner) Sign(msg []byte) ([]byte, error) {
	t := uint64(c.Now().Unix())
	signed := append(fmt.Appendf(nil, "cosignature/v1\ntime %d\n", t), msg...)
	sig := binary.BigEndian.AppendUint64(nil, t)
	return append(sig, ed25519.Sign(c.key, signed)...), nil
}

// VerifierKey is the witness's public key in signed-note form with the
// cosignature/v1 type: "<name>+<hash>+<base64 of 0x04 ‖ public key>", what
// `pactwatch verify --witness-key` and formats.NewVerifierForCosignatureV1
// take.
func (c *Cosigner) VerifierKey() string {
	pub := c.key.Public().(ed25519.PublicKey)
	return fmt.Sprintf("%s+%08x+%s", c.name, c.hash, base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV1}, pub...)))
}
