package agreement

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/mod/sumdb/note"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/geo"
	"github.com/pactwatch/pactwatch/keys"
	"github.com/pactwatch/pactwatch/store"
)

const example = "../examples/ukraine/agreement.yaml"

func loadExample(t testing.TB) *Agreement {
	t.Helper()
	a, err := Load(example)
	if err != nil {
		t.Fatalf("the example must be valid:\n%v", err)
	}
	return a
}

func TestExampleIsValid(t *testing.T) {
	a := loadExample(t)
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(a.Hash()) {
		t.Errorf("hash %q", a.Hash())
	}
	if a.Location().String() != "Europe/Kyiv" {
		t.Errorf("location %v", a.Location())
	}
	if z := a.Zone("ukraine-line"); z == nil || z.Kind != PartyLine || z.Party != "ukraine" || z.Geometry == nil {
		t.Errorf("ukraine-line: %+v", z)
	}
	if g := a.Guarantor("coalition"); g == nil || g.Kind != "group" || len(g.Members) < 5 {
		t.Errorf("coalition: %+v", g)
	}
	w := a.Commitment("withdrawal-russia")
	if w == nil || w.Rule.Kind != RuleWeaponDistance || w.Rule.Distances["heavy_mlrs"] != 70 || w.Rule.Distances["artillery"] != 25 {
		t.Errorf("withdrawal-russia: %+v", w)
	}
	p := a.Protocol("guarantor-response")
	if p == nil || p.Steps[1].Deadline != "24h" || p.Escalation.Repeated.Protocol != "systematic-violation" {
		t.Errorf("guarantor-response: %+v", p)
	}
	if a.Party("atlantis") != nil || a.Zone("nowhere") != nil {
		t.Error("lookups of unknown ids must return nil")
	}
}

func TestGeometryAtHonoursPhases(t *testing.T) {
	a := loadExample(t)
	z := a.Zone("phased-withdrawal")
	kyiv := a.Location()
	day := func(s string) time.Time { d, _ := Date(s).In(kyiv); return d }
	tests := []struct {
		at   time.Time
		want string // phase id, "" for none
	}{
		{day("2027-02-28"), ""},
		{day("2027-03-01"), "phase-1"},
		{day("2027-03-01").Add(-time.Second), ""},
		{day("2027-08-31").Add(23 * time.Hour), "phase-1"},
		{day("2027-09-01"), "phase-2"},
		{day("2040-01-01"), "phase-2"},
	}
	for _, tt := range tests {
		got := z.GeometryAt(tt.at)
		var want any
		for _, ph := range z.Phases {
			if ph.ID == tt.want {
				want = ph.Geometry
			}
		}
		if (got == nil) != (want == nil) || (got != nil && !sameGeometry(got, want)) {
			t.Errorf("GeometryAt(%v): got %v, want phase %q", tt.at, got, tt.want)
		}
	}
	if g := a.Zone("contact-line").GeometryAt(day("2027-01-01")); g == nil {
		t.Error("a zone without phases has its geometry at any time")
	}
}

func sameGeometry(a, b any) bool { return reflect.DeepEqual(a, b) }

// The canonical hash ignores how the YAML is written (order of fields,
// flow or block style, comments) and covers the zone files' content.
func TestHashCoversContentNotFormatting(t *testing.T) {
	a := loadExample(t)
	data, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	restyle(&doc)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(4)
	if err := enc.Encode(&doc); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(buf.Bytes(), data) {
		t.Fatal("restyling changed nothing")
	}
	dir := filepath.Dir(example)
	read := func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, name)) }
	b, err := Parse("restyled.yaml", buf.Bytes(), read)
	if err != nil {
		t.Fatal(err)
	}
	if b.Hash() != a.Hash() {
		t.Errorf("reformatting changed the hash")
	}

	swapped := func(name string) ([]byte, error) {
		data, err := read(name)
		if name == "zones/contact-line.geojson" {
			data = bytes.Replace(data, []byte("36.95"), []byte("36.96"), 1)
		}
		return data, err
	}
	c, err := Parse(example, data, swapped)
	if err != nil {
		t.Fatal(err)
	}
	if c.Hash() == a.Hash() {
		t.Error("changing a zone file kept the hash")
	}
	if !bytes.Contains(a.CanonicalJSON(), []byte(`"file":"zones/contact-line.geojson"`)) ||
		!bytes.Contains(a.CanonicalJSON(), []byte(`"zone_files":{"zones/contact-line.geojson":{"features"`)) {
		t.Error("the canonical form must inline each zone file once, under zone_files")
	}
}

// restyle reverses every mapping's field order, switches flow and block
// styles and drops comments: what a careless editor might do.
func restyle(n *yaml.Node) {
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	switch n.Kind {
	case yaml.MappingNode:
		var pairs [][2]*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			pairs = append(pairs, [2]*yaml.Node{n.Content[i], n.Content[i+1]})
		}
		n.Content = n.Content[:0]
		for i := len(pairs) - 1; i >= 0; i-- {
			n.Content = append(n.Content, pairs[i][0], pairs[i][1])
		}
		n.Style ^= yaml.FlowStyle
	case yaml.SequenceNode:
		n.Style ^= yaml.FlowStyle
	case yaml.ScalarNode:
		if n.Tag == "!!str" {
			n.Style = yaml.DoubleQuotedStyle
		}
	}
	for _, c := range n.Content {
		restyle(c)
	}
}

// The demo keys' private halves in examples/ukraine/keys match the public
// keys the example pins, in the formats the ledger and witnesses read.
func TestDemoKeysMatch(t *testing.T) {
	a := loadExample(t)
	dir := filepath.Join(filepath.Dir(example), "keys")
	skey, err := os.ReadFile(filepath.Join(dir, "log.key"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := note.NewVerifier(a.Mission.Log.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := note.Sign(&note.Note{Text: "pactwatch.example/ukraine-demo\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(msg, note.VerifierList(verifier)); err != nil {
		t.Errorf("log.key does not match mission.log.public_key: %v", err)
	}
	for _, w := range a.Mission.Witnesses {
		skey, err := os.ReadFile(filepath.Join(dir, "witness-"+w.Name+".key"))
		if err != nil {
			t.Fatal(err)
		}
		// PRIVATE+KEY+name+hash+base64(0x01‖seed), as note.GenerateKey writes it.
		parts := strings.SplitN(strings.TrimSpace(string(skey)), "+", 5)
		seed, _ := base64.StdEncoding.DecodeString(parts[4])
		pub := ed25519.NewKeyFromSeed(seed[1:]).Public().(ed25519.PublicKey)
		vkey := strings.SplitN(w.PublicKey, "+", 3)
		raw, _ := base64.StdEncoding.DecodeString(vkey[2])
		if parts[2] != w.Name || !bytes.Equal(raw[1:], pub) {
			t.Errorf("witness %s: key file does not match", w.Name)
		}
	}
	for _, k := range a.Keys {
		b, err := os.ReadFile(filepath.Join(dir, k.ID+".key"))
		if err != nil {
			t.Fatal(err)
		}
		priv, err := keys.ParsePrivate(b, k.ID+".key") // what pactwatch keygen writes
		if err != nil {
			t.Fatal(err)
		}
		if got := keys.FormatPublic(priv.Public().(ed25519.PublicKey)); got != k.PublicKey {
			t.Errorf("key %s: private half does not match", k.ID)
		}
	}
}

func TestSchemaIsPublished(t *testing.T) {
	docs, err := os.ReadFile("../docs/agreement.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(docs, Schema) {
		t.Fatal("docs/agreement.schema.json differs from agreement/agreement.schema.json: cp agreement/agreement.schema.json docs/")
	}
}

func TestMinimalIsValid(t *testing.T) {
	if _, err := Load("testdata/minimal.yaml"); err != nil {
		t.Fatal(err)
	}
}

// Each broken file breaks the minimal agreement in one class of ways; the
// validator must report every problem, exactly, in file order.
func TestBrokenFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/broken/*.yaml")
	if len(files) != len(brokenTests) {
		t.Errorf("%d broken files, %d test cases", len(files), len(brokenTests))
	}
	for _, tt := range brokenTests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := Load("testdata/broken/" + tt.file)
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("got %v, want Problems", err)
			}
			if pactwatch.ErrorCode(err) != pactwatch.EINVALID {
				t.Errorf("code %q", pactwatch.ErrorCode(err))
			}
			got := strings.Split(strings.ReplaceAll(ps.Error(), "testdata/broken/", ""), "\n")
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestHostileInput(t *testing.T) {
	deep := strings.Repeat("[", 200) + strings.Repeat("]", 200)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"huge", append([]byte("title: x\nnotes: "), bytes.Repeat([]byte("a"), MaxAgreementSize)...), "h.yaml: file is larger than the 1 MiB limit"},
		{"many values", []byte("notes: [" + strings.Repeat("1,", 300_000) + "1]"), "h.yaml: refused: the document has more than 250000 values"},
		{"deep", []byte("title: " + deep), "h.yaml:1:"},
		{"empty", nil, "h.yaml: empty file: an agreement is a YAML mapping"},
		{"comment only", []byte("# nothing\n"), "h.yaml: empty file: an agreement is a YAML mapping"},
		{"two documents", []byte("title: a\n---\ntitle: b\n"), "h.yaml:2:1: more than one YAML document: an agreement is one document"},
	}
	for _, tt := range tests {
		_, err := Parse("h.yaml", tt.data, nil)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q…", tt.name, err, tt.want)
		}
	}
}

func TestZoneFilesNeedAReader(t *testing.T) {
	data, _ := os.ReadFile(example)
	_, err := Parse("a.yaml", data, nil)
	if err == nil || !strings.Contains(err.Error(), "zones[0].file: zone files are not allowed here") {
		t.Fatalf("got %v", err)
	}
}

func TestDuration(t *testing.T) {
	base := time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		d       Duration
		hours   int64
		added   time.Time
		wantErr string
	}{
		{"30y", 30 * 365 * 24, time.Date(2054, 3, 1, 12, 0, 0, 0, time.UTC), ""},
		{"6mo", 6 * 30 * 24, time.Date(2024, 8, 29, 12, 0, 0, 0, time.UTC), ""},
		{"2w", 14 * 24, time.Date(2024, 3, 14, 12, 0, 0, 0, time.UTC), ""},
		{"14d", 14 * 24, time.Date(2024, 3, 14, 12, 0, 0, 0, time.UTC), ""},
		{"72h", 72, time.Date(2024, 3, 3, 12, 0, 0, 0, time.UTC), ""},
		{"0d", 0, base, `duration "0d" is zero`},
		{"-1d", 0, base, `duration "-1d" is negative`},
		{"1001y", 0, base, `duration "1001y" is too long`},
		{"99999999999999999999h", 0, base, `duration "99999999999999999999h" is too long`},
		{"3 days", 0, base, `"3 days" is not a duration`},
		{"1.5d", 0, base, `"1.5d" is not a duration`},
	}
	for _, tt := range tests {
		_, _, err := tt.d.Parse()
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.HasPrefix(err.Error(), tt.wantErr)) {
			t.Errorf("%s: error %v, want %q", tt.d, err, tt.wantErr)
		}
		if got := tt.d.Hours(); got != tt.hours {
			t.Errorf("%s: %d hours, want %d", tt.d, got, tt.hours)
		}
		if got := tt.d.AddTo(base); !got.Equal(tt.added) {
			t.Errorf("%s: added gives %v, want %v", tt.d, got, tt.added)
		}
	}
}

// FuzzParse: no input makes Parse panic, and every input yields either a
// valid agreement with a hash or a non-empty list of located problems.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/*.yaml", "testdata/broken/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			data, _ := os.ReadFile(name)
			f.Add(data)
		}
	}
	zone := []byte(`{"type":"LineString","coordinates":[[30,48],[31,48]]}`)
	read := func(string) ([]byte, error) { return zone, nil }
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Parse("fuzz.yaml", data, read)
		if err == nil {
			if len(a.Hash()) != 64 {
				t.Fatalf("valid agreement without a hash")
			}
			return
		}
		var ps Problems
		if !errors.As(err, &ps) || len(ps) == 0 {
			t.Fatalf("error %v is not a list of problems", err)
		}
	})
}

var brokenTests = []struct {
	file string
	want []string // each problem, without the testdata/broken/ prefix
}{
	{"alias-bomb.yaml", []string{
		`alias-bomb.yaml:2:29: refused: the document has more than 100000 values repeated through aliases`,
	}},
	{"bad-verification.yaml", []string{
		`bad-verification.yaml:29:36: verification.corroboration.min_independent: 1 would corroborate every single report: use 2 or more, or 0 to rely on direct observations only`,
		`bad-verification.yaml:29:59: verification.corroboration.direct_reliability: letter B listed twice`,
		`bad-verification.yaml:29:59: verification.corroboration.direct_reliability: "BB" leaves out A: a completely reliable source's direct observation would corroborate less than a lesser one's`,
		`bad-verification.yaml:30:33: verification.clustering.max_distance_km: minimum: got 0, want 0.01`,
		`bad-verification.yaml:30:52: verification.clustering.window_minutes: window 200 min is longer than max_span_minutes 60: an incident could never take a second report`,
		`bad-verification.yaml:30:79: verification.clustering.claim: unknown field "claim"`,
		`bad-verification.yaml:32:12: cases.open_at: "severe" is not one of: minor, serious, grave`,
		`bad-verification.yaml:33:20: cases.two_person_rule: got a string, want a boolean`,
		`bad-verification.yaml:34:22: cases.escalate_minor_at: minimum: got -1, want 0`,
	}},
	{"bad-dates.yaml", []string{
		`bad-dates.yaml:3:13: supersedes: must be the superseded version's hash: 64 lowercase hex digits`,
		`bad-dates.yaml:4:12: effective: "2026-13-01" is not a date: want YYYY-MM-DD`,
		`bad-dates.yaml:13:24: reporting.time_zone: unknown time zone "Mars/Olympus_Mons": use an IANA name such as Europe/Kyiv`,
		`bad-dates.yaml:15:124: keys[0].valid_until: must be after valid_from (2026-06-01)`,
		`bad-dates.yaml:27:10: commitments[0].end: must be after start (2026-12-01)`,
		`bad-dates.yaml:28:34: commitments[0].rule.due: "next year" is not a date: want YYYY-MM-DD`,
	}},
	{"bad-durations.yaml", []string{
		`bad-durations.yaml:3:11: duration: "30 years" is not a duration: want a whole number and a unit (y, mo, w, d, h), e.g. 30y, 6mo, 14d, 72h`,
		`bad-durations.yaml:25:15: commitments[0].duration: duration "-5d" is negative`,
		`bad-durations.yaml:34:10: commitments[1].end: give duration or end, not both`,
		`bad-durations.yaml:35:79: commitments[1].rule.period: duration "0mo" is zero`,
		`bad-durations.yaml:40:59: protocols[0].steps[1].deadline: deadline 24h comes before the previous step's 72h: steps must be in order of deadline`,
		`bad-durations.yaml:41:61: protocols[0].steps[2].deadline: "1 week" is not a duration: want a whole number and a unit (y, mo, w, d, h), e.g. 30y, 6mo, 14d, 72h`,
	}},
	{"bad-geometry.yaml", []string{
		`bad-geometry.yaml:18:45: zones[1].geometry.coordinates[0]: ring is not closed: last point [30 49] differs from first [30 48]`,
		`bad-geometry.yaml:21:66: zones[2].geometry.coordinates[0][2]: ring intersects itself: segment 2–3 meets segment 0–1 of ring 0`,
		`bad-geometry.yaml:24:45: zones[3].geometry.coordinates[0]: a ring needs at least 4 points (the last repeating the first), got 3`,
		`bad-geometry.yaml:27:56: zones[4].geometry.coordinates[0][1]: coordinates [181 48] out of range: longitude must be within ±180, latitude within ±90`,
		`bad-geometry.yaml:27:67: zones[4].geometry.coordinates[0][2]: coordinates [31 95] out of range: longitude must be within ±180, latitude within ±90`,
		`bad-geometry.yaml:31:15: zones[5].geometry: a controlled_area zone needs a Polygon or MultiPolygon, got a LineString`,
		`bad-geometry.yaml:34:46: zones[6].geometry.coordinates[0][0]: needs at least 2 item(s), got 1`,
		`bad-geometry.yaml:34:72: zones[6].geometry.coordinates[0][3]: needs at least 2 item(s), got 1`,
		`bad-geometry.yaml:37:9: zones[7].of: zone "bow-tie" is a demilitarised zone, not a line`,
		`bad-geometry.yaml:39:5: zones[8]: a demilitarised zone needs geometry, file or phases`,
	}},
	{"bad-keys.yaml", []string{
		`bad-keys.yaml:10:58: mission.log.public_key: key name "pactwatch.example/ukraine-demo" must be the log origin "pactwatch.example/other-log"`,
		`bad-keys.yaml:12:49: mission.witnesses[0].public_key: not a cosignature/v1 verifier key (name+hash+base64 of 0x04 and an Ed25519 public key)`,
		`bad-keys.yaml:13:49: mission.witnesses[1].public_key: key name "press-witness.example" must be the witness name "other-witness.example"`,
		`bad-keys.yaml:14:19: mission.witness_quorum: quorum 3 is more than the 2 witness(es) listed`,
		`bad-keys.yaml:17:41: keys[0].public_key: not an Ed25519 public key: want the base64 of 32 bytes (canonical: padded, unused bits zero)`,
		`bad-keys.yaml:18:5: keys[1]: a party_liaison key must say whose liaison it is (of:)`,
		`bad-keys.yaml:19:33: keys[2].of: only liaison keys act for someone`,
		`bad-keys.yaml:19:52: keys[2].public_key: duplicate public key (first used at line 18)`,
	}},
	{"binary.yaml", []string{
		`binary.yaml: binary data, not YAML (a NUL byte at offset 14)`,
	}},
	{"duplicate-ids.yaml", []string{
		`duplicate-ids.yaml:5:10: parties[1].id: duplicate id "north" (first used at line 4)`,
		`duplicate-ids.yaml:8:10: guarantors[1].id: duplicate id "north" (first used at line 4)`,
		`duplicate-ids.yaml:9:10: guarantors[2].id: "mission" is reserved for protocol actors`,
		`duplicate-ids.yaml:16:10: zones[1].id: duplicate id "line" (first used at line 15)`,
		`duplicate-ids.yaml:19:10: commitments[1].id: duplicate id "ceasefire" (first used at line 18)`,
		`duplicate-ids.yaml:24:14: protocols[0].steps[1].id: duplicate id "consult" (first used at line 23)`,
		`duplicate-ids.yaml:25:9: protocols[1].id: duplicate id "respond" (first used at line 21)`,
	}},
	{"dates-out-of-range.yaml", []string{
		`dates-out-of-range.yaml:3:12: effective: date 1600-01-01 is before 1678-01-01, the earliest day pactwatch can store`,
		`dates-out-of-range.yaml:14:124: keys[0].valid_until: date 9999-12-31 is after 2261-12-31, the last day pactwatch can store (for no end, give no date)`,
		`dates-out-of-range.yaml:15:99: keys[1].valid_from: date 1678-01-01 starts at 1677-12-31T21:57:56Z, before 1678-01-01 UTC, the earliest time pactwatch can store`,
		`dates-out-of-range.yaml:16:99: keys[2].valid_from: date 0001-01-01 is before 1678-01-01, the earliest day pactwatch can store`,
		`dates-out-of-range.yaml:25:15: zones[1].phases[0].from: date 1677-12-31 is before 1678-01-01, the earliest day pactwatch can store`,
		`dates-out-of-range.yaml:30:16: zones[1].phases[1].until: date 2262-01-02 is after 2261-12-31, the last day pactwatch can store (for no end, give no date)`,
		`dates-out-of-range.yaml:39:10: commitments[0].end: date 3000-01-01 is after 2261-12-31, the last day pactwatch can store (for no end, give no date)`,
		`dates-out-of-range.yaml:40:54: commitments[0].rule.from: date 9000-01-01 is after 2261-12-31, the last day pactwatch can store (for no end, give no date)`,
		`dates-out-of-range.yaml:46:12: commitments[1].start: date 1000-01-01 is before 1678-01-01, the earliest day pactwatch can store`,
		`dates-out-of-range.yaml:47:34: commitments[1].rule.due: date 2300-06-01 is after 2261-12-31, the last day pactwatch can store (for no end, give no date)`,
	}},
	{"duplicate-keys.yaml", []string{
		`duplicate-keys.yaml:3:1: version: duplicate field "version" (first at line 2)`,
	}},
	{"missing-fields.yaml", []string{
		`missing-fields.yaml:1:1: missing required field "version"`,
		`missing-fields.yaml:3:5: parties[0]: missing required field "name"`,
		`missing-fields.yaml:6:3: mission: missing required field "log"`,
		`missing-fields.yaml:10:5: commitments[0]: missing required field "text"`,
		`missing-fields.yaml:14:11: commitments[0].rule: missing required field "distances"`,
		`missing-fields.yaml:14:41: commitments[0].rule.line: unknown zone "x"`,
		`missing-fields.yaml:17:12: protocols[0].steps: needs at least 1 item(s), got 0`,
	}},
	{"not-a-mapping.yaml", []string{
		`not-a-mapping.yaml:1:1: an agreement is a YAML mapping of fields, got a string`,
	}},
	{"not-utf8.yaml", []string{
		`not-utf8.yaml: not UTF-8 text (invalid byte at offset 15)`,
	}},
	{"overlapping-phases.yaml", []string{
		`overlapping-phases.yaml:24:15: zones[1].phases[1].from: phase "two" overlaps phase "one", which runs until 2027-07-01`,
		`overlapping-phases.yaml:27:15: zones[1].phases[2].from: phase "three" overlaps phase "two", which has no end`,
		`overlapping-phases.yaml:28:16: zones[1].phases[2].until: must be after from (2027-09-01)`,
	}},
	{"undecidable-sides.yaml", []string{
		`undecidable-sides.yaml:16:72: zones[1].towards: cannot tell which side of "line" is south's: give south a controlled_area zone on one side of it, or use side:`,
		`undecidable-sides.yaml:27:41: commitments[0].rule.line: cannot tell which side of "line" is north's: give north a controlled_area zone on one side of it`,
	}},
	{"unknown-fields.yaml", []string{
		`unknown-fields.yaml:3:1: colour: unknown field "colour"`,
		`unknown-fields.yaml:16:69: zones[0].geometry.crs: unknown field "crs"`,
		`unknown-fields.yaml:17:5: zones[0].width: unknown field "width"`,
		`unknown-fields.yaml:24:57: commitments[0].rule.zone: unknown field "zone"`,
	}},
	{"unknown-references.yaml", []string{
		`unknown-references.yaml:8:65: guarantors[1].members[1]: unknown guarantor "atlantis": list each member as a guarantor of kind state`,
		`unknown-references.yaml:17:12: zones[1].party: unknown party "west"`,
		`unknown-references.yaml:19:31: zones[1].inventory.catapult: unknown weapon class "catapult"`,
		`unknown-references.yaml:20:34: zones[2].of: unknown zone "frontline"`,
		`unknown-references.yaml:22:43: keys[0].of: unknown guarantor "g9"`,
		`unknown-references.yaml:23:20: keys[1].role: unknown role "overlord": want one of admin, analyst, auditor, guarantor_liaison, monitor, party_liaison`,
		`unknown-references.yaml:28:23: commitments[0].obligors[1]: unknown party or guarantor "east"`,
		`unknown-references.yaml:30:15: commitments[0].protocol: unknown protocol "respnod"`,
		`unknown-references.yaml:31:38: commitments[0].rule.zone: unknown zone "security-zone"`,
		`unknown-references.yaml:31:77: commitments[0].rule.categories[1]: unknown category "explosions"`,
		`unknown-references.yaml:37:41: commitments[1].rule.line: zone "hold" is a holding_area zone; this rule needs a zone of kind party_line or contact_line`,
		`unknown-references.yaml:37:88: commitments[1].rule.distances.trebuchet: unknown weapon class "trebuchet"`,
		`unknown-references.yaml:43:40: commitments[2].rule.zone: zone "line" is a contact_line zone; this rule needs a zone of kind controlled_area or territory or demilitarised or buffer or withdrawal`,
		`unknown-references.yaml:47:30: protocols[0].steps[0].actor: unknown actor "g2": want a guarantor, a group, a party, "mission" or "all_guarantors"`,
		`unknown-references.yaml:48:41: protocols[0].steps[1].action: unknown action "smite": want one of assistance, consult, deployment, investigation, notify, other, public_statement, sanctions`,
		`unknown-references.yaml:49:30: protocols[0].escalation.on_overdue: unknown protocol "panic" (or use notify_all)`,
		`unknown-references.yaml:49:81: protocols[0].escalation.repeated.protocol: unknown protocol "nothing"`,
	}},
	{"wrong-types.yaml", []string{
		`wrong-types.yaml:1:8: title: got a list, want a string`,
		`wrong-types.yaml:2:10: version: got a string, want a whole number`,
		`wrong-types.yaml:13:9: zones[0].id: "Line One" is not a valid id: use lowercase letters, digits, '-' and '_'`,
		`wrong-types.yaml:15:63: zones[0].geometry.coordinates[1][1]: got a string, want a number`,
		`wrong-types.yaml:20:15: commitments[0].obligors: got a string, want a list`,
		`wrong-types.yaml:21:11: commitments[0].kind: "truce" is not one of: ceasefire, withdrawal, weapons_storage, mission_access, non_interference, territorial_integrity, force_level, milestone, response, other`,
		`wrong-types.yaml:22:18: commitments[0].rule.kind: "guess" is not one of: fire_in_zone, weapon_distance, holding_inventory, mission_restriction, zone_incursion, level_below, milestone, manual`,
	}},
	{"yaml-syntax.yaml", []string{
		`yaml-syntax.yaml:3: YAML syntax: did not find expected ',' or '}'`,
	}},
	{"zone-files.yaml", []string{
		`zone-files.yaml:13:45: zones[0].file: zones/missing.geojson: no such file`,
		`zone-files.yaml:14:45: zones[1].file: "../../agreement.go" must be a relative path inside the agreement's folder`,
		`zone-files.yaml:15:50: zones[2].file: zones/two-features.geojson: a zone file's FeatureCollection must hold exactly one Feature, got 2`,
		`zone-files.yaml:16:47: zones[3].file: zones/self-intersecting.geojson: geometry.coordinates[0][2]: ring intersects itself: segment 2–3 meets segment 0–1 of ring 0`,
		`zone-files.yaml:17:46: zones[4].file: zones/not-json.geojson: not JSON: unexpected EOF`,
		`zone-files.yaml:18:42: zones[5].file: give geometry or file, not both`,
	}},
}

func TestDefaultIsTheExample(t *testing.T) {
	d, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if d.Hash() != loadExample(t).Hash() {
		t.Fatal("the embedded example differs from examples/ukraine")
	}
}

// Each party's controlled area lies on its own side of its own line: the
// example's lines run from Kherson to Vovchansk, Ukraine on their left.
func TestPartySide(t *testing.T) {
	a := loadExample(t)
	tests := []struct {
		line, party string
		want        geo.Side
	}{
		{"ukraine-line", "ukraine", geo.Left},
		{"russia-line", "russia", geo.Right},
		{"contact-line", "ukraine", geo.Left},
		{"contact-line", "russia", geo.Right},
		{"contact-line", "atlantis", geo.On},
		{"znpp", "ukraine", geo.On}, // not a line
	}
	for _, tt := range tests {
		if got := a.PartySide(a.Zone(tt.line), tt.party); got != tt.want {
			t.Errorf("%s, %s: got %v, want %v", tt.line, tt.party, got, tt.want)
		}
	}
	if got := a.BufferSide(a.Zone("security-zone")); got != geo.On {
		t.Errorf("security-zone covers both sides, got %v", got)
	}
	// Kyiv is far on Ukraine's side of its line; Donetsk on Russia's.
	l := a.Zone("ukraine-line").Line()
	if km, side := l.Measure(orb.Point{30.52, 50.45}); side != geo.Left || km < 300 {
		t.Errorf("Kyiv: %.0f km, %v", km, side)
	}
	if km, side := a.Zone("russia-line").Line().Measure(orb.Point{37.80, 48.00}); side != geo.Right || km > 40 {
		t.Errorf("Donetsk: %.0f km, %v", km, side)
	}
}

// The schema's enumerations and the Go constants must not drift apart.
func TestSchemaMatchesGo(t *testing.T) {
	var s struct {
		Defs map[string]struct {
			Properties map[string]struct {
				Enum []string `json:"enum"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(Schema, &s); err != nil {
		t.Fatal(err)
	}
	var zoneKinds []string
	for _, k := range ZoneKinds() {
		zoneKinds = append(zoneKinds, string(k))
	}
	for _, tt := range []struct {
		def, prop string
		want      []string
	}{
		{"zone", "kind", zoneKinds},
		{"rule", "kind", RuleKinds()},
		{"commitment", "kind", CommitmentKinds()},
	} {
		if got := s.Defs[tt.def].Properties[tt.prop].Enum; !slices.Equal(got, tt.want) {
			t.Errorf("$defs.%s.%s: schema %v, Go %v", tt.def, tt.prop, got, tt.want)
		}
	}
}

func BenchmarkLoadExample(b *testing.B) {
	for b.Loop() {
		if _, err := Load(example); err != nil {
			b.Fatal(err)
		}
	}
}

// How long a billion-laughs file takes to be refused.
func BenchmarkRefuseAliasBomb(b *testing.B) {
	data, err := os.ReadFile("testdata/broken/alias-bomb.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Parse("bomb.yaml", data, nil); err == nil {
			b.Fatal("accepted")
		}
	}
}

// FuzzZoneFile: no zone file content makes Parse panic; bad content is a
// problem located at the zone's file: line.
func FuzzZoneFile(f *testing.F) {
	for _, name := range []string{"../examples/ukraine/zones/russia-controlled.geojson", "testdata/broken/zones/self-intersecting.geojson", "testdata/broken/zones/two-features.geojson"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"type":"Polygon","coordinates":[[[30,48],[31,48],[31,49],[30,48]]]}`))
	minimal, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		f.Fatal(err)
	}
	// The minimal agreement with one more zone, read from a file.
	agreementYAML := bytes.Replace(minimal, []byte("commitments:\n"), []byte("  - {id: area, kind: demilitarised, file: area.geojson}\ncommitments:\n"), 1)
	f.Fuzz(func(t *testing.T, zone []byte) {
		_, err := Parse("a.yaml", agreementYAML, func(string) ([]byte, error) { return zone, nil })
		var ps Problems
		if err != nil && (!errors.As(err, &ps) || len(ps) == 0) {
			t.Fatalf("error %v is not a list of problems", err)
		}
		for _, p := range ps {
			if p.Line == 0 {
				t.Fatalf("problem without a position: %v", p)
			}
		}
	})
}

func TestPeriods(t *testing.T) {
	a := loadExample(t)
	kyiv := a.Location()
	day := func(s string) time.Time { d, _ := Date(s).In(kyiv); return d }
	tests := []struct {
		commitment  string
		from, until string
	}{
		{"ceasefire", "2026-10-01", "2056-10-01"},         // start + 30y
		{"phased-withdrawal", "2027-03-01", "2028-03-01"}, // start to end
		{"eu-membership", "2026-10-01", "2056-10-01"},     // the agreement's 30 years
	}
	for _, tt := range tests {
		c := a.Commitment(tt.commitment)
		from, until := c.Period()
		if !from.Equal(day(tt.from)) || !until.Equal(day(tt.until)) {
			t.Errorf("%s: %v – %v, want %s – %s", tt.commitment, from, until, tt.from, tt.until)
		}
		if c.ActiveAt(from.Add(-time.Nanosecond)) || !c.ActiveAt(from) || c.ActiveAt(until) {
			t.Errorf("%s: ActiveAt disagrees with Period", tt.commitment)
		}
	}
	admin := a.Key("admin-1") // valid 2026-10-01 until 2027-10-01
	for _, tt := range []struct {
		at   time.Time
		want bool
	}{
		{day("2026-09-30").Add(23 * time.Hour), false},
		{day("2026-10-01"), true},
		{day("2027-09-30").Add(23 * time.Hour), true},
		{day("2027-10-01"), false},
	} {
		if got := admin.ValidAt(tt.at); got != tt.want {
			t.Errorf("admin-1 at %v: %v", tt.at, got)
		}
	}
	if !a.Key("monitor-patrol-1").ValidAt(day("2060-01-01")) {
		t.Error("a key without valid_until stays valid")
	}
}

// TestDatesTheStoreCanKeep: a date is refused when its day starts outside
// the times the store keeps (store.MinTime to store.MaxTime, exclusive, or
// at the Unix epoch), judged in the agreement's time zone.
func TestDatesTheStoreCanKeep(t *testing.T) {
	if !minTime.Equal(store.MinTime) || !maxTime.Equal(store.MaxTime) {
		t.Fatalf("agreement bounds [%v, %v) differ from the store's [%v, %v)", minTime, maxTime, store.MinTime, store.MaxTime)
	}
	minimal, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		zone, date string
		want       string // "" when valid
	}{
		{"UTC", "1678-01-01", ""},
		{"UTC", "1677-12-31", "date 1677-12-31 is before 1678-01-01, the earliest day pactwatch can store"},
		{"UTC", "0000-01-01", "date 0000-01-01 is before 1678-01-01, the earliest day pactwatch can store"},
		{"UTC", "2261-12-31", ""},
		{"UTC", "2262-01-01", "date 2262-01-01 is after 2261-12-31, the last day pactwatch can store (for no end, give no date)"},
		{"UTC", "9999-12-31", "date 9999-12-31 is after 2261-12-31, the last day pactwatch can store (for no end, give no date)"},
		{"UTC", "1970-01-01", `date 1970-01-01 starts at the Unix epoch, which pactwatch's store reserves for "no time": pick another day`},
		{"Europe/Kyiv", "1970-01-01", ""},
		{"Europe/Kyiv", "1678-01-01", "date 1678-01-01 starts at 1677-12-31T21:57:56Z, before 1678-01-01 UTC, the earliest time pactwatch can store"},
		{"Europe/Kyiv", "1678-01-02", ""},
		{"Europe/Kyiv", "2262-01-01", ""}, // 2261-12-31T22:00Z
		{"America/New_York", "2262-01-01", "date 2262-01-01 is after 2261-12-31, the last day pactwatch can store (for no end, give no date)"},
		{"America/New_York", "1678-01-01", ""},
	}
	for _, tt := range tests {
		t.Run(tt.zone+" "+tt.date, func(t *testing.T) {
			data := strings.Replace(string(minimal), "time_zone: Europe/Kyiv", "time_zone: "+tt.zone, 1)
			data = strings.Replace(data, "version: 1\n", "version: 1\neffective: "+tt.date+"\n", 1)
			_, err := Parse("a.yaml", []byte(data), nil)
			want := ""
			if tt.want != "" {
				want = "a.yaml:4:12: effective: " + tt.want
			}
			if got := fmt.Sprint(err); (err == nil) != (want == "") || (err != nil && got != want) {
				t.Errorf("got %v\nwant %q", err, want)
			}
		})
	}
}
