// Package observation defines one report from one source, as a monitor signs
// it, and the record the server stores. The JSON field names are part of the
// signed bytes (docs/observation.md): renaming one breaks every signature.
package observation

import (
	"time"

	"github.com/pactwatch/pactwatch/vocab"
)

// Observation is the signed body of a report. Everything but Signature is
// covered by the signature.
type Observation struct {
	ID            string            `json:"id"`                 // client-chosen UUID; resubmission with the same id is idempotent
	ObservedAt    time.Time         `json:"observed_at"`        // when the event happened (UTC)
	TimePrecision string            `json:"time_precision"`     // "second", "minute", "hour", "day"; "week" or "month" for imports
	SignedAt      time.Time         `json:"signed_at"`          // when the monitor signed; the key must be valid then
	Observer      *Position         `json:"observer,omitempty"` // where the observer was
	Target        *Position         `json:"target,omitempty"`   // the observed point: impact, sighting
	Origin        *Position         `json:"origin,omitempty"`   // estimated origin of fire
	Fire          *Fire             `json:"fire,omitempty"`     // direction and distance of fire from the observer
	Category      vocab.Category    `json:"category"`
	Count         int               `json:"count"` // number of events (explosions, shots, weapons); ≥ 1
	WeaponClass   vocab.WeaponClass `json:"weapon_class,omitempty"`
	CalibreMM     float64           `json:"calibre_mm,omitempty"`
	SourceType    vocab.SourceType  `json:"source_type"`
	Grade         vocab.Grade       `json:"grade"`                 // Admiralty grade, e.g. "B2"
	Attribution   *Attribution      `json:"attribution,omitempty"` // a reported attribution, if any
	Narrative     string            `json:"narrative,omitempty"`   // free text in any language
	Language      string            `json:"language,omitempty"`    // BCP 47 tag of the narrative
	Evidence      []string          `json:"evidence,omitempty"`    // lowercase hex SHA-256 of uploaded evidence
	Provenance    *Provenance       `json:"provenance,omitempty"`  // for imported records: where they came from
	Reporter      string            `json:"reporter"`              // key id of the signing key
	Signature     string            `json:"signature,omitempty"`   // base64 ed25519 over SigningBytes; not itself signed
}

// Position is a WGS84 point with an uncertainty radius in metres.
type Position struct {
	Lat          float64 `json:"lat"`
	Lon          float64 `json:"lon"`
	UncertaintyM float64 `json:"uncertainty_m"`
}

// Fire describes direction and distance of fire as seen from the observer:
// the bearing (degrees from true north) towards the origin, and the
// estimated distance band to it in metres.
type Fire struct {
	BearingDeg   float64 `json:"bearing_deg"`
	BearingErr   float64 `json:"bearing_err_deg,omitempty"`
	DistanceMinM float64 `json:"distance_min_m,omitempty"`
	DistanceMaxM float64 `json:"distance_max_m,omitempty"`
	Direction    string  `json:"direction,omitempty"` // e.g. "W to E" for projectiles in flight
}

// Attribution is who the source says is responsible, with its confidence
// ("low", "medium", "high"). It is a claim, weighed by compliance, not a finding.
type Attribution struct {
	Party      string `json:"party"`
	Confidence string `json:"confidence"`
}

// Provenance records where an imported observation came from.
type Provenance struct {
	Format     string `json:"format"`      // "csv", "geojson", "acled"
	FileSHA256 string `json:"file_sha256"` // hash of the imported file
	Row        int    `json:"row"`         // 1-based row or feature index
	SourceID   string `json:"source_id,omitempty"`
}

// Record is an accepted observation as stored: the signed observation plus
// what the server knew when it accepted it.
type Record struct {
	Observation
	ReceivedAt  time.Time `json:"received_at"`
	PrincipalID string    `json:"principal_id"` // the principal whose token submitted it
	Seq         int64     `json:"seq"`          // store-assigned order of acceptance
}
