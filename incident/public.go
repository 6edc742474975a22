package incident

import (
	"math"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

// PublicIncident is what the public sees of a verified incident: what
// happened, when and roughly where, and on how many reports of which kinds
// it rests. Left out, by the same policy as observation.Public: reporters,
// analysts and their notes, claims, bearings and observers' positions;
// positions are snapped to observation.PublicGridDeg with the radius
// widened so it still holds the true one.
type PublicIncident struct {
	ID           string                    `json:"id"`
	Version      int                       `json:"version"`
	Family       vocab.Family              `json:"family"`
	First        time.Time                 `json:"first"`
	Last         time.Time                 `json:"last"`
	Location     *Disc                     `json:"location,omitempty"`
	Origin       *Disc                     `json:"origin,omitempty"`
	Counts       map[vocab.Category]int    `json:"counts"`
	Weapons      map[vocab.WeaponClass]int `json:"weapons,omitempty"`
	Sources      map[vocab.SourceType]int  `json:"sources"`      // reports per source type
	Observations []string                  `json:"observations"` // ids of the public observations
}

// Visible reports whether the public may see the incident: verified ones
// only.
func (inc *Incident) Visible() bool { return inc.Status == Verified }

// Public returns the public projection of the incident.
func Public(inc *Incident) PublicIncident {
	p := PublicIncident{ID: inc.ID, Version: inc.Version, Family: inc.Family, First: inc.First.UTC(), Last: inc.Last.UTC(),
		Location: coarsen(inc.Location), Origin: coarsen(inc.Origin), Counts: inc.Counts, Weapons: inc.Weapons,
		Sources: map[vocab.SourceType]int{}, Observations: sortedIDs(inc.ObservationIDs())}
	for i := range inc.Reports {
		p.Sources[inc.Reports[i].SourceType]++
	}
	return p
}

// CanonicalPublic returns the RFC 8785 bytes of a public projection.
func CanonicalPublic(p PublicIncident) ([]byte, error) { return canonicalJSON(p) }

// coarsen snaps a disc to the public grid, widening its radius by the most
// the snapping moved it (half a cell's diagonal, on the unscaled degree).
func coarsen(d *Disc) *Disc {
	if d == nil {
		return nil
	}
	g := observation.PublicGridDeg
	snap := func(x float64) float64 { return math.Round(math.Round(x/g)*g*1e6) / 1e6 }
	half := g / 2 * 111.32
	return &Disc{Point: orb.Point{snap(d.Point[0]), snap(d.Point[1])}, RadiusKm: math.Ceil((d.RadiusKm+math.Sqrt2*half)*1000) / 1000}
}
