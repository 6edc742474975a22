package intake

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

// csvColumns are the columns of pactwatch's own CSV format
// (docs/observation.md): the observation's fields flattened, with the
// observed point (target) as plain lat/lon. Only observed_at and category
// are required; a row needs at least one position.
var csvColumns = map[string]bool{
	"id": true, "observed_at": true, "time_precision": true, "category": true, "count": true,
	"lat": true, "lon": true, "uncertainty_m": true,
	"observer_lat": true, "observer_lon": true, "observer_uncertainty_m": true,
	"origin_lat": true, "origin_lon": true, "origin_uncertainty_m": true,
	"bearing_deg": true, "bearing_err_deg": true, "distance_min_m": true, "distance_max_m": true, "direction": true,
	"weapon_class": true, "calibre_mm": true, "source_type": true, "grade": true,
	"attribution_party": true, "attribution_confidence": true,
	"narrative": true, "language": true, "evidence": true, "source_id": true,
}

// csvRequired are the columns a pactwatch CSV header must have.
var csvRequired = []string{"observed_at", "category"}

// table is a CSV file read record by record with named columns.
type table struct {
	r      *csv.Reader
	header map[string]int
}

// openTable reads the header. known, when not nil, is the set of allowed
// columns (others are an error); required columns must be present.
func openTable(data []byte, known map[string]bool, required []string) (*table, error) {
	if !utf8.Valid(data) {
		return nil, pactwatch.Errorf(pactwatch.EINVALID, "not UTF-8 text")
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // spreadsheets' byte-order mark
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = 0 // every record as long as the header
	r.ReuseRecord = true
	head, err := r.Read()
	if err == io.EOF {
		return nil, pactwatch.Errorf(pactwatch.EINVALID, "empty file: want a header line")
	}
	if err != nil {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "line 1", "%v", csvErrMessage(err))
	}
	t := &table{r: r, header: make(map[string]int, len(head))}
	for i, h := range head {
		name := strings.ToLower(strings.TrimSpace(h))
		if _, dup := t.header[name]; dup {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "line 1", "column %q appears twice", name)
		}
		if known != nil && !known[name] {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "line 1", "unknown column %q", h)
		}
		t.header[name] = i
	}
	for _, c := range required {
		if _, ok := t.header[c]; !ok {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "line 1", "missing column %q", c)
		}
	}
	return t, nil
}

// next returns the next record as column → trimmed value (empty cells
// left out) and its line. ok is false at the end. A malformed record is
// returned as rowErr, to be rejected.
func (t *table) next() (row map[string]string, line int, rowErr error, ok bool, err error) {
	rec, err := t.r.Read()
	if err == io.EOF {
		return nil, 0, nil, false, nil
	}
	line, _ = t.r.FieldPos(0)
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		// The reader resumes at the next line; an unterminated quote has
		// consumed the rest of the file and the next read ends it.
		return nil, pe.StartLine, errors.New(csvErrMessage(err)), true, nil
	}
	if err != nil {
		return nil, 0, nil, false, pactwatch.Internal(err)
	}
	row = make(map[string]string, len(rec))
	for name, i := range t.header {
		if v := strings.TrimSpace(rec[i]); v != "" {
			row[name] = v
		}
	}
	return row, line, nil, true, nil
}

func csvErrMessage(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return "malformed CSV: " + pe.Err.Error()
	}
	return err.Error()
}

func (im *importer) csv(data []byte) error {
	t, err := openTable(data, csvColumns, csvRequired)
	if err != nil {
		return err
	}
	for {
		row, line, rowErr, ok, err := t.next()
		if err != nil || !ok {
			return err
		}
		if err := im.countRow(); err != nil {
			return err
		}
		if rowErr != nil {
			im.reject(line, "%v", rowErr)
			continue
		}
		o, err := im.csvRow(row)
		if err != nil {
			im.rejectErr(line, err)
			continue
		}
		if o.ID == "" {
			o.ID = im.id(im.rowName(line))
		}
		im.add(line, row["source_id"], o)
	}
}

// fieldParser collects the first parse error of a row, naming its column.
type fieldParser struct {
	row map[string]string
	err error
}

func (p *fieldParser) fail(col, msg string) {
	if p.err == nil {
		p.err = pactwatch.FieldErrorf(pactwatch.EINVALID, col, "%s", msg)
	}
}

func (p *fieldParser) float(col string, def float64) float64 {
	v, ok := p.row[col]
	if !ok {
		return def
	}
	f, err := parseFloat(v)
	if err != nil {
		p.fail(col, "not a number: "+strconv.Quote(v))
	}
	return f
}

func (p *fieldParser) int(col string, def int) int {
	v, ok := p.row[col]
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.fail(col, "not a whole number: "+strconv.Quote(v))
	}
	return n
}

// position reads prefix+"lat", prefix+"lon" and prefix+"uncertainty_m";
// nil when neither lat nor lon is given.
func (p *fieldParser) position(prefix string) *observation.Position {
	_, hasLat := p.row[prefix+"lat"]
	_, hasLon := p.row[prefix+"lon"]
	if !hasLat && !hasLon {
		if _, ok := p.row[prefix+"uncertainty_m"]; ok {
			p.fail(prefix+"uncertainty_m", "given without "+prefix+"lat and "+prefix+"lon")
		}
		return nil
	}
	if !hasLat || !hasLon {
		p.fail(prefix+"lat", "needs both "+prefix+"lat and "+prefix+"lon")
	}
	return &observation.Position{
		Lat:          p.float(prefix+"lat", 0),
		Lon:          p.float(prefix+"lon", 0),
		UncertaintyM: p.float(prefix+"uncertainty_m", DefaultUncertaintyM),
	}
}

func (im *importer) csvRow(row map[string]string) (observation.Observation, error) {
	p := &fieldParser{row: row}
	at, prec, err := parseTime(row["observed_at"])
	if err != nil {
		p.fail("observed_at", err.Error())
	}
	if v, ok := row["time_precision"]; ok {
		prec = v
	}
	o := observation.Observation{
		ID:            row["id"],
		ObservedAt:    at,
		TimePrecision: prec,
		Target:        p.position(""),
		Observer:      p.position("observer_"),
		Origin:        p.position("origin_"),
		Category:      vocab.Category(row["category"]),
		Count:         p.int("count", 1),
		WeaponClass:   vocab.WeaponClass(row["weapon_class"]),
		CalibreMM:     p.float("calibre_mm", 0),
		SourceType:    vocab.SourceType(row["source_type"]),
		Grade:         vocab.Grade(row["grade"]),
		Narrative:     row["narrative"],
		Language:      row["language"],
	}
	if o.SourceType == "" {
		o.SourceType = im.opt.SourceType
	}
	if o.Grade == "" {
		o.Grade = im.defaultGrade()
	}
	if _, ok := row["bearing_deg"]; ok {
		o.Fire = &observation.Fire{
			BearingDeg:   p.float("bearing_deg", 0),
			BearingErr:   p.float("bearing_err_deg", 0),
			DistanceMinM: p.float("distance_min_m", 0),
			DistanceMaxM: p.float("distance_max_m", 0),
			Direction:    row["direction"],
		}
	} else {
		for _, c := range []string{"bearing_err_deg", "distance_min_m", "distance_max_m", "direction"} {
			if _, ok := row[c]; ok {
				p.fail(c, "given without bearing_deg")
			}
		}
	}
	if party, ok := row["attribution_party"]; ok {
		o.Attribution = &observation.Attribution{Party: party, Confidence: row["attribution_confidence"]}
	} else if _, ok := row["attribution_confidence"]; ok {
		p.fail("attribution_confidence", "given without attribution_party")
	}
	if ev, ok := row["evidence"]; ok {
		o.Evidence = strings.Fields(strings.ReplaceAll(ev, ";", " "))
	}
	return o, p.err
}

func (im *importer) defaultGrade() vocab.Grade {
	if im.opt.Grade != "" {
		return im.opt.Grade
	}
	return DefaultGrade
}
