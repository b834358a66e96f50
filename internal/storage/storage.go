package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kirokuhq/kiroku/internal/kerr"
)

// Dialect is a supported SQL dialect.
type Dialect int

// The supported dialects.
const (
	SQLite Dialect = iota + 1
	Postgres
)

// String returns "sqlite" or "postgres".
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	}
	return "unknown"
}

// Of returns the dialect db speaks. It fails for dialects Kiroku does not
// support (MySQL, MSSQL).
func Of(db bun.IDB) (Dialect, error) {
	switch db.Dialect().Name() {
	case dialect.PG:
		return Postgres, nil
	case dialect.SQLite:
		return SQLite, nil
	}
	return 0, fmt.Errorf("storage: unsupported dialect %s: use pgdialect or sqlitedialect", db.Dialect().Name())
}

// SQLSTATE classes and SQLite extended result codes that Err maps.
const (
	pgUniqueViolation = "23505"
	pgClassIntegrity  = "23" // integrity constraint violations
	pgClassData       = "22" // data exceptions (bad value for a type)
	pgRaiseException  = "P0001"
	pgSerialization   = "40001"
	pgDeadlock        = "40P01"

	sqliteBusy                 = 5
	sqliteConstraint           = 19 // primary result code of every constraint failure
	sqliteConstraintPrimaryKey = 1555
	sqliteConstraintUnique     = 2067
)

// Err maps a driver error to Kiroku's sentinels, keeping the original in the
// chain. Errors it does not recognise, and nil, are returned unchanged.
func Err(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %w", kerr.ErrNotFound, err)
	}
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		switch st := pg.SQLState(); {
		case st == pgUniqueViolation, st == pgSerialization, st == pgDeadlock:
			return fmt.Errorf("%w: %w", kerr.ErrConflict, err)
		case strings.HasPrefix(st, pgClassIntegrity), strings.HasPrefix(st, pgClassData), st == pgRaiseException:
			// Other integrity violations, bad data, and triggers that refuse
			// a row: the database rejected the data, not the request.
			return fmt.Errorf("%w: %w", kerr.ErrInvalid, err)
		}
		return err
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		switch code := lite.Code(); {
		case code == sqliteConstraintUnique, code == sqliteConstraintPrimaryKey:
			return fmt.Errorf("%w: %w", kerr.ErrConflict, err)
		case code&0xff == sqliteConstraint:
			// Foreign key, check, not null, and RAISE(ABORT) in triggers.
			return fmt.Errorf("%w: %w", kerr.ErrInvalid, err)
		}
	}
	return err
}

// Busy reports whether err is SQLite's "database is locked" (SQLITE_BUSY),
// which SQLite returns without waiting when waiting could deadlock (for
// example while fresh connections race to switch a new file to WAL). The
// caller may retry.
func Busy(err error) bool {
	var lite interface{ Code() int }
	return errors.As(err, &lite) && lite.Code()&0xff == sqliteBusy
}

// InTx runs fn in a transaction on db and maps its error with Err. When db is
// already a transaction, fn runs in a savepoint of it, so engines bound to a
// caller's transaction (WithDB) compose.
func InTx(ctx context.Context, db bun.IDB, fn func(ctx context.Context, tx bun.IDB) error) error {
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return fn(ctx, tx)
	})
	return Err(err)
}

// Contains returns a LIKE pattern matching s anywhere, with %, _ and the
// escape character itself escaped; use it with ESCAPE '\'.
func Contains(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// StringAgg returns an SQL aggregate joining the text of expr over a
// group's rows with commas, in the order of orderBy (NULL for no rows):
// several values of a child table read in the parent's statement.
func StringAgg(d Dialect, expr, orderBy string) string {
	if d == Postgres {
		return "string_agg(CAST(" + expr + " AS text), ',' ORDER BY " + orderBy + ")"
	}
	return "group_concat(" + expr + ", ',' ORDER BY " + orderBy + ")"
}

// JSONWithoutKey returns an SQL expression (with its arguments) for the JSON
// object in column with the top-level key removed.
func JSONWithoutKey(d Dialect, column, key string) (string, []any) {
	if d == Postgres {
		return column + " - ?", []any{key}
	}
	return "json_remove(" + column + ", ?)", []any{`$."` + strings.ReplaceAll(key, `"`, `""`) + `"`}
}

// SetDeleted moves the row id of tenant in the table of model (a nil
// pointer to the row type, e.g. (*row)(nil)) to the trash — or, with
// deleted false, back out of it — as user at now, based on version: it sets
// or clears deleted_at and deleted_by, stamps updated_at and updated_by and
// bumps version. A row that is not at version (changed, or gone) yields
// kerr.ErrConflict.
func SetDeleted(ctx context.Context, db bun.IDB, model any, tenant, id uuid.UUID, version int64, user uuid.UUID, now time.Time, deleted bool) error {
	q := db.NewUpdate().Model(model).Set("version = version + 1").
		Set("updated_at = ?", now).Set("updated_by = ?", user).
		Where("id = ?", id).Where("tenant_id = ?", tenant).Where("version = ?", version)
	if deleted {
		q.Set("deleted_at = ?", now).Set("deleted_by = ?", user)
	} else {
		q.Set("deleted_at = NULL").Set("deleted_by = NULL")
	}
	res, err := q.Exec(ctx)
	return Affected(res, err, kerr.ErrConflict)
}

// Affected finishes an UPDATE or DELETE that must touch a row: given the
// statement's result and error, it returns Err(err) when the statement
// failed, none (typically kerr.ErrNotFound or kerr.ErrConflict) when it
// touched no row, and nil otherwise.
func Affected(res sql.Result, err, none error) error {
	if err != nil {
		return Err(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return none
	}
	return nil
}

// JSONKind is the SQL type JSONValue reads a JSON value as.
type JSONKind int

// The kinds of JSONValue.
const (
	// JSONInteger reads a JSON number as a 64-bit integer.
	JSONInteger JSONKind = iota + 1
	// JSONFloat reads a JSON number as a double.
	JSONFloat
	// JSONBoolean reads true as 1 and false as 0.
	JSONBoolean
	// JSONText reads a JSON string as text.
	JSONText
)

// JSONValue returns an SQL expression (with its arguments) for the value at
// path (object keys, outermost first) in the JSON column, read as kind; NULL
// where the path is absent or null.
func JSONValue(d Dialect, column string, kind JSONKind, path ...string) (string, []any) {
	if d == SQLite {
		// json_extract gives numbers as numbers, booleans as 1 and 0.
		return "json_extract(" + column + ", ?)", []any{sqliteJSONPath(path)}
	}
	args := make([]any, len(path))
	expr := column
	for i, k := range path {
		args[i] = k
		if i == len(path)-1 {
			expr += " ->> ?"
		} else {
			expr += " -> ?"
		}
	}
	switch kind {
	case JSONInteger:
		return "(" + expr + ")::bigint", args
	case JSONFloat:
		return "(" + expr + ")::float8", args
	case JSONBoolean:
		return "CASE " + expr + " WHEN 'true' THEN 1 WHEN 'false' THEN 0 END", args
	}
	return "(" + expr + ")", args
}

// JSONArrayJoin returns a join clause (with its arguments) that yields one
// row per element of the JSON array at path in column, and the SQL of that
// element as a JSON value for JSONValue (its column argument). Rows whose
// array is absent yield none.
func JSONArrayJoin(d Dialect, column, alias string, path ...string) (string, []any, string) {
	if d == SQLite {
		return "JOIN json_each(" + column + ", ?) AS " + alias, []any{sqliteJSONPath(path)}, alias + ".value"
	}
	expr := column
	args := make([]any, len(path))
	for i, k := range path {
		expr += " -> ?"
		args[i] = k
	}
	return "CROSS JOIN LATERAL jsonb_array_elements(CASE jsonb_typeof(" + expr + ") WHEN 'array' THEN " + expr + " ELSE '[]'::jsonb END) AS " + alias + "(value)",
		append(args, args...), alias + ".value"
}

// sqliteJSONPath is SQLite's JSON path of the object keys path, outermost
// first ("$" for none), each key quoted.
func sqliteJSONPath(path []string) string {
	p := "$"
	for _, k := range path {
		p += `."` + strings.ReplaceAll(k, `"`, `""`) + `"`
	}
	return p
}

// JSONArrayHas returns a condition (with its arguments) that holds when the
// JSON array at path in column has an object whose key equals value (as
// text).
func JSONArrayHas(d Dialect, column, key, value string, path ...string) (string, []any) {
	if d == SQLite {
		return "EXISTS (SELECT 1 FROM json_each(" + column + ", ?) AS e WHERE json_extract(e.value, ?) = ?)",
			[]any{sqliteJSONPath(path), sqliteJSONPath([]string{key}), value}
	}
	expr := column
	args := make([]any, 0, len(path)+1)
	for _, k := range path {
		expr += " -> ?"
		args = append(args, k)
	}
	elem, _ := json.Marshal([]map[string]string{{key: value}}) // strings always marshal
	return "(" + expr + " @> ?::jsonb)", append(args, string(elem))
}
