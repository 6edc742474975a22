package agreement

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Date is a calendar day written YYYY-MM-DD. Days begin at midnight in the
// agreement's reporting time zone.
type Date string

// In returns the start of the day in loc.
func (d Date) In(loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, string(d), loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date: want YYYY-MM-DD", string(d))
	}
	return t, nil
}

// minTime and maxTime (exclusive) bound the times a date may start at: the
// store keeps times as Unix nanoseconds, which cover only 1677-09-21 to
// 2262-04-11, and refuses any time outside [store.MinTime, store.MaxTime)
// (a test holds these equal to those; agreement stays free of the store's
// SQL). A key "valid until 9999-12-31" would otherwise pass here and be
// refused when the server syncs the agreement's keys: write "no end" as
// no date.
var (
	minTime = time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
)

// checkStorable refuses date d, starting at t, when the store could not
// keep t: outside [minTime, maxTime), or the Unix epoch itself, which the
// store writes for "no time".
func checkStorable(d Date, t time.Time) error {
	first, last := minTime.Format(time.DateOnly), maxTime.AddDate(0, 0, -1).Format(time.DateOnly)
	switch {
	case t.Before(minTime) && string(d) >= first:
		// A zone east of UTC: the day starts on the previous UTC day.
		return fmt.Errorf("date %s starts at %s, before %s UTC, the earliest time pactwatch can store", d, t.UTC().Format(time.RFC3339), first)
	case t.Before(minTime):
		return fmt.Errorf("date %s is before %s, the earliest day pactwatch can store", d, first)
	case !t.Before(maxTime):
		return fmt.Errorf("date %s is after %s, the last day pactwatch can store (for no end, give no date)", d, last)
	case t.UnixNano() == 0:
		return fmt.Errorf("date %s starts at the Unix epoch, which pactwatch's store reserves for \"no time\": pick another day", d)
	}
	return nil
}

// Duration is a calendar duration: a whole number and a unit — y (years),
// mo (months), w (weeks), d (days) or h (hours) — e.g. 30y, 6mo, 14d, 72h.
// Years, months and days are calendar units (a year from 29 February is
// 1 March), so a Duration is added to a time rather than converted.
type Duration string

// Unit sizes in hours, for ordering and display only.
var unitHours = map[string]int64{"h": 1, "d": 24, "w": 7 * 24, "mo": 30 * 24, "y": 365 * 24}

var durationRE = regexp.MustCompile(`^(-?[0-9]+)(y|mo|w|d|h)$`)

// maxDurationHours keeps arithmetic far from overflow: a thousand years.
const maxDurationHours = 1000 * 365 * 24

// Parse splits the duration into its number and unit, rejecting malformed,
// zero, negative and absurdly long durations.
func (d Duration) Parse() (n int64, unit string, err error) {
	m := durationRE.FindStringSubmatch(string(d))
	if m == nil {
		return 0, "", fmt.Errorf("%q is not a duration: want a whole number and a unit (y, mo, w, d, h), e.g. 30y, 6mo, 14d, 72h", string(d))
	}
	n, err = strconv.ParseInt(m[1], 10, 64)
	switch {
	case err != nil || n > maxDurationHours || n*unitHours[m[2]] > maxDurationHours:
		return 0, "", fmt.Errorf("duration %q is too long", string(d))
	case n < 0:
		return 0, "", fmt.Errorf("duration %q is negative", string(d))
	case n == 0:
		return 0, "", fmt.Errorf("duration %q is zero", string(d))
	}
	return n, m[2], nil
}

// AddTo returns t plus the duration, in calendar units (t unchanged if the
// duration is invalid; valid agreements hold only valid durations).
func (d Duration) AddTo(t time.Time) time.Time {
	n, unit, err := d.Parse()
	if err != nil {
		return t
	}
	k := int(n)
	switch unit {
	case "y":
		return t.AddDate(k, 0, 0)
	case "mo":
		return t.AddDate(0, k, 0)
	case "w":
		return t.AddDate(0, 0, 7*k)
	case "d":
		return t.AddDate(0, 0, k)
	}
	return t.Add(time.Duration(n) * time.Hour)
}

// Hours is the duration in hours with 30-day months and 365-day years: for
// ordering deadlines, not for computing them (use AddTo).
func (d Duration) Hours() int64 {
	n, unit, err := d.Parse()
	if err != nil {
		return 0
	}
	return n * unitHours[unit]
}
