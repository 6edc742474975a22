package demo

import (
	"sync"
	"time"
)

// Clock is the whole server's clock during `serve --demo`: it starts in
// the past, at the beginning of the simulated month, and the seeding moves
// it forward day by day (Advance) so that every record — received times,
// ledger entries, deadlines, reports — is stamped in simulated time. Between
// advances it runs at the speed of real time (so rate limits refill and
// nothing sees a frozen clock), and once it is advanced to real time it is
// real time for ever. It never goes backwards: records' times stay in
// order across the hand-over.
type Clock struct {
	mu     sync.Mutex
	real   func() time.Time
	offset time.Duration // simulated minus real; 0 once live
	live   bool
	last   time.Time // the latest time Now returned
}

// NewClock returns a clock reading start now; real is the real clock
// (time.Now, or a test's fake). A start at or after real time gives a live
// clock.
func NewClock(start time.Time, real func() time.Time) *Clock {
	if real == nil {
		real = time.Now
	}
	c := &Clock{real: real}
	if d := start.Sub(real()); d < 0 {
		c.offset = d
	} else {
		c.live = true
	}
	return c
}

// Now returns the simulated time (real time once live), never earlier than
// a time it returned before.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *Clock) nowLocked() time.Time {
	t := c.real().Add(c.offset)
	if t.Before(c.last) {
		t = c.last
	}
	c.last = t
	return t
}

// Advance moves the clock forward to t; a t not after the clock's time is
// ignored (the clock never goes backwards), and a t at or after real time
// makes the clock live: real time from then on.
func (c *Clock) Advance(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live || !t.After(c.nowLocked()) {
		return
	}
	c.offset = t.Sub(c.real())
	if c.offset >= 0 {
		c.offset, c.live = 0, true
	}
}

// GoLive makes the clock real time from now on (a jump forward).
func (c *Clock) GoLive() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset, c.live = 0, true
}

// Live reports whether the clock has reached real time.
func (c *Clock) Live() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live
}
