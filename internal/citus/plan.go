// Package citus keeps Kiroku's schema distributable by tenant with Citus:
// the distribution script (distribute.sql, parsed as a Plan), checks of a
// PostgreSQL schema against it (CheckSchema for tenant-leading keys, DryRun
// for the preconditions of every statement of the script), and a Checker of
// the SQL the engines run (a bun query hook) that finds joins and
// subqueries between distributed tables without the tenant equality.
//
// Citus itself is not needed: everything here runs on plain PostgreSQL (the
// Checker on any SQL).
package citus

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"
)

//go:embed distribute.sql
var script string

// Script returns the distribution script: one create_distributed_table or
// create_reference_table call per table, in dependency order.
func Script() string { return script }

// Statement is one call of the distribution script.
type Statement struct {
	// Line is the statement's line in the script (from 1).
	Line int
	// Table is the table distributed or made a reference table.
	Table string
	// Column is the distribution column; empty for a reference table.
	Column string
	// ColocateWith names the table whose shards this one's follow; empty
	// for Citus's default.
	ColocateWith string
}

// Reference reports whether the statement makes a reference table.
func (s Statement) Reference() bool { return s.Column == "" }

// Plan is the parsed distribution script, in order.
type Plan []Statement

var (
	distributed = regexp.MustCompile(`^SELECT create_distributed_table\('(\w+)', '(\w+)'(?:, colocate_with => '(\w+)')?\);$`)
	reference   = regexp.MustCompile(`^SELECT create_reference_table\('(\w+)'\);$`)
)

// ParsePlan parses a distribution script: blank lines, "--" comments and
// one statement per line in the forms
//
//	SELECT create_distributed_table('t', 'col'[, colocate_with => 'u']);
//	SELECT create_reference_table('t');
//
// Anything else is an error naming its line.
func ParsePlan(sql string) (Plan, error) {
	var p Plan
	for i, line := range strings.Split(sql, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "--") {
			continue
		}
		if m := distributed.FindStringSubmatch(line); m != nil {
			p = append(p, Statement{Line: i + 1, Table: m[1], Column: m[2], ColocateWith: m[3]})
			continue
		}
		if m := reference.FindStringSubmatch(line); m != nil {
			p = append(p, Statement{Line: i + 1, Table: m[1]})
			continue
		}
		return nil, fmt.Errorf("citus: script line %d: not a create_distributed_table or create_reference_table call: %q", i+1, line)
	}
	return p, nil
}

// DefaultPlan parses Script.
func DefaultPlan() (Plan, error) { return ParsePlan(script) }

// Distributed maps each distributed table to its distribution column.
func (p Plan) Distributed() map[string]string {
	m := map[string]string{}
	for _, s := range p {
		if !s.Reference() {
			m[s.Table] = s.Column
		}
	}
	return m
}
