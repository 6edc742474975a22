package intake

import (
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

// geoFeature is one GeoJSON feature (RFC 7946). Its Point geometry is the
// observed point (target); its properties mirror the observation's fields.
type geoFeature struct {
	Type       string         `json:"type"`
	ID         jsontext.Value `json:"id,omitzero"`
	BBox       jsontext.Value `json:"bbox,omitzero"`
	Geometry   jsontext.Value `json:"geometry"`
	Properties *geoProperties `json:"properties"`
}

type geoProperties struct {
	ID            string                   `json:"id"`
	ObservedAt    string                   `json:"observed_at"`
	TimePrecision string                   `json:"time_precision"`
	UncertaintyM  *float64                 `json:"uncertainty_m"` // of the point
	Observer      *observation.Position    `json:"observer"`
	Origin        *observation.Position    `json:"origin"`
	Fire          *observation.Fire        `json:"fire"`
	Category      string                   `json:"category"`
	Count         *int                     `json:"count"`
	WeaponClass   string                   `json:"weapon_class"`
	CalibreMM     float64                  `json:"calibre_mm"`
	SourceType    string                   `json:"source_type"`
	Grade         string                   `json:"grade"`
	Attribution   *observation.Attribution `json:"attribution"`
	Narrative     string                   `json:"narrative"`
	Language      string                   `json:"language"`
	Evidence      []string                 `json:"evidence"`
	SourceID      string                   `json:"source_id"`
}

type geoPoint struct {
	Type        string         `json:"type"`
	Coordinates []float64      `json:"coordinates"`
	BBox        jsontext.Value `json:"bbox,omitzero"`
}

func (im *importer) geojson(data []byte) error {
	var fc struct {
		Type     string           `json:"type"`
		Features []jsontext.Value `json:"features"`
	}
	// Other top-level members (name, crs, bbox, a tool's metadata) are
	// allowed: they describe the file, not the observations.
	if err := jsonv2.Unmarshal(data, &fc); err != nil {
		return observation.JSONError(err, "")
	}
	if fc.Type != "FeatureCollection" {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "type", "want a GeoJSON FeatureCollection, got type %q", fc.Type)
	}
	for i, raw := range fc.Features {
		row := i + 1
		if err := im.countRow(); err != nil {
			return err
		}
		o, err := im.feature(raw, row)
		if err != nil {
			im.rejectErr(row, err)
			continue
		}
		im.add(row, o.Provenance.SourceID, o)
	}
	return nil
}

// feature maps one feature. The provenance it returns carries only the
// source id; add completes it.
func (im *importer) feature(raw jsontext.Value, row int) (observation.Observation, error) {
	var f geoFeature
	if err := jsonv2.Unmarshal(raw, &f, jsonv2.RejectUnknownMembers(true)); err != nil {
		return observation.Observation{}, observation.JSONError(err, "")
	}
	if f.Type != "Feature" {
		return observation.Observation{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "type", "want a Feature")
	}
	p := f.Properties
	if p == nil {
		return observation.Observation{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "properties", "required")
	}
	at, prec, err := parseTime(p.ObservedAt)
	if err != nil {
		return observation.Observation{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "properties.observed_at", "%v", err)
	}
	if p.TimePrecision != "" {
		prec = p.TimePrecision
	}
	o := observation.Observation{
		ID:            p.ID,
		ObservedAt:    at,
		TimePrecision: prec,
		Observer:      p.Observer,
		Origin:        p.Origin,
		Fire:          p.Fire,
		Category:      vocab.Category(p.Category),
		Count:         1,
		WeaponClass:   vocab.WeaponClass(p.WeaponClass),
		CalibreMM:     p.CalibreMM,
		SourceType:    vocab.SourceType(p.SourceType),
		Grade:         vocab.Grade(p.Grade),
		Attribution:   p.Attribution,
		Narrative:     p.Narrative,
		Language:      p.Language,
		Evidence:      p.Evidence,
		Provenance:    &observation.Provenance{SourceID: p.SourceID},
	}
	if p.Count != nil {
		o.Count = *p.Count
	}
	if p.SourceID == "" {
		o.Provenance.SourceID = featureID(f.ID)
	}
	if o.SourceType == "" {
		o.SourceType = im.opt.SourceType
	}
	if o.Grade == "" {
		o.Grade = im.defaultGrade()
	}
	if len(f.Geometry) > 0 && f.Geometry.Kind() != 'n' {
		var g geoPoint
		if err := jsonv2.Unmarshal(f.Geometry, &g, jsonv2.RejectUnknownMembers(true)); err != nil || g.Type != "Point" {
			return observation.Observation{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "geometry", "want a Point (or null with an observer or origin)")
		}
		if n := len(g.Coordinates); n != 2 && n != 3 {
			return observation.Observation{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "geometry.coordinates", "want [longitude, latitude]")
		}
		u := DefaultUncertaintyM
		if p.UncertaintyM != nil {
			u = *p.UncertaintyM
		}
		o.Target = &observation.Position{Lon: g.Coordinates[0], Lat: g.Coordinates[1], UncertaintyM: u}
	} else if p.UncertaintyM != nil {
		return observation.Observation{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "properties.uncertainty_m", "given without a Point geometry")
	}
	if o.ID == "" {
		o.ID = im.id(im.rowName(row))
	}
	return o, nil
}

// featureID returns a feature's own "id" (a string or a number, RFC 7946
// §3.2) as text, the source id of an observation whose properties name
// none.
func featureID(v jsontext.Value) string {
	switch v.Kind() {
	case '"':
		var s string
		if jsonv2.Unmarshal(v, &s) == nil {
			return s
		}
	case '0':
		return string(v)
	}
	return ""
}
