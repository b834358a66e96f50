package dbopen_test

import (
	"database/sql"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/internal/dbopen"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// A PostgreSQL pool keeps the connections of a burst of concurrent
// requests for the next one instead of closing all but two.
func TestPostgresKeepsIdleConnections(t *testing.T) {
	base := os.Getenv(dbtest.EnvPostgres)
	if base == "" {
		t.Skip(dbtest.EnvPostgres + " is not set")
	}
	dsn, err := dbopen.PostgresDSN(base, "")
	require.NoError(t, err)
	db, err := dbopen.OpenPostgres(dsn)
	require.NoError(t, err)
	defer func() { _ = db.Close() }()
	conns := make([]*sql.Conn, 8)
	for i := range conns {
		conns[i], err = db.DB.Conn(t.Context())
		require.NoError(t, err)
	}
	for _, c := range conns {
		require.NoError(t, c.Close())
	}
	require.Equal(t, len(conns), db.Stats().Idle)
}
