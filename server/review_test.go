package server

import (
	"math"
	"net/url"
	"testing"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch"
)

// The incidents query parser accepts exactly the documented forms and
// answers everything else with EINVALID naming the parameter.
func TestIncidentFilter(t *testing.T) {
	for _, tt := range []struct {
		query string
		field string // "" for valid
	}{
		{"", ""},
		{"status=verified&category=explosion,burst_of_fire&grade=B2&bbox=36,47,39,49&limit=50", ""},
		{"status=lost", "status"},
		{"category=explosion,party", "category"},
		{"grade=Z9", "grade"},
		{"bbox=36,47,39", "bbox"},
		{"bbox=39,47,36,49", "bbox"},
		{"bbox=36,47,39,north", "bbox"},
		{"bbox=NaN,47,39,49", "bbox"},
		{"bbox=36,47,Inf,49", "bbox"},
		{"limit=0", "limit"},
		{"limit=10001", "limit"},
	} {
		q, _ := url.ParseQuery(tt.query)
		f, err := incidentFilter(q)
		if tt.field == "" {
			if err != nil {
				t.Errorf("%q: %v", tt.query, err)
			}
			if f.Limit == 0 {
				t.Errorf("%q: no default limit", tt.query)
			}
			continue
		}
		var e *pactwatch.Error
		if pactwatch.ErrorCode(err) != pactwatch.EINVALID || !asError(err, &e) || e.Field != tt.field {
			t.Errorf("%q: %v, want invalid %s", tt.query, err, tt.field)
		}
	}
}

func asError(err error, e **pactwatch.Error) bool {
	pe, ok := err.(*pactwatch.Error)
	*e = pe
	return ok
}

// FuzzIncidentFilter: any query string parses or fails with EINVALID, and
// what parses is in range.
func FuzzIncidentFilter(f *testing.F) {
	for _, s := range []string{"", "status=verified", "bbox=36,47,39,49&limit=5", "grade=A1&category=explosion", "bbox=NaN,0,1,1", "limit=-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := url.ParseQuery(s)
		if err != nil {
			return
		}
		fl, err := incidentFilter(q)
		if err != nil {
			if pactwatch.ErrorCode(err) != pactwatch.EINVALID {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if b, ok := fl.Area.(orb.Polygon); ok {
			for _, p := range b[0] {
				if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.Abs(p[0]) > 180 || math.Abs(p[1]) > 90 {
					t.Fatalf("%q: area %v", s, b)
				}
			}
		}
		if fl.Limit < 1 || fl.Limit > 10000 {
			t.Fatalf("%q: limit %d", s, fl.Limit)
		}
		for _, c := range fl.Categories {
			if !c.Valid() {
				t.Fatalf("%q: category %q", s, c)
			}
		}
	})
}
