package observation

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/hdevalence/ed25519consensus"

	"github.com/pactwatch/pactwatch"
)

// SigningContext starts the bytes a monitor signs. It separates
// observation signatures from anything else the same key might sign (a
// checkpoint, a future format), so no signature can be replayed across them.
const SigningContext = "pactwatch/observation/v1\n"

// KeyIDLen is the length of a key id in hex characters.
const KeyIDLen = 16

// KeyID names an ed25519 public key: the first 16 lowercase hex characters
// (8 bytes) of SHA-256 of the raw 32-byte key. It is short enough for logs and
// records, long enough that no two keys of one mission collide by chance; the
// server still looks the key up and verifies with the full key.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:KeyIDLen/2])
}

// SigningBytes returns what a monitor signs: SigningContext followed by the
// RFC 8785 canonical JSON of the observation without its "signature"
// member. Times are written in UTC (RFC 3339, a fraction only when
// non-zero), optional fields with zero values are left out.
func SigningBytes(o Observation) ([]byte, error) {
	o.Signature = ""
	b := make([]byte, 0, 1024)
	b = append(b, SigningContext...)
	return appendCanonical(b, &o)
}

// Marshal returns o as RFC 8785 JSON, signature included: valid wire
// form, the smallest, and the one Decode checks fastest (it needs no
// canonicalising). Clients should send observations in this form.
func Marshal(o Observation) ([]byte, error) {
	return canonicalObservation(o)
}

// Sign sets o.Reporter to the key id of priv's public key and o.Signature
// to the base64 (standard, padded) ed25519 signature over SigningBytes.
func Sign(o *Observation, priv ed25519.PrivateKey) error {
	if len(priv) != ed25519.PrivateKeySize {
		return pactwatch.Errorf(pactwatch.EINVALID, "not an ed25519 private key")
	}
	o.Reporter = KeyID(priv.Public().(ed25519.PublicKey))
	msg, err := SigningBytes(*o)
	if err != nil {
		return err
	}
	o.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(priv, msg))
	return nil
}

// Verify checks that pub signed o: the reporter must be pub's key id and the
// signature valid over SigningBytes. Verification follows ZIP 215
// (ed25519consensus), the rules batch verification uses too, so a signature
// verified alone and one verified in a batch get the same answer.
func Verify(o Observation, pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "reporter", "not an ed25519 public key")
	}
	if o.Reporter != KeyID(pub) {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "reporter", "reporter %q is not the key id of the verifying key", o.Reporter)
	}
	sig, err := DecodeSignature(o.Signature)
	if err != nil {
		return err
	}
	msg, err := SigningBytes(o)
	if err != nil {
		return err
	}
	if !ed25519consensus.Verify(pub, msg, sig) {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "signature", "signature does not verify")
	}
	return nil
}

// DecodeSignature decodes an observation's signature field: standard padded
// base64 of exactly 64 bytes. Batch verifiers use it with SigningBytes.
func DecodeSignature(s string) ([]byte, error) {
	if s == "" {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "signature", "missing signature")
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "signature", "want standard base64 of a 64-byte ed25519 signature")
	}
	return sig, nil
}

// CanonicalRecord returns the record's canonical bytes: RFC 8785 JSON of the
// signed observation (signature included) plus "received_at" and
// "principal_id". The ledger's salted digest covers these bytes, so an
// auditor holding the record and its salt recomputes the leaf. "seq" is left
// out: it is a storage order, and the ledger index already fixes the order.
func CanonicalRecord(r Record) ([]byte, error) {
	if err := checkEncodable(&r.Observation, r.ReceivedAt); err != nil {
		return nil, err
	}
	return appendObservation(make([]byte, 0, 1024), &r.Observation, &recordExtra{r.ReceivedAt, r.PrincipalID}), nil
}

// canonicalObservation is the RFC 8785 form of o.
func canonicalObservation(o Observation) ([]byte, error) {
	return appendCanonical(make([]byte, 0, 1024), &o)
}

func appendCanonical(b []byte, o *Observation) ([]byte, error) {
	if err := checkEncodable(o); err != nil {
		return nil, err
	}
	return appendObservation(b, o, nil), nil
}

// jcsTransform returns the RFC 8785 form of the JSON in b, reusing b.
// jsontext's canonicaliser is about four times faster than
// github.com/gowebpki/jcs; the tests check both agree.
func jcsTransform(b []byte) ([]byte, error) {
	v := jsontext.Value(b)
	if err := v.Canonicalize(); err != nil {
		return nil, pactwatch.Internal(err)
	}
	return v, nil
}
