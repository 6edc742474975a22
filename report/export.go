package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
)

// WriteJSON writes the report as indented JSON (Schema), for people and
// tools; Record gives the canonical bytes the ledger commits to.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Publication is a report as a ledger record: append it with
// store.AppendRecords as a GenericRecord of type ledger.TypeReport, ID and
// Time as given and Body as both the record and its public projection (a
// published report is public as a whole).
type Publication struct {
	ID   string    // "report:daily:2026-11-20"
	Time time.Time // the report's "as of" time, UTC
	Body []byte    // RFC 8785 canonical JSON of the report
}

// Record returns the report's ledger record. The body is a function of the
// report alone, so publishing the same day as of the same time twice
// yields the same record, which the store accepts as already stored.
func Record(r *Report) (Publication, error) {
	c, err := pactwatch.CanonicalJSON(r)
	if err != nil {
		return Publication{}, err
	}
	return Publication{ID: r.ID, Time: r.AsOf.UTC(), Body: c}, nil
}

// CSVHeader is the first row of WriteCSV's output.
var CSVHeader = []string{"id", "source", "status", "time", "category", "count", "weapon_class", "calibre_mm",
	"fire_direction", "source_type", "grade", "lat", "lon", "area", "near_town", "town_km", "direction", "controlled_by"}

// WriteCSV writes the day's events, one row per event and category, times
// in the report's time zone with their offset. A text cell that a
// spreadsheet would run as a formula (starting with = + - @ or a tab) is
// prefixed with an apostrophe; the other columns are numbers, times and
// vocabulary values.
func WriteCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, e := range r.Events {
		row := []string{text(e.ID), e.Source, text(e.Status), e.At.Format(time.RFC3339), string(e.Category), strconv.Itoa(e.Count),
			string(e.WeaponClass), num(e.CalibreMM), text(e.FireDir), string(e.SourceType), string(e.Grade), ptr(e.Lat), ptr(e.Lon),
			e.Place.Area, e.Place.Town, num(e.Place.TownKm), e.Place.Direction, e.Place.Controlled}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func text(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func num(f float64) string {
	if f == 0 {
		return ""
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func ptr(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

// WriteGeoJSON writes the day's events with a position as a GeoJSON
// FeatureCollection of Points (RFC 7946: [lon, lat]); the report's
// identity is in the collection's "report" member. Events without a
// position are in the JSON and CSV only.
func WriteGeoJSON(w io.Writer, r *Report) error {
	type props struct {
		Source      string  `json:"source"`
		Status      string  `json:"status,omitempty"`
		Time        string  `json:"time"`
		Category    string  `json:"category"`
		Count       int     `json:"count"`
		WeaponClass string  `json:"weapon_class,omitempty"`
		CalibreMM   float64 `json:"calibre_mm,omitempty"`
		FireDir     string  `json:"fire_direction,omitempty"`
		SourceType  string  `json:"source_type,omitempty"`
		Grade       string  `json:"grade,omitempty"`
		Area        string  `json:"area"`
		Town        string  `json:"near_town,omitempty"`
		TownKm      float64 `json:"town_km,omitempty"`
		Direction   string  `json:"direction,omitempty"`
		Controlled  string  `json:"controlled_by,omitempty"`
	}
	type geometry struct {
		Type        string     `json:"type"`
		Coordinates [2]float64 `json:"coordinates"`
	}
	type feature struct {
		Type       string   `json:"type"`
		ID         string   `json:"id"`
		Geometry   geometry `json:"geometry"`
		Properties props    `json:"properties"`
	}
	fc := struct {
		Type     string    `json:"type"`
		Report   any       `json:"report"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection", Features: []feature{}}
	fc.Report = struct {
		ID     string `json:"id"`
		Number string `json:"number"`
		Date   string `json:"date"`
		AsOf   string `json:"as_of"`
		Source string `json:"source"`
	}{r.ID, r.Number, r.Date, r.AsOf.Format(time.RFC3339), r.Source}
	for _, e := range r.Events {
		if e.Lat == nil || e.Lon == nil {
			continue
		}
		fc.Features = append(fc.Features, feature{Type: "Feature", ID: e.ID + "/" + string(e.Category),
			Geometry: geometry{"Point", [2]float64{*e.Lon, *e.Lat}},
			Properties: props{e.Source, e.Status, e.At.Format(time.RFC3339), string(e.Category), e.Count,
				string(e.WeaponClass), e.CalibreMM, e.FireDir, string(e.SourceType), string(e.Grade), e.Place.Area, e.Place.Town,
				e.Place.TownKm, e.Place.Direction, e.Place.Controlled}})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(fc); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
