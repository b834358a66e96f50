package clocktest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/internal/clocktest"
)

func TestClockAdvances(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	c := clocktest.New(start, time.Second)
	require.Equal(t, start.Add(time.Second), c.Now())
	require.Equal(t, start.Add(2*time.Second), c.Now())
}

func TestClockAdvance(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	c := clocktest.New(start, time.Millisecond)
	c.Advance(time.Hour)
	require.Equal(t, start.Add(time.Hour+time.Millisecond), c.Now())
}
