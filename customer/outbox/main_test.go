package outbox_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when any goroutine outlives the tests (a
// dispatcher that does not stop, a database pool left open).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
