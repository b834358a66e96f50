package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/uptrace/bun"
)

// DefaultTotalCap is the default of the engines' Config.TotalCap: the most
// matches a search's total counts one by one before it estimates.
// Counting 1 001 matching rows under a principal's visibility predicate
// costs a few milliseconds on either database; counting a million costs
// seconds.
const DefaultTotalCap = 1000

// CountKind says how Count.N was counted.
type CountKind string

// The kinds of Count.
const (
	// CountExact: N is the number of matching rows.
	CountExact CountKind = "exact"
	// CountEstimate: more rows than the cap match, and N is PostgreSQL's
	// planner estimate of how many, above the cap.
	CountEstimate CountKind = "estimate"
	// CountAtLeast: more rows than the cap match, and N is the cap plus
	// one: a lower bound (on SQLite, which keeps no statistics, and on
	// PostgreSQL when its estimate is not above the cap).
	CountAtLeast CountKind = "at_least"
)

// Count is the number of rows a query matches, counted up to a cap.
type Count struct {
	N    int
	Kind CountKind
}

// CountUpTo counts the rows sel selects — a select of its table with the
// visibility predicate and the filters in its WHERE clause, no columns,
// order or limit. With exact it counts every match (the caller asked for
// the exact number). Otherwise it counts them exactly when there are at
// most limit (reading at most limit+1 of them); when more match, it
// returns PostgreSQL's estimate of the plain query's rows (EXPLAIN) when
// that is above limit, else limit+1 as a lower bound; on SQLite always the
// lower bound. limit must be positive; sel is changed (its columns and
// limit).
func CountUpTo(ctx context.Context, db bun.IDB, sel *bun.SelectQuery, limit int, exact bool) (Count, error) {
	if exact {
		n, err := sel.Count(ctx)
		if err != nil {
			return Count{}, Err(err)
		}
		return Count{N: int(n), Kind: CountExact}, nil
	}
	sel.ColumnExpr("1")
	var n int
	if err := db.NewRaw("SELECT count(*) FROM (?) AS capped", sel.Limit(int64(limit)+1)).Scan(ctx, &n); err != nil {
		return Count{}, Err(err)
	}
	if n <= limit {
		return Count{N: n, Kind: CountExact}, nil
	}
	over := Count{N: limit + 1, Kind: CountAtLeast}
	if d, err := Of(db); err != nil || d != Postgres {
		return over, err
	}
	est, err := PlanRows(ctx, db, sel.Limit(0))
	if err != nil {
		return Count{}, err
	}
	if est > float64(limit+1) {
		return Count{N: int(min(est, math.MaxInt32)), Kind: CountEstimate}, nil
	}
	return over, nil
}

// PlanRows returns PostgreSQL's estimate of the rows sel returns: the
// "Plan Rows" of the top node of its plan (EXPLAIN, which runs nothing).
func PlanRows(ctx context.Context, db bun.IDB, sel *bun.SelectQuery) (float64, error) {
	top, err := explain(ctx, db, sel)
	return top.Rows, err
}

// PlanSorts says whether PostgreSQL's plan of sel (EXPLAIN, which runs
// nothing) sorts its rows in full before the first comes out — under a
// Limit and a Gather, a Sort node — which reads every row that passes
// sel's conditions; false when it walks an index in sel's order instead,
// stopping at the limit (an incremental sort, sorting groups as they
// come, is such a walk).
func PlanSorts(ctx context.Context, db bun.IDB, sel *bun.SelectQuery) (bool, error) {
	n, err := explain(ctx, db, sel)
	for err == nil && (n.Type == "Limit" || n.Type == "Gather" || n.Type == "Gather Merge") {
		// The node's input: its outer child (the others are the plans of
		// its subqueries).
		i := slices.IndexFunc(n.Plans, func(c planNode) bool { return c.Parent == "Outer" })
		if i < 0 {
			break
		}
		n = n.Plans[i]
	}
	return n.Type == "Sort", err
}

// planNode is a node of EXPLAIN (FORMAT JSON)'s plan.
type planNode struct {
	Type   string     `json:"Node Type"`
	Parent string     `json:"Parent Relationship"`
	Rows   float64    `json:"Plan Rows"`
	Plans  []planNode `json:"Plans"`
}

// explain returns the top node of PostgreSQL's plan of sel.
func explain(ctx context.Context, db bun.IDB, sel *bun.SelectQuery) (planNode, error) {
	var out string
	if err := db.NewRaw("EXPLAIN (FORMAT JSON) ?", sel).Scan(ctx, &out); err != nil {
		return planNode{}, Err(err)
	}
	var plan []struct {
		Plan planNode `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		return planNode{}, fmt.Errorf("storage: explain: reading the plan: %w", err)
	}
	if len(plan) == 0 {
		return planNode{}, fmt.Errorf("storage: explain: no plan: %s", out)
	}
	return plan[0].Plan, nil
}
