// Package ledger is pactwatch's tamper-evident record: an append-only Merkle
// log (RFC 6962 hashing via golang.org/x/mod/sumdb/tlog) whose entries commit
// to records without revealing them, with C2SP checkpoints, tiles and
// witness cosignatures. It knows nothing of SQL or HTTP: storage reaches it
// through tlog.HashReader-style interfaces.
package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Entry types: one per kind of record pactwatch accepts or decides.
const (
	TypeAgreement   = "agreement"
	TypeKey         = "key"
	TypeObservation = "observation"
	TypeEvidence    = "evidence"
	TypeDecision    = "decision"
	TypeCase        = "case"
	TypeAction      = "action"
	TypeReport      = "report"
)

// MaxEntrySize is the largest entry: the C2SP entry bundle prefixes each
// entry with a big-endian uint16 length.
const MaxEntrySize = 1<<16 - 1

// Entry commits to one record without revealing it: the record's type, id
// and time in clear, a salted digest of its canonical bytes (checkable by
// auditors, who get the record and its salt) and a separately salted digest
// of its public projection (checkable by anyone, since public projections
// are served with their salt). A record with no public projection has a zero
// PublicDigest.
type Entry struct {
	Type         string
	RecordID     string
	Time         time.Time
	Digest       [32]byte
	PublicDigest [32]byte
}

// SaltedDigest is SHA-256(salt ‖ data). Salts are 32 random bytes per record
// so that a low-entropy record (a category and a grid square) cannot be
// recovered by hashing guesses.
func SaltedDigest(salt, data []byte) [32]byte {
	h := sha256.New()
	h.Write(salt)
	h.Write(data)
	var d [32]byte
	h.Sum(d[:0])
	return d
}

// NewEntry builds the entry for a record. public may be nil when the record
// is never shown to the public.
func NewEntry(typ, id string, t time.Time, canonical, salt, public, publicSalt []byte) Entry {
	e := Entry{Type: typ, RecordID: id, Time: t.UTC(), Digest: SaltedDigest(salt, canonical)}
	if public != nil {
		e.PublicDigest = SaltedDigest(publicSalt, public)
	}
	return e
}

const entryHeader = "pactwatch-entry/v1\n"

// Marshal encodes the entry as the bytes that become the Merkle leaf:
//
//	pactwatch-entry/v1
//	type observation
//	id 5f0c…
//	time 2026-11-20T06:15:00Z
//	digest <64 hex>
//	public <64 hex, or "-">
//
// It appends into one exactly sized buffer rather than formatting with fmt:
// every record the store appends is marshalled on the write path.
func (e Entry) Marshal() []byte {
	b := make([]byte, 0, len(entryHeader)+len(e.Type)+len(e.RecordID)+len(time.RFC3339Nano)+2*2*sha256.Size+40)
	b = append(b, entryHeader...)
	b = append(append(append(b, "type "...), e.Type...), '\n')
	b = append(append(append(b, "id "...), e.RecordID...), '\n')
	b = append(e.Time.UTC().AppendFormat(append(b, "time "...), time.RFC3339Nano), '\n')
	b = append(hex.AppendEncode(append(b, "digest "...), e.Digest[:]), '\n')
	if e.PublicDigest == ([32]byte{}) {
		return append(b, "public -\n"...)
	}
	return append(hex.AppendEncode(append(b, "public "...), e.PublicDigest[:]), '\n')
}

// ParseEntry decodes Marshal's output, refusing anything Marshal would not
// produce, so one entry has exactly one encoding.
func ParseEntry(data []byte) (Entry, error) {
	var e Entry
	if len(data) > MaxEntrySize {
		return e, fmt.Errorf("ledger entry: %d bytes, over %d", len(data), MaxEntrySize)
	}
	s, ok := strings.CutPrefix(string(data), entryHeader)
	if !ok {
		return e, fmt.Errorf("ledger entry: missing %q header", strings.TrimSpace(entryHeader))
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	want := []string{"type", "id", "time", "digest", "public"}
	if len(lines) != len(want) || !strings.HasSuffix(s, "\n") {
		return e, fmt.Errorf("ledger entry: want %d lines after the header", len(want))
	}
	vals := make([]string, len(want))
	for i, l := range lines {
		k, v, ok := strings.Cut(l, " ")
		if !ok || k != want[i] || v == "" {
			return e, fmt.Errorf("ledger entry: line %d: want %q", i+2, want[i])
		}
		vals[i] = v
	}
	e.Type, e.RecordID = vals[0], vals[1]
	t, err := time.Parse(time.RFC3339Nano, vals[2])
	if err != nil {
		return e, fmt.Errorf("ledger entry: time: %v", err)
	}
	e.Time = t
	if err := decodeDigest(vals[3], &e.Digest); err != nil {
		return e, fmt.Errorf("ledger entry: digest: %v", err)
	}
	if vals[4] != "-" {
		if err := decodeDigest(vals[4], &e.PublicDigest); err != nil {
			return e, fmt.Errorf("ledger entry: public: %v", err)
		}
	}
	if !bytes.Equal(e.Marshal(), data) {
		return e, fmt.Errorf("ledger entry: not in canonical form")
	}
	return e, nil
}

func decodeDigest(s string, d *[32]byte) error {
	if len(s) != 64 || strings.ToLower(s) != s {
		return fmt.Errorf("want 64 lowercase hex digits")
	}
	_, err := hex.Decode(d[:], []byte(s))
	return err
}
