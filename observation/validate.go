package observation

import (
	"errors"
	"math"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/language"

	"github.com/pactwatch/pactwatch"
)

// Time precisions: how exactly observed_at is known. Field reports use
// second to day; "week" and "month" exist for imported event data (ACLED's
// time_precision 2 and 3), whose observed_at is then a representative day.
const (
	PrecisionSecond = "second"
	PrecisionMinute = "minute"
	PrecisionHour   = "hour"
	PrecisionDay    = "day"
	PrecisionWeek   = "week"
	PrecisionMonth  = "month"
)

// Limits. They bound what one report can claim so that a typo (a count of
// 1e9, an uncertainty of the whole planet) is caught at intake rather than
// skewing every report built on it.
const (
	MaxCount          = 100_000   // events in one observation; OSCE counted >2,300 explosions in one spot report
	MaxUncertaintyM   = 250_000.0 // metres; ACLED's coarsest geo_precision is ~50 km
	MaxFireDistanceM  = 500_000.0 // metres; beyond the longest-range tactical systems
	MaxCalibreMM      = 1_000.0
	MaxNarrativeBytes = 16 << 10
	MaxEvidence       = 64
	MaxShortText      = 200 // bytes: attribution party, fire direction, provenance source id

	// SignedBeforeObservedSlack is how far signed_at may precede
	// observed_at: devices' clocks disagree a little, but a report cannot be
	// signed long before the event it reports.
	SignedBeforeObservedSlack = 5 * time.Minute
)

// minTime is the earliest observed_at accepted: older event data is not
// what a monitoring mission imports, and it keeps years four-digit.
var minTime = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

var precisions = map[string]time.Duration{
	PrecisionSecond: 0, PrecisionMinute: time.Minute, PrecisionHour: time.Hour,
	PrecisionDay: 24 * time.Hour, PrecisionWeek: 24 * time.Hour, PrecisionMonth: 24 * time.Hour,
}

var confidences = map[string]bool{"low": true, "medium": true, "high": true}

// provenanceFormats are the import formats a provenance may name.
var provenanceFormats = map[string]bool{"csv": true, "geojson": true, "acled": true}

// Validate checks every field rule of an observation as of now, allowing
// clocks to run up to skew ahead of the server's. It returns nil, one
// EINVALID *pactwatch.Error, or several joined (FieldErrors lists them);
// each names its field as a JSON path.
//
// Reporter and signature are checked for form only when present: Verify
// decides whether they are right.
func (o Observation) Validate(now time.Time, skew time.Duration) error {
	v := &validator{}
	v.uuid("id", o.ID)

	prec, ok := precisions[o.TimePrecision]
	if !ok {
		v.add("time_precision", "want one of second, minute, hour, day, week, month")
	}
	latest := now.Add(skew)
	switch {
	case o.ObservedAt.IsZero():
		v.add("observed_at", "required")
	case o.ObservedAt.Before(minTime):
		v.add("observed_at", "before 1900")
	case o.ObservedAt.After(latest):
		v.add("observed_at", "in the future (server time "+now.UTC().Format(time.RFC3339)+")")
	case ok && prec > 0 && !o.ObservedAt.Equal(o.ObservedAt.UTC().Truncate(prec)):
		v.add("observed_at", "not truncated to its time_precision "+o.TimePrecision)
	}
	switch {
	case o.SignedAt.IsZero():
		v.add("signed_at", "required")
	case o.SignedAt.After(latest):
		v.add("signed_at", "in the future (server time "+now.UTC().Format(time.RFC3339)+")")
	case !o.ObservedAt.IsZero() && o.SignedAt.Before(o.ObservedAt.Add(-SignedBeforeObservedSlack)):
		v.add("signed_at", "before observed_at")
	}

	if o.Observer == nil && o.Target == nil && o.Origin == nil {
		v.add("target", "at least one of observer, target, origin is required")
	}
	v.position("observer", o.Observer)
	v.position("target", o.Target)
	v.position("origin", o.Origin)
	if o.Fire != nil {
		v.fire(o.Fire)
		if o.Observer == nil {
			v.add("fire", "needs observer: bearing and distance are measured from the observer")
		}
	}

	if !o.Category.Valid() {
		v.add("category", "unknown category "+strconv.Quote(string(o.Category)))
	}
	if o.Count < 1 || o.Count > MaxCount {
		v.add("count", "want 1 to "+strconv.Itoa(MaxCount))
	}
	if o.WeaponClass != "" && !o.WeaponClass.Valid() {
		v.add("weapon_class", "unknown weapon class "+strconv.Quote(string(o.WeaponClass)))
	}
	if o.CalibreMM != 0 {
		switch {
		case !finite(o.CalibreMM) || o.CalibreMM < 0 || o.CalibreMM > MaxCalibreMM:
			v.add("calibre_mm", "want a calibre in millimetres up to 1000")
		case o.WeaponClass == "":
			v.add("calibre_mm", "needs weapon_class")
		case o.WeaponClass.Valid() && !o.WeaponClass.AcceptsCalibre(o.CalibreMM):
			v.add("calibre_mm", "calibre "+strconv.FormatFloat(o.CalibreMM, 'f', -1, 64)+" mm does not fit weapon class "+string(o.WeaponClass))
		}
	}
	if !o.SourceType.Valid() {
		v.add("source_type", "unknown source type "+strconv.Quote(string(o.SourceType)))
	}
	if !o.Grade.Valid() {
		v.add("grade", "want an Admiralty grade: reliability A–F then credibility 1–6, e.g. B2")
	}
	if a := o.Attribution; a != nil {
		v.shortText("attribution.party", a.Party, true)
		if !confidences[a.Confidence] {
			v.add("attribution.confidence", "want low, medium or high")
		}
	}
	switch {
	case len(o.Narrative) > MaxNarrativeBytes:
		v.add("narrative", "longer than "+strconv.Itoa(MaxNarrativeBytes)+" bytes")
	case !utf8.ValidString(o.Narrative):
		v.add("narrative", "not valid UTF-8")
	}
	if o.Language != "" {
		if _, err := language.Parse(o.Language); err != nil || len(o.Language) > 35 {
			v.add("language", "want a BCP 47 language tag such as uk or en-GB")
		} else if o.Narrative == "" {
			v.add("language", "language without a narrative")
		}
	}
	if len(o.Evidence) > MaxEvidence {
		v.add("evidence", "more than "+strconv.Itoa(MaxEvidence)+" items")
	}
	seen := make(map[string]bool, len(o.Evidence))
	for i, h := range o.Evidence {
		p := "evidence[" + strconv.Itoa(i) + "]"
		switch {
		case !IsSHA256Hex(h):
			v.add(p, "want a SHA-256 as 64 lowercase hex characters")
		case seen[h]:
			v.add(p, "duplicate evidence hash")
		}
		seen[h] = true
	}
	if p := o.Provenance; p != nil {
		if !provenanceFormats[p.Format] {
			v.add("provenance.format", "want csv, geojson or acled")
		}
		if !IsSHA256Hex(p.FileSHA256) {
			v.add("provenance.file_sha256", "want a SHA-256 as 64 lowercase hex characters")
		}
		if p.Row < 1 {
			v.add("provenance.row", "want a row number from 1")
		}
		v.shortText("provenance.source_id", p.SourceID, false)
	}
	if o.Reporter != "" && !isLowerHex(o.Reporter, KeyIDLen) {
		v.add("reporter", "want a key id: 16 lowercase hex characters")
	}
	if o.Signature != "" {
		if _, err := DecodeSignature(o.Signature); err != nil {
			v.errs = append(v.errs, err)
		}
	}
	return v.err()
}

type validator struct{ errs []error }

func (v *validator) add(field, msg string) {
	v.errs = append(v.errs, pactwatch.FieldErrorf(pactwatch.EINVALID, field, "%s", msg))
}

func (v *validator) err() error {
	switch len(v.errs) {
	case 0:
		return nil
	case 1:
		return v.errs[0]
	}
	return errors.Join(v.errs...)
}

// idVersions are the UUID versions an id may have. The id is public (in
// the public projection and the public ledger entry), so it must not link
// reports to their source: v4 is random, v5 a hash of a name (imports and
// drafts derive it), v7 a millisecond time plus random bits. v1 and v6
// carry the generating device's MAC address and a 100-ns clock, which
// would make every report of one device linkable; v3 (MD5) and v8
// (anything) say nothing about what they hold.
var idVersions = map[uuid.Version]bool{4: true, 5: true, 7: true}

func (v *validator) uuid(field, s string) {
	u, err := uuid.Parse(s)
	switch {
	case err != nil || len(s) != 36 || u.String() != s:
		v.add(field, "want a UUID in lowercase 8-4-4-4-12 form")
	case u == uuid.Nil:
		v.add(field, "the nil UUID is not an id")
	case u.Variant() != uuid.RFC4122:
		v.add(field, "want an RFC 9562 UUID (variant bits 10)")
	case !idVersions[u.Version()]:
		v.add(field, "UUID version "+strconv.Itoa(int(u.Version()))+" is not accepted: want a random (version 4), name-based (version 5) or time-ordered (version 7) UUID; versions 1 and 6 reveal the device's MAC address")
	}
}

func (v *validator) position(field string, p *Position) {
	if p == nil {
		return
	}
	if !finite(p.Lat) || p.Lat < -90 || p.Lat > 90 {
		v.add(field+".lat", "want a latitude from -90 to 90")
	}
	if !finite(p.Lon) || p.Lon < -180 || p.Lon > 180 {
		v.add(field+".lon", "want a longitude from -180 to 180")
	}
	if !finite(p.UncertaintyM) || p.UncertaintyM < 0 || p.UncertaintyM > MaxUncertaintyM {
		v.add(field+".uncertainty_m", "want metres from 0 to 250000")
	}
}

func (v *validator) fire(f *Fire) {
	if !finite(f.BearingDeg) || f.BearingDeg < 0 || f.BearingDeg >= 360 {
		v.add("fire.bearing_deg", "want degrees from true north, 0 up to but not including 360")
	}
	if !finite(f.BearingErr) || f.BearingErr < 0 || f.BearingErr > 180 {
		v.add("fire.bearing_err_deg", "want degrees from 0 to 180")
	}
	if !finite(f.DistanceMinM) || f.DistanceMinM < 0 || f.DistanceMinM > MaxFireDistanceM {
		v.add("fire.distance_min_m", "want metres from 0 to 500000")
	}
	if !finite(f.DistanceMaxM) || f.DistanceMaxM < 0 || f.DistanceMaxM > MaxFireDistanceM {
		v.add("fire.distance_max_m", "want metres from 0 to 500000")
	} else if f.DistanceMaxM != 0 && f.DistanceMaxM < f.DistanceMinM {
		v.add("fire.distance_max_m", "less than distance_min_m")
	}
	v.shortText("fire.direction", f.Direction, false)
}

// shortText checks a one-line label: valid UTF-8, no control characters,
// at most MaxShortText bytes.
func (v *validator) shortText(field, s string, required bool) {
	switch {
	case s == "" && required:
		v.add(field, "required")
	case len(s) > MaxShortText:
		v.add(field, "longer than "+strconv.Itoa(MaxShortText)+" bytes")
	case !utf8.ValidString(s):
		v.add(field, "not valid UTF-8")
	default:
		for _, r := range s {
			if unicode.IsControl(r) {
				v.add(field, "contains a control character")
				return
			}
		}
	}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// IsSHA256Hex reports whether s is a SHA-256 digest as 64 lowercase hex
// characters, the form evidence and files are named by.
func IsSHA256Hex(s string) bool { return isLowerHex(s, 64) }

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
