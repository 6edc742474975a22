package report

import (
	"fmt"
	"time"

	"github.com/pactwatch/pactwatch"
)

// Bounds returns the report day's start and end: local midnight to the next
// local midnight in loc. Midnights are found with time.Date on the calendar
// day, never by adding 24 hours, so the day that a daylight-saving change
// falls in is 23 or 25 hours long, as it is for the people on the ground.
// (Where a zone skips midnight itself, time.Date moves it forward, and the
// day starts at the first instant that exists.)
func Bounds(day string, loc *time.Location) (from, to time.Time, err error) {
	d, err := ParseDay(day)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	y, m, dd := d.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc), time.Date(y, m, dd+1, 0, 0, 0, 0, loc), nil
}

// ParseDay checks that s is a calendar day written YYYY-MM-DD and returns
// it at midnight UTC (a calendar value: Bounds places it in a zone).
func ParseDay(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Format(time.DateOnly) != s {
		return time.Time{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "date", "%q is not a day: want YYYY-MM-DD, e.g. 2026-11-20", s)
	}
	if t.Year() < 1900 {
		return time.Time{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "date", "%q is before 1900", s)
	}
	return t, nil
}

// DayOf returns the report day (YYYY-MM-DD) that t falls in, in loc.
func DayOf(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.DateOnly) }

// Number is the report's number: the report day's day of the year and the
// year, "324/2026", as the OSCE SMM numbered its reports ("Daily Report
// 145/2021"). The day of the year, rather than a count of reports
// published, makes the number a function of the date alone: a report
// published late, or never, does not renumber the others, and anyone can
// tell the number of any day's report.
func Number(from time.Time) string { return fmt.Sprintf("%d/%d", from.YearDay(), from.Year()) }
