package outbox

import (
	"math/rand/v2"
	"time"
)

// The default backoff schedule: BackoffBase doubled per failed attempt,
// capped at BackoffMax.
const (
	BackoffBase = 10 * time.Second
	BackoffMax  = time.Hour
)

// DefaultBackoff is the delay before retrying after the given failed
// attempt (1-based; values below 1 count as 1): BackoffBase·2^(attempt−1),
// capped at BackoffMax, minus a random jitter of up to a quarter, so the
// result d of a nominal delay n satisfies 0.75·n ≤ d ≤ n. The jitter keeps
// messages that failed together (an SMTP server down) from retrying in
// lockstep.
func DefaultBackoff(attempt int) time.Duration {
	return jitter(nominalBackoff(attempt))
}

// nominalBackoff is DefaultBackoff without jitter.
func nominalBackoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	// 10s·2^9 already exceeds an hour; the bound also keeps the shift
	// from overflowing.
	if attempt > 20 {
		return BackoffMax
	}
	return min(BackoffBase<<(attempt-1), BackoffMax)
}

func jitter(d time.Duration) time.Duration {
	q := d / 4
	if q <= 0 {
		return d
	}
	return d - rand.N(q+1)
}
