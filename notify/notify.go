// Package notify delivers pactwatch's notifications as signed webhooks:
// durable outbox messages (the store implements Outbox, writing them in the
// same transaction as the state change they announce), a delivery worker
// with exponential backoff, jitter and a dead-letter list, Ed25519
// signatures a receiver checks with the server's published key, and a guard
// that keeps webhooks away from private addresses (SSRF).
//
// Delivery is at least once: a receiver deduplicates by the idempotency
// key, which is the same on every attempt of one event.
package notify

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
)

// Event is one notification for one recipient: the body every subscription
// of that recipient receives.
type Event struct {
	// Key is the idempotency key: stable per event (for a response
	// transition, its id "#" the recipient), equal on every retry.
	Key       string          `json:"idempotency_key"`
	Type      string          `json:"type"`
	Recipient string          `json:"recipient"` // an actor id: guarantor, party or "mission"
	At        time.Time       `json:"at"`        // when what it announces happened
	Data      json.RawMessage `json:"data"`
}

// Body returns the event's JSON payload.
func (e Event) Body() ([]byte, error) {
	if e.Key == "" || e.Type == "" || e.Recipient == "" {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "event", "key, type and recipient are required")
	}
	if len(e.Data) == 0 {
		e.Data = json.RawMessage("null")
	}
	e.At = e.At.UTC()
	b, err := json.Marshal(e)
	if err != nil {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "event.data", "not JSON: %v", err)
	}
	return b, nil
}

// Headers of a webhook request.
const (
	HeaderKey       = "Pactwatch-Idempotency-Key"
	HeaderTimestamp = "Pactwatch-Timestamp" // Unix seconds of this attempt
	HeaderSignature = "Pactwatch-Signature" // "ed25519=" base64 of the signature
	HeaderKeyID     = "Pactwatch-Key-Id"    // which published key signed
	HeaderAttempt   = "Pactwatch-Attempt"   // 1 for the first attempt; informative, not signed
)

const signatureContext = "pactwatch-webhook/v1"

// SignedBytes is what a webhook signature covers:
//
//	pactwatch-webhook/v1 \n <timestamp> \n <idempotency key> \n <body>
//
// The timestamp (Unix seconds of the attempt) lets receivers refuse
// replays older than a few minutes; the key binds the body to its event.
// Keys may not hold a newline, so the encoding is unambiguous.
func SignedBytes(timestamp int64, key string, body []byte) []byte {
	var b bytes.Buffer
	b.WriteString(signatureContext)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(timestamp, 10))
	b.WriteByte('\n')
	b.WriteString(key)
	b.WriteByte('\n')
	b.Write(body)
	return b.Bytes()
}

// Signer signs webhook requests with the server's notification key.
type Signer struct {
	KeyID string
	Key   ed25519.PrivateKey
}

// PublicKey returns the verifying key as the server publishes it: base64
// of the raw 32-byte Ed25519 public key.
func (s Signer) PublicKey() string {
	return base64.StdEncoding.EncodeToString(s.Key.Public().(ed25519.PublicKey))
}

// Sign returns the signature header value for one attempt.
func (s Signer) Sign(timestamp int64, key string, body []byte) string {
	return "ed25519=" + base64.StdEncoding.EncodeToString(ed25519.Sign(s.Key, SignedBytes(timestamp, key, body)))
}

// Verify checks a webhook as a receiver does: the signature over the
// signed bytes under pub (base64 raw key), and a timestamp within
// tolerance of now. Receivers should use this or its documented steps.
func Verify(pub string, timestamp, key, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	raw, err := base64.StdEncoding.DecodeString(pub)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "public_key", "want base64 of a 32-byte Ed25519 key")
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, HeaderTimestamp, "want Unix seconds")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return pactwatch.FieldErrorf(pactwatch.EUNAUTHORIZED, HeaderTimestamp, "timestamp %s is more than %s from now", timestamp, tolerance)
	}
	if key == "" || strings.ContainsAny(key, "\r\n") {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, HeaderKey, "missing or malformed idempotency key")
	}
	enc, ok := strings.CutPrefix(signature, "ed25519=")
	sig, err := base64.StdEncoding.DecodeString(enc)
	if !ok || err != nil || len(sig) != ed25519.SignatureSize {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, HeaderSignature, "want ed25519=<base64 signature>")
	}
	if !ed25519.Verify(raw, SignedBytes(ts, key, body), sig) {
		return pactwatch.FieldErrorf(pactwatch.EUNAUTHORIZED, HeaderSignature, "signature does not verify")
	}
	return nil
}
