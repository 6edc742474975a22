package demo

import (
	"testing"
)

func TestGeometry(t *testing.T) {
	line := fallbackLine
	p := pointAlong(line, 0)
	if p != line[0] {
		t.Errorf("start %v", p)
	}
	if p := pointAlong(line, 1); p != line[len(line)-1] {
		t.Errorf("end %v", p)
	}
	// Offsetting 10 km moves the point about 10 km.
	base := pointAlong(line, 0.5)
	off := offset(line, 0.5, 10)
	if d := distanceM(base, off); d < 9900 || d > 10100 {
		t.Errorf("10 km offset moved %.0f m", d)
	}
	if b := bearing([2]float64{37, 48}, [2]float64{37, 49}); b > 0.001 && b < 359.999 {
		t.Errorf("bearing north = %v", b)
	}
	if b := bearing([2]float64{37, 48}, [2]float64{38, 48}); b < 89 || b > 91 {
		t.Errorf("bearing east = %v", b)
	}
	if c := compass(90); c != "W to E" {
		t.Errorf("compass(90) = %q", c)
	}
}
