// Package idset treats lists of IDs as sets (the people on a record, the
// assignees of a customer, the units of a user): it compares them and puts
// them in one canonical form.
package idset

import (
	"bytes"
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

// Sorted returns the IDs of ids each once, in ascending byte order (which
// is also the order of their strings), in a new slice; ids is not changed.
// It returns nil for nil.
func Sorted(ids []uuid.UUID) []uuid.UUID {
	out := slices.Clone(ids)
	slices.SortFunc(out, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	return slices.Compact(out)
}
