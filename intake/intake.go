// Package intake maps other tools' exports — pactwatch's own CSV columns,
// GeoJSON point features, ACLED event data — into unsigned observations
// that keep their provenance (format, file hash, row). The importing
// principal then signs them like any report (observation.Sign), so an
// imported record is as accountable as a patrol's.
//
// Imports are deterministic: the same file yields the same observation ids
// (keyed by the mission's ImportOptions.IDKey, so that only the mission can
// compute them), and with ImportOptions.SignedAt fixed the same signed
// bytes, so importing it again is a no-op — the server finds the ids
// already stored with the same bytes.
package intake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

// Formats lists the formats Import reads.
var Formats = []string{"csv", "geojson", "acled"}

// Default limits.
const (
	DefaultMaxBytes = 64 << 20
	DefaultMaxRows  = 200_000
)

// DefaultUncertaintyM is the uncertainty radius given to a position whose
// file states none: a town-sized circle, honest about not knowing better.
const DefaultUncertaintyM = 1000.0

// DefaultGrade is the Admiralty grade of imported rows that carry none:
// reliability cannot be judged, credibility cannot be judged.
const DefaultGrade vocab.Grade = "F6"

// namespace is the UUIDv5 namespace of imported observation ids.
var namespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/pactwatch/pactwatch/intake"))

// ImportOptions tune an import. The zero value is usable.
type ImportOptions struct {
	// Now is the clock: imported observations are validated against it
	// and, unless SignedAt is set, signed at Now (to the second). Default
	// time.Now.
	Now func() time.Time
	// Skew is the clock-skew allowance passed to Validate.
	Skew time.Duration
	// SourceType is used for csv and geojson rows without a source_type
	// (default open_source). ACLED rows are always open_source.
	SourceType vocab.SourceType
	// Grade is used for rows without a grade (default F6; ACLED rows are
	// graded from source_scale unless Grade is set).
	Grade vocab.Grade
	// MaxBytes and MaxRows bound the file (ETOOLARGE beyond them).
	MaxBytes int64
	MaxRows  int
	// IDKey is the mission's secret key for import ids (at least
	// MinIDKeyLen bytes), the same for every import of one mission. Ids
	// are then HMAC-SHA-256 of the row's name under IDKey, shaped as
	// version 4 UUIDs: ids are public (projection and ledger), and without
	// a key anyone holding a spreadsheet could compute its ids and ask the
	// ledger whether the mission imported it. Without IDKey the ids are
	// the public UUIDv5 of the name — fit only for files that are public
	// anyway, and for dry runs.
	IDKey []byte
	// SignedAt, when set, is the signed_at of every imported observation
	// (to the second) instead of Now. The signed bytes of a row then
	// depend on the file and IDKey alone, so importing it again is a no-op:
	// the server finds the same ids with the same bytes already stored.
	// It must not be after Now (+Skew). Rows observed more than
	// observation.SignedBeforeObservedSlack after it are rejected.
	SignedAt time.Time
}

// MinIDKeyLen is the shortest IDKey accepted: 128 bits.
const MinIDKeyLen = 16

// Reject is a row (or GeoJSON feature) that was not imported, and why.
// Row is the 1-based line of a CSV record (the header is line 1) or the
// 1-based index of a GeoJSON feature.
type Reject struct {
	Row    int    `json:"row"`
	Reason string `json:"reason"`
}

// Import reads a whole file in the format ("csv", "geojson", "acled") and
// returns the observations it maps to, ready to sign, and every row it
// rejects with the reason. err is for problems with the file as a whole: an
// unknown format, a file over the size or row limit (ETOOLARGE), a missing
// or unknown header column, a GeoJSON document that is not a
// FeatureCollection.
func Import(format string, r io.Reader, opt ImportOptions) (obs []observation.Observation, rejects []Reject, err error) {
	opt = opt.withDefaults()
	if !opt.SourceType.Valid() {
		return nil, nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "source_type", "unknown source type %q", opt.SourceType)
	}
	if n := len(opt.IDKey); n > 0 && n < MinIDKeyLen {
		return nil, nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "id_key", "want a key of at least %d bytes, got %d", MinIDKeyLen, n)
	}
	if !opt.SignedAt.IsZero() && opt.SignedAt.After(opt.Now().Add(opt.Skew)) {
		return nil, nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "signed_at", "%s is in the future (now %s)",
			opt.SignedAt.UTC().Format(time.RFC3339), opt.Now().UTC().Format(time.RFC3339))
	}
	if opt.Grade != "" && !opt.Grade.Valid() {
		return nil, nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "grade", "want an Admiralty grade such as B2, got %q", opt.Grade)
	}
	data, err := io.ReadAll(io.LimitReader(r, opt.MaxBytes+1))
	if err != nil {
		return nil, nil, pactwatch.Errorf(pactwatch.EINVALID, "reading the file: %v", err)
	}
	if int64(len(data)) > opt.MaxBytes {
		return nil, nil, pactwatch.Errorf(pactwatch.ETOOLARGE, "file larger than %d bytes", opt.MaxBytes)
	}
	signedAt := opt.SignedAt
	if signedAt.IsZero() {
		signedAt = opt.Now()
	}
	im := &importer{opt: opt, format: format, fileHash: fileSHA256(data), signedAt: signedAt.UTC().Truncate(time.Second)}
	switch format {
	case "csv":
		err = im.csv(data)
	case "geojson":
		err = im.geojson(data)
	case "acled":
		err = im.acled(data)
	default:
		return nil, nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "format", "unknown format %q: want one of %s", format, strings.Join(Formats, ", "))
	}
	if err != nil {
		return nil, nil, err
	}
	return im.obs, im.rejects, nil
}

// fileSHA256 names a file in provenance: lowercase hex SHA-256.
func fileSHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func (o ImportOptions) withDefaults() ImportOptions {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SourceType == "" {
		o.SourceType = vocab.OpenSource
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
	return o
}

// importer accumulates one import's results.
type importer struct {
	opt      ImportOptions
	format   string
	fileHash string
	signedAt time.Time
	obs      []observation.Observation
	rejects  []Reject
	rows     int
	seen     map[string]int // id → row, to reject duplicates within a file
}

// countRow enforces MaxRows.
func (im *importer) countRow() error {
	im.rows++
	if im.rows > im.opt.MaxRows {
		return pactwatch.Errorf(pactwatch.ETOOLARGE, "more than %d rows", im.opt.MaxRows)
	}
	return nil
}

func (im *importer) reject(row int, format string, args ...any) {
	im.rejects = append(im.rejects, Reject{Row: row, Reason: fmt.Sprintf(format, args...)})
}

// rejectErr records a row rejected by an error, naming its field.
func (im *importer) rejectErr(row int, err error) {
	var parts []string
	for _, e := range observation.FieldErrors(err) {
		parts = append(parts, pactwatch.ErrorMessage(e))
	}
	im.rejects = append(im.rejects, Reject{Row: row, Reason: strings.Join(parts, "; ")})
}

// idContext separates import ids from any other use of the mission's key.
const idContext = "pactwatch/intake/id/v1\n"

// id returns the deterministic id of the observation made from name: the
// first 16 bytes of HMAC-SHA-256(IDKey, context ‖ name) with the version 4
// and RFC 9562 variant bits set (a keyed pseudorandom function is
// indistinguishable from random to whoever lacks the key), or without a key
// the public UUIDv5 of name.
func (im *importer) id(name string) string {
	if len(im.opt.IDKey) == 0 {
		return uuid.NewSHA1(namespace, []byte(name)).String()
	}
	mac := hmac.New(sha256.New, im.opt.IDKey)
	mac.Write([]byte(idContext + name))
	var u uuid.UUID
	copy(u[:], mac.Sum(nil))
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u.String()
}

// rowName names a row of this file for id.
func (im *importer) rowName(row int) string {
	return im.format + ":" + im.fileHash + ":" + strconv.Itoa(row)
}

// add completes o (signed_at, provenance), validates it and keeps it or
// rejects its row.
func (im *importer) add(row int, sourceID string, o observation.Observation) {
	o.SignedAt = im.signedAt
	o.Provenance = &observation.Provenance{Format: im.format, FileSHA256: im.fileHash, Row: row, SourceID: sourceID}
	if err := o.Validate(im.opt.Now(), im.opt.Skew); err != nil {
		im.rejectErr(row, err)
		return
	}
	if first, dup := im.seen[o.ID]; dup {
		im.reject(row, "id: %s already imported from row %d of this file", o.ID, first)
		return
	}
	if im.seen == nil {
		im.seen = make(map[string]int)
	}
	im.seen[o.ID] = row
	im.obs = append(im.obs, o)
}

// parseTime reads an observation time: RFC 3339 (any offset, converted to
// UTC; precision second, or minute when the seconds are zero) or a bare
// date (precision day).
func parseTime(s string) (time.Time, string, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, observation.PrecisionDay, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, "", errors.New("want an RFC 3339 time such as 2026-11-20T06:15:00Z, or a date 2026-11-20")
	}
	t = t.UTC()
	if t.Equal(t.Truncate(time.Minute)) {
		return t, observation.PrecisionMinute, nil
	}
	return t, observation.PrecisionSecond, nil
}

// parseFloat parses a decimal number, rejecting NaN and infinities (the
// strconv spellings a spreadsheet should never produce).
func parseFloat(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f != f || f > 1e300 || f < -1e300 {
		return 0, errors.New("not a number")
	}
	return f, nil
}

// sortedKeys returns m's keys in order, for stable messages.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
