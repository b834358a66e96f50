package cursor_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/internal/cursor"
)

type pos struct {
	Sort string    `json:"s"`
	Time time.Time `json:"t,omitzero"`
	ID   uuid.UUID `json:"i"`
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	in := pos{Sort: "created", Time: time.Date(2026, 11, 22, 9, 0, 0, 123456000, time.UTC), ID: uuid.Must(uuid.NewV7())}
	tok, err := cursor.Encode(in)
	require.NoError(t, err)
	require.NotContains(t, tok, "=", "unpadded")
	require.NotContains(t, tok, "+", "URL-safe")
	var out pos
	require.NoError(t, cursor.Decode(tok, &out))
	require.Equal(t, in.Sort, out.Sort)
	require.True(t, in.Time.Equal(out.Time))
	require.Equal(t, in.ID, out.ID)
}

func TestDecodeRejectsForeignTokens(t *testing.T) {
	t.Parallel()
	var out pos
	for _, tok := range []string{"%%%", "bm90IGpzb24", "eyJpIjoibm90LWEtdXVpZCJ9"} { // bad base64, "not json", {"i":"not-a-uuid"}
		require.Error(t, cursor.Decode(tok, &out), tok)
	}
	_, err := cursor.Encode(make(chan int))
	require.Error(t, err)
}
