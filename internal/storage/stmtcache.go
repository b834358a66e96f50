package storage

import (
	"container/list"
	"context"
	"database/sql"
	"sync"
)

// sqliteKept is how many statement texts QueryBound remembers per SQLite
// database: those run at least twice are kept prepared on each connection
// that ran them, each a compiled program in that connection's memory, so
// the bound is on texts × idle connections (dbopen keeps 16).
const sqliteKept = 64

// sqliteCaches holds QueryBound's statements, by SQLite database handle;
// Forget drops a closed database's.
var sqliteCaches sync.Map // *sql.DB → *stmtCache

// stmtCache is one database's recent statement texts, the most recently
// used first, with the prepared statements of those that ran twice.
type stmtCache struct {
	mu    sync.Mutex
	texts map[string]*list.Element // of *cachedStmt
	order list.List
}

// cachedStmt is a text of stmtCache and, once it ran twice, its statement.
// users counts the callers between taking stmt and starting their query:
// an evicted statement is closed by the last of them.
type cachedStmt struct {
	text    string
	stmt    *sql.Stmt
	users   int
	evicted bool
}

// sqliteQuery runs query with args on raw (base itself, or a transaction
// or connection of it) through base's statement cache.
func sqliteQuery(ctx context.Context, base *sql.DB, raw sqlDB, query string, args []any) (*sql.Rows, error) {
	var tx *sql.Tx
	switch x := raw.(type) {
	case *sql.Tx:
		tx = x
	case *sql.DB:
	default: // a *sql.Conn cannot take a statement prepared on its database
		return raw.QueryContext(ctx, query, args...)
	}
	c := cacheOf(base)
	cs, err := c.take(ctx, base, query, tx == nil)
	if err != nil || cs == nil {
		if err == nil {
			return raw.QueryContext(ctx, query, args...)
		}
		return nil, err
	}
	defer c.release(cs)
	if tx == nil {
		return cs.stmt.QueryContext(ctx, args...)
	}
	// The transaction's connection reuses the statement when it prepared
	// it before; closing the transaction's copy leaves that one open.
	st := tx.StmtContext(ctx, cs.stmt)
	defer func() { _ = st.Close() }()
	return st.QueryContext(ctx, args...)
}

// cacheOf returns db's statement cache.
func cacheOf(db *sql.DB) *stmtCache {
	if c, ok := sqliteCaches.Load(db); ok {
		return c.(*stmtCache)
	}
	c, _ := sqliteCaches.LoadOrStore(db, &stmtCache{texts: map[string]*list.Element{}})
	return c.(*stmtCache)
}

// take returns text's prepared statement, to be released after use, or
// nil the first time text runs (it is remembered) and when it is not
// prepared yet and prepare is false (in a transaction, whose connection a
// pool of one would not give to PrepareContext).
func (c *stmtCache) take(ctx context.Context, db *sql.DB, text string, prepare bool) (*cachedStmt, error) {
	c.mu.Lock()
	e, seen := c.texts[text]
	if !seen {
		c.add(&cachedStmt{text: text})
		c.mu.Unlock()
		return nil, nil
	}
	c.order.MoveToFront(e)
	if cs := e.Value.(*cachedStmt); cs.stmt != nil {
		cs.users++
		c.mu.Unlock()
		return cs, nil
	}
	c.mu.Unlock()
	if !prepare {
		return nil, nil
	}
	st, err := db.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := &cachedStmt{text: text, stmt: st}
	if e, ok := c.texts[text]; ok {
		if have := e.Value.(*cachedStmt); have.stmt != nil {
			// Prepared meanwhile by another caller.
			_ = st.Close()
			have.users++
			return have, nil
		}
		e.Value = cs
	} else {
		c.add(cs)
	}
	cs.users++
	return cs, nil
}

// add puts cs first, evicting the least recently used text beyond
// sqliteKept; c.mu is held.
func (c *stmtCache) add(cs *cachedStmt) {
	c.texts[cs.text] = c.order.PushFront(cs)
	if c.order.Len() <= sqliteKept {
		return
	}
	old := c.order.Remove(c.order.Back()).(*cachedStmt)
	delete(c.texts, old.text)
	old.evicted = true
	if old.stmt != nil && old.users == 0 {
		_ = old.stmt.Close()
	}
}

// release ends a use of cs that take returned.
func (c *stmtCache) release(cs *cachedStmt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs.users--
	if cs.evicted && cs.users == 0 {
		_ = cs.stmt.Close()
	}
}

// forgetStatements closes and drops db's cached statements.
func forgetStatements(db *sql.DB) {
	v, ok := sqliteCaches.LoadAndDelete(db)
	if !ok {
		return
	}
	c := v.(*stmtCache)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.texts {
		cs := e.Value.(*cachedStmt)
		cs.evicted = true // a caller using it closes it
		if cs.stmt != nil && cs.users == 0 {
			_ = cs.stmt.Close()
		}
	}
}
