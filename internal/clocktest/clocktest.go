// Package clocktest provides the fake clock Kiroku's tests inject into
// engines (every Config has a Clock; logic never calls time.Now).
package clocktest

import (
	"sync"
	"time"
)

// Clock is a fake clock that advances by Step on every reading, so that
// successive writes get distinct, increasing timestamps. It is safe for
// concurrent use.
type Clock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

// New returns a clock whose first reading is start+step.
func New(start time.Time, step time.Duration) *Clock { return &Clock{t: start, step: step} }

// Now advances the clock by its step and returns the new time. Pass the
// method value (c.Now) as an engine's Config.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

// Advance moves the clock forward by d (a jump in time, e.g. past an expiry).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
