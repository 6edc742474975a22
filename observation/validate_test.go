package observation

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/vocab"
)

var testNow = time.Date(2026, 11, 20, 6, 30, 0, 0, time.UTC)

// validObservation fills every field validly.
func validObservation() Observation {
	return Observation{
		ID:            "5f0c2a4e-9b1d-4c3e-a7f8-6e5d4c3b2a19",
		ObservedAt:    time.Date(2026, 11, 20, 6, 15, 0, 0, time.UTC),
		TimePrecision: PrecisionMinute,
		SignedAt:      time.Date(2026, 11, 20, 6, 17, 42, 0, time.UTC),
		Observer:      &Position{Lat: 47.9734, Lon: 37.7419, UncertaintyM: 10},
		Target:        &Position{Lat: 47.9812, Lon: 37.7611, UncertaintyM: 400},
		Origin:        &Position{Lat: 47.9921, Lon: 37.8105, UncertaintyM: 1500},
		Fire:          &Fire{BearingDeg: 67.5, BearingErr: 5, DistanceMinM: 1000, DistanceMaxM: 4500, Direction: "W to E"},
		Category:      vocab.ProjectileInFlight,
		Count:         12,
		WeaponClass:   vocab.MLRS,
		CalibreMM:     122,
		SourceType:    vocab.StaticCamera,
		Grade:         "A2",
		Attribution:   &Attribution{Party: "party-b", Confidence: "low"},
		Narrative:     "Снаряди летіли із заходу на схід.",
		Language:      "uk",
		Evidence:      []string{strings.Repeat("ab", 32)},
		Provenance:    &Provenance{Format: "csv", FileSHA256: strings.Repeat("0f", 32), Row: 2, SourceID: "r-2"},
		Reporter:      "21fe31dfa154a261",
	}
}

func TestValidateAcceptsValid(t *testing.T) {
	if err := validObservation().Validate(testNow, time.Minute); err != nil {
		t.Fatal(err)
	}
	o := validObservation()
	o.Observer, o.Origin, o.Fire = nil, nil, nil
	o.WeaponClass, o.CalibreMM, o.Attribution, o.Narrative, o.Language = "", 0, nil, "", ""
	o.Evidence, o.Provenance, o.Reporter = nil, nil, ""
	if err := o.Validate(testNow, time.Minute); err != nil {
		t.Fatalf("minimal: %v", err)
	}
	// Random (v4), name-based SHA-1 (v5, imports and drafts) and
	// time-ordered without a MAC (v7) ids are accepted.
	for _, id := range []string{
		"0b7e6c1a-3f2d-4e5b-8a9c-1d2e3f4a5b6c",
		"886313e1-3b8a-5372-9b90-0c9aee199e5d",
		"01936a4e-7c2b-7d3e-9f01-23456789abcd",
	} {
		o.ID = id
		if err := o.Validate(testNow, time.Minute); err != nil {
			t.Errorf("id %s: %v", id, err)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(o *Observation)
		field  string
		substr string
	}{
		{"id not uuid", func(o *Observation) { o.ID = "obs-1" }, "id", "UUID"},
		{"id uppercase", func(o *Observation) { o.ID = strings.ToUpper(o.ID) }, "id", "lowercase"},
		{"id braces", func(o *Observation) { o.ID = "{" + o.ID + "}" }, "id", "UUID"},
		{"nil uuid", func(o *Observation) { o.ID = "00000000-0000-0000-0000-000000000000" }, "id", "nil UUID"},
		// v1 and v6 carry the generating device's MAC address and a
		// 100-ns clock: every report of one device would be linkable.
		{"uuid v1", func(o *Observation) { o.ID = "6ba7b810-9dad-11d1-80b4-00c04fd430c8" }, "id", "version 1"},
		{"uuid v6", func(o *Observation) { o.ID = "1ec9414c-232a-6b00-b3c8-9e6bdeced846" }, "id", "version 6"},
		{"uuid v3", func(o *Observation) { o.ID = "3d813cbb-47fb-32ba-91df-831e1593ac29" }, "id", "version 3"},
		{"uuid v8", func(o *Observation) { o.ID = "5f0c2a4e-9b1d-8c3e-a7f8-6e5d4c3b2a19" }, "id", "version 8"},
		{"uuid max", func(o *Observation) { o.ID = "ffffffff-ffff-ffff-ffff-ffffffffffff" }, "id", "RFC 9562"},
		{"uuid variant", func(o *Observation) { o.ID = "5f0c2a4e-9b1d-4c3e-c7f8-6e5d4c3b2a19" }, "id", "RFC 9562"},
		{"precision", func(o *Observation) { o.TimePrecision = "fortnight" }, "time_precision", "want one of"},
		{"observed zero", func(o *Observation) { o.ObservedAt = time.Time{} }, "observed_at", "required"},
		{"observed future", func(o *Observation) { o.ObservedAt = testNow.Add(2 * time.Minute) }, "observed_at", "future"},
		{"observed ancient", func(o *Observation) { o.ObservedAt = time.Date(1850, 1, 1, 0, 0, 0, 0, time.UTC) }, "observed_at", "1900"},
		{"not truncated", func(o *Observation) { o.ObservedAt = o.ObservedAt.Add(time.Second) }, "observed_at", "truncated"},
		{"day not midnight", func(o *Observation) { o.TimePrecision = PrecisionDay }, "observed_at", "truncated"},
		{"signed zero", func(o *Observation) { o.SignedAt = time.Time{} }, "signed_at", "required"},
		{"signed future", func(o *Observation) { o.SignedAt = testNow.Add(61 * time.Second) }, "signed_at", "future"},
		{"signed before observed", func(o *Observation) { o.SignedAt = o.ObservedAt.Add(-time.Hour) }, "signed_at", "before observed_at"},
		{"no position", func(o *Observation) { o.Observer, o.Target, o.Origin, o.Fire = nil, nil, nil, nil }, "target", "at least one"},
		{"lat high", func(o *Observation) { o.Target.Lat = 90.5 }, "target.lat", "latitude"},
		{"lat nan", func(o *Observation) { o.Observer.Lat = math.NaN() }, "observer.lat", "latitude"},
		{"lon low", func(o *Observation) { o.Origin.Lon = -180.1 }, "origin.lon", "longitude"},
		{"lon inf", func(o *Observation) { o.Target.Lon = math.Inf(1) }, "target.lon", "longitude"},
		{"uncertainty negative", func(o *Observation) { o.Target.UncertaintyM = -1 }, "target.uncertainty_m", "metres"},
		{"uncertainty huge", func(o *Observation) { o.Target.UncertaintyM = 1e7 }, "target.uncertainty_m", "metres"},
		{"bearing 360", func(o *Observation) { o.Fire.BearingDeg = 360 }, "fire.bearing_deg", "360"},
		{"bearing negative", func(o *Observation) { o.Fire.BearingDeg = -1 }, "fire.bearing_deg", "360"},
		{"bearing error", func(o *Observation) { o.Fire.BearingErr = 200 }, "fire.bearing_err_deg", "180"},
		{"distance band", func(o *Observation) { o.Fire.DistanceMaxM = 500 }, "fire.distance_max_m", "less than"},
		{"distance far", func(o *Observation) { o.Fire.DistanceMinM = 1e6 }, "fire.distance_min_m", "metres"},
		{"fire without observer", func(o *Observation) { o.Observer = nil }, "fire", "needs observer"},
		{"direction control", func(o *Observation) { o.Fire.Direction = "W\x00E" }, "fire.direction", "control"},
		{"category", func(o *Observation) { o.Category = "explosions" }, "category", "unknown category"},
		{"count zero", func(o *Observation) { o.Count = 0 }, "count", "want 1"},
		{"count huge", func(o *Observation) { o.Count = MaxCount + 1 }, "count", "want 1"},
		{"weapon class", func(o *Observation) { o.WeaponClass = "catapult" }, "weapon_class", "unknown weapon"},
		{"calibre misfit", func(o *Observation) { o.CalibreMM = 300 }, "calibre_mm", "does not fit"},
		{"calibre without class", func(o *Observation) { o.WeaponClass = "" }, "calibre_mm", "needs weapon_class"},
		{"calibre negative", func(o *Observation) { o.CalibreMM = -5 }, "calibre_mm", "millimetres"},
		{"source type", func(o *Observation) { o.SourceType = "rumour" }, "source_type", "unknown source"},
		{"grade", func(o *Observation) { o.Grade = "G7" }, "grade", "Admiralty"},
		{"attribution party", func(o *Observation) { o.Attribution.Party = "" }, "attribution.party", "required"},
		{"attribution confidence", func(o *Observation) { o.Attribution.Confidence = "sure" }, "attribution.confidence", "low, medium"},
		{"narrative long", func(o *Observation) { o.Narrative = strings.Repeat("x", MaxNarrativeBytes+1) }, "narrative", "longer"},
		{"narrative utf8", func(o *Observation) { o.Narrative = "\xff" }, "narrative", "UTF-8"},
		{"language", func(o *Observation) { o.Language = "not a tag!" }, "language", "BCP 47"},
		{"language alone", func(o *Observation) { o.Narrative = "" }, "language", "without a narrative"},
		{"evidence upper", func(o *Observation) { o.Evidence = []string{strings.Repeat("AB", 32)} }, "evidence[0]", "lowercase hex"},
		{"evidence short", func(o *Observation) { o.Evidence = append(o.Evidence, "abc") }, "evidence[1]", "64"},
		{"evidence duplicate", func(o *Observation) { o.Evidence = append(o.Evidence, o.Evidence[0]) }, "evidence[1]", "duplicate"},
		{"evidence many", func(o *Observation) { o.Evidence = make([]string, MaxEvidence+1) }, "evidence", "more than"},
		{"provenance format", func(o *Observation) { o.Provenance.Format = "xlsx" }, "provenance.format", "csv"},
		{"provenance hash", func(o *Observation) { o.Provenance.FileSHA256 = "x" }, "provenance.file_sha256", "SHA-256"},
		{"provenance row", func(o *Observation) { o.Provenance.Row = 0 }, "provenance.row", "from 1"},
		{"reporter", func(o *Observation) { o.Reporter = "alice" }, "reporter", "16 lowercase hex"},
		{"signature form", func(o *Observation) { o.Signature = "!!" }, "signature", "base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := validObservation()
			tt.edit(&o)
			assertFieldError(t, o.Validate(testNow, time.Minute), tt.field, tt.substr)
		})
	}
}

func TestValidateReportsEveryField(t *testing.T) {
	o := validObservation()
	o.ID, o.Count, o.Grade = "x", 0, "Z9"
	o.Target.Lat = 100
	errs := FieldErrors(o.Validate(testNow, time.Minute))
	var fields []string
	for _, e := range errs {
		fields = append(fields, e.Field)
	}
	if got := strings.Join(fields, ","); got != "id,target.lat,count,grade" {
		t.Fatalf("fields %s", got)
	}
}

func TestValidatePrecisions(t *testing.T) {
	for _, tt := range []struct {
		prec string
		at   time.Time
		ok   bool
	}{
		{PrecisionSecond, time.Date(2026, 11, 20, 6, 15, 3, 250_000_000, time.UTC), true},
		{PrecisionMinute, time.Date(2026, 11, 20, 6, 15, 3, 0, time.UTC), false},
		{PrecisionHour, time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC), true},
		{PrecisionHour, time.Date(2026, 11, 20, 6, 15, 0, 0, time.UTC), false},
		{PrecisionDay, time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC), true},
		{PrecisionWeek, time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), true},
		{PrecisionMonth, time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), false},
	} {
		o := validObservation()
		o.TimePrecision, o.ObservedAt = tt.prec, tt.at
		if err := o.Validate(testNow, time.Minute); (err == nil) != tt.ok {
			t.Errorf("%s %s: %v", tt.prec, tt.at, err)
		}
	}
}
