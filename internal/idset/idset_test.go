package idset_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/internal/idset"
)

func TestSame(t *testing.T) {
	t.Parallel()
	x, y, z := uuid.New(), uuid.New(), uuid.New()
	tests := []struct {
		name string
		a, b []uuid.UUID
		want bool
	}{
		{"both empty", nil, []uuid.UUID{}, true},
		{"same order", []uuid.UUID{x, y}, []uuid.UUID{x, y}, true},
		{"other order", []uuid.UUID{x, y, z}, []uuid.UUID{z, x, y}, true},
		{"one more", []uuid.UUID{x, y}, []uuid.UUID{x, y, z}, false},
		{"one fewer", []uuid.UUID{x, y}, []uuid.UUID{x}, false},
		{"one other", []uuid.UUID{x, y}, []uuid.UUID{x, z}, false},
		{"empty and not", nil, []uuid.UUID{x}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, idset.Same(tt.a, tt.b))
			require.Equal(t, tt.want, idset.Same(tt.b, tt.a), "symmetric")
		})
	}
}

func TestSorted(t *testing.T) {
	t.Parallel()
	require.Nil(t, idset.Sorted(nil))
	x := uuid.MustParse("0190f1a2-0000-7000-8000-00000000000a")
	y := uuid.MustParse("0190f1a2-0000-7000-8000-0000000000a0")
	z := uuid.MustParse("a190f1a2-0000-7000-8000-000000000000")
	in := []uuid.UUID{z, x, y, x, z}
	got := idset.Sorted(in)
	require.Equal(t, []uuid.UUID{x, y, z}, got)
	require.Equal(t, []uuid.UUID{z, x, y, x, z}, in, "the input is left alone")
	require.True(t, slices.IsSortedFunc(got, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) }),
		"byte order is string order")
}
