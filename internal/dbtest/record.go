package dbtest

import (
	"context"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/internal/storage"
)

// Recorder keeps the text of every statement run through the *bun.DB it
// was attached to, so a test can prove which connection pool a call used
// and what it sent.
type Recorder struct {
	mu    sync.Mutex
	stmts []string
}

var _ bun.QueryHook = (*Recorder)(nil)

// Record attaches a new Recorder to db.
func Record(db *bun.DB) *Recorder {
	r := &Recorder{}
	// The engines already built over db must report to r, through bun's
	// hooks and QueryBound's.
	storage.AddQueryHook(db, r)
	return r
}

// BeforeQuery implements bun.QueryHook.
func (r *Recorder) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

// AfterQuery implements bun.QueryHook: it keeps the statement.
func (r *Recorder) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stmts = append(r.stmts, e.Query)
}

// Take returns the statements recorded since the last Take and forgets them.
func (r *Recorder) Take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.stmts
	r.stmts = nil
	return out
}

// Plan returns the steps of SQLite's EXPLAIN QUERY PLAN of query (a
// statement a Recorder took, its arguments inlined), one detail per step.
func Plan(t testing.TB, db *bun.DB, query string) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN %s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatalf("EXPLAIN QUERY PLAN %s: %v", query, err)
		}
		out = append(out, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN %s: %v", query, err)
	}
	return out
}
