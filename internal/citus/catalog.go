package citus

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/uptrace/bun"
)

// Catalog is what the checks need of a PostgreSQL schema: its tables, their
// columns, keys and foreign keys, read from pg_catalog.
type Catalog map[string]*Table

// Table is one table of a Catalog.
type Table struct {
	Name string
	// Columns maps each column to its type (format_type).
	Columns map[string]string
	// Keys are the primary key, unique constraints and unique indexes.
	Keys []Key
	// ForeignKeys are the table's foreign keys.
	ForeignKeys []ForeignKey
}

// Key is a primary key, unique constraint or unique index; an expression
// column is named "(expression)".
type Key struct {
	Name    string
	Columns []string
}

// ForeignKey is a foreign key constraint: Columns[i] references
// Target.TargetColumns[i].
type ForeignKey struct {
	Name          string
	Columns       []string
	Target        string
	TargetColumns []string
}

// Local reports whether a table stays local on the Citus coordinator and
// outside the distribution script: the migration bookkeeping.
func Local(table string) bool { return strings.HasPrefix(table, "kiroku_migration") }

// ReadCatalog reads the tables of db's current schema (the first of its
// search_path).
func ReadCatalog(ctx context.Context, db bun.IDB) (Catalog, error) {
	cat := Catalog{}
	var cols []struct {
		Table, Column, Type string
	}
	if err := db.NewRaw(`SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type
		FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped`).
		Scan(ctx, &cols); err != nil {
		return nil, fmt.Errorf("citus: read columns: %w", err)
	}
	for _, c := range cols {
		t := cat[c.Table]
		if t == nil {
			t = &Table{Name: c.Table, Columns: map[string]string{}}
			cat[c.Table] = t
		}
		t.Columns[c.Column] = c.Type
	}
	var cons []struct {
		Name, Kind, Table, Columns, Target, TargetColumns string
	}
	if err := db.NewRaw(`SELECT con.conname AS name, con.contype AS kind, c.relname AS table,
			(SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY AS k(num, ord)
				JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num) AS columns,
			coalesce(f.relname, '') AS target,
			coalesce((SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY AS k(num, ord)
				JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num), '') AS target_columns
		FROM pg_constraint con
		JOIN pg_class c ON c.oid = con.conrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_class f ON f.oid = con.confrelid
		WHERE n.nspname = current_schema() AND con.contype IN ('p', 'u', 'f')
		UNION ALL
		SELECT i.relname, 'i', c.relname,
			(SELECT string_agg(coalesce(a.attname, '(expression)'), ',' ORDER BY k.ord) FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(num, ord)
				LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.num),
			'', ''
		FROM pg_index x
		JOIN pg_class i ON i.oid = x.indexrelid
		JOIN pg_class c ON c.oid = x.indrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND x.indisunique
			AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid)`).
		Scan(ctx, &cons); err != nil {
		return nil, fmt.Errorf("citus: read constraints: %w", err)
	}
	for _, c := range cons {
		t := cat[c.Table]
		if t == nil {
			continue
		}
		if c.Kind == "f" {
			t.ForeignKeys = append(t.ForeignKeys, ForeignKey{Name: c.Name, Columns: strings.Split(c.Columns, ","),
				Target: c.Target, TargetColumns: strings.Split(c.TargetColumns, ",")})
			continue
		}
		t.Keys = append(t.Keys, Key{Name: c.Name, Columns: strings.Split(c.Columns, ",")})
	}
	return cat, nil
}

// sorted returns the catalog's tables by name, for stable reports.
func (cat Catalog) sorted() []*Table {
	ts := make([]*Table, 0, len(cat))
	for _, t := range cat {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	return ts
}

// tenantColumn is the distribution column the plan gives table, else
// tenant_id.
func tenantColumn(plan Plan, table string) string {
	if col, ok := plan.Distributed()[table]; ok {
		return col
	}
	return "tenant_id"
}

// reference reports whether the plan makes table a reference table.
func (p Plan) reference(table string) bool {
	return slices.ContainsFunc(p, func(s Statement) bool { return s.Table == table && s.Reference() })
}

// CheckSchema reports every table of cat, other than the reference tables
// of plan and the Local ones, whose keys are not tenant-leading: a table
// without its tenant column (the plan's distribution column, else
// tenant_id), a primary key, unique constraint or unique index without it,
// a foreign key that does not map it to the target's tenant column, or a
// foreign key between such a table and a reference or local table.
func CheckSchema(cat Catalog, plan Plan) []string {
	var out []string
	for _, t := range cat.sorted() {
		if plan.reference(t.Name) || Local(t.Name) {
			continue
		}
		col := tenantColumn(plan, t.Name)
		if _, ok := t.Columns[col]; !ok {
			out = append(out, fmt.Sprintf("%s: no %s column (declare it a reference table, or add the column)", t.Name, col))
			continue
		}
		if len(t.Keys) == 0 {
			out = append(out, fmt.Sprintf("%s: no primary key", t.Name))
		}
		for _, k := range t.Keys {
			if !slices.Contains(k.Columns, col) {
				out = append(out, fmt.Sprintf("%s: key %s (%s) lacks %s", t.Name, k.Name, strings.Join(k.Columns, ", "), col))
			}
		}
		for _, fk := range t.ForeignKeys {
			if plan.reference(fk.Target) || Local(fk.Target) {
				out = append(out, fmt.Sprintf("%s: foreign key %s points at %s, which is not distributed by tenant", t.Name, fk.Name, fk.Target))
				continue
			}
			if !maps(fk, col, tenantColumn(plan, fk.Target)) {
				out = append(out, fmt.Sprintf("%s: foreign key %s (%s) → %s (%s) does not map %s to %s.%s", t.Name, fk.Name,
					strings.Join(fk.Columns, ", "), fk.Target, strings.Join(fk.TargetColumns, ", "), col, fk.Target, tenantColumn(plan, fk.Target)))
			}
		}
	}
	return out
}

// maps reports whether fk pairs column from with column to of its target.
func maps(fk ForeignKey, from, to string) bool {
	for i, c := range fk.Columns {
		if c == from && i < len(fk.TargetColumns) && fk.TargetColumns[i] == to {
			return true
		}
	}
	return false
}

// DryRun checks, on plain PostgreSQL, what each statement of plan needs
// in Citus, in order: the table exists and is named once; a distributed
// table has its distribution column in every key and maps it on both sides
// of every foreign key, whose target was distributed (co-located) or made a
// reference table earlier; a reference table's foreign keys point at
// earlier reference tables; colocate_with names an earlier distributed
// table whose distribution column has the same type. Finally every table of
// cat, other than Local ones, must be in the plan.
func DryRun(cat Catalog, plan Plan) []string {
	var out []string
	done := map[string]Statement{}
	for _, s := range plan {
		at := fmt.Sprintf("line %d (%s)", s.Line, s.Table)
		t := cat[s.Table]
		if _, dup := done[s.Table]; dup {
			out = append(out, at+": table distributed twice")
			continue
		}
		if t == nil {
			out = append(out, at+": no such table")
			continue
		}
		done[s.Table] = s
		for _, fk := range t.ForeignKeys {
			target, ok := done[fk.Target] // the table itself included
			if !ok {
				out = append(out, fmt.Sprintf("%s: foreign key %s points at %s, not distributed before it", at, fk.Name, fk.Target))
				continue
			}
			switch {
			case s.Reference() && !target.Reference():
				out = append(out, fmt.Sprintf("%s: reference table's foreign key %s points at distributed %s", at, fk.Name, fk.Target))
			case !s.Reference() && !target.Reference() && !maps(fk, s.Column, target.Column):
				out = append(out, fmt.Sprintf("%s: foreign key %s does not map %s to %s.%s", at, fk.Name, s.Column, fk.Target, target.Column))
			}
		}
		if s.Reference() {
			continue
		}
		typ, ok := t.Columns[s.Column]
		if !ok {
			out = append(out, fmt.Sprintf("%s: no column %s", at, s.Column))
			continue
		}
		for _, k := range t.Keys {
			if !slices.Contains(k.Columns, s.Column) {
				out = append(out, fmt.Sprintf("%s: key %s lacks %s", at, k.Name, s.Column))
			}
		}
		if s.ColocateWith != "" {
			with, ok := done[s.ColocateWith]
			switch {
			case !ok || with.Reference():
				out = append(out, fmt.Sprintf("%s: colocate_with %s, not distributed before it", at, s.ColocateWith))
			case cat[with.Table].Columns[with.Column] != typ:
				out = append(out, fmt.Sprintf("%s: %s is %s, %s.%s is %s: cannot co-locate", at, s.Column, typ,
					with.Table, with.Column, cat[with.Table].Columns[with.Column]))
			}
		}
	}
	for _, t := range cat.sorted() {
		if _, ok := done[t.Name]; !ok && !Local(t.Name) {
			out = append(out, fmt.Sprintf("%s: not in the distribution script", t.Name))
		}
	}
	return out
}
