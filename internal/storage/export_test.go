package storage

import (
	"database/sql"

	"github.com/uptrace/bun"
)

// CachedStatements returns how many statement texts QueryBound remembers
// for db's handle and how many of them are prepared.
func CachedStatements(db *bun.DB) (texts, prepared int) {
	v, ok := sqliteCaches.Load(db.DB)
	if !ok {
		return 0, 0
	}
	c := v.(*stmtCache)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.texts {
		if e.Value.(*cachedStmt).stmt != nil {
			prepared++
		}
	}
	return len(c.texts), prepared
}

// SQLiteKept is sqliteKept, for tests.
const SQLiteKept = sqliteKept

// KeptStatements returns the prepared statements QueryBound keeps for db's
// handle.
func KeptStatements(db *bun.DB) []*sql.Stmt {
	v, ok := sqliteCaches.Load(db.DB)
	if !ok {
		return nil
	}
	c := v.(*stmtCache)
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*sql.Stmt
	for _, e := range c.texts {
		if st := e.Value.(*cachedStmt).stmt; st != nil {
			out = append(out, st)
		}
	}
	return out
}
