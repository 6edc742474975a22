package observation

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/pactwatch/pactwatch"
)

// This file writes RFC 8785 (JCS) bytes of pactwatch's own types directly,
// without encoding/json and a canonicalising pass: the server computes
// several canonical forms per observation (signing bytes, record, public
// projection), and writing them directly is several times cheaper. The
// tests check the output byte for byte against github.com/gowebpki/jcs of
// encoding/json's output, for the test vectors, the golden records and every
// input FuzzDecode accepts.

// obj writes one JSON object's members, which callers must add in RFC 8785
// order: sorted by name (all pactwatch names are ASCII, so byte order is
// the RFC's UTF-16 order). The tests catch a member out of order.
type obj struct {
	b    []byte
	more bool
}

func openObj(b []byte) obj { return obj{b: append(b, '{')} }

func (w *obj) close() []byte { return append(w.b, '}') }

func (w *obj) key(name string) {
	if w.more {
		w.b = append(w.b, ',')
	}
	w.more = true
	w.b = append(w.b, '"')
	w.b = append(w.b, name...)
	w.b = append(w.b, '"', ':')
}

func (w *obj) str(name, s string) { w.key(name); w.b = appendString(w.b, s) }

// optStr writes a string member only when it is not empty (omitempty).
func (w *obj) optStr(name, s string) {
	if s != "" {
		w.str(name, s)
	}
}

func (w *obj) num(name string, f float64) { w.key(name); w.b = appendNumber(w.b, f) }

// optNum writes a number member only when it is not zero (omitempty).
func (w *obj) optNum(name string, f float64) {
	if f != 0 {
		w.num(name, f)
	}
}

func (w *obj) int(name string, n int) { w.key(name); w.b = strconv.AppendInt(w.b, int64(n), 10) }

func (w *obj) time(name string, t time.Time) { w.key(name); w.b = appendTime(w.b, t) }

func (w *obj) position(name string, p *Position) {
	if p == nil {
		return
	}
	w.key(name)
	pw := openObj(w.b)
	pw.num("lat", p.Lat)
	pw.num("lon", p.Lon)
	pw.num("uncertainty_m", p.UncertaintyM)
	w.b = pw.close()
}

// recordExtra holds the members a Record adds to its observation.
type recordExtra struct {
	receivedAt  time.Time
	principalID string
}

// appendObservation writes o as encoding/json with the struct's tags
// would, canonicalised; extra, when not nil, adds a record's members.
func appendObservation(b []byte, o *Observation, extra *recordExtra) []byte {
	w := openObj(b)
	if a := o.Attribution; a != nil {
		w.key("attribution")
		aw := openObj(w.b)
		aw.str("confidence", a.Confidence)
		aw.str("party", a.Party)
		w.b = aw.close()
	}
	w.optNum("calibre_mm", o.CalibreMM)
	w.str("category", string(o.Category))
	w.int("count", o.Count)
	if len(o.Evidence) > 0 {
		w.key("evidence")
		w.b = append(w.b, '[')
		for i, h := range o.Evidence {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = appendString(w.b, h)
		}
		w.b = append(w.b, ']')
	}
	if f := o.Fire; f != nil {
		w.key("fire")
		fw := openObj(w.b)
		fw.num("bearing_deg", f.BearingDeg)
		fw.optNum("bearing_err_deg", f.BearingErr)
		fw.optStr("direction", f.Direction)
		fw.optNum("distance_max_m", f.DistanceMaxM)
		fw.optNum("distance_min_m", f.DistanceMinM)
		w.b = fw.close()
	}
	w.str("grade", string(o.Grade))
	w.str("id", o.ID)
	w.optStr("language", o.Language)
	w.optStr("narrative", o.Narrative)
	w.time("observed_at", o.ObservedAt)
	w.position("observer", o.Observer)
	w.position("origin", o.Origin)
	if extra != nil {
		w.str("principal_id", extra.principalID)
	}
	if p := o.Provenance; p != nil {
		w.key("provenance")
		pw := openObj(w.b)
		pw.str("file_sha256", p.FileSHA256)
		pw.str("format", p.Format)
		pw.int("row", p.Row)
		pw.optStr("source_id", p.SourceID)
		w.b = pw.close()
	}
	if extra != nil {
		w.time("received_at", extra.receivedAt)
	}
	w.str("reporter", o.Reporter)
	w.optStr("signature", o.Signature)
	w.time("signed_at", o.SignedAt)
	w.str("source_type", string(o.SourceType))
	w.position("target", o.Target)
	w.str("time_precision", o.TimePrecision)
	w.optStr("weapon_class", string(o.WeaponClass))
	return w.close()
}

// appendPublic writes a public projection, canonicalised.
func appendPublic(b []byte, p *PublicObservation) []byte {
	w := openObj(b)
	w.optNum("calibre_mm", p.CalibreMM)
	w.str("category", string(p.Category))
	w.int("count", p.Count)
	w.optStr("fire_direction", p.FireDirection)
	w.str("grade", string(p.Grade))
	w.str("id", p.ID)
	w.optStr("imported_from", p.ImportedFrom)
	w.time("observed_at", p.ObservedAt)
	w.position("observer", p.Observer)
	w.position("origin", p.Origin)
	w.time("received_at", p.ReceivedAt)
	w.str("source_type", string(p.SourceType))
	w.position("target", p.Target)
	w.str("time_precision", p.TimePrecision)
	w.optStr("weapon_class", string(p.WeaponClass))
	return w.close()
}

// checkEncodable reports what encoding/json would refuse: NaN and
// infinities, and times whose year is not four digits. The direct encoder
// must refuse the same, or it would sign what no JSON can carry.
func checkEncodable(o *Observation, times ...time.Time) error {
	bad := !finite(o.CalibreMM)
	for _, p := range [...]*Position{o.Observer, o.Target, o.Origin} {
		bad = bad || p != nil && !(finite(p.Lat) && finite(p.Lon) && finite(p.UncertaintyM))
	}
	if f := o.Fire; f != nil {
		bad = bad || !(finite(f.BearingDeg) && finite(f.BearingErr) && finite(f.DistanceMinM) && finite(f.DistanceMaxM))
	}
	if bad {
		return pactwatch.Errorf(pactwatch.EINVALID, "cannot be encoded: a number is NaN or infinite")
	}
	for _, t := range [...]time.Time{o.ObservedAt, o.SignedAt} {
		if err := checkYear(t); err != nil {
			return err
		}
	}
	for _, t := range times {
		if err := checkYear(t); err != nil {
			return err
		}
	}
	return nil
}

func checkYear(t time.Time) error {
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return pactwatch.Errorf(pactwatch.EINVALID, "cannot be encoded: year %d outside 0–9999", y)
	}
	return nil
}

// appendTime writes t in the wire format: RFC 3339 in UTC, a fraction only
// when non-zero and without trailing zeros.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendNumber writes f as ECMAScript's Number.prototype.toString does,
// which RFC 8785 requires: the shortest decimal that round-trips, in plain
// notation for 1e-6 ≤ |f| < 1e21, otherwise as d.ddde±x. (The same rule as
// encoding/json's float encoding.)
func appendNumber(b []byte, f float64) []byte {
	if f == 0 {
		return append(b, '0') // also for -0
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs < 1e-6 || abs >= 1e21 {
		format = 'e'
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9.
		n := len(b) - start
		if n >= 4 && b[len(b)-4] == 'e' && b[len(b)-3] == '-' && b[len(b)-2] == '0' {
			b[len(b)-2] = b[len(b)-1]
			b = b[:len(b)-1]
		}
	}
	return b
}

// appendString writes s as an RFC 8785 string: only '"', '\\' and control
// characters escaped (the short forms \b \t \n \f \r, else \u00xx in
// lowercase hex); everything else as UTF-8. Invalid UTF-8 becomes U+FFFD,
// as encoding/json writes it (Validate rejects such strings anyway).
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c >= 0x20:
				b = append(b, c)
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c == '\r':
				b = append(b, '\\', 'r')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\ufffd"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
