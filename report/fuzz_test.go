package report

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/vocab"
)

// FuzzDaily builds observations from arbitrary bytes (8 bytes each: time,
// category, count, position, weapon) and checks what must hold of any
// report: area rows add up to the total, each breakdown adds up to its own
// total, changes are day minus previous, and every writer succeeds.
func FuzzDaily(f *testing.F) {
	f.Add([]byte("\x10\x00\x05\x20\x30\x00\x01\x00\x90\x04\x02\x40\x10\x05\x00\x00"))
	f.Add(bytes.Repeat([]byte{0xff, 0x08, 0x00, 0x80, 0x80, 0x09, 0x01, 0x02}, 4))
	a := exampleAgreement(f)
	cats, classes := vocab.Categories(), vocab.WeaponClasses()
	f.Fuzz(func(t *testing.T, data []byte) {
		in := Input{Agreement: a, AsOf: utc("2026-11-21T00:00:00Z")}
		base := utc("2026-11-18T22:00:00Z")
		for i := 0; i+8 <= len(data) && i < 8*200; i += 8 {
			b := data[i : i+8]
			at := base.Add(time.Duration(binary.BigEndian.Uint16(b[0:2])) * 5 * time.Minute)
			o := obs{id: fmt.Sprintf("f%04d", i/8), at: at.Format(time.RFC3339), cat: cats[int(b[2])%len(cats)], n: int(b[3] % 50),
				where: [2]float64{44 + float64(b[4])/40, 30 + float64(b[5])/25}, radiusM: float64(b[6]) * 100}
			if b[7]%3 != 0 {
				o.weapon = classes[int(b[7])%len(classes)]
			}
			rec := o.record()
			if b[6] == 0xff {
				rec.Target, rec.Observer = nil, nil
			}
			in.Observations = append(in.Observations, rec)
		}
		r, err := Daily(in, "2026-11-20")
		if err != nil {
			t.Fatal(err)
		}
		var day, prev Breakdown
		for _, av := range append(r.Ceasefire.Areas, r.Ceasefire.Total) {
			for _, b := range []Breakdown{av.Day, av.Previous, av.Change} {
				if b.Explosions+b.Projectiles+b.MuzzleFlashes+b.Flares+b.BurstsAndShots != b.Total {
					t.Fatalf("%s: breakdown does not add up: %+v", av.Area, b)
				}
			}
			if av.Change != av.Day.minus(av.Previous) {
				t.Fatalf("%s: change %+v", av.Area, av.Change)
			}
			if av.Area != "total" {
				day, prev = sum(day, av.Day), sum(prev, av.Previous)
			}
		}
		if day != r.Ceasefire.Total.Day || prev != r.Ceasefire.Total.Previous {
			t.Fatalf("areas add up to %+v/%+v, total says %+v/%+v", day, prev, r.Ceasefire.Total.Day, r.Ceasefire.Total.Previous)
		}
		for _, w := range []func(*bytes.Buffer) error{
			func(b *bytes.Buffer) error { return WriteJSON(b, r) },
			func(b *bytes.Buffer) error { return WriteCSV(b, r) },
			func(b *bytes.Buffer) error { return WriteGeoJSON(b, r) },
			func(b *bytes.Buffer) error { return WriteHTML(b, r, HTMLOptions{Lang: "uk"}) },
		} {
			if err := w(&bytes.Buffer{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := Record(r); err != nil {
			t.Fatal(err)
		}
	})
}

// pagedSource serves observations in pages of at most limit, like the store.
type pagedSource struct {
	recs  []observation.Record
	calls int
}

func (p *pagedSource) Observations(_ context.Context, f store.ObservationFilter) ([]observation.Record, error) {
	p.calls++
	var out []observation.Record
	for _, r := range p.recs {
		if r.Seq > f.After && !r.ObservedAt.Before(f.From) && r.ObservedAt.Before(f.To) && len(out) < f.Limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func TestReadObservationsPages(t *testing.T) {
	a := exampleAgreement(t)
	src := &pagedSource{}
	n := store.MaxLimit + 5
	for i := range n + 10 {
		at := utc("2026-11-18T22:00:00Z").Add(time.Duration(i) * 15 * time.Second) // from the start of the 19th, Kyiv time
		if i >= n {
			at = utc("2026-11-18T21:59:59Z") // the 18th: not read
		}
		o := obs{id: fmt.Sprint(i), at: at.Format(time.RFC3339), cat: vocab.Explosion, n: 1, where: horlivka}.record()
		o.Seq = int64(i + 1)
		src.recs = append(src.recs, o)
	}
	got, err := ReadObservations(context.Background(), src, a, "2026-11-20")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n || src.calls != 2 {
		t.Errorf("read %d observations in %d calls, want %d in 2", len(got), src.calls, n)
	}
}

func BenchmarkDaily(b *testing.B) {
	a := exampleAgreement(b)
	in := Input{Agreement: a, AsOf: utc("2026-11-21T00:00:00Z")}
	cats := []vocab.Category{vocab.Explosion, vocab.BurstOfFire, vocab.ProjectileInFlight, vocab.HeavyWeaponSighted, vocab.MovementRestriction}
	places := [][2]float64{horlivka, orikhiv, kreminna, svatove, kherson, tokmak, dnipro, nearHorl}
	for i := range 20000 { // two days of a heavy period, as reports
		at := utc("2026-11-18T22:00:00Z").Add(time.Duration(i) * 8640 * time.Millisecond)
		o := obs{id: fmt.Sprint(i), at: at.Format(time.RFC3339), cat: cats[i%len(cats)], n: 1 + i%7, where: places[i%len(places)], radiusM: 500}
		if o.cat == vocab.HeavyWeaponSighted {
			o.weapon = vocab.Artillery
		}
		in.Observations = append(in.Observations, o.record())
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Daily(in, "2026-11-20"); err != nil {
			b.Fatal(err)
		}
	}
}
