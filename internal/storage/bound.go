package storage

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/schema"
)

// QueryBound runs q, a query built with bun, with the values that change
// from call to call bound as parameters, so that the database parses and
// plans its text once: bun writes every value into the SQL text, so each
// call is a new statement, parsed and planned again (for a calendar's
// statement on PostgreSQL, with its visibility predicate twice over, about
// half of its time; for the top page's statements on SQLite, twice their
// execution). QueryBound takes the UUID, timestamp and byte-string
// literals back out of the text as $n parameters, so that a call for
// another user, tenant, day or session sends the same text. Only literals
// whose whole content is a UUID, a timestamp or a byte string as bun's
// PostgreSQL dialect writes them are taken out; they carry no meaning
// beyond their value (no partial index or ordinal depends on one), and the
// database gives an untyped parameter the type it would give the untyped
// literal. A statement with more than maxBound such values runs as bun
// writes it: its text would hardly repeat.
//
// On PostgreSQL the values are bound only when mode is not nil: mode is
// passed to the driver before them, and with pgx a pgx.QueryExecMode value
// chooses how the statement is sent (its statement cache:
// pgx.QueryExecModeCacheStatement) whatever the pool's default, so that
// PostgreSQL parses it once per connection and may keep a generic plan.
// With mode nil, q runs as bun runs it (a text that differs from call to
// call leaves nothing for a cache, and keeps PostgreSQL's plan for the
// values).
//
// On SQLite mode is ignored and the values are always bound: SQLite plans
// a statement when it prepares it, without its values, so nothing is lost.
// A text that runs a second time is prepared and kept, by database handle
// (the most recently used sqliteKept texts), and runs prepared from then
// on, in a transaction too (on a bun.Conn it runs unprepared).
//
// On a handle QueryBound cannot see through, q runs as bun runs it. The
// statements QueryBound binds go to the driver without bun: bun's query
// hooks do not see them, those added through AddQueryHook and
// WithQueryHook do.
func QueryBound(ctx context.Context, db bun.IDB, mode any, q bun.Query) (*sql.Rows, error) {
	b, err := q.AppendQuery(schema.NewQueryGen(db.Dialect()), nil)
	if err != nil {
		return nil, err
	}
	name := db.Dialect().Name()
	raw, rerr := rawDB(db)
	if rerr != nil || (name != dialect.PG && name != dialect.SQLite) || (name == dialect.PG && mode == nil) {
		return db.QueryContext(ctx, string(b))
	}
	query, args := liftLiterals(string(b), name == dialect.SQLite)
	if len(args) > maxBound {
		return db.QueryContext(ctx, string(b))
	}
	base := baseDB(db)
	run := func(ctx context.Context) (*sql.Rows, error) {
		if name == dialect.SQLite {
			return sqliteQuery(ctx, base.DB, raw, query, args)
		}
		return raw.QueryContext(ctx, query, append([]any{mode}, args...)...)
	}
	hs := hooksOf(base)
	if len(hs) == 0 {
		return run(ctx)
	}
	event := &bun.QueryEvent{DB: base, IQuery: q, Query: string(b), StartTime: time.Now()}
	for _, h := range hs {
		ctx = h.BeforeQuery(ctx, event)
	}
	rows, err := run(ctx)
	event.Err = err
	for i := len(hs) - 1; i >= 0; i-- {
		hs[i].AfterQuery(ctx, event)
	}
	return rows, err
}

// maxBound is the most values QueryBound binds in one statement (SQLite
// takes 32 766 parameters, PostgreSQL 65 535).
const maxBound = 1000

// ScanBound runs q through QueryBound and scans its rows into dest, as
// bun's Scan would: every row into a pointer to a slice (of models, or of
// values for a single column); the first into a pointer to one model or
// value, with sql.ErrNoRows when there is none (bun's ScanRows into one
// model would not report it, so the row is scanned through a slice).
func ScanBound(ctx context.Context, db bun.IDB, mode any, q *bun.SelectQuery, dest any) error {
	v := reflect.ValueOf(dest)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("storage: ScanBound into %T, not a pointer", dest)
	}
	rows, err := QueryBound(ctx, db, mode, q)
	if err != nil {
		return err
	}
	if v.Elem().Kind() == reflect.Slice {
		return baseDB(db).ScanRows(ctx, rows, dest)
	}
	all := reflect.New(reflect.SliceOf(v.Elem().Type()))
	if err := baseDB(db).ScanRows(ctx, rows, all.Interface()); err != nil {
		return err
	}
	if all.Elem().Len() == 0 {
		return sql.ErrNoRows
	}
	v.Elem().Set(all.Elem().Index(0))
	return nil
}

// hooks are the query hooks added through AddQueryHook and WithQueryHook,
// by database: the statements QueryBound sends to the driver directly do
// not pass bun's.
var hooks sync.Map // *bun.DB → []bun.QueryHook

// AddQueryHook adds h to db's query hooks (bun.DB.AddQueryHook) and to
// those QueryBound reports its PostgreSQL statements to, as bun would.
// Statement checkers and recorders (the tests') are added this way.
func AddQueryHook(db *bun.DB, h bun.QueryHook) {
	//lint:ignore SA1019 callers keep using db itself (WithQueryHook returns a copy)
	db.AddQueryHook(h)
	hooks.Store(db, append(slices.Clone(hooksOf(db)), h))
}

// WithQueryHook returns a copy of db with h added to its query hooks
// (bun.DB.WithQueryHook), whose statements through QueryBound reach them
// too.
func WithQueryHook(db *bun.DB, h bun.QueryHook) *bun.DB {
	c := db.WithQueryHook(h)
	hooks.Store(c, append(slices.Clone(hooksOf(db)), h))
	return c
}

// Forget drops what AddQueryHook and WithQueryHook registered for db
// (bun's own hooks stay) and closes the statements QueryBound keeps
// prepared for its database handle: call it when db is closed.
func Forget(db *bun.DB) {
	hooks.Delete(db)
	forgetStatements(db.DB)
}

// hooksOf returns the hooks registered for db.
func hooksOf(db *bun.DB) []bun.QueryHook {
	if hs, ok := hooks.Load(db); ok {
		return hs.([]bun.QueryHook)
	}
	return nil
}

// baseDB is the database of db: db itself, or the one a transaction or
// connection came from.
func baseDB(db bun.IDB) *bun.DB {
	if x, ok := db.(*bun.DB); ok {
		return x
	}
	return db.NewSelect().DB()
}

// liftLiterals replaces the string literals of query (PostgreSQL's
// standard-conforming strings in single quotes, a doubled quote standing
// for one) that are a UUID, a timestamp or a byte string as bun formats
// one with $1, $2, … (a value seen twice takes the same parameter) and
// returns the values in order. With blobs (SQLite), the blob literals
// bun's SQLite dialect writes for bytes (X'…', upper-case hex digits or
// lower) are replaced too, their values the bytes. Quoted identifiers,
// comments and other literals are left as they are.
func liftLiterals(query string, blobs bool) (string, []any) {
	var out strings.Builder
	out.Grow(len(query))
	var args []any
	var keys []string        // each parameter's value as text: X'…' for a blob
	var index map[string]int // the parameter of each key, once there are many
	param := func(key string, v any) int {
		if index == nil && len(keys) <= 16 {
			for n, k := range keys {
				if k == key {
					return n + 1
				}
			}
		} else {
			if index == nil {
				index = make(map[string]int, 2*len(keys))
				for n, k := range keys {
					index[k] = n + 1
				}
			}
			if n, ok := index[key]; ok {
				return n
			}
			index[key] = len(keys) + 1
		}
		keys, args = append(keys, key), append(args, v)
		return len(args)
	}
	for i := 0; i < len(query); {
		switch c := query[i]; {
		case c == '\'':
			end, closed := literalEnd(query, i)
			lit := query[i:end]
			// A literal right after E, U&, B or X is not a plain string,
			// and one after a word may be a typed literal (timestamptz
			// '…'): both stay (as does, to be safe, one after a keyword).
			before := strings.TrimRight(query[:i], " \t\n")
			prefixed := before != "" && (isIdentChar(before[len(before)-1]) || before[len(before)-1] == '&')
			if closed && !prefixed && liftable(lit[1:len(lit)-1]) {
				out.WriteByte('$')
				out.WriteString(strconv.Itoa(param(lit[1:len(lit)-1], lit[1:len(lit)-1])))
			} else {
				out.WriteString(lit)
			}
			i = end
		case blobs && (c == 'X' || c == 'x') && (i == 0 || !isIdentChar(query[i-1])) && i+1 < len(query) && query[i+1] == '\'':
			end, closed := literalEnd(query, i+1)
			b, err := hex.DecodeString(query[i+2 : max(end-1, i+2)])
			if !closed || err != nil || len(b) == 0 {
				out.WriteString(query[i:end])
			} else {
				out.WriteByte('$')
				out.WriteString(strconv.Itoa(param(strings.ToLower(query[i:end]), b)))
			}
			i = end
		case c == '"':
			i = copyThrough(&out, query, i, 1, `"`)
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			i = copyThrough(&out, query, i, 2, "\n")
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			i = copyThrough(&out, query, i, 2, "*/")
		default:
			out.WriteByte(c)
			i++
		}
	}
	return out.String(), args
}

// copyThrough writes query from i (where a quoted identifier or a comment
// opens, its opening open bytes long) through the first close after the
// opening, or to the end when there is none, to out, and returns the index
// after what it wrote: nothing in it is a literal.
func copyThrough(out *strings.Builder, query string, i, open int, close string) int {
	end := len(query)
	if j := strings.Index(query[i+open:], close); j >= 0 {
		end = i + open + j + len(close)
	}
	out.WriteString(query[i:end])
	return end
}

// literalEnd returns the index just past the string literal of query that
// starts at i (a quote) and true, or len(query) and false when it is not
// closed.
func literalEnd(query string, i int) (int, bool) {
	for j := i + 1; j < len(query); j++ {
		if query[j] != '\'' {
			continue
		}
		if j+1 < len(query) && query[j+1] == '\'' {
			j++
			continue
		}
		return j + 1, true
	}
	return len(query), false
}

func isIdentChar(c byte) bool {
	return c == '_' || c == '$' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// liftable reports whether v, a literal's content, is a UUID in its
// canonical text (8-4-4-4-12 lower-case hex digits), a timestamp as
// bun's PostgreSQL dialect writes one (2006-01-02 15:04:05, optional
// fraction, then a zone offset +07:00) or a byte string as it writes one
// (\x and lower-case hex digits, two a byte: a token's hash).
func liftable(v string) bool {
	return isUUID(v) || isTimestamp(v) || isByteString(v)
}

// isByteString reports whether v is PostgreSQL's hex form of at least one
// byte. Bound as text, it stays what the literal was: a parameter whose
// type the statement gives it, bytea beside a bytea column and text
// beside a text one.
func isByteString(v string) bool {
	if len(v) < 4 || len(v)%2 != 0 || v[:2] != `\x` {
		return false
	}
	for i := 2; i < len(v); i++ {
		if c := v[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func isUUID(v string) bool {
	if len(v) != 36 {
		return false
	}
	for i := range len(v) {
		c := v[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

func isTimestamp(v string) bool {
	const layout = "dddd-dd-dd dd:dd:dd"
	if len(v) < len(layout)+6 {
		return false
	}
	for i := range len(layout) {
		if !matchDigit(layout[i], v[i]) {
			return false
		}
	}
	rest := v[len(layout):]
	if rest[0] == '.' {
		j := 1
		for j < len(rest) && '0' <= rest[j] && rest[j] <= '9' {
			j++
		}
		if j == 1 {
			return false
		}
		rest = rest[j:]
	}
	return len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && isDigits(rest[1:3]) && rest[3] == ':' && isDigits(rest[4:6])
}

func matchDigit(pattern, c byte) bool {
	if pattern == 'd' {
		return '0' <= c && c <= '9'
	}
	return pattern == c
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
