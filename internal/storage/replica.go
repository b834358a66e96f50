package storage

import (
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/internal/kerr"
)

// ReadReplica returns the handle an engine serves lag-tolerant reads from:
// replica when set, otherwise primary (of dialect d). A replica must be a
// database handle, not a transaction, and speak d.
func ReadReplica(primary bun.IDB, d Dialect, replica bun.IDB) (bun.IDB, error) {
	if replica == nil {
		return primary, nil
	}
	switch replica.(type) {
	case bun.Tx, *bun.Tx:
		return nil, fmt.Errorf("ReadDB must be a database handle, not a transaction: %w", kerr.ErrInvalid)
	}
	rd, err := Of(replica)
	if err != nil {
		return nil, fmt.Errorf("ReadDB: %w", errors.Join(err, kerr.ErrInvalid))
	}
	if rd != d {
		return nil, fmt.Errorf("ReadDB speaks another dialect than the primary: %w", kerr.ErrInvalid)
	}
	return replica, nil
}
