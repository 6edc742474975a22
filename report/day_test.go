package report

import (
	"math"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch/geo"

	"github.com/pactwatch/pactwatch/vocab"
)

func kyiv(t testing.TB) *time.Location {
	loc, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Europe/Kyiv moves to summer time at 03:00 on the last Sunday of March and
// back at 04:00 on the last Sunday of October: those days are 23 and 25
// hours long.
func TestBoundsDST(t *testing.T) {
	loc := kyiv(t)
	tests := []struct {
		day, from, to string
		hours         float64
		number        string
	}{
		{"2026-03-28", "2026-03-27T22:00:00Z", "2026-03-28T22:00:00Z", 24, "87/2026"},
		{"2026-03-29", "2026-03-28T22:00:00Z", "2026-03-29T21:00:00Z", 23, "88/2026"},
		{"2026-03-30", "2026-03-29T21:00:00Z", "2026-03-30T21:00:00Z", 24, "89/2026"},
		{"2026-10-25", "2026-10-24T21:00:00Z", "2026-10-25T22:00:00Z", 25, "298/2026"},
		{"2026-10-26", "2026-10-25T22:00:00Z", "2026-10-26T22:00:00Z", 24, "299/2026"},
		{"2026-12-31", "2026-12-30T22:00:00Z", "2026-12-31T22:00:00Z", 24, "365/2026"},
		{"2028-12-31", "2028-12-30T22:00:00Z", "2028-12-31T22:00:00Z", 24, "366/2028"},
	}
	for _, tt := range tests {
		from, to, err := Bounds(tt.day, loc)
		if err != nil {
			t.Fatal(err)
		}
		if got := from.UTC().Format(time.RFC3339); got != tt.from {
			t.Errorf("%s: from %s, want %s", tt.day, got, tt.from)
		}
		if got := to.UTC().Format(time.RFC3339); got != tt.to {
			t.Errorf("%s: to %s, want %s", tt.day, got, tt.to)
		}
		if got := to.Sub(from).Hours(); got != tt.hours {
			t.Errorf("%s: %g hours, want %g", tt.day, got, tt.hours)
		}
		if got := Number(from); got != tt.number {
			t.Errorf("%s: number %s, want %s", tt.day, got, tt.number)
		}
		if DayOf(from, loc) != tt.day || DayOf(to.Add(-time.Nanosecond), loc) != tt.day || DayOf(to, loc) == tt.day {
			t.Errorf("%s: DayOf disagrees with Bounds", tt.day)
		}
	}
}

// Events on the 25-hour day of October: the hour 03:00–04:00 happens
// twice and both count; the 23-hour day of March has no 03:00–04:00.
func TestDailyDSTDays(t *testing.T) {
	in := fixture(t)
	in.Cases, in.Steps = nil, nil
	in.AsOf = utc("2026-12-01T00:00:00Z") // everything received
	in.Observations = nil
	for _, o := range []obs{
		{id: "a0", at: "2026-10-24T20:59:00Z", cat: vocab.Explosion, n: 1, where: horlivka}, // 23:59 EEST on the 24th
		{id: "a1", at: "2026-10-24T21:00:00Z", cat: vocab.Explosion, n: 2, where: horlivka}, // 00:00 EEST on the 25th
		{id: "a2", at: "2026-10-25T00:30:00Z", cat: vocab.Explosion, n: 4, where: horlivka}, // 03:30 EEST
		{id: "a3", at: "2026-10-25T01:30:00Z", cat: vocab.Explosion, n: 8, where: horlivka}, // 03:30 EET, the second time
		{id: "a4", at: "2026-10-25T21:59:00Z", cat: vocab.Explosion, n: 16, where: horlivka},
		{id: "a5", at: "2026-10-25T22:00:00Z", cat: vocab.Explosion, n: 32, where: horlivka}, // 00:00 on the 26th
		{id: "b0", at: "2026-03-28T21:59:00Z", cat: vocab.BurstOfFire, n: 1, where: horlivka},
		{id: "b1", at: "2026-03-28T22:00:00Z", cat: vocab.BurstOfFire, n: 2, where: horlivka},
		{id: "b2", at: "2026-03-29T00:59:00Z", cat: vocab.BurstOfFire, n: 4, where: horlivka}, // 02:59 EET
		{id: "b3", at: "2026-03-29T01:00:00Z", cat: vocab.BurstOfFire, n: 8, where: horlivka}, // 04:00 EEST
		{id: "b4", at: "2026-03-29T20:59:00Z", cat: vocab.BurstOfFire, n: 16, where: horlivka},
		{id: "b5", at: "2026-03-29T21:00:00Z", cat: vocab.BurstOfFire, n: 32, where: horlivka}, // 00:00 on the 30th
	} {
		in.Observations = append(in.Observations, o.record())
	}
	tests := []struct {
		day            string
		today, before  int
		hoursInHeading int
	}{
		{"2026-10-25", 2 + 4 + 8 + 16, 1, 25},
		{"2026-10-26", 32, 2 + 4 + 8 + 16, 24},
		{"2026-03-29", 2 + 4 + 8 + 16, 1, 23},
		{"2026-03-30", 32, 2 + 4 + 8 + 16, 24},
	}
	for _, tt := range tests {
		r, err := Daily(in, tt.day)
		if err != nil {
			t.Fatal(err)
		}
		if r.Ceasefire.Total.Day.Total != tt.today || r.Ceasefire.Total.Previous.Total != tt.before {
			t.Errorf("%s: day %d previous %d, want %d and %d", tt.day, r.Ceasefire.Total.Day.Total, r.Ceasefire.Total.Previous.Total, tt.today, tt.before)
		}
		if h := int(r.To.Sub(r.From).Hours()); h != tt.hoursInHeading {
			t.Errorf("%s: %d hours", tt.day, h)
		}
	}
}

func TestParseDay(t *testing.T) {
	for _, s := range []string{"2026-11-20", "2028-02-29", "1900-01-01"} {
		if _, err := ParseDay(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range []string{"", "2026-11-31", "2027-02-29", "2026-1-5", "2026-11-20T00:00:00Z", " 2026-11-20", "1899-12-31", "+2026-11-20"} {
		if _, err := ParseDay(s); err == nil {
			t.Errorf("%q accepted", s)
		} else if fieldOf(err) != "date" {
			t.Errorf("%q: error names %q, want date", s, fieldOf(err))
		}
	}
}

func FuzzBounds(f *testing.F) {
	for _, s := range []string{"2026-11-20", "2026-03-29", "2026-10-25", "9999-12-31", "2026-13-01", "x"} {
		f.Add(s)
	}
	loc := kyiv(f)
	f.Fuzz(func(t *testing.T, s string) {
		from, to, err := Bounds(s, loc)
		if err != nil {
			return
		}
		if h := to.Sub(from).Hours(); h < 23 || h > 25 {
			t.Fatalf("%s: a day of %g hours", s, h)
		}
		if DayOf(from, loc) != s || DayOf(to, loc) == s {
			t.Fatalf("%s: bounds %v–%v are not that day", s, from, to)
		}
	})
}

func TestPublishSchedule(t *testing.T) {
	loc := kyiv(t)
	tests := []struct{ now, want string }{
		{"2026-11-20T23:59:59Z", "2026-11-19"}, // 01:59:59 local on the 21st: the 20th is not due yet
		{"2026-11-21T00:00:00Z", "2026-11-20"}, // 02:00 local
		{"2026-10-25T23:59:00Z", "2026-10-24"}, // the 25-hour day: ends at 22:00Z, due at 00:00Z
		{"2026-10-26T00:00:00Z", "2026-10-25"},
		{"2026-03-29T22:59:00Z", "2026-03-28"}, // the 23-hour day: ends at 21:00Z, due at 23:00Z
		{"2026-03-29T23:00:00Z", "2026-03-29"},
	}
	for _, tt := range tests {
		got := LastPublishable(utc(tt.now), loc)
		if got != tt.want {
			t.Errorf("at %s: %s, want %s", tt.now, got, tt.want)
		}
		asOf, err := PublishAsOf(got, loc)
		if err != nil || asOf.After(utc(tt.now)) {
			t.Errorf("at %s: %s is due only at %v", tt.now, got, asOf)
		}
	}
}

// Nearest's planar screening picks the same town as measuring every one.
func TestNearestMatchesExhaustive(t *testing.T) {
	g := DefaultGazetteer()
	for lat := 44.0; lat <= 51; lat += 0.13 {
		for lon := 31.0; lon <= 40.5; lon += 0.17 {
			p := orb.Point{lon, lat}
			got, km, ok := g.Nearest(p)
			best, bestKm := Town{}, math.Inf(1)
			for _, c := range g.Towns {
				if d := geo.DistanceKm(c.Point, p); d < bestKm {
					best, bestKm = c, d
				}
			}
			if ok != (bestKm <= g.MaxKm) || (ok && (got.ID != best.ID || km != bestKm)) {
				t.Fatalf("%v: got %s %.3f %v, want %s %.3f", p, got.ID, km, ok, best.ID, bestKm)
			}
		}
	}
}

func TestCompass(t *testing.T) {
	o := orb.Point{38, 48}
	for want, p := range map[string]orb.Point{"N": {38, 48.1}, "NE": {38.13, 48.09}, "E": {38.1, 48}, "SE": {38.13, 47.91},
		"S": {38, 47.9}, "SW": {37.87, 47.91}, "W": {37.9, 48}, "NW": {37.87, 48.09}} {
		if got := Compass(o, p); got != want {
			t.Errorf("%v: %s, want %s", p, got, want)
		}
	}
}
