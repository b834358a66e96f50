// Package idset compares lists of IDs as sets: the people on a record, the
// assignees of a customer.
package idset

import (
	"slices"

	"github.com/google/uuid"
)

// Same reports whether a and b hold the same IDs, in any order. It expects
// lists without repeats (as validation leaves them): it checks that both
// have the same length and that every ID of a is in b. It takes time
// len(a)×len(b), which suits lists of a few dozen IDs.
func Same(a, b []uuid.UUID) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
