package app

import (
	"context"
	"io"

	"github.com/google/uuid"
)

// LoadDemo loads the demo data set into tenant when it has no customers yet
// and prints the demo logins to out.
func (a *App) LoadDemo(ctx context.Context, tenant uuid.UUID, out io.Writer) error {
	return nil
}
