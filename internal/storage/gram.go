package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/internal/kerr"
)

// Grams is a set of search bigrams stored with a row. On PostgreSQL it is the
// row's text[] column (GIN-indexed); on SQLite the column does not exist and
// the grams live in the index's full-text table instead.
type Grams []string

// Value encodes the grams as a PostgreSQL array literal.
func (g Grams) Value() (driver.Value, error) {
	return string(g.appendLiteral(nil)), nil
}

// appendLiteral appends the grams as a PostgreSQL array literal to b.
func (g Grams) appendLiteral(b []byte) []byte {
	b = append(b, '{')
	for i, s := range g {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		for j := 0; j < len(s); j++ {
			if s[j] == '"' || s[j] == '\\' {
				b = append(b, '\\')
			}
			b = append(b, s[j])
		}
		b = append(b, '"')
	}
	return append(b, '}')
}

// GramIndex is the bigram index over one table's search text.
//
// Schema contract: on PostgreSQL the table has a column Column of type
// text[] with a GIN index. On SQLite the grams are the tokens of an FTS5
// table, FTS (contentless, contentless_delete=1, detail=none,
// tokenize='ascii'; one column), each gram written as the upper-case
// hexadecimal of its UTF-8 bytes (SQLite's hex()), so the tokenizer never
// splits or folds a gram: FTS5 keeps one posting list per gram, a few bytes
// per row, where a table of (tenant, gram, owner) rows cost ~13 KiB per
// contact record. The FTS5 rowid of a row of Table (its doc) is the row's
// INTEGER column Doc, which a new row's insert carries (RowColumn; NULL in
// a row inserted without it until Save gives it one), with a
// UNIQUE index led by Doc (the posting lists lead to the rows through it,
// and the next doc is one more than its largest; on (Doc, tenant_id, id)
// it covers Filter's lookups, which otherwise read each row), and an AFTER DELETE
// trigger on Table deletes the FTS5 row of old.Doc (so purging a row
// clears its grams). Table has columns tenant_id and id.
//
// On PostgreSQL, Match also needs Table: its statistics (pg_stats) decide
// the shape of Match's fragment.
type GramIndex struct {
	Column string // e.g. "grams"
	Table  string // e.g. "contact_records"
	Doc    string // e.g. "gram_doc"; SQLite only
	FTS    string // e.g. "contact_record_grams_fts"; SQLite only
}

// GramSet is the grams of one row.
type GramSet struct {
	Owner uuid.UUID
	Grams Grams
}

// Writes reports whether the grams column is written with the row itself
// (PostgreSQL). When false, exclude Column from updates and call Save
// after writing the rows; a new row carries RowColumn instead (see
// GramWriter.Carry and InsertRow).
func (ix GramIndex) Writes(d Dialect) bool { return d == Postgres }

// RowColumn is the column of Table in which a new row's insert carries its
// part of the index: Column (its grams) on PostgreSQL, Doc on SQLite.
func (ix GramIndex) RowColumn(d Dialect) string {
	if d == Postgres {
		return ix.Column
	}
	return ix.Doc
}

// gramToken is gram g as an FTS5 token: the upper-case hexadecimal of its
// UTF-8 bytes, as SQLite's hex(g) writes it.
func gramToken(g string) string { return string(appendGramToken(nil, g)) }

// appendGramToken appends gramToken(g) to b.
func appendGramToken(b []byte, g string) []byte {
	const digits = "0123456789ABCDEF"
	for i := 0; i < len(g); i++ {
		b = append(b, digits[g[i]>>4], digits[g[i]&0x0f])
	}
	return b
}

// Save replaces the indexed grams of the given rows (each owner once). It
// does nothing on PostgreSQL, where the grams travel in the row.
func (ix GramIndex) Save(ctx context.Context, db bun.IDB, tenant uuid.UUID, sets []GramSet) error {
	return ix.once(db, func(w *GramWriter) error { return w.Save(ctx, tenant, sets) })
}

// InsertRow runs q, the insert of one new row of Table through its bun
// model (whose field of Column holds grams), with its part of the index:
// on PostgreSQL the grams column as the model has it; on SQLite the row's
// doc instead (Column excluded, Doc added), after which the grams are
// written to the FTS5 table.
func (ix GramIndex) InsertRow(ctx context.Context, db bun.IDB, q *bun.InsertQuery, grams Grams) error {
	return ix.once(db, func(w *GramWriter) error {
		v, err := w.Carry(ctx, []Grams{grams})
		if err != nil {
			return err
		}
		if w.d == SQLite {
			q = q.ExcludeColumn(ix.Column).Value(ix.Doc, "?", v[0])
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
		return w.Index(ctx)
	})
}

// once runs fn with a writer on db and closes it.
func (ix GramIndex) once(db bun.IDB, fn func(w *GramWriter) error) error {
	w, err := ix.Writer(db)
	if err != nil {
		return err
	}
	return errors.Join(fn(w), w.Close())
}

// GramWriter writes the grams of many batches of rows in one transaction,
// with statements SQLite parses once (see Bulk). On PostgreSQL it writes
// nothing. Close it before the transaction ends; it is not safe for
// concurrent use.
type GramWriter struct {
	ix     GramIndex
	d      Dialect
	db     sqlDB
	fts    *Bulk
	values []any
	tokens []byte
	owners []byte
	// carried are the grams of the rows given to the last Carry, first
	// the doc of the first of them (SQLite).
	carried []Grams
	first   int64
}

// Writer returns a writer of ix's grams through db (typically a
// transaction). Its statements bypass db's query hooks.
func (ix GramIndex) Writer(db bun.IDB) (*GramWriter, error) {
	d, err := Of(db)
	if err != nil || d == Postgres {
		return &GramWriter{ix: ix, d: d}, err
	}
	w := &GramWriter{ix: ix, d: d}
	if w.db, err = rawDB(db); err != nil {
		return nil, err
	}
	if w.fts, err = (BulkInsert{Table: ix.FTS, Columns: []string{"rowid", "grams"}}).Prepare(db); err != nil {
		return nil, err
	}
	return w, nil
}

// Carry returns, for rows about to be inserted whose grams are given (in
// the order of the rows), the value each row's insert writes into
// RowColumn: on PostgreSQL its grams; on SQLite its doc, the rows taking
// consecutive docs after the largest of Table (one query, so that a row is
// written once, not inserted and then given its doc; the docs are free
// until the write transaction the writer is on ends, and the UNIQUE index
// on Doc refuses a doc taken twice). Insert the rows, then call Index,
// before the next Carry.
func (w *GramWriter) Carry(ctx context.Context, grams []Grams) ([]any, error) {
	out := make([]any, len(grams))
	if w.db == nil || len(grams) == 0 {
		for i, g := range grams {
			out[i] = g
		}
		w.carried = nil
		return out, nil
	}
	var largest int64
	if err := w.db.QueryRowContext(ctx, "SELECT coalesce(max("+w.ix.Doc+"), 0) FROM "+w.ix.Table).Scan(&largest); err != nil {
		return nil, Err(err)
	}
	for i := range grams {
		out[i] = largest + 1 + int64(i)
	}
	w.carried, w.first = grams, largest+1
	return out, nil
}

// Index writes the grams of the rows given to the last Carry, once they
// are inserted. It does nothing on PostgreSQL.
func (w *GramWriter) Index(ctx context.Context) error {
	if w.db == nil {
		return nil
	}
	grams := w.carried
	w.carried = nil
	return w.insertTokens(ctx, len(grams), func(i int) (int64, Grams) { return w.first + int64(i), grams[i] })
}

// Save replaces the indexed grams of the given rows (each owner once),
// giving the rows that have none their docs (a row keeps the doc it has,
// so that replacing grams is a delete and an insert in the FTS5 table
// only): four statements at most.
func (w *GramWriter) Save(ctx context.Context, tenant uuid.UUID, sets []GramSet) error {
	if w.db == nil || len(sets) == 0 {
		return nil
	}
	ix := w.ix
	// The owners as a JSON array (UUIDs need no escaping).
	owners := append(w.owners[:0], '[')
	for i, s := range sets {
		if i > 0 {
			owners = append(owners, ',')
		}
		owners = append(owners, '"')
		owners = append(owners, s.Owner.String()...)
		owners = append(owners, '"')
	}
	owners = append(owners, ']')
	w.owners = owners[:0]
	// The rows by their key (tenant_id, id IN …), with their docs and the
	// largest doc of the table.
	rows, err := w.db.QueryContext(ctx, "SELECT rowid, id, "+ix.Doc+", (SELECT coalesce(max("+ix.Doc+"), 0) FROM "+ix.Table+") FROM "+
		ix.Table+" WHERE tenant_id = ? AND id IN (SELECT value FROM json_each(?))", tenant.String(), string(owners))
	if err != nil {
		return Err(err)
	}
	doc := make(map[uuid.UUID]int64, len(sets))
	var old []int64
	assign := []byte{'['} // [rowid, doc] of the rows without a doc
	for rows.Next() {
		var rowid, largest int64
		var owner uuid.UUID
		var d sql.NullInt64
		if err := rows.Scan(&rowid, &owner, &d, &largest); err != nil {
			_ = rows.Close()
			return err
		}
		if d.Valid {
			doc[owner] = d.Int64
			old = append(old, d.Int64)
			continue
		}
		next := largest + 1 + int64(len(doc)-len(old))
		doc[owner] = next
		if len(assign) > 1 {
			assign = append(assign, ',')
		}
		assign = append(assign, '[')
		assign = strconv.AppendInt(assign, rowid, 10)
		assign = append(assign, ',')
		assign = strconv.AppendInt(assign, next, 10)
		assign = append(assign, ']')
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return Err(err)
	}
	if len(doc) < len(sets) {
		for _, s := range sets {
			if _, ok := doc[s.Owner]; !ok {
				return fmt.Errorf("storage: grams of %s: no such row of %s in tenant %s: %w", s.Owner, ix.Table, tenant, kerr.ErrNotFound)
			}
		}
	}
	if len(assign) > 1 {
		// Driven by the list: each row is found by its rowid.
		if _, err := w.db.ExecContext(ctx, "UPDATE "+ix.Table+" SET "+ix.Doc+" = o.value ->> 1 FROM json_each(?) AS o WHERE "+
			ix.Table+".rowid = o.value ->> 0 AND +"+ix.Table+".tenant_id = ?", string(append(assign, ']')), tenant.String()); err != nil {
			return Err(err)
		}
	}
	if len(old) > 0 {
		if _, err := w.db.ExecContext(ctx, "DELETE FROM "+ix.FTS+" WHERE rowid IN (SELECT value FROM json_each(?))", int64List(old)); err != nil {
			return Err(err)
		}
	}
	return w.insertTokens(ctx, len(sets), func(i int) (int64, Grams) { return doc[sets[i].Owner], sets[i].Grams })
}

// insertTokens writes the grams of n rows, row(i) giving the doc and grams
// of the i-th, into the FTS5 table (rows without grams have no FTS5 row).
func (w *GramWriter) insertTokens(ctx context.Context, n int, row func(i int) (int64, Grams)) error {
	// One string of tokens per row, cut from one buffer.
	tokens := w.tokens[:0]
	ends := make([]int, n)
	for i := range n {
		_, grams := row(i)
		for j, g := range grams {
			if j > 0 {
				tokens = append(tokens, ' ')
			}
			tokens = appendGramToken(tokens, g)
		}
		ends[i] = len(tokens)
	}
	w.tokens = tokens[:0]
	all := string(tokens)
	values := w.values[:0]
	from := 0
	for i := range n {
		if doc, grams := row(i); len(grams) > 0 {
			values = append(values, doc, all[from:ends[i]])
		}
		from = ends[i]
	}
	w.values = values[:0]
	defer clear(values)
	return w.fts.Exec(ctx, values)
}

// int64List is ids as a JSON array.
func int64List(ids []int64) string {
	b := []byte{'['}
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// Close releases the writer's statements.
func (w *GramWriter) Close() error {
	if w.db == nil {
		return nil
	}
	return w.fts.Close()
}

// MatchList is the most rows having the grams (in the whole file) for
// which Match writes the tenant's into the query as a list of IDs on
// SQLite. With more, the rows are many enough that walking the query's
// order (newest first) meets a page of them soon, and the fragment checks
// each row walked instead.
const MatchList = 1000

// Match returns a WHERE fragment (with its arguments) that keeps rows of
// the table aliased alias whose grams include every gram given, like
// Filter, choosing its shape by how many of the tenant's rows have them:
// few are found through the index, many are checked on each row the query
// walks in its order, which meets a page of them soon. page is how many
// rows the query stops after (its LIMIT), or 0 when it reads every match
// (a count) or when the caller knows a walk would pass over most rows
// (other conditions narrowing the rows); on PostgreSQL, 0 always takes
// the index.
//
// On PostgreSQL the number is estimated from the statistics ANALYZE keeps
// (pg_stats of Table): the share of rows having the rarest of the grams
// (an upper bound of the share having them all — the grams of a word occur
// together, which the planner, multiplying their shares, does not know),
// times the tenant's rows. When walking the order is expected to read fewer
// rows than the index would fetch (page/share < share×rows), the fragment
// checks each row walked, in a form the planner neither looks up in the
// index nor estimates as rare; otherwise it is Filter's.
//
// On SQLite, which keeps no statistics, it counts up to MatchList+1 rows
// having the grams in the FTS5 table alone (no row is read: the postings
// of every tenant of the file). At most MatchList, the fragment lists the
// IDs of the tenant's rows among them (alias.id IN (…)), so that SQLite
// looks them up by the primary key and sorts them; more, it checks each
// row walked against the grams' posting list, read once (alias.Doc IN the
// FTS5 rowids), so that a common word costs a page's worth of rows, not
// one lookup per row that has it. (In a file several tenants share, a word
// common in the others' rows is checked on each row the tenant's query
// walks.)
//
// grams must not be empty; the caller still verifies the match.
func (ix GramIndex) Match(ctx context.Context, db bun.IDB, alias string, tenant uuid.UUID, grams []string, page int) (string, []any, error) {
	d, err := Of(db)
	if err != nil {
		return "", nil, err
	}
	if d == Postgres {
		walk := false
		if page > 0 {
			if walk, err = ix.walkPostgres(ctx, db, tenant, grams, page); err != nil {
				return "", nil, err
			}
		}
		if walk {
			// The function of @> is no operator the GIN index serves, and
			// the planner gives a function the default share of a third of
			// the rows (not the product of the grams' shares): it walks the
			// order and checks each row.
			return "arraycontains(" + alias + "." + ix.Column + ", ?::text[])", []any{Grams(grams)}, nil
		}
		expr, args := ix.Filter(d, alias, tenant, grams)
		return expr, args, nil
	}
	match := ix.matchExpr(grams)
	var docs []int64
	if err := db.NewRaw("SELECT rowid FROM "+ix.FTS+" WHERE "+ix.FTS+" MATCH ? LIMIT ?", match, MatchList+1).
		Scan(ctx, &docs); err != nil {
		return "", nil, Err(err)
	}
	if len(docs) > MatchList {
		// The unary + keeps SQLite from looking the rows up once per
		// posting (through the doc index): the row's doc is checked
		// against the list, built once.
		return "+" + alias + "." + ix.Doc + " IN (SELECT rowid FROM " + ix.FTS + " WHERE " + ix.FTS + " MATCH ?)", []any{match}, nil
	}
	var owners []uuid.UUID
	if err := db.NewRaw("SELECT g.id FROM "+ix.FTS+" AS f CROSS JOIN "+ix.Table+" AS g ON g."+ix.Doc+" = f.rowid WHERE f."+
		ix.FTS+" MATCH ? AND +g.tenant_id = ?", match, tenant).Scan(ctx, &owners); err != nil {
		return "", nil, Err(err)
	}
	if len(owners) == 0 {
		return "0 = 1", nil, nil
	}
	return alias + ".id IN (?)", []any{bun.List(owners)}, nil
}

// statsRel is the CTE rel of the table to_regclass of the argument names:
// its schema, name and estimated rows.
const statsRel = `rel AS MATERIALIZED (SELECT n.nspname, c.relname, c.reltuples FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass(?))`

// statsOf is the condition on pg_stats s that a row describes the table
// of rel (statsRel): its schema and name are read first, so that the
// view's rows are found through the catalogs' indexes (joined to pg_class
// instead, the planner built the view's rows of every table first: 15–20
// ms on a database of a few hundred tables).
const statsOf = `s.schemaname = (SELECT rel.nspname FROM rel) AND s.tablename = (SELECT rel.relname FROM rel)`

// gramStatsSQL reads, from pg_stats of a table (to_regclass of the first
// argument), the share of rows having the rarest of the grams (the third
// argument, of the column the second names; a gram missing from
// most_common_elems counts as none, being rarer than every listed one) and
// the tenant's estimated rows: its share among the most common tenant_id
// values, else an even share of the others, times the table's rows. Each
// column's arrays are read as text only where used: the gram column's
// most_common_vals (whole arrays of grams, ~90 KiB) cost 7 ms to convert.
const gramStatsSQL = `WITH ` + statsRel + `, t AS (
  SELECT (SELECT greatest(rel.reltuples, 0) FROM rel) AS reltuples, s.attname,
         CASE WHEN s.attname <> 'tenant_id' THEN s.most_common_elems::text::text[] END AS elems, s.most_common_elem_freqs AS efreqs,
         CASE WHEN s.attname = 'tenant_id' THEN s.most_common_vals::text::text[] END AS vals, s.most_common_freqs AS vfreqs, s.n_distinct
  FROM pg_stats s
  WHERE ` + statsOf + ` AND s.attname IN (?, 'tenant_id'))
SELECT
  (SELECT min(coalesce(t.efreqs[array_position(t.elems, g)], 0)) FROM t, unnest(?::text[]) AS g WHERE t.attname <> 'tenant_id') AS share,
  (SELECT t.reltuples * coalesce(t.vfreqs[array_position(t.vals, ?::text)],
     (1 - coalesce((SELECT sum(f) FROM unnest(t.vfreqs) AS f), 0)) /
     greatest(1, CASE WHEN t.n_distinct < 0 THEN -t.n_distinct * t.reltuples ELSE t.n_distinct END - coalesce(cardinality(t.vals), 0)))
   FROM t WHERE t.attname = 'tenant_id') AS tenant_rows`

// walkPostgres reports whether the statistics expect walking the order to
// meet page rows having every gram sooner than the index would fetch them
// all: page/share rows walked against share×tenant rows fetched.
func (ix GramIndex) walkPostgres(ctx context.Context, db bun.IDB, tenant uuid.UUID, grams []string, page int) (bool, error) {
	var share, rows sql.NullFloat64
	if err := db.NewRaw(gramStatsSQL, ix.Table, ix.Column, Grams(grams), tenant.String()).Scan(ctx, &share, &rows); err != nil {
		return false, Err(err)
	}
	return share.Float64 > 0 && float64(page)/share.Float64 < share.Float64*rows.Float64, nil
}

// runeShareSQL reads, from pg_stats of a table (to_regclass of the first
// argument) and its gram column (the third), the share of rows having
// the most common listed gram that holds a character (the second
// argument) and the least share listed (the ANALYZE sample's share below
// which a gram goes unlisted; most_common_elem_freqs ends with three
// summary values, which pair with no element).
const runeShareSQL = `WITH ` + statsRel + `
SELECT max(u.f) FILTER (WHERE strpos(u.e, ?) > 0), min(u.f)
FROM pg_stats s CROSS JOIN LATERAL unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS u(e, f)
WHERE ` + statsOf + ` AND s.attname = ? AND u.e IS NOT NULL`

// RuneShare estimates, on PostgreSQL, the share of the table's rows whose
// grams hold the character r — the rows a search of r alone matches, which
// no gram looks up — from the statistics ANALYZE keeps: the share of the
// most common gram holding r among most_common_elems (a lower bound: each
// such row holds r), or, where none is listed, the least share listed (an
// upper bound: every gram holding r is rarer). ok is false where the
// table has no such statistics (never analyzed, or no gram common enough
// to be listed) and on SQLite.
func (ix GramIndex) RuneShare(ctx context.Context, db bun.IDB, r rune) (share float64, ok bool, err error) {
	d, err := Of(db)
	if err != nil || d != Postgres {
		return 0, false, err
	}
	var most, least sql.NullFloat64
	if err := db.NewRaw(runeShareSQL, ix.Table, string(r), ix.Column).Scan(ctx, &most, &least); err != nil {
		return 0, false, Err(err)
	}
	if most.Valid {
		return most.Float64, true, nil
	}
	return least.Float64, least.Valid, nil
}

// matchExpr is the FTS5 query of rows having every gram given.
func (ix GramIndex) matchExpr(grams []string) string {
	tokens := make([]string, len(grams))
	for i, g := range grams {
		tokens[i] = `"` + gramToken(g) + `"`
	}
	return strings.Join(tokens, " ")
}

// Filter returns a WHERE fragment (with its arguments) that keeps rows of
// the table aliased alias whose grams include every gram given. grams must
// not be empty. The caller still verifies the match (grams are a prefilter).
func (ix GramIndex) Filter(d Dialect, alias string, tenant uuid.UUID, grams []string) (string, []any) {
	if d == Postgres {
		return alias + "." + ix.Column + " @> ?::text[]", []any{Grams(grams)}
	}
	return alias + ".id IN (SELECT g.id FROM " + ix.FTS + " AS f CROSS JOIN " + ix.Table + " AS g ON g." + ix.Doc + " = f.rowid WHERE f." +
			ix.FTS + " MATCH ? AND +g.tenant_id = ?)",
		[]any{ix.matchExpr(grams), tenant}
}
