package agreement

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/mod/sumdb/note"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/geo"
	"github.com/pactwatch/pactwatch/keys"
	"github.com/pactwatch/pactwatch/vocab"
)

// decode fills the typed agreement from the JSON value, as far as types
// allow: the schema has already reported every type mismatch, and the
// checks must still run on what is there.
func decode(inst any) *Agreement {
	a := &Agreement{}
	b, err := json.Marshal(inst)
	if err == nil {
		_ = json.Unmarshal(b, a) // best effort, see above
	}
	// A null list item (reported by the schema) becomes an empty item, so
	// the checks need no nil tests and indexes still match the file.
	fill(a.Parties)
	fill(a.Guarantors)
	fill(a.Keys)
	fill(a.Zones)
	fill(a.Commitments)
	fill(a.Protocols)
	for _, z := range a.Zones {
		fill(z.Phases)
	}
	for _, p := range a.Protocols {
		fill(p.Steps)
	}
	return a
}

func fill[T any](items []*T) {
	for i := range items {
		if items[i] == nil {
			items[i] = new(T)
		}
	}
}

// checker runs the checks the schema cannot express.
type checker struct {
	*parser
	a         *Agreement
	inst      map[string]any
	ids       map[string]string    // actor namespace (parties, guarantors): id → path of first use
	files     map[string]any       // zone file path (cleaned) → its JSON content, for the canonical form
	zoneFiles map[string]*zoneFile // zone file path (cleaned) → what was made of it
	fileBytes int                  // bytes of the distinct zone files read so far
}

// zoneFile is one zone file, read, decoded and checked once however many
// zones and phases name it: a short agreement naming one big file a
// thousand times must cost one file's work, not a thousand.
type zoneFile struct {
	geom      orb.Geometry // nil when unreadable or invalid
	where     string       // the geometry's place in the file, for messages
	validated bool         // geo.Validate has run (at the first reference whose kind fits)
	line      *geo.Line    // prepared at the first line zone naming the file
	lineErr   error
	lined     bool
}

var hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (p *parser) check(a *Agreement, inst any) {
	c := &checker{parser: p, a: a, ids: map[string]string{}, files: map[string]any{}, zoneFiles: map[string]*zoneFile{}}
	c.inst, _ = inst.(map[string]any)
	p.files = c.files

	a.loc = time.UTC
	if tz := a.Reporting.TimeZone; tz != "" {
		if loc, err := time.LoadLocation(tz); err != nil || strings.EqualFold(tz, "local") {
			c.addf("reporting.time_zone", "unknown time zone %q: use an IANA name such as Europe/Kyiv", tz)
		} else {
			a.loc = loc
		}
	}
	if a.Supersedes != "" && !hexHash.MatchString(a.Supersedes) {
		c.addf("supersedes", "must be the superseded version's hash: 64 lowercase hex digits")
	}
	if a.Version > 1 && a.Supersedes == "" {
		c.addf("version", "version %d must name the hash of the version it supersedes (supersedes:)", a.Version)
	}
	c.date("effective", a.Effective)
	c.duration("duration", a.Duration)
	c.duration("review_every", a.ReviewEvery)
	if a.Duration != "" && a.ReviewEvery != "" && a.ReviewEvery.Hours() > a.Duration.Hours() && a.Duration.Hours() > 0 {
		c.addf("review_every", "review interval %s is longer than the agreement's duration %s", a.ReviewEvery, a.Duration)
	}

	c.actors()
	c.mission()
	c.keys()
	c.zones()
	c.commitments()
	c.protocols()
	c.verification()
}

// unique reports a duplicate id within one namespace.
func (c *checker) unique(seen map[string]string, id, path string) {
	c.uniqueValue(seen, "id "+strconv.Quote(id), id, path)
}

// uniqueValue reports a value (described by what) used twice.
func (c *checker) uniqueValue(seen map[string]string, what, v, path string) {
	if v == "" {
		return
	}
	if first, dup := seen[v]; dup {
		c.addf(path, "duplicate %s (first used at line %d)", what, c.locate(first, c.pos).line)
		return
	}
	seen[v] = path
}

func (c *checker) date(path string, d Date) time.Time {
	if d == "" {
		return time.Time{}
	}
	t, err := d.In(c.a.loc)
	if err == nil {
		err = checkStorable(d, t)
	}
	if err != nil {
		c.addf(path, "%v", err)
	}
	return t
}

func (c *checker) duration(path string, d Duration) bool {
	if d == "" {
		return false
	}
	if _, _, err := d.Parse(); err != nil {
		c.addf(path, "%v", err)
		return false
	}
	return true
}

func (c *checker) actors() {
	a := c.a
	for i, p := range a.Parties {
		c.unique(c.ids, p.ID, fmt.Sprintf("parties[%d].id", i))
		c.reserved(p.ID, fmt.Sprintf("parties[%d].id", i))
	}
	for i, g := range a.Guarantors {
		c.unique(c.ids, g.ID, fmt.Sprintf("guarantors[%d].id", i))
		c.reserved(g.ID, fmt.Sprintf("guarantors[%d].id", i))
	}
	for i, g := range a.Guarantors {
		path := fmt.Sprintf("guarantors[%d]", i)
		switch g.Kind {
		case "state":
			if len(g.Members) > 0 {
				c.addf(path+".members", "a state has no members; make it kind: group")
			}
		case "group":
			if len(g.Members) == 0 {
				c.addf(path, "a group must list its members")
			}
			for j, m := range g.Members {
				mp := fmt.Sprintf("%s.members[%d]", path, j)
				switch mg := a.Guarantor(m); {
				case mg == nil:
					c.addf(mp, "unknown guarantor %q: list each member as a guarantor of kind state", m)
				case mg.Kind != "state":
					c.addf(mp, "member %q is not a state", m)
				}
			}
		}
	}
}

func (c *checker) reserved(id, path string) {
	if id == ActorMission || id == ActorAllGuarantors || id == NotifyAll {
		c.addf(path, "%q is reserved for protocol actors", id)
	}
}

func (c *checker) isParty(id string) bool     { return c.a.Party(id) != nil }
func (c *checker) isGuarantor(id string) bool { return c.a.Guarantor(id) != nil }

func (c *checker) partyRef(path, id string) {
	if id != "" && !c.isParty(id) {
		c.addf(path, "unknown party %q", id)
	}
}

func (c *checker) mission() {
	m := c.a.Mission
	// Ed25519 keys of the log and the witnesses: a cosignature does not
	// commit to the witness's name, so one key listed under two names
	// would count twice towards the quorum, and the log must not witness
	// itself.
	pubs := map[string]string{}
	if k := m.Log.PublicKey; k != "" {
		v, err := note.NewVerifier(k)
		switch {
		case err != nil:
			c.addf("mission.log.public_key", "not a signed-note verifier key (name+hash+base64 of 0x01 and an Ed25519 public key): %v", err)
		case m.Log.Origin != "" && v.Name() != m.Log.Origin:
			c.addf("mission.log.public_key", "key name %q must be the log origin %q", v.Name(), m.Log.Origin)
		default:
			if raw := noteKey(k); raw != nil {
				if err := keys.CheckPublic(raw); err != nil {
					c.addf("mission.log.public_key", "%s", pactwatch.ErrorMessage(err))
				}
				pubs[string(raw)] = "mission.log.public_key"
			}
		}
	}
	names := map[string]string{}
	for i, w := range m.Witnesses {
		path := fmt.Sprintf("mission.witnesses[%d]", i)
		c.uniqueValue(names, "witness name "+strconv.Quote(w.Name), w.Name, path+".name")
		if w.PublicKey == "" {
			continue
		}
		name, raw, err := parseCosignatureKey(w.PublicKey)
		switch {
		case err != nil:
			c.addf(path+".public_key", "%v", err)
		case w.Name != "" && name != w.Name:
			c.addf(path+".public_key", "key name %q must be the witness name %q", name, w.Name)
		default:
			if err := keys.CheckPublic(raw); err != nil {
				c.addf(path+".public_key", "%s", pactwatch.ErrorMessage(err))
				continue
			}
			if first, dup := pubs[string(raw)]; dup {
				c.addf(path+".public_key", "the same Ed25519 key as %s: every witness needs its own key, distinct from the log's", first)
				continue
			}
			pubs[string(raw)] = path + ".public_key"
		}
	}
	if m.WitnessQuorum > len(m.Witnesses) {
		c.addf("mission.witness_quorum", "quorum %d is more than the %d witness(es) listed", m.WitnessQuorum, len(m.Witnesses))
	}
}

// parseCosignatureKey checks a tlog-cosignature/v1 verifier key:
// name+hash+base64(0x04‖32-byte Ed25519 key), where hash is the first four
// bytes of SHA-256(name‖"\n"‖0x04‖key). It returns the key's name.
func parseCosignatureKey(vkey string) (name string, pub []byte, err error) {
	const want = "not a cosignature/v1 verifier key (name+hash+base64 of 0x04 and an Ed25519 public key)"
	name, rest, ok1 := strings.Cut(vkey, "+")
	hash16, key64, ok2 := strings.Cut(rest, "+")
	key, err := base64.StdEncoding.Strict().DecodeString(key64)
	if !ok1 || !ok2 || name == "" || len(hash16) != 8 || err != nil {
		return "", nil, fmt.Errorf("%s", want)
	}
	if len(key) != 33 || key[0] != 0x04 {
		return "", nil, fmt.Errorf("%s: wrong algorithm or length", want)
	}
	h := sha256.Sum256(append([]byte(name+"\n"), key...))
	if fmt.Sprintf("%08x", binary.BigEndian.Uint32(h[:4])) != hash16 {
		return "", nil, fmt.Errorf("%s: the key hash %s does not match the key", want, hash16)
	}
	return name, key[1:], nil
}

// noteKey returns the Ed25519 key of a signed-note verifier key that
// note.NewVerifier accepted (name+hash+base64(0x01‖key)), or nil.
func noteKey(vkey string) []byte {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil
	}
	key, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(key) != 33 {
		return nil
	}
	return key[1:]
}

func (c *checker) keys() {
	seen, pubs := map[string]string{}, map[string]string{}
	for i, k := range c.a.Keys {
		path := fmt.Sprintf("keys[%d]", i)
		c.unique(seen, k.ID, path+".id")
		if k.Role != "" && (!k.Role.Valid() || k.Role == vocab.RolePublic) {
			c.addf(path+".role", "unknown role %q: want one of %s", k.Role, listOf(slices.DeleteFunc(vocab.Roles(), func(r vocab.Role) bool { return r == vocab.RolePublic })))
		}
		switch {
		case k.Role.NeedsOf() && k.Of == "":
			c.addf(path, "a %s key must say whose liaison it is (of:)", k.Role)
		case !k.Role.NeedsOf() && k.Of != "":
			c.addf(path+".of", "only liaison keys act for someone")
		case k.Role == vocab.RoleGuarantorLiaison && !c.isGuarantor(k.Of):
			c.addf(path+".of", "unknown guarantor %q", k.Of)
		case k.Role == vocab.RolePartyLiaison && !c.isParty(k.Of):
			c.addf(path+".of", "unknown party %q", k.Of)
		}
		if k.PublicKey != "" {
			// What keys.ParsePublic accepts, as serve and the admin API: canonical base64
			// (so one key has one spelling and duplicates compare equal)
			// and no small-order point, under which one signature verifies
			// for every observation.
			raw, err := base64.StdEncoding.Strict().DecodeString(k.PublicKey)
			if err != nil || len(raw) != 32 {
				c.addf(path+".public_key", "not an Ed25519 public key: want the base64 of 32 bytes (canonical: padded, unused bits zero)")
			} else if err := keys.CheckPublic(raw); err != nil {
				c.addf(path+".public_key", "%s", pactwatch.ErrorMessage(err))
			} else {
				c.uniqueValue(pubs, "public key", string(raw), path+".public_key")
			}
		}
		from := c.date(path+".valid_from", k.ValidFrom)
		until := c.date(path+".valid_until", k.ValidUntil)
		if !from.IsZero() && !until.IsZero() && !until.After(from) {
			c.addf(path+".valid_until", "must be after valid_from (%s)", k.ValidFrom)
		}
		k.from, k.until = from, until
	}
}

func listOf[T ~string](items []T) string {
	s := make([]string, len(items))
	for i, it := range items {
		s[i] = string(it)
	}
	return strings.Join(s, ", ")
}

// geometry kinds each zone kind accepts.
var zoneGeometry = map[ZoneKind][]string{
	ContactLine:    {"LineString", "MultiLineString"},
	PartyLine:      {"LineString", "MultiLineString"},
	ControlledArea: {"Polygon", "MultiPolygon"},
	Territory:      {"Polygon", "MultiPolygon"},
	HoldingArea:    {"Point", "Polygon", "MultiPolygon"},
	Demilitarised:  {"Polygon", "MultiPolygon"},
	Withdrawal:     {"Polygon", "MultiPolygon", "LineString", "MultiLineString"},
}

func (c *checker) zones() {
	seen := map[string]string{}
	zi, _ := c.inst["zones"].([]any)
	n := len(c.a.Zones)
	for _, z := range c.a.Zones {
		n += len(z.Phases)
	}
	if n > MaxZones {
		c.addf("zones", "%d zones and phases: more than the %d an agreement may hold", n, MaxZones)
		return
	}
	for i, z := range c.a.Zones {
		path := fmt.Sprintf("zones[%d]", i)
		raw, _ := at(zi, i).(map[string]any)
		c.unique(seen, z.ID, path+".id")
		needsParty := z.Kind == PartyLine || z.Kind == ControlledArea || z.Kind == Territory || z.Kind == HoldingArea
		switch {
		case needsParty && z.Party == "":
			c.addf(path, "a %s zone must name its party (party:)", z.Kind)
		case !needsParty && z.Party != "":
			c.addf(path+".party", "a %s zone has no party", z.Kind)
		default:
			c.partyRef(path+".party", z.Party)
		}
		if z.Kind != HoldingArea && z.Inventory != nil {
			c.addf(path+".inventory", "only holding areas declare an inventory")
		}
		for w := range z.Inventory {
			if !vocab.WeaponClass(w).Valid() {
				c.addKeyf(path+".inventory."+w, "unknown weapon class %q", w)
			}
		}
		if z.Kind == Buffer {
			c.buffer(path, z, raw)
			continue
		}
		for _, f := range []string{"of", "distance_km", "side", "towards"} {
			if _, ok := raw[f]; ok {
				c.addKeyf(path+"."+f, "only buffer zones have %s", f)
			}
		}
		_, hasGeom := raw["geometry"]
		if hasGeom && z.File != "" {
			c.addf(path+".file", "give geometry or file, not both")
		}
		if !hasGeom && z.File == "" && len(z.Phases) == 0 {
			c.addf(path, "a %s zone needs geometry, file or phases", z.Kind)
		}
		z.Geometry = c.zoneGeometry(path, z.Kind, raw)
		if z.Kind.IsLine() && z.Geometry != nil && !c.problemUnder(path) {
			z.line = c.line(path, z)
		}
		c.phases(path, z, raw)
	}
	// Sides need every zone's geometry: check them once all are loaded.
	for i, z := range c.a.Zones {
		if z.Kind == Buffer && z.Towards != "" && c.isParty(z.Towards) {
			if l := c.a.Zone(z.Of); l != nil && l.line != nil && c.a.PartySide(l, z.Towards) == geo.On {
				c.addf(fmt.Sprintf("zones[%d].towards", i), "cannot tell which side of %q is %s's: give %s a controlled_area zone on one side of it, or use side:", z.Of, z.Towards, z.Towards)
			}
		}
	}
}

// line prepares a line zone's geometry for distance queries, once per
// zone file.
func (c *checker) line(path string, z *Zone) *geo.Line {
	zf := c.zoneFiles[cleanZonePath(z.File)]
	if z.File == "" || zf == nil {
		zf = &zoneFile{}
	}
	if !zf.lined {
		zf.line, zf.lineErr = geo.NewLine(z.Geometry)
		zf.lined = true
	}
	if zf.lineErr != nil {
		c.addf(path, "%s", strings.TrimPrefix(zf.lineErr.Error(), "geo: "))
	}
	return zf.line
}

// cleanZonePath is the form a zone file's path is read and inlined under:
// "./zones/a.geojson" and "zones/a.geojson" are one file.
func cleanZonePath(name string) string { return path.Clean(name) }

func (c *checker) buffer(path string, z *Zone, raw map[string]any) {
	for _, f := range []string{"geometry", "file", "phases"} {
		if _, ok := raw[f]; ok {
			c.addKeyf(path+"."+f, "a buffer's geometry is derived from its line (of:); remove %s", f)
		}
	}
	if z.Of == "" {
		c.addf(path, "a buffer must name the line it surrounds (of:)")
	} else if l := c.a.Zone(z.Of); l == nil {
		c.addf(path+".of", "unknown zone %q", z.Of)
	} else if !l.Kind.IsLine() {
		c.addf(path+".of", "zone %q is a %s zone, not a line", z.Of, l.Kind)
	}
	if z.DistanceKm == 0 {
		if _, ok := raw["distance_km"]; !ok {
			c.addf(path, "a buffer needs its width (distance_km:)")
		}
	}
	if z.Side != "" && z.Towards != "" {
		c.addf(path+".towards", "give side or towards, not both")
	}
	c.partyRef(path+".towards", z.Towards)
}

// zoneGeometry loads the geometry of a zone or phase (raw holds its
// geometry or file field), validating it for the zone's kind.
func (c *checker) zoneGeometry(path string, kind ZoneKind, raw map[string]any) orb.Geometry {
	if g, ok := raw["geometry"]; ok {
		return c.geometry(path+".geometry", "", kind, g, path+".geometry")
	}
	name, _ := raw["file"].(string)
	if name == "" {
		return nil
	}
	fpath := path + ".file"
	if !filepath.IsLocal(name) || strings.Contains(name, `\`) {
		c.addf(fpath, "%q must be a relative path inside the agreement's folder", name)
		return nil
	}
	if c.readFile == nil {
		c.addf(fpath, "zone files are not allowed here")
		return nil
	}
	key := cleanZonePath(name)
	if zf, ok := c.zoneFiles[key]; ok {
		return c.fileGeometry(fpath, kind, zf)
	}
	zf := &zoneFile{}
	c.zoneFiles[key] = zf
	data, err := c.readFile(key)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.addf(fpath, "%s: no such file", name)
		return nil
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		c.addf(fpath, "%s: cannot read: %v", name, err)
		return nil
	}
	if c.fileBytes += len(data); c.fileBytes > MaxZoneBytes {
		c.addf(fpath, "%s: zone files together exceed the %d MiB limit", name, MaxZoneBytes>>20)
		return nil
	}
	if !utfText(data) {
		c.addf(fpath, "%s: binary data, not GeoJSON", name)
		return nil
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		c.addf(fpath, "%s: not JSON: %v", name, err)
		return nil
	}
	c.files[key] = doc
	before := len(c.problems)
	c.validateSchemaAt(zoneFileSchema, doc, fpath, name+": ")
	if len(c.problems) > before {
		return nil
	}
	g, inner := doc, ""
	obj := doc.(map[string]any)
	switch obj["type"] {
	case "FeatureCollection":
		fs, _ := obj["features"].([]any)
		if len(fs) != 1 {
			c.addf(fpath, "%s: a zone file's FeatureCollection must hold exactly one Feature, got %d", name, len(fs))
			return nil
		}
		f, _ := fs[0].(map[string]any)
		g, inner = f["geometry"], "features[0].geometry"
	case "Feature":
		g, inner = obj["geometry"], "geometry"
	}
	zf.where = name + ": " + inner
	zf.geom = c.parseGeometry(fpath, zf.where, g, "")
	return c.fileGeometry(fpath, kind, zf)
}

// fileGeometry returns a zone file's geometry for one zone or phase of the
// kind: the kind is checked at every reference, the geometry's own rules
// once per file.
func (c *checker) fileGeometry(at string, kind ZoneKind, zf *zoneFile) orb.Geometry {
	if zf.geom == nil || !c.fitsKind(at, zf.where, kind, zf.geom) {
		return nil
	}
	if !zf.validated {
		zf.validated = true
		if !c.validGeometry(at, zf.where, zf.geom, "") {
			zf.geom = nil
		}
	}
	return zf.geom
}

// geometry validates a GeoJSON geometry value against the schema and geo's
// rules. at is the path problems are reported at; where names the place
// inside a zone file ("" for inline geometry); posPrefix, for inline
// geometry, is the path under which coordinates have positions.
func (c *checker) geometry(at, where string, kind ZoneKind, g any, posPrefix string) orb.Geometry {
	geom := c.parseGeometry(at, where, g, posPrefix)
	if geom == nil || !c.fitsKind(at, where, kind, geom) {
		return nil
	}
	c.validGeometry(at, where, geom, posPrefix)
	return geom
}

// parseGeometry checks a GeoJSON geometry value against the schema and
// converts it (nil after a problem).
func (c *checker) parseGeometry(at, where string, g any, posPrefix string) orb.Geometry {
	if posPrefix != "" {
		// The agreement's schema has checked inline geometry already.
		if c.problemUnder(posPrefix) {
			return nil
		}
	} else {
		before := len(c.problems)
		c.validateSchemaAt(geometrySchema, g, at, strings.TrimSuffix(where, ": ")+": ")
		if len(c.problems) > before {
			return nil
		}
	}
	b, _ := json.Marshal(g)
	gj, err := geojson.UnmarshalGeometry(b)
	if err != nil {
		c.addf(at, "%snot a GeoJSON geometry: %v", where, err)
		return nil
	}
	return gj.Geometry()
}

// fitsKind reports whether the geometry's type suits a zone of the kind.
func (c *checker) fitsKind(at, where string, kind ZoneKind, geom orb.Geometry) bool {
	typ := geom.GeoJSONType()
	if want := zoneGeometry[kind]; want != nil && !slices.Contains(want, typ) {
		c.addf(at, "%sa %s zone needs a %s, got a %s", prefixed(where), kind, strings.Join(want, " or "), typ)
		return false
	}
	return true
}

// validGeometry reports geo's rules broken by the geometry.
func (c *checker) validGeometry(at, where string, geom orb.Geometry, posPrefix string) bool {
	issues := geo.Validate(geom)
	for _, is := range issues {
		idx := ""
		for _, n := range is.Index {
			idx += fmt.Sprintf("[%d]", n)
		}
		if posPrefix != "" {
			c.addf(posPrefix+".coordinates"+idx, "%s", is.Message)
		} else {
			c.addf(at, "%s.coordinates%s: %s", strings.TrimSuffix(where, ": "), idx, is.Message)
		}
	}
	return len(issues) == 0
}

// problemUnder reports whether a problem was found at path or inside it.
func (c *checker) problemUnder(path string) bool {
	for _, p := range c.problems {
		if p.Path == path || strings.HasPrefix(p.Path, path+".") || strings.HasPrefix(p.Path, path+"[") {
			return true
		}
	}
	return false
}

func prefixed(where string) string {
	if where == "" || strings.HasSuffix(where, ": ") {
		return where
	}
	return where + ": "
}

// validateSchemaAt validates a value that has no YAML positions (a zone
// file's content): problems are located at path in the agreement, and the
// place inside the file goes into the message.
func (c *checker) validateSchemaAt(sch *jsonschema.Schema, v any, path, msgPrefix string) {
	sub := &parser{file: c.file, pos: map[string]pos{}, keyPos: map[string]pos{}}
	sub.validateSchema(sch, v, "")
	for _, p := range sub.problems {
		where := strings.TrimSuffix(msgPrefix, ": ")
		if p.Path != "" {
			where += ": " + p.Path
		}
		c.addf(path, "%s: %s", where, p.Message)
	}
}

func (c *checker) phases(path string, z *Zone, raw map[string]any) {
	pi, _ := raw["phases"].([]any)
	seen := map[string]string{}
	for j, ph := range z.Phases {
		pp := fmt.Sprintf("%s.phases[%d]", path, j)
		praw, _ := at(pi, j).(map[string]any)
		c.unique(seen, ph.ID, pp+".id")
		_, hasGeom := praw["geometry"]
		switch {
		case hasGeom && ph.File != "":
			c.addf(pp+".file", "give geometry or file, not both")
		case !hasGeom && ph.File == "":
			c.addf(pp, "a phase needs geometry or file")
		}
		ph.Geometry = c.zoneGeometry(pp, z.Kind, praw)
		ph.from = c.date(pp+".from", ph.From)
		ph.until = c.date(pp+".until", ph.Until)
		if !ph.from.IsZero() && !ph.until.IsZero() && !ph.until.After(ph.from) {
			c.addf(pp+".until", "must be after from (%s)", ph.From)
		}
	}
	// Phases must not overlap: sorted by start, each ends before the next begins.
	order := slices.Clone(z.Phases)
	slices.SortStableFunc(order, func(x, y *Phase) int { return x.from.Compare(y.from) })
	for k := 1; k < len(order); k++ {
		prev, cur := order[k-1], order[k]
		if prev.from.IsZero() || cur.from.IsZero() {
			continue
		}
		if prev.until.IsZero() || prev.until.After(cur.from) {
			j := slices.Index(z.Phases, cur)
			end := "has no end"
			if !prev.until.IsZero() {
				end = "runs until " + string(prev.Until)
			}
			c.addf(fmt.Sprintf("%s.phases[%d].from", path, j), "phase %q overlaps phase %q, which %s", cur.ID, prev.ID, end)
		}
	}
}

var ruleZoneKinds = map[string][]ZoneKind{
	RuleFireInZone:    {ControlledArea, Territory, HoldingArea, Demilitarised, Buffer, Withdrawal},
	RuleZoneIncursion: {ControlledArea, Territory, Demilitarised, Buffer, Withdrawal},
}

func (c *checker) commitments() {
	seen := map[string]string{}
	for i, cm := range c.a.Commitments {
		path := fmt.Sprintf("commitments[%d]", i)
		c.unique(seen, cm.ID, path+".id")
		for j, o := range cm.Obligors {
			if o != "" && !c.isParty(o) && !c.isGuarantor(o) {
				c.addf(fmt.Sprintf("%s.obligors[%d]", path, j), "unknown party or guarantor %q", o)
			}
		}
		start := c.date(path+".start", cm.Start)
		end := c.date(path+".end", cm.End)
		c.duration(path+".duration", cm.Duration)
		cm.from, cm.until = commitmentPeriod(c.a, start, end, cm.Duration)
		if cm.Duration != "" && cm.End != "" {
			c.addf(path+".end", "give duration or end, not both")
		}
		if !start.IsZero() && !end.IsZero() && !end.After(start) {
			c.addf(path+".end", "must be after start (%s)", cm.Start)
		}
		if cm.Protocol != "" && c.a.Protocol(cm.Protocol) == nil {
			c.addf(path+".protocol", "unknown protocol %q", cm.Protocol)
		}
		c.rule(path+".rule", &cm.Rule)
	}
}

func (c *checker) rule(path string, r *Rule) {
	zoneOf := func(field, id string, kinds []ZoneKind) *Zone {
		if id == "" {
			return nil
		}
		z := c.a.Zone(id)
		switch {
		case z == nil:
			c.addf(path+"."+field, "unknown zone %q", id)
		case kinds != nil && !slices.Contains(kinds, z.Kind):
			c.addf(path+"."+field, "zone %q is a %s zone; this rule needs a zone of kind %s", id, z.Kind, strings.Join(strings.Split(listOf(kinds), ", "), " or "))
		}
		return z
	}
	categories := func() {
		for j, cat := range r.Categories {
			if !cat.Valid() {
				c.addf(fmt.Sprintf("%s.categories[%d]", path, j), "unknown category %q", cat)
			}
		}
	}
	switch r.Kind {
	case RuleFireInZone:
		zoneOf("zone", r.Zone, ruleZoneKinds[RuleFireInZone])
		categories()
		c.date(path+".from", r.From)
	case RuleWeaponDistance:
		z := zoneOf("line", r.Line, []ZoneKind{PartyLine, ContactLine})
		switch {
		case z != nil && z.Kind == ContactLine && r.Party == "":
			c.addf(path, "distances from the contact line must name the party they bind (party:)")
		case z != nil && z.Kind == PartyLine && r.Party != "" && r.Party != z.Party:
			c.addf(path+".party", "line %q is %s's line, not %s's", z.ID, z.Party, r.Party)
		}
		// Distances count on the party's own side of the line.
		if party := cmp.Or(r.Party, partyOf(z)); z != nil && z.line != nil && c.isParty(party) && c.a.PartySide(z, party) == geo.On {
			c.addf(path+".line", "cannot tell which side of %q is %s's: give %s a controlled_area zone on one side of it", z.ID, party, party)
		}
		c.partyRef(path+".party", r.Party)
		for w := range r.Distances {
			if !w.Valid() {
				c.addKeyf(path+".distances."+string(w), "unknown weapon class %q", w)
			}
		}
	case RuleHoldingInventory:
		for j, id := range r.Zones {
			if z := zoneOf(fmt.Sprintf("zones[%d]", j), id, []ZoneKind{HoldingArea}); z != nil && z.Kind == HoldingArea && len(z.Inventory) == 0 {
				c.addf(fmt.Sprintf("%s.zones[%d]", path, j), "holding area %q declares no inventory", id)
			}
		}
	case RuleMissionRestriction:
		categories()
	case RuleZoneIncursion:
		zoneOf("zone", r.Zone, ruleZoneKinds[RuleZoneIncursion])
		c.partyRef(path+".party", r.Party)
	case RuleLevelBelow:
		c.duration(path+".period", r.Period)
	case RuleMilestone:
		c.date(path+".due", r.Due)
	}
}

func (c *checker) protocols() {
	seen := map[string]string{}
	for i, p := range c.a.Protocols {
		path := fmt.Sprintf("protocols[%d]", i)
		c.unique(seen, p.ID, path+".id")
		steps := map[string]string{}
		var prev *Step
		for j, s := range p.Steps {
			sp := fmt.Sprintf("%s.steps[%d]", path, j)
			c.unique(steps, s.ID, sp+".id")
			if s.Actor != "" && s.Actor != ActorMission && s.Actor != ActorAllGuarantors && !c.isParty(s.Actor) && !c.isGuarantor(s.Actor) {
				c.addf(sp+".actor", "unknown actor %q: want a guarantor, a group, a party, %q or %q", s.Actor, ActorMission, ActorAllGuarantors)
			}
			if s.Action != "" && !s.Action.Valid() {
				c.addf(sp+".action", "unknown action %q: want one of %s", s.Action, listOf(vocab.ActionKinds()))
			}
			if !c.duration(sp+".deadline", s.Deadline) {
				continue
			}
			if prev != nil && s.Deadline.Hours() < prev.Deadline.Hours() {
				c.addf(sp+".deadline", "deadline %s comes before the previous step's %s: steps must be in order of deadline", s.Deadline, prev.Deadline)
			}
			prev = s
		}
		if c.duration(path+".cutoff", p.Cutoff) && prev != nil && p.Cutoff.Hours() < prev.Deadline.Hours() {
			c.addf(path+".cutoff", "cutoff %s comes before the last step's deadline %s", p.Cutoff, prev.Deadline)
		}
		if e := p.Escalation; e != nil {
			if o := e.OnOverdue; o != "" && o != NotifyAll && c.a.Protocol(o) == nil {
				c.addf(path+".escalation.on_overdue", "unknown protocol %q (or use %s)", o, NotifyAll)
			}
			if r := e.Repeated; r != nil {
				c.duration(path+".escalation.repeated.within", r.Within)
				if r.Protocol != "" && c.a.Protocol(r.Protocol) == nil {
					c.addf(path+".escalation.repeated.protocol", "unknown protocol %q", r.Protocol)
				}
			}
		}
	}
}

// commitmentPeriod resolves a commitment's term: from its start (else the
// agreement's effective day) until its end, or start plus its duration,
// else the agreement's own end.
func commitmentPeriod(a *Agreement, start, end time.Time, d Duration) (from, until time.Time) {
	effective, _ := a.Effective.In(a.loc)
	from = start
	if from.IsZero() {
		from = effective
	}
	switch {
	case !end.IsZero():
		until = end
	case d != "" && !from.IsZero():
		until = d.AddTo(from)
	case a.Duration != "" && !effective.IsZero():
		until = a.Duration.AddTo(effective)
	}
	return from, until
}

func partyOf(z *Zone) string {
	if z == nil {
		return ""
	}
	return z.Party
}

func at(s []any, i int) any {
	if i < len(s) {
		return s[i]
	}
	return nil
}

func utfText(b []byte) bool {
	return bytes.IndexByte(b, 0) < 0 && utf8.Valid(b)
}

// canonicalJSON is the RFC 8785 form of the agreement as written, plus
// each distinct zone file's content once, under "zone_files" by its cleaned
// path; every zone's and phase's "file" holds that cleaned path. (The
// schema allows no top-level "zone_files", so the key cannot collide.)
func canonicalJSON(inst any, files map[string]any) ([]byte, error) {
	root, _ := inst.(map[string]any)
	clean := func(m map[string]any) map[string]any {
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[k] = v
		}
		if name, ok := m["file"].(string); ok {
			out["file"] = cleanZonePath(name)
		}
		return out
	}
	out := make(map[string]any, len(root)+1)
	for k, v := range root {
		out[k] = v
	}
	if zones, ok := root["zones"].([]any); ok {
		nz := make([]any, len(zones))
		for i, z := range zones {
			zm, _ := z.(map[string]any)
			zm = clean(zm)
			if phases, ok := zm["phases"].([]any); ok {
				np := make([]any, len(phases))
				for j, ph := range phases {
					pm, _ := ph.(map[string]any)
					np[j] = clean(pm)
				}
				zm["phases"] = np
			}
			nz[i] = zm
		}
		out["zones"] = nz
	}
	if len(files) > 0 {
		out["zone_files"] = files
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return jcs.Transform(b)
}
