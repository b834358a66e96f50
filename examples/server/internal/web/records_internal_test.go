package web

import (
	"errors"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGroupDigits(t *testing.T) {
	t.Parallel()
	require.Equal(t, "1,234,567", groupDigits(1234567))
	require.Equal(t, "-1,000", groupDigits(-1000))
	require.Equal(t, "999", groupDigits(999))
}

// TestBeside checks both ways beside runs the top page's side reads: on a
// goroutine of its own while the UI serves no more requests than half its
// processors (the caller goes on before f ends; with none in flight on any
// machine), in line beyond that (f
// has run when beside returns); either way the wait returns f's error.
func TestBeside(t *testing.T) {
	t.Parallel()
	failed := errors.New("side read failed")
	u := &UI{}
	u.serving.Store(int32(runtime.GOMAXPROCS(0))/2 + 1)
	ran := false
	wait := u.beside(func() error { ran = true; return failed })
	require.True(t, ran, "under load f runs in line")
	require.ErrorIs(t, wait(), failed)

	// No request in flight: every processor is spare, whatever their
	// number.
	u.serving.Store(0)
	release := make(chan struct{})
	// Were f run in line, beside would not return and the test would
	// hang: f waits for the caller.
	wait = u.beside(func() error { <-release; return failed })
	close(release)
	require.ErrorIs(t, wait(), failed)
	// A panic on the side goroutine comes back as an error.
	wait = u.beside(func() error { panic("side read") })
	require.ErrorContains(t, wait(), "side read panicked")
}
