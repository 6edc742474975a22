package intake

import (
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

var testNow = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

func testOptions() ImportOptions {
	return ImportOptions{Now: func() time.Time { return testNow }, Skew: time.Minute}
}

func importFile(t *testing.T, format, path string) ([]observation.Observation, []Reject) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	obs, rejects, err := Import(format, bytes.NewReader(data), testOptions())
	if err != nil {
		t.Fatalf("Import(%s): %v", format, err)
	}
	return obs, rejects
}

// TestGolden imports each sample and compares observations and rejects
// with testdata/*.golden.json (PACTWATCH_UPDATE_GOLDEN=1 rewrites them).
func TestGolden(t *testing.T) {
	for _, tt := range []struct{ format, in string }{
		{"csv", "testdata/observations.csv"},
		{"geojson", "testdata/observations.geojson"},
		{"acled", "testdata/acled.csv"},
	} {
		t.Run(tt.format, func(t *testing.T) {
			obs, rejects := importFile(t, tt.format, tt.in)
			got, err := json.MarshalIndent(struct {
				Observations []observation.Observation `json:"observations"`
				Rejects      []Reject                  `json:"rejects"`
			}{obs, rejects}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := "testdata/" + tt.format + ".golden.json"
			if os.Getenv("PACTWATCH_UPDATE_GOLDEN") == "1" {
				os.WriteFile(golden, got, 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs; got:\n%s", golden, got)
			}
			// Everything imported is ready to sign: it decodes strictly
			// once a reporter is set.
			for _, o := range obs {
				o.Reporter = "21fe31dfa154a261"
				b, _ := json.Marshal(o)
				if _, err := observation.Decode(b); err != nil {
					t.Errorf("imported observation does not decode: %v\n%s", err, b)
				}
			}
		})
	}
}

func TestACLEDMapping(t *testing.T) {
	obs, rejects := importFile(t, "acled", "testdata/acled.csv")
	byEvent := map[string][]observation.Observation{}
	for _, o := range obs {
		byEvent[o.Provenance.SourceID] = append(byEvent[o.Provenance.SourceID], o)
	}
	for _, tt := range []struct {
		event       string
		cats        []vocab.Category
		weapon      vocab.WeaponClass
		uncertainty float64
		precision   string
		grade       vocab.Grade
	}{
		{"UKR201341", []vocab.Category{vocab.Explosion}, vocab.Artillery, 2000, "day", "C6"}, // "artillery and mortars"
		{"UKR201342", []vocab.Category{vocab.DroneStrike, vocab.CivilianCasualty}, vocab.AttackDrone, 2000, "day", "C6"},
		{"UKR201343", []vocab.Category{vocab.Airstrike}, vocab.CombatAircraft, 15000, "day", "C6"},
		{"UKR201344", []vocab.Category{vocab.MineUXO, vocab.CivilianCasualty}, "", 15000, "week", "C6"},
		{"UKR201345", []vocab.Category{vocab.BurstOfFire}, "", 2000, "day", "C6"},
		{"UKR201346", []vocab.Category{vocab.MissileStrike, vocab.CivilianCasualty}, "", 2000, "day", "C6"},
		{"UKR201350", []vocab.Category{vocab.Explosion}, vocab.Artillery, 50000, "month", "C6"}, // "mortars and tube artillery"
		{"UKR201351", []vocab.Category{vocab.MineUXO}, vocab.AttackDrone, 2000, "day", "C6"},
	} {
		got := byEvent[tt.event]
		if len(got) != len(tt.cats) {
			t.Errorf("%s: %d observations, want %d", tt.event, len(got), len(tt.cats))
			continue
		}
		for i, o := range got {
			if o.Category != tt.cats[i] {
				t.Errorf("%s[%d]: category %s, want %s", tt.event, i, o.Category, tt.cats[i])
			}
			if o.Target.UncertaintyM != tt.uncertainty || o.TimePrecision != tt.precision || o.Grade != tt.grade {
				t.Errorf("%s: uncertainty %v precision %s grade %s", tt.event, o.Target.UncertaintyM, o.TimePrecision, o.Grade)
			}
			if o.SourceType != vocab.OpenSource || o.Provenance.Format != "acled" || !strings.Contains(o.Narrative, "ACLED event: "+tt.event) {
				t.Errorf("%s: provenance or narrative: %+v", tt.event, o)
			}
		}
		if got[0].WeaponClass != tt.weapon {
			t.Errorf("%s: weapon %q, want %q", tt.event, got[0].WeaponClass, tt.weapon)
		}
		if len(got) == 2 && (got[1].Count < 1 || got[1].ID == got[0].ID) {
			t.Errorf("%s: casualty observation %+v", tt.event, got[1])
		}
	}
	wantRejects := map[int]string{
		8:  "not an event a ceasefire mission monitors", // protest
		9:  "target.lat",                                // latitude 148.5
		10: "event_date",                                // 2026-13-01
		12: "already imported from row 6",               // duplicate event id
		14: "geo_precision",                             // 7
	}
	if len(rejects) != len(wantRejects) {
		t.Errorf("rejects %+v", rejects)
	}
	for _, r := range rejects {
		if want, ok := wantRejects[r.Row]; !ok || !strings.Contains(r.Reason, want) {
			t.Errorf("reject row %d: %q, want …%s…", r.Row, r.Reason, want)
		}
	}
}

func TestImportIsDeterministic(t *testing.T) {
	data, _ := os.ReadFile("testdata/observations.csv")
	a, _, _ := Import("csv", bytes.NewReader(data), testOptions())
	later := testOptions()
	later.Now = func() time.Time { return testNow.Add(time.Hour) }
	b, _, _ := Import("csv", bytes.NewReader(data), later)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("%d vs %d observations", len(a), len(b))
	}
	for i := range a {
		if a[i].ID != b[i].ID {
			t.Errorf("row %d: id %s then %s", a[i].Provenance.Row, a[i].ID, b[i].ID)
		}
	}
	// A different file gives different ids for the same rows.
	c, _, _ := Import("csv", bytes.NewReader(append(bytes.Clone(data), '\n')), testOptions())
	if c[0].ID == a[0].ID || c[0].Provenance.FileSHA256 == a[0].Provenance.FileSHA256 {
		t.Error("ids do not depend on the file")
	}
}

func TestCSVRows(t *testing.T) {
	obs, rejects := importFile(t, "csv", "testdata/observations.csv")
	if len(obs) != 3 {
		t.Fatalf("%d observations: %+v", len(obs), obs)
	}
	cam := obs[1]
	if cam.ObservedAt != time.Date(2026, 11, 20, 6, 15, 30, 0, time.UTC) || cam.TimePrecision != "second" ||
		cam.Fire == nil || cam.Fire.Direction != "W to E" || cam.Observer == nil || cam.Target != nil ||
		cam.Attribution == nil || cam.Language != "uk" || len(cam.Evidence) != 1 {
		t.Errorf("camera row: %+v", cam)
	}
	if obs[2].ID != "7f9c6a52-1d3e-4b2a-9e8f-0c1d2e3f4a5b" || obs[2].TimePrecision != "day" {
		t.Errorf("row with id and date: %+v", obs[2])
	}
	want := map[int]string{
		5:  "unknown category",
		6:  "target.lat",
		7:  "calibre_mm",
		8:  "observed_at",
		9:  "count: not a whole number",
		10: "wrong number of fields",
		11: "at least one of observer, target, origin",
		12: "observed_at: in the future",
	}
	if len(rejects) != len(want) {
		t.Errorf("rejects: %+v", rejects)
	}
	for _, r := range rejects {
		if !strings.Contains(r.Reason, want[r.Row]) || want[r.Row] == "" {
			t.Errorf("row %d: %q, want …%s…", r.Row, r.Reason, want[r.Row])
		}
	}
}

func TestFileErrors(t *testing.T) {
	for _, tt := range []struct {
		name, format, in string
		opt              func(*ImportOptions)
		code, substr     string
	}{
		{"format", "xlsx", "", nil, pactwatch.EINVALID, "unknown format"},
		{"empty csv", "csv", "", nil, pactwatch.EINVALID, "empty file"},
		{"unknown column", "csv", "observed_at,category,colour\n", nil, pactwatch.EINVALID, `unknown column "colour"`},
		{"missing column", "csv", "observed_at,lat,lon\n", nil, pactwatch.EINVALID, `missing column "category"`},
		{"duplicate column", "csv", "observed_at,category,lat,LAT\n", nil, pactwatch.EINVALID, "twice"},
		{"not utf-8", "csv", "observed_at,category\n\xff,x\n", nil, pactwatch.EINVALID, "UTF-8"},
		{"acled missing column", "acled", "event_id_cnty,event_date\n", nil, pactwatch.EINVALID, "missing column"},
		{"not geojson", "geojson", `{"type":"Feature"}`, nil, pactwatch.EINVALID, "FeatureCollection"},
		{"bad json", "geojson", `{"type":`, nil, pactwatch.EINVALID, "malformed JSON"},
		{"bad source option", "csv", "", func(o *ImportOptions) { o.SourceType = "rumour" }, pactwatch.EINVALID, "unknown source type"},
		{"bad grade option", "csv", "", func(o *ImportOptions) { o.Grade = "Z9" }, pactwatch.EINVALID, "Admiralty"},
		{"too large", "csv", strings.Repeat("x", 100), func(o *ImportOptions) { o.MaxBytes = 99 }, pactwatch.ETOOLARGE, "larger than 99"},
		{"too many rows", "csv", "observed_at,category\na,b\nc,d\ne,f\n", func(o *ImportOptions) { o.MaxRows = 2 }, pactwatch.ETOOLARGE, "more than 2 rows"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			opt := testOptions()
			if tt.opt != nil {
				tt.opt(&opt)
			}
			_, _, err := Import(tt.format, strings.NewReader(tt.in), opt)
			if pactwatch.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.substr) {
				t.Fatalf("got %v (%s), want %s …%s…", err, pactwatch.ErrorCode(err), tt.code, tt.substr)
			}
		})
	}
}

func TestOptionsDefaults(t *testing.T) {
	in := "observed_at,category,lat,lon\n2026-11-20T06:15:00Z,explosion,48.1,37.9\n"
	obs, _, err := Import("csv", strings.NewReader(in), ImportOptions{Now: func() time.Time { return testNow }})
	if err != nil || len(obs) != 1 {
		t.Fatal(err)
	}
	o := obs[0]
	if o.SourceType != vocab.OpenSource || o.Grade != DefaultGrade || o.Count != 1 ||
		o.Target.UncertaintyM != DefaultUncertaintyM || o.TimePrecision != "minute" || !o.SignedAt.Equal(testNow) {
		t.Errorf("defaults: %+v", o)
	}
	opt := testOptions()
	opt.SourceType, opt.Grade = vocab.PartyComplaint, "E5"
	obs, _, _ = Import("csv", strings.NewReader(in), opt)
	if obs[0].SourceType != vocab.PartyComplaint || obs[0].Grade != "E5" {
		t.Errorf("options ignored: %+v", obs[0])
	}
}

func TestContainsWord(t *testing.T) {
	for _, tt := range []struct {
		s, w string
		want bool
	}{
		{"two tanks moved", "tank", true},
		{"anti-tank guided missile", "tank", false},
		{"antitank", "tank", false},
		{"tank", "tank", true},
		{"a grad launcher", "grad", true},
		{"upgraded", "grad", false},
		{"the front moved gradually", "grad", false},
		{"a fuel tanker burned", "tank", false},
		{"near the jetty", "jet", false},
		{"with mortars.", "mortar", true},
		{"shahed-136 drones", "shahed", true},
		{"howitzers", "howitzer", true},
		{"grad,", "grad", true},
	} {
		if got := containsWord(tt.s, tt.w); got != tt.want {
			t.Errorf("containsWord(%q, %q) = %v", tt.s, tt.w, got)
		}
	}
}

// TestGuessWeapon: when the notes name several classes, the guess must not
// make a violation disappear by choosing the class with the shorter
// withdrawal distance ("artillery and mortars" is not a mortar event).
func TestGuessWeapon(t *testing.T) {
	for _, tt := range []struct {
		notes string
		want  vocab.WeaponClass
	}{
		{"shelled with artillery and mortars", vocab.Artillery},
		{"with mortars and tube artillery", vocab.Artillery},
		{"mortar fire", vocab.Mortar},
		{"grad mlrs and howitzers", vocab.MLRS},
		{"artillery, grad and smerch", vocab.HeavyMLRS},
		{"a tochka and a howitzer", vocab.TacticalMissile},
		{"tanks and mortars", vocab.UnknownWeapon},     // both 15 km: no more serious one
		{"a drone and artillery", vocab.UnknownWeapon}, // not comparable
		{"shahed drones", vocab.AttackDrone},
		{"the front moved gradually", ""},
		{"a fuel tanker burned near the jetty", ""},
		{"anti-tank missile", vocab.AntiTank},
		{"", ""},
	} {
		if got := guessWeapon(tt.notes); got != tt.want {
			t.Errorf("guessWeapon(%q) = %q, want %q", tt.notes, got, tt.want)
		}
	}
}

func fuzzImport(f *testing.F, format string, seeds ...string) {
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opt := testOptions()
		opt.MaxRows = 1000
		obs, rejects, err := Import(format, bytes.NewReader(data), opt)
		if err != nil {
			if c := pactwatch.ErrorCode(err); c != pactwatch.EINVALID && c != pactwatch.ETOOLARGE {
				t.Fatalf("code %s: %v", c, err)
			}
			return
		}
		for _, o := range obs {
			if err := o.Validate(testNow, time.Minute); err != nil {
				t.Fatalf("imported an invalid observation: %v", err)
			}
			if _, err := observation.SigningBytes(o); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range rejects {
			if r.Row < 1 || r.Reason == "" {
				t.Fatalf("reject without row or reason: %+v", r)
			}
		}
	})
}

func FuzzCSV(f *testing.F)     { fuzzImport(f, "csv", "testdata/observations.csv") }
func FuzzGeoJSON(f *testing.F) { fuzzImport(f, "geojson", "testdata/observations.geojson") }
func FuzzACLED(f *testing.F)   { fuzzImport(f, "acled", "testdata/acled.csv") }

func TestGeoJSONFeatureIDIsSourceID(t *testing.T) {
	obs, _ := importFile(t, "geojson", "testdata/observations.geojson")
	if len(obs) != 3 || obs[0].Provenance.SourceID != "osint-2211" || obs[2].Provenance.SourceID != "qgis-17" || obs[1].Provenance.SourceID != "" {
		t.Fatalf("source ids: %+v %+v %+v", obs[0].Provenance, obs[1].Provenance, obs[2].Provenance)
	}
	in := `{"type":"FeatureCollection","features":[{"type":"Feature","id":42,"geometry":{"type":"Point","coordinates":[37.8,48.0]},` +
		`"properties":{"observed_at":"2026-11-20T06:15:00Z","category":"explosion"}}]}`
	obs, _, err := Import("geojson", strings.NewReader(in), testOptions())
	if err != nil || len(obs) != 1 || obs[0].Provenance.SourceID != "42" {
		t.Fatalf("numeric id: %v %+v", err, obs)
	}
}

func TestACLEDEmptyCells(t *testing.T) {
	head := "event_id_cnty,event_date,event_type,sub_event_type,latitude,longitude\n"
	for _, tt := range []struct{ row, want string }{
		{"UKR1,2026-11-18,Battles,Armed clash,,37.8\n", "latitude: required"},
		{"UKR1,2026-11-18,Battles,Armed clash,48.1,\n", "longitude: required"},
		{",2026-11-18,Battles,Armed clash,48.1,37.8\n", "event_id_cnty: required"},
		{"UKR1,,Battles,Armed clash,48.1,37.8\n", "event_date"},
		{"UKR1,2026-11-18,Battles,Armed clash,48.1,east\n", "longitude: not a number"},
	} {
		obs, rejects, err := Import("acled", strings.NewReader(head+tt.row), testOptions())
		if err != nil || len(obs) != 0 || len(rejects) != 1 || rejects[0].Row != 2 || !strings.Contains(rejects[0].Reason, tt.want) {
			t.Errorf("%q: %v %v %+v, want row 2 …%s…", tt.row, err, obs, rejects, tt.want)
		}
	}
}

// BenchmarkImportACLED imports 10,000 ACLED rows; b.SetBytes makes the
// figure a throughput.
func BenchmarkImportACLED(b *testing.B) {
	sample, err := os.ReadFile("testdata/acled.csv")
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(sample)), "\n")
	row := lines[2] // a drone strike with civilian casualties: two observations
	var buf bytes.Buffer
	buf.WriteString(lines[0] + "\n")
	for i := range 10_000 {
		buf.WriteString(strings.Replace(row, "UKR201342", "UKR9"+strconv.Itoa(i), 1) + "\n")
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		obs, rejects, err := Import("acled", bytes.NewReader(data), testOptions())
		if err != nil || len(rejects) != 0 || len(obs) != 20_000 {
			b.Fatalf("%v, %d rejects, %d observations", err, len(rejects), len(obs))
		}
	}
}

var testIDKey = []byte("mission secret for import ids, test only")

// TestImportIDsNeedTheMissionKey: anyone holding a spreadsheet could
// compute ids derived from its hash alone and ask the public ledger whether
// the mission imported it. Under IDKey only the mission can.
func TestImportIDsNeedTheMissionKey(t *testing.T) {
	data, _ := os.ReadFile("testdata/observations.csv")
	run := func(key []byte) []observation.Observation {
		t.Helper()
		opt := testOptions()
		opt.IDKey = key
		obs, _, err := Import("csv", bytes.NewReader(data), opt)
		if err != nil || len(obs) < 2 {
			t.Fatalf("%v, %d observations", err, len(obs))
		}
		return obs
	}
	public := uuid.NewSHA1(namespace, []byte("csv:"+fileSHA256(data)+":2")).String()
	legacy, a, a2 := run(nil), run(testIDKey), run(testIDKey)
	b := run([]byte("another mission's secret key...."))
	if legacy[0].ID != public {
		t.Fatalf("without a key: id %s, want the public UUIDv5 %s", legacy[0].ID, public)
	}
	for i := range a {
		if a[i].Provenance.Row == 4 { // the row with its own id keeps it
			continue
		}
		if a[i].ID == legacy[i].ID || a[i].ID == b[i].ID || a[i].ID != a2[i].ID {
			t.Errorf("row %d: ids %s (key) %s (no key) %s (other key) %s (key again)",
				a[i].Provenance.Row, a[i].ID, legacy[i].ID, b[i].ID, a2[i].ID)
		}
		if u := uuid.MustParse(a[i].ID); u.Version() != 4 || u.Variant() != uuid.RFC4122 {
			t.Errorf("row %d: id %s is not a version 4 UUID", a[i].Provenance.Row, a[i].ID)
		}
	}
	opt := testOptions()
	opt.IDKey = []byte("short")
	if _, _, err := Import("csv", bytes.NewReader(data), opt); pactwatch.ErrorCode(err) != pactwatch.EINVALID ||
		!strings.Contains(err.Error(), "id_key") {
		t.Errorf("short key: %v", err)
	}
}

// TestACLEDIDsStableAcrossExports: ACLED ids come from event_id_cnty under
// the key, so the same event in a later export (other rows, other hash)
// keeps its id.
func TestACLEDIDsStableAcrossExports(t *testing.T) {
	data, _ := os.ReadFile("testdata/acled.csv")
	lines := strings.SplitAfter(string(data), "\n")
	later := lines[0] + strings.Join(lines[2:], "") + lines[1] // first event moved to the end
	ids := func(in string) map[string]string {
		opt := testOptions()
		opt.IDKey = testIDKey
		obs, _, err := Import("acled", strings.NewReader(in), opt)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, o := range obs {
			m[o.Provenance.SourceID+"/"+string(o.Category)] = o.ID
		}
		return m
	}
	a, b := ids(string(data)), ids(later)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("%d vs %d observations", len(a), len(b))
	}
	for k, id := range a {
		if b[k] != id {
			t.Errorf("%s: id %s, in the later export %s", k, id, b[k])
		}
	}
}

// TestReimportSignsTheSameBytes: with a fixed SignedAt, importing the same
// file again (an hour later) yields the same signing bytes, so the server
// sees the ids as already stored instead of a conflict.
func TestReimportSignsTheSameBytes(t *testing.T) {
	signedAt := testNow.Add(-time.Minute)
	for _, tt := range []struct{ format, in string }{
		{"csv", "testdata/observations.csv"},
		{"geojson", "testdata/observations.geojson"},
		{"acled", "testdata/acled.csv"},
	} {
		data, _ := os.ReadFile(tt.in)
		var first [][]byte
		for i, now := range []time.Time{testNow, testNow.Add(time.Hour)} {
			opt := testOptions()
			opt.IDKey, opt.SignedAt = testIDKey, signedAt
			opt.Now = func() time.Time { return now }
			obs, _, err := Import(tt.format, bytes.NewReader(data), opt)
			if err != nil || len(obs) == 0 {
				t.Fatalf("%s: %v", tt.format, err)
			}
			for j, o := range obs {
				if !o.SignedAt.Equal(signedAt) {
					t.Errorf("%s: signed_at %v, want %v", tt.format, o.SignedAt, signedAt)
				}
				o.Reporter = "21fe31dfa154a261"
				b, err := observation.SigningBytes(o)
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					first = append(first, b)
				} else if !bytes.Equal(b, first[j]) {
					t.Errorf("%s row %d: signed bytes differ on re-import:\n%s\n%s", tt.format, o.Provenance.Row, first[j], b)
				}
			}
		}
	}
	opt := testOptions()
	opt.SignedAt = testNow.Add(time.Hour)
	if _, _, err := Import("csv", strings.NewReader("observed_at,category\n"), opt); pactwatch.ErrorCode(err) != pactwatch.EINVALID ||
		!strings.Contains(err.Error(), "signed_at") {
		t.Errorf("SignedAt in the future: %v", err)
	}
}
