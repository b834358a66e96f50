package idset_test

import (
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
