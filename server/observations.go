package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/vocab"
)

// readBody reads a request body of at most limit bytes; a longer body is
// ETOOLARGE (413).
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, pactwatch.Errorf(pactwatch.ETOOLARGE, "request body over %d bytes", limit)
	}
	if err != nil {
		return nil, pactwatch.Errorf(pactwatch.EINVALID, "reading the request body: %v", err)
	}
	return data, nil
}

// isBatch tells a batch envelope {"observations":[…]} from a single
// observation by the first key of the object, without parsing the rest.
func isBatch(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	t, err := dec.Token()
	return err == nil && t == "observations"
}

// handlePostObservations accepts one signed observation or a batch.
//
// A batch is all or nothing: every item is validated and its signature
// checked first; if any item is bad the whole batch is rejected with a
// list of every bad item (index, field, message) and nothing is stored.
func (s *Server) handlePostObservations(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	data, err := readBody(w, r, s.cfg.MaxBody)
	if err != nil {
		s.rejectAll(w, r, err, 1)
		return
	}
	batch := isBatch(data)
	obs, err := observation.DecodeBatch(data)
	if err != nil {
		if batch {
			err = decodeItems(err)
		}
		s.rejectAll(w, r, err, 1)
		return
	}
	if len(obs) == 0 {
		s.rejectAll(w, r, pactwatch.FieldErrorf(pactwatch.EINVALID, "observations", "empty batch"), 1)
		return
	}
	if len(obs) > s.cfg.MaxBatch {
		s.rejectAll(w, r, pactwatch.FieldErrorf(pactwatch.ETOOLARGE, "observations", "%d observations in one batch, over the limit of %d", len(obs), s.cfg.MaxBatch), len(obs))
		return
	}
	recs, leaves, err := s.admit(r.Context(), p, obs, batch)
	if err != nil {
		var be *batchError
		if errors.As(err, &be) && !batch {
			// A single observation answers with its own error.
			it := be.items[0]
			err = &pactwatch.Error{Code: it.Code, Field: it.Field, Message: it.Message}
		}
		s.writeError(w, r, err)
		return
	}
	res, err := s.store.InsertObservations(r.Context(), recs, leaves)
	if err != nil {
		s.rejectAll(w, r, err, len(obs))
		return
	}
	if s.cfg.Pipeline != nil {
		s.cfg.Pipeline.Notify()
	}
	created := 0
	for _, x := range res {
		if !x.Existed {
			created++
		}
	}
	s.metrics.observations(created, len(res)-created)
	status := http.StatusOK
	if created > 0 {
		status = http.StatusCreated
	}
	if !batch {
		writeJSON(w, status, res[0].Record)
		return
	}
	out := client.BatchResponse{Observations: make([]client.BatchResult, len(res))}
	for i, x := range res {
		out.Observations[i] = client.BatchResult{ID: x.Record.ID, Seq: x.Record.Seq, ReceivedAt: x.Record.ReceivedAt, Existed: x.Existed}
	}
	writeJSON(w, status, out)
}

// rejectAll answers err for a request whose n observations are all
// rejected, counting them by reason.
func (s *Server) rejectAll(w http.ResponseWriter, r *http.Request, err error, n int) {
	s.metrics.reject(reasonOf(pactwatch.ErrorCode(err), fieldOf(err)), n)
	s.writeError(w, r, err)
}

func fieldOf(err error) string {
	var pe *pactwatch.Error
	if errors.As(err, &pe) {
		return pe.Field
	}
	return ""
}

// reasonOf is a metrics label: the code and the field's last element
// without indexes ("invalid:lat"), so that labels stay few.
func reasonOf(code, field string) string {
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		field = field[i+1:]
	}
	if i := strings.IndexByte(field, '['); i >= 0 {
		field = field[:i]
	}
	if field == "" {
		return code
	}
	return code + ":" + field
}

// admit checks every observation — its fields, its signing key (known,
// of a monitor, valid at signed_at, owned by the submitter unless an
// admin submits) and its signature — and builds the records and ledger
// leaves to store. Any bad item makes a *batchError listing all of them.
func (s *Server) admit(ctx context.Context, p store.Principal, obs []observation.Observation, batch bool) ([]observation.Record, []store.Leaf, error) {
	now := s.now()
	var bad []ItemError
	fail := func(i int, err error) {
		var pe *pactwatch.Error
		if !errors.As(err, &pe) {
			pe = pactwatch.Internal(err)
		}
		field := pe.Field
		if batch {
			if field == "" {
				field = fmt.Sprintf("observations[%d]", i)
			} else {
				field = fmt.Sprintf("observations[%d].%s", i, field)
			}
		}
		msg := pe.Message
		if pe.Code == pactwatch.EINTERNAL {
			s.log.ErrorContext(ctx, "admitting an observation", "err", err)
			msg = "internal error"
		}
		bad = append(bad, ItemError{Index: i, Code: pe.Code, Field: field, Message: msg})
		s.metrics.reject(reasonOf(pe.Code, pe.Field), 1)
	}
	seen := make(map[string]int, len(obs))
	checks := make([]sigCheck, 0, len(obs))
	checkOf := make([]int, 0, len(obs)) // index in obs of each check
	for i, o := range obs {
		if err := o.Validate(now, s.cfg.Skew); err != nil {
			for _, e := range observation.FieldErrors(err) {
				fail(i, e)
			}
			continue
		}
		if j, dup := seen[o.ID]; dup {
			fail(i, pactwatch.FieldErrorf(pactwatch.EINVALID, "id", "the same id as observations[%d]", j))
			continue
		}
		seen[o.ID] = i
		key, err := s.signingKey(ctx, p, o)
		if err != nil {
			fail(i, err)
			continue
		}
		msg, err := observation.SigningBytes(o)
		if err != nil {
			fail(i, err)
			continue
		}
		sig, err := observation.DecodeSignature(o.Signature)
		if err != nil {
			fail(i, err)
			continue
		}
		checks = append(checks, sigCheck{pub: key.PublicKey, msg: msg, sig: sig})
		checkOf = append(checkOf, i)
	}
	if len(checks) > 0 {
		ok, err := s.verifier.verify(ctx, checks)
		if err != nil {
			return nil, nil, pactwatch.Errorf(pactwatch.EUNAVAILABLE, "request cancelled")
		}
		for k, good := range ok {
			if !good {
				fail(checkOf[k], pactwatch.FieldErrorf(pactwatch.EINVALID, "signature", "does not verify with the reporter's key"))
			}
		}
	}
	if len(bad) > 0 {
		sortItems(bad)
		return nil, nil, &batchError{items: bad}
	}
	recs := make([]observation.Record, len(obs))
	leaves := make([]store.Leaf, len(obs))
	for i, o := range obs {
		recs[i] = observation.Record{Observation: o, ReceivedAt: now.UTC(), PrincipalID: p.ID}
		leaf, err := observationLeaf(recs[i])
		if err != nil {
			return nil, nil, pactwatch.Internal(err)
		}
		leaves[i] = leaf
	}
	return recs, leaves, nil
}

// decodeItems turns DecodeBatch's joined errors, whose fields start with
// "observations[i]", into a batch error listing each item.
func decodeItems(err error) error {
	errs := observation.FieldErrors(err)
	var items []ItemError
	for _, e := range errs {
		rest, ok := strings.CutPrefix(e.Field, "observations[")
		end := strings.IndexByte(rest, ']')
		if !ok || end < 0 {
			return err // an error of the envelope, not of an item
		}
		i, convErr := strconv.Atoi(rest[:end])
		if convErr != nil {
			return err
		}
		items = append(items, ItemError{Index: i, Code: e.Code, Field: e.Field, Message: e.Message})
	}
	if len(items) == 0 {
		return err
	}
	return &batchError{items: items}
}

func sortItems(items []ItemError) {
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j].Index < items[j-1].Index; j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
}

// signingKey finds the principal whose key signed o and checks it may:
// a monitor's key, valid at signed_at, owned by the submitting principal
// unless an admin submits on a monitor's behalf. These are errors in the
// observation (EINVALID, field "reporter"), except a key of another
// principal, which is the credential's problem (EFORBIDDEN).
func (s *Server) signingKey(ctx context.Context, submitter store.Principal, o observation.Observation) (store.Principal, error) {
	ps, err := s.auth.byKeyID(ctx, o.Reporter)
	if err != nil && pactwatch.ErrorCode(err) != pactwatch.ENOTFOUND {
		return store.Principal{}, err
	}
	if len(ps) == 0 {
		return store.Principal{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "reporter", "unknown key %q", o.Reporter)
	}
	var why error
	for _, k := range ps {
		switch {
		case k.Role != vocab.RoleMonitor:
			why = pactwatch.FieldErrorf(pactwatch.EINVALID, "reporter", "key %s belongs to a %s, not a monitor: it may not sign observations", o.Reporter, k.Role)
		case k.RevokedAt != nil && !o.SignedAt.Before(*k.RevokedAt):
			why = pactwatch.FieldErrorf(pactwatch.EINVALID, "reporter", "key %s was revoked at %s, before signed_at", o.Reporter, k.RevokedAt.UTC().Format(time.RFC3339))
		case o.SignedAt.Before(k.ValidFrom):
			why = pactwatch.FieldErrorf(pactwatch.EINVALID, "reporter", "key %s is valid only from %s", o.Reporter, k.ValidFrom.UTC().Format(time.RFC3339))
		case !k.ValidUntil.IsZero() && !o.SignedAt.Before(k.ValidUntil):
			why = pactwatch.FieldErrorf(pactwatch.EINVALID, "reporter", "key %s expired at %s", o.Reporter, k.ValidUntil.UTC().Format(time.RFC3339))
		case k.ID != submitter.ID && submitter.Role != vocab.RoleAdmin:
			why = pactwatch.FieldErrorf(pactwatch.EFORBIDDEN, "reporter", "key %s belongs to another principal than this token's", o.Reporter)
		default:
			return k, nil
		}
	}
	return store.Principal{}, why
}

// observationLeaf commits the record to the ledger: salted digests of its
// canonical bytes and of its public projection.
func observationLeaf(rec observation.Record) (store.Leaf, error) {
	canonical, err := observation.CanonicalRecord(rec)
	if err != nil {
		return store.Leaf{}, err
	}
	public, err := observation.CanonicalPublic(observation.Public(rec))
	if err != nil {
		return store.Leaf{}, err
	}
	return NewLeaf(ledger.TypeObservation, rec.ID, rec.ReceivedAt, canonical, public), nil
}

// NewLeaf makes the ledger leaf of a record with fresh random salts:
// canonical is the record's canonical bytes, public its public projection
// (nil for records the public never sees).
func NewLeaf(typ, id string, t time.Time, canonical, public []byte) store.Leaf {
	var salts [64]byte
	if _, err := rand.Read(salts[:]); err != nil {
		panic(err)
	}
	salt, pubSalt := salts[:32:32], salts[32:]
	if public == nil {
		pubSalt = nil
	}
	return store.Leaf{
		Entry:      ledger.NewEntry(typ, id, t, canonical, salt, public, pubSalt),
		Salt:       salt,
		PublicSalt: pubSalt,
	}
}

// view is what a principal may see of a record: admins, auditors and
// analysts the whole record; a monitor its own records in full; everyone
// else the public projection.
func view(p store.Principal, rec observation.Record) any {
	switch {
	case p.Role.SeesWhole():
		return rec
	case p.Role == vocab.RoleMonitor && rec.PrincipalID == p.ID:
		return rec
	default:
		return observation.Public(rec)
	}
}

func seesAll(p store.Principal) bool {
	return p.Role.SeesWhole()
}

func (s *Server) handleGetObservation(w http.ResponseWriter, r *http.Request) {
	rec, err := s.store.Observation(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view(principalOf(r), rec))
}

// ObservationPage is one page of GET /api/v1/observations.
type ObservationPage struct {
	Observations []any  `json:"observations"`
	NextCursor   string `json:"next_cursor,omitempty"` // pass as ?cursor= for the next page
}

func (s *Server) handleListObservations(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	f, err := parseFilter(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if f.Reporter != "" && !seesAll(p) {
		// Filtering by reporter would reveal who reported what.
		s.writeError(w, r, pactwatch.FieldErrorf(pactwatch.EFORBIDDEN, "reporter", "role %s may not filter by reporter", p.Role))
		return
	}
	recs, err := s.store.Observations(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page := ObservationPage{Observations: make([]any, 0, len(recs))}
	for _, rec := range recs {
		v := view(p, rec)
		if pub, ok := v.(observation.PublicObservation); ok && f.BBox != nil && !publicInBBox(pub, *f.BBox) {
			// The store matched on a position the public may not see
			// (the observer's, or the exact one): leave it out so a bbox
			// cannot be used to locate observers.
			continue
		}
		page.Observations = append(page.Observations, v)
	}
	limit := f.Limit
	if limit == 0 {
		limit = store.DefaultLimit
	}
	if len(recs) >= limit && len(recs) > 0 {
		page.NextCursor = strconv.FormatInt(recs[len(recs)-1].Seq, 10)
	}
	writeJSON(w, http.StatusOK, page)
}

// publicInBBox reports whether a public projection's target or origin
// lies inside bbox (min lon, min lat, max lon, max lat).
func publicInBBox(p observation.PublicObservation, bbox [4]float64) bool {
	for _, q := range []*observation.Position{p.Target, p.Origin} {
		if q != nil && q.Lon >= bbox[0] && q.Lat >= bbox[1] && q.Lon <= bbox[2] && q.Lat <= bbox[3] {
			return true
		}
	}
	return false
}

// parseFilter reads GET /api/v1/observations's query: from, to (RFC 3339),
// bbox (min lon,min lat,max lon,max lat), category, reporter, cursor, limit.
func parseFilter(q map[string][]string) (store.ObservationFilter, error) {
	var f store.ObservationFilter
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	for k := range q {
		switch k {
		case "from", "to", "bbox", "category", "reporter", "cursor", "limit":
		default:
			return f, pactwatch.FieldErrorf(pactwatch.EINVALID, k, "unknown query parameter")
		}
	}
	for _, tf := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := get(tf.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, pactwatch.FieldErrorf(pactwatch.EINVALID, tf.name, "want an RFC 3339 time such as 2026-11-20T06:15:00Z")
			}
			*tf.dst = t
		}
	}
	if v := get("bbox"); v != "" {
		parts := strings.Split(v, ",")
		if len(parts) != 4 {
			return f, pactwatch.FieldErrorf(pactwatch.EINVALID, "bbox", "want min_lon,min_lat,max_lon,max_lat")
		}
		var b [4]float64
		for i, s := range parts {
			x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil {
				return f, pactwatch.FieldErrorf(pactwatch.EINVALID, "bbox", "want four numbers")
			}
			b[i] = x
		}
		if b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90 || b[0] > b[2] || b[1] > b[3] {
			return f, pactwatch.FieldErrorf(pactwatch.EINVALID, "bbox", "want -180 ≤ min_lon ≤ max_lon ≤ 180 and -90 ≤ min_lat ≤ max_lat ≤ 90")
		}
		f.BBox = &b
	}
	if v := get("category"); v != "" {
		if !vocab.Category(v).Valid() {
			return f, pactwatch.FieldErrorf(pactwatch.EINVALID, "category", "unknown category %q", v)
		}
		f.Category = vocab.Category(v)
	}
	f.Reporter = get("reporter")
	if v := get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return f, pactwatch.FieldErrorf(pactwatch.EINVALID, "cursor", "not a cursor from a previous page")
		}
		f.After = n
	}
	if v := get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxLimit {
			return f, pactwatch.FieldErrorf(pactwatch.EINVALID, "limit", "want 1 to %d", store.MaxLimit)
		}
		f.Limit = n
	}
	return f, nil
}
