// Package recordform holds the canonical forms of the ledger records that
// the store keeps as columns rather than as one canonical body: key events
// (a principal added or revoked) and evidence metadata. The server builds
// their ledger entries from these bytes and the offline audit
// (`pactwatch verify --records`) rebuilds the same bytes from the database
// rows, so both must share one definition: a column changed behind the
// ledger's back then no longer matches its entry's salted digest.
package recordform

import (
	"encoding/base64"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/store"
)

// Key event kinds, the last part of a key event's record id.
const (
	EventAdd    = "add"
	EventRevoke = "revoke"
)

// Principal is how a key event shows a principal: never its token hash.
// Its JSON names are those of the API's principal (client.Principal), so
// the canonical bytes of entries written before this package existed are
// unchanged.
type Principal struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	Of         string     `json:"of,omitempty"`
	PublicKey  string     `json:"public_key,omitempty"`
	KeyID      string     `json:"key_id,omitempty"`
	ValidFrom  time.Time  `json:"valid_from"`
	ValidUntil *time.Time `json:"valid_until,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	Source     string     `json:"source"`
	CreatedAt  time.Time  `json:"created_at"`
}

// View is p as a key event shows it.
func View(p store.Principal) Principal {
	v := Principal{
		ID: p.ID, Name: p.Name, Role: string(p.Role), Of: p.Of, KeyID: p.KeyID,
		ValidFrom: p.ValidFrom.UTC(), Source: p.Source, CreatedAt: p.CreatedAt.UTC(),
	}
	if p.RevokedAt != nil {
		r := p.RevokedAt.UTC()
		v.RevokedAt = &r
	}
	if len(p.PublicKey) > 0 {
		v.PublicKey = base64.StdEncoding.EncodeToString(p.PublicKey)
	}
	if !p.ValidUntil.IsZero() {
		u := p.ValidUntil.UTC()
		v.ValidUntil = &u
	}
	return v
}

// keyEvent is the record of a principal's addition or revocation.
type keyEvent struct {
	Event     string    `json:"event"` // EventAdd or EventRevoke
	At        time.Time `json:"at"`
	Principal Principal `json:"principal"`
}

// KeyEventID is the ledger record id of a key event.
func KeyEventID(principalID, event string) string {
	return "principal:" + principalID + ":" + event
}

// ParseKeyEventID splits a key event's record id; ok is false when id is
// not one. Principal ids are UUIDs or agreement key names, neither holding
// a colon, but the event is taken after the last colon regardless.
func ParseKeyEventID(id string) (principalID, event string, ok bool) {
	rest, found := strings.CutPrefix(id, "principal:")
	i := strings.LastIndex(rest, ":")
	if !found || i <= 0 {
		return "", "", false
	}
	principalID, event = rest[:i], rest[i+1:]
	if event != EventAdd && event != EventRevoke {
		return "", "", false
	}
	return principalID, event, true
}

// KeyEvent is the canonical bytes of a key event and of its public
// projection (the same without the principal's name). The add event is
// the principal as it was added, so it never shows a revocation: p's
// RevokedAt is ignored for it. The revoke event shows the principal with
// RevokedAt = at.
func KeyEvent(event string, at time.Time, p store.Principal) (canonical, public []byte, err error) {
	switch event {
	case EventAdd:
		p.RevokedAt = nil
	case EventRevoke:
		r := at.UTC()
		p.RevokedAt = &r
	default:
		return nil, nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "event", "unknown key event %q", event)
	}
	view := View(p)
	if canonical, err = CanonicalJSON(keyEvent{Event: event, At: at.UTC(), Principal: view}); err != nil {
		return nil, nil, err
	}
	view.Name = ""
	if public, err = CanonicalJSON(keyEvent{Event: event, At: at.UTC(), Principal: view}); err != nil {
		return nil, nil, err
	}
	return canonical, public, nil
}

// KeyEventTime is when a key event happened for a stored principal: its
// creation for "add", its revocation for "revoke" (ok false if the
// principal is not revoked).
func KeyEventTime(event string, p store.Principal) (time.Time, bool) {
	if event == EventRevoke {
		if p.RevokedAt == nil {
			return time.Time{}, false
		}
		return *p.RevokedAt, true
	}
	return p.CreatedAt, true
}

// Evidence is the canonical bytes of an evidence file's metadata record.
// It has no public projection: a file can identify its uploader.
func Evidence(ev store.Evidence) ([]byte, error) {
	return CanonicalJSON(map[string]any{
		"sha256": ev.SHA256, "size": ev.Size, "media_type": ev.MediaType,
		"uploaded_at": ev.UploadedAt.UTC(), "uploaded_by": ev.UploadedBy,
	})
}

// CanonicalJSON is v as RFC 8785 canonical JSON: what the ledger digests
// of records other than observations cover.
func CanonicalJSON(v any) ([]byte, error) { return pactwatch.CanonicalJSON(v) }
