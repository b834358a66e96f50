package main

import (
	"context"
	"errors"
)

// sqliteTable loads the small business's data set into the SQLite file of
// -data (once) and prints the table of issue 21.
func sqliteTable(ctx context.Context, o options) error {
	if o.dataset != "smallbusiness" {
		return errors.New("-table measures -dataset smallbusiness")
	}
	return loadDataset(ctx, o)
}
