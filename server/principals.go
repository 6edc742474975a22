package server

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/keys"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/ledger/recordform"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/vocab"
)

// PrincipalView is how the API shows a principal: never its token hash.
func PrincipalView(p store.Principal) client.Principal {
	v := client.Principal{
		ID: p.ID, Name: p.Name, Role: string(p.Role), Of: p.Of, KeyID: p.KeyID,
		ValidFrom: p.ValidFrom.UTC(), RevokedAt: p.RevokedAt, Source: p.Source, CreatedAt: p.CreatedAt.UTC(),
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

// keyEventLeaf is the ledger leaf of a key event; its canonical form lives
// in ledger/recordform, shared with the offline audit that rebuilds it from
// the principals table.
func keyEventLeaf(event string, at time.Time, p store.Principal) (store.Leaf, error) {
	canonical, public, err := recordform.KeyEvent(event, at, p)
	if err != nil {
		return store.Leaf{}, err
	}
	return NewLeaf(ledger.TypeKey, recordform.KeyEventID(p.ID, event), at, canonical, public), nil
}

// AddPrincipal stores a principal and the ledger entry of its addition.
func AddPrincipal(ctx context.Context, st store.Store, p store.Principal) error {
	leaf, err := keyEventLeaf("add", p.CreatedAt, p)
	if err != nil {
		return pactwatch.Internal(err)
	}
	return st.PutPrincipal(ctx, p, leaf)
}

// RevokePrincipal revokes a principal at a time, with its ledger entry.
func RevokePrincipal(ctx context.Context, st store.Store, id string, at time.Time) (store.Principal, error) {
	p, err := st.Principal(ctx, id)
	if err != nil {
		return p, err
	}
	if p.RevokedAt != nil {
		return p, pactwatch.FieldErrorf(pactwatch.ECONFLICT, "id", "principal %s was already revoked at %s", id, p.RevokedAt.UTC().Format(time.RFC3339))
	}
	at = at.UTC()
	p.RevokedAt = &at
	leaf, err := keyEventLeaf("revoke", at, p)
	if err != nil {
		return p, pactwatch.Internal(err)
	}
	if err := st.RevokePrincipal(ctx, id, at, leaf); err != nil {
		return p, err
	}
	return p, nil
}

// CheckPublicKey refuses ed25519 public keys that cannot bind a signature
// to its message: encodings that are not a point, non-canonical encodings,
// and points of small order (the identity, the all-zero key, …), for which
// one fixed signature verifies under ZIP-215 rules for every message.
func CheckPublicKey(pub []byte) error { return keys.CheckPublic(pub) }

// NewPrincipal checks a creation request and makes the principal with a
// fresh token (returned once; only its hash is kept).
func NewPrincipal(req client.PrincipalRequest, now time.Time) (store.Principal, string, error) {
	role := vocab.Role(req.Role)
	p := store.Principal{
		ID: uuid.NewString(), Name: strings.TrimSpace(req.Name), Role: role, Of: req.Of,
		ValidFrom: now.UTC(), Source: "api", CreatedAt: now.UTC(),
	}
	switch {
	case p.Name == "" || len(p.Name) > 200:
		return p, "", pactwatch.FieldErrorf(pactwatch.EINVALID, "name", "want a name of 1 to 200 characters")
	case !role.Valid() || role == vocab.RolePublic:
		return p, "", pactwatch.FieldErrorf(pactwatch.EINVALID, "role", "want one of monitor, analyst, auditor, guarantor_liaison, party_liaison, admin")
	case role.NeedsOf() && req.Of == "":
		return p, "", pactwatch.FieldErrorf(pactwatch.EINVALID, "of", "a %s acts for one guarantor or party: name it", role)
	case !role.NeedsOf() && req.Of != "":
		return p, "", pactwatch.FieldErrorf(pactwatch.EINVALID, "of", "only liaison roles act for a guarantor or party")
	}
	if req.PublicKey != "" {
		raw, err := base64.StdEncoding.DecodeString(req.PublicKey)
		if err != nil || len(raw) != ed25519.PublicKeySize {
			return p, "", pactwatch.FieldErrorf(pactwatch.EINVALID, "public_key", "want a base64 ed25519 public key of 32 bytes")
		}
		if err := CheckPublicKey(raw); err != nil {
			return p, "", err
		}
		p.PublicKey = ed25519.PublicKey(raw)
		p.KeyID = observation.KeyID(p.PublicKey)
	} else if role == vocab.RoleMonitor {
		return p, "", pactwatch.FieldErrorf(pactwatch.EINVALID, "public_key", "a monitor signs observations: give its public key")
	}
	if req.ValidFrom != nil {
		p.ValidFrom = req.ValidFrom.UTC()
		// Refused here, before the ledger entry is built: the store
		// cannot keep such a time (and JSON none past 9999). CheckTime
		// lets the zero time through as "none"; given, it is year 1.
		if p.ValidFrom.IsZero() {
			return p, "", pactwatch.FieldErrorf(pactwatch.EINVALID, "valid_from", "time %s is outside the years %d to %d the store can keep",
				p.ValidFrom.Format(time.RFC3339), store.MinTime.Year(), store.MaxTime.Year()-1)
		}
		if err := store.CheckTime("valid_from", p.ValidFrom); err != nil {
			return p, "", err
		}
	}
	if req.ValidUntil != nil {
		p.ValidUntil = req.ValidUntil.UTC()
		if err := store.CheckTime("valid_until", p.ValidUntil); err != nil {
			return p, "", err
		}
		if !p.ValidUntil.After(p.ValidFrom) {
			return p, "", pactwatch.FieldErrorf(pactwatch.EINVALID, "valid_until", "must be after valid_from")
		}
	}
	token, hash := NewToken()
	p.TokenHash = hash
	return p, token, nil
}

func (s *Server) handleAddPrincipal(w http.ResponseWriter, r *http.Request) {
	data, err := readBody(w, r, 64<<10)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req client.PrincipalRequest
	if err := decodeStrict(data, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	p, token, err := NewPrincipal(req, s.now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := AddPrincipal(r.Context(), s.store, p); err != nil {
		s.writeError(w, r, err)
		return
	}
	_ = s.auth.reload(r.Context())
	s.log.InfoContext(r.Context(), "principal added", "id", p.ID, "role", p.Role, "by", principalOf(r).ID)
	writeJSON(w, http.StatusCreated, client.NewPrincipal{Principal: PrincipalView(p), Token: token})
}

func (s *Server) handleRevokePrincipal(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if id == principalOf(r).ID {
		s.writeError(w, r, pactwatch.FieldErrorf(pactwatch.EINVALID, "id", "an admin may not revoke its own token"))
		return
	}
	p, err := RevokePrincipal(r.Context(), s.store, id, s.now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_ = s.auth.reload(r.Context())
	s.log.InfoContext(r.Context(), "principal revoked", "id", p.ID, "by", principalOf(r).ID)
	writeJSON(w, http.StatusOK, PrincipalView(p))
}

func (s *Server) handleListPrincipals(w http.ResponseWriter, r *http.Request) {
	ps, err := s.store.Principals(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := client.Principals{Principals: make([]client.Principal, len(ps))}
	for i, p := range ps {
		out.Principals[i] = PrincipalView(p)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleWhoami(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, PrincipalView(principalOf(r)))
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if _, err := s.store.TreeSize(r.Context()); err != nil {
		s.writeError(w, r, pactwatch.Errorf(pactwatch.EUNAVAILABLE, "database unavailable"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// decodeStrict decodes one JSON object refusing unknown fields and
// trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		field := ""
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			field = ute.Field
		}
		msg := strings.TrimPrefix(err.Error(), "json: ")
		return pactwatch.FieldErrorf(pactwatch.EINVALID, field, "malformed JSON: %s", msg)
	}
	if dec.More() {
		return pactwatch.Errorf(pactwatch.EINVALID, "malformed JSON: data after the object")
	}
	return nil
}
