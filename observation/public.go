package observation

import (
	"math"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch/vocab"
)

// Public-projection policy. Positions are snapped to the nearest point of a
// grid: fine enough to place an event against a contact line or a
// withdrawal zone, coarse enough not to pinpoint a monitor's patrol route
// or a camera. The observer, the position that identifies a monitor, gets
// the coarser grid.
const (
	PublicGridDeg         = 0.05 // target and origin: about 5.6 km of latitude
	PublicObserverGridDeg = 0.25 // observer: about 28 km of latitude

	// PublicRadiusStepM is the step public uncertainty radii are rounded
	// up to. Devices and patrols tend to report a fixed radius (a camera's
	// 37 m); published to the metre it would link one source's reports
	// across grid cells.
	PublicRadiusStepM = 500.0
)

// metresPerDegree is the length of one degree of latitude (and of longitude
// at the equator), the spherical approximation used for uncertainty radii.
const metresPerDegree = 111_320.0

// PublicObservation is what the public role sees of a record. Left out, by
// policy: the reporter's key id, the submitting principal, the signature
// (it would identify the key), the narrative and its language (free text
// can name people), the attribution (a raw claim, weighed by analysts
// before anything is attributed publicly), evidence hashes, fire bearing and
// distances (with the origin they would locate the observer), provenance
// except its format, and the store's sequence number.
type PublicObservation struct {
	ID            string            `json:"id"`
	ObservedAt    time.Time         `json:"observed_at"`
	TimePrecision string            `json:"time_precision"`
	ReceivedAt    time.Time         `json:"received_at"`
	Observer      *Position         `json:"observer,omitempty"`
	Target        *Position         `json:"target,omitempty"`
	Origin        *Position         `json:"origin,omitempty"`
	FireDirection string            `json:"fire_direction,omitempty"`
	Category      vocab.Category    `json:"category"`
	Count         int               `json:"count"`
	WeaponClass   vocab.WeaponClass `json:"weapon_class,omitempty"`
	CalibreMM     float64           `json:"calibre_mm,omitempty"`
	SourceType    vocab.SourceType  `json:"source_type"`
	Grade         vocab.Grade       `json:"grade"`
	ImportedFrom  string            `json:"imported_from,omitempty"` // provenance format of imported records
}

// Public returns the public projection of a record.
func Public(r Record) PublicObservation {
	p := PublicObservation{
		ID:            r.ID,
		ObservedAt:    r.ObservedAt.UTC(),
		TimePrecision: r.TimePrecision,
		ReceivedAt:    r.ReceivedAt.UTC(),
		Observer:      coarsen(r.Observer, PublicObserverGridDeg),
		Target:        coarsen(r.Target, PublicGridDeg),
		Origin:        coarsen(r.Origin, PublicGridDeg),
		Category:      r.Category,
		Count:         r.Count,
		WeaponClass:   r.WeaponClass,
		CalibreMM:     r.CalibreMM,
		SourceType:    r.SourceType,
		Grade:         r.Grade,
	}
	if r.Fire != nil {
		p.FireDirection = PublicFireDirection(r.Fire.Direction)
	}
	if r.Provenance != nil {
		p.ImportedFrom = r.Provenance.Format
	}
	return p
}

// CanonicalPublic returns the RFC 8785 bytes of a public projection: what
// the ledger's public digest covers, recomputable by anyone who has the
// published projection and its salt.
func CanonicalPublic(p PublicObservation) ([]byte, error) {
	// Reuse the observation checks for numbers and years.
	check := Observation{Observer: p.Observer, Target: p.Target, Origin: p.Origin, CalibreMM: p.CalibreMM, ObservedAt: p.ObservedAt, SignedAt: p.ReceivedAt}
	if err := checkEncodable(&check); err != nil {
		return nil, err
	}
	return appendPublic(make([]byte, 0, 512), &p), nil
}

// coarsen snaps p to the nearest grid point and widens its uncertainty by
// the most the snapping moved it (half a cell's diagonal), rounded up to
// PublicRadiusStepM, so the public radius still contains the reported one.
func coarsen(p *Position, grid float64) *Position {
	if p == nil {
		return nil
	}
	snap := func(x float64) float64 {
		// Round to micro-degrees too, so 0.05 steps print as 48.05, not
		// 48.050000000000004.
		return math.Round(math.Round(x/grid)*grid*1e6) / 1e6
	}
	half := grid / 2 * metresPerDegree
	// Clamping changes nothing for validated records and keeps the
	// arithmetic finite for any other.
	lat := snap(max(-90, min(90, p.Lat)))
	lon := snap(max(-180, min(180, p.Lon)))
	if lon == -180 {
		lon = 180
	}
	// The east-west half-cell is widest on the cell's edge nearest the
	// equator; using the unscaled width keeps the bound simple and safe.
	// Rounding up to PublicRadiusStepM hides the reported radius (a
	// device's fingerprint) and keeps the circle containing the reported one.
	return &Position{
		Lat:          lat,
		Lon:          lon,
		UncertaintyM: math.Ceil((p.UncertaintyM+math.Sqrt2*half)/PublicRadiusStepM) * PublicRadiusStepM,
	}
}

// compassPoints are the directions a public fire direction may name: eight
// points, 45° each, coarse enough not to locate anyone.
var compassPoints = map[string]bool{"N": true, "NE": true, "E": true, "SE": true, "S": true, "SW": true, "W": true, "NW": true}

// PublicFireDirection returns what the public sees of fire.direction, which
// the signer may fill with any text: "X to Y" for two different points of
// an eight-point compass (written "X to Y", "X→Y", "X->Y" or "X-Y", any
// case and spacing), and "" for anything else. Free text stays private
// for the same reason as the narrative: it can name people and places.
func PublicFireDirection(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	for _, sep := range []string{"→", "->", "-"} {
		s = strings.Replace(s, sep, " TO ", 1)
	}
	f := strings.Fields(s)
	if len(f) != 3 || f[1] != "TO" || !compassPoints[f[0]] || !compassPoints[f[2]] || f[0] == f[2] {
		return ""
	}
	return f[0] + " to " + f[2]
}
