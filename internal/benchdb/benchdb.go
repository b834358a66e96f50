// Package benchdb holds what the PostgreSQL benchmarks of Kiroku's engines
// share: a throwaway schema per benchmark database, latency percentiles,
// EXPLAIN logging, a query-capturing hook, and the directory and customers
// of the standard data set (internal/gendata) loaded as the engines store
// them. It is used from _test.go files only.
package benchdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbopen"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/gendata"
)

// EnvKeep names the variable that, when set, keeps benchmark schemas for
// inspection with psql instead of dropping them (their names are printed on standard error).
const EnvKeep = "KIROKU_BENCH_KEEP"

// EnvExplain names the variable that, when set, asks benchmarks to log
// EXPLAIN (ANALYZE, BUFFERS) of their queries.
const EnvExplain = "KIROKU_BENCH_EXPLAIN"

// EnvBigRecords names the variable that sets the number of records of the
// standard data set's big tenant (tenant 0; default 1 000 000), its
// customers a tenth of that: a smaller run where loading a million records
// is too slow for the machine.
const EnvBigRecords = "KIROKU_BENCH_BIG_RECORDS"

// Gen is the generator of the data set the benchmarks load, built once per
// process: the standard data set (gendata.Standard), its big tenant resized
// by EnvBigRecords; with -short (the CI run that keeps the benchmark code
// from rotting), a big tenant of 5 000 records, 500 customers, 40 staff and
// 4 groups and one small tenant beside it.
var Gen = sync.OnceValue(func() *gendata.Generator { return gendata.MustNew(Config()) })

// Config is the configuration of Gen.
func Config() gendata.Config {
	cfg := gendata.Standard()
	switch n := EnvInt(EnvBigRecords, 0); {
	case testing.Short():
		cfg.Tenants = cfg.Tenants[:2]
		cfg.Tenants[0] = gendata.TenantSize{Customers: 500, Records: 5_000, Staff: 40, Groups: 4}
	case n > 0:
		cfg.Tenants[0].Records, cfg.Tenants[0].Customers = n, max(n/10, 1)
	}
	return cfg
}

// EnvSchema names the variable that, when set, makes Reuse open that
// schema — one kept by EnvKeep, loaded with the same data set — instead of
// loading a fresh one.
const EnvSchema = "KIROKU_BENCH_SCHEMA"

// Reuse returns a database bound to the schema named by EnvSchema and a
// function that closes it (keeping the schema), or nil when the variable is
// unset. It skips b when dbtest.EnvPostgres is unset.
func Reuse(b *testing.B) (*bun.DB, func()) {
	b.Helper()
	schema, base := os.Getenv(EnvSchema), os.Getenv(dbtest.EnvPostgres)
	if base == "" {
		b.Skip(dbtest.EnvPostgres + " is not set")
	}
	if schema == "" {
		return nil, nil
	}
	db := openSchema(b, base, schema)
	return db, func() { _ = db.Close() }
}

// FindDirectory returns gendata tenant t as LoadDirectory registered it in
// db: the tenant (by name) and its staff (by e-mail); Groups and OrgUnits
// are left empty.
func FindDirectory(b *testing.B, db *bun.DB, t int) *Directory {
	b.Helper()
	ctx := context.Background()
	gen := Gen()
	out := &Directory{}
	if err := db.NewSelect().TableExpr("kiroku_tenants").Column("id").Where("name = ?", gen.Tenant(t).Name).
		Scan(ctx, &out.Tenant); err != nil {
		b.Fatalf("tenant %d: %v", t, err)
	}
	var rows []struct {
		ID    uuid.UUID `bun:"id"`
		Email string    `bun:"email"`
	}
	if err := db.NewSelect().TableExpr("staff_users").Column("id", "email").Where("tenant_id = ?", out.Tenant).
		Scan(ctx, &rows); err != nil {
		b.Fatal(err)
	}
	byEmail := make(map[string]uuid.UUID, len(rows))
	for _, r := range rows {
		byEmail[r.Email] = r.ID
	}
	for s := range gen.AllStaff(t) {
		id, ok := byEmail[s.Email]
		if !ok {
			b.Fatalf("tenant %d: staff %s is not in the schema", t, s.Email)
		}
		out.Staff = append(out.Staff, id)
	}
	return out
}

// openSchema opens a pool of eight connections bound to schema on the
// server base names.
func openSchema(b *testing.B, base, schema string) *bun.DB {
	b.Helper()
	dsn, err := dbopen.PostgresDSN(base, schema)
	if err != nil {
		b.Fatal(err)
	}
	db, err := dbopen.OpenPostgres(dsn)
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	return db
}

// Schema creates a fresh schema on the server named by dbtest.EnvPostgres
// (skipping b when it is unset) and returns a database bound to it, its
// name, and a function that closes it and drops the schema (or keeps it
// when EnvKeep is set).
func Schema(b *testing.B) (*bun.DB, string, func()) {
	b.Helper()
	base := os.Getenv(dbtest.EnvPostgres)
	if base == "" {
		b.Skip(dbtest.EnvPostgres + " is not set")
	}
	adminDSN, err := dbopen.PostgresDSN(base, "")
	if err != nil {
		b.Fatal(err)
	}
	admin, err := dbopen.OpenPostgres(adminDSN)
	if err != nil {
		b.Fatal(err)
	}
	var r [6]byte
	_, _ = rand.Read(r[:])
	schema := "kiroku_bench_" + hex.EncodeToString(r[:])
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		_ = admin.Close()
		b.Fatal(err)
	}
	if os.Getenv(EnvKeep) != "" {
		// On standard error: go test does not print the log of a
		// benchmark that has sub-benchmarks.
		fmt.Fprintf(os.Stderr, "%s: loading into schema %s, kept after the run\n", EnvKeep, schema)
	}
	db := openSchema(b, base, schema)
	drop := func() {
		_ = db.Close()
		if os.Getenv(EnvKeep) == "" {
			_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		}
		_ = admin.Close()
	}
	return db, schema, drop
}

// Stat is the latency of one sub-benchmark.
type Stat struct{ P50, P95 time.Duration }

// MS converts d to fractional milliseconds.
func MS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Latency warms op up (not with -short, whose runs only prove the
// benchmark code works), then runs it in b.Loop timing every call, and
// reports the median and 95th percentile as "p50-ms" and "p95-ms".
func Latency(b *testing.B, op func() error) Stat {
	b.Helper()
	warm := 3
	if testing.Short() {
		warm = 0
	}
	for range warm {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	durs := make([]time.Duration, 0, 4096)
	for b.Loop() {
		t0 := time.Now()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		durs = append(durs, time.Since(t0))
	}
	slices.Sort(durs)
	at := func(p int) time.Duration { return durs[max(0, (len(durs)*p+99)/100-1)] }
	s := Stat{P50: at(50), P95: at(95)}
	b.ReportMetric(MS(s.P50), "p50-ms")
	b.ReportMetric(MS(s.P95), "p95-ms")
	return s
}

// Capture is a bun query hook that remembers the SQL of every query.
type Capture struct {
	mu      sync.Mutex
	queries []string
}

// BeforeQuery implements bun.QueryHook.
func (h *Capture) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

// AfterQuery implements bun.QueryHook: it records the query.
func (h *Capture) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.queries = append(h.queries, e.Query)
}

// Queries returns the queries captured so far.
func (h *Capture) Queries() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.queries)
}

// Explain logs EXPLAIN (ANALYZE, BUFFERS) of query; a query that is an
// EXPLAIN itself (the engines ask the planner for estimates) is logged as
// it is.
func Explain(b *testing.B, db bun.IConn, title, query string, args ...any) {
	b.Helper()
	if strings.HasPrefix(query, "EXPLAIN ") {
		b.Logf("EXPLAIN %s: the query is an EXPLAIN:\n    %s", title, query)
		return
	}
	rows, err := db.QueryContext(context.Background(), "EXPLAIN (ANALYZE, BUFFERS) "+query, args...)
	if err != nil {
		b.Fatalf("explain %s: %v", title, err)
	}
	defer rows.Close()
	var out strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			b.Fatal(err)
		}
		out.WriteString("\n    " + line)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	b.Logf("EXPLAIN %s:\n    %s%s", title, query, out.String())
}

// PlanNode returns the first scan node of the plan PostgreSQL chooses for
// query, e.g. "Index Scan using customers_kana on customers c".
func PlanNode(b *testing.B, db bun.IConn, query string, args ...any) string {
	b.Helper()
	rows, err := db.QueryContext(context.Background(), "EXPLAIN "+query, args...)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	node := ""
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			b.Fatal(err)
		}
		if strings.Contains(line, " Scan ") && node == "" {
			node, _, _ = strings.Cut(line, "  (cost")
			node = strings.TrimPrefix(strings.TrimSpace(node), "->")
		}
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return strings.TrimSpace(node)
}

// Roles maps gendata roles to permission roles.
var Roles = map[gendata.Role]permission.Role{
	gendata.RoleAdmin: permission.RoleAdmin, gendata.RoleManager: permission.RoleManager,
	gendata.RoleStaff: permission.RoleStaff, gendata.RolePartner: permission.RolePartner,
}

// Directory is a gendata tenant as registered in Kiroku's directory.
type Directory struct {
	Tenant uuid.UUID
	// Staff, Groups and OrgUnits are the IDs by gendata index.
	Staff, Groups, OrgUnits []uuid.UUID
}

// Scope returns gendata visibility v as the read scope of a record of
// the directory's tenant.
func (d *Directory) Scope(v gendata.Visibility) permission.Scope {
	switch v.Scope {
	case gendata.VisibleOrgUnit:
		return permission.Scope{Kind: permission.ScopeOrgUnits, Targets: []uuid.UUID{d.OrgUnits[v.OrgUnit]}}
	case gendata.VisibleGroup:
		return permission.Scope{Kind: permission.ScopeGroups, Targets: []uuid.UUID{d.Groups[v.Group]}}
	case gendata.VisibleUsers:
		s := permission.Scope{Kind: permission.ScopeUsers}
		for _, u := range v.Users {
			if id := d.Staff[u]; !slices.Contains(s.Targets, id) {
				s.Targets = append(s.Targets, id)
			}
		}
		return s
	}
	return permission.Scope{Kind: permission.ScopeCompany}
}

// LoadDirectory registers gendata tenant t in the directory of db as Kiroku
// stores it: the tenant with customer visibility vis, its org tree, every
// staff member with their role and org unit, every group with its managers
// and members.
func LoadDirectory(b *testing.B, db *bun.DB, t int, vis permission.CustomerVisibility) *Directory {
	b.Helper()
	ctx := context.Background()
	gen := Gen()
	dir, err := permission.NewDirectory(db, nil)
	if err != nil {
		b.Fatal(err)
	}
	tenant, err := dir.CreateTenant(ctx, permission.Tenant{Name: gen.Tenant(t).Name, CustomerVisibility: vis})
	if err != nil {
		b.Fatal(err)
	}
	out := &Directory{Tenant: tenant.ID}
	kinds := map[gendata.OrgUnitKind]permission.OrgUnitKind{
		gendata.OrgHeadOffice: permission.UnitCompany, gendata.OrgBranch: permission.UnitBranch,
		gendata.OrgDepartment: permission.UnitDepartment,
	}
	for _, ou := range gen.OrgUnits(t) {
		u := permission.OrgUnit{Tenant: tenant.ID, Kind: kinds[ou.Kind], Name: ou.Name, Position: ou.Index}
		if ou.Parent >= 0 {
			u.Parent = &out.OrgUnits[ou.Parent]
		}
		created, err := dir.CreateOrgUnit(ctx, u)
		if err != nil {
			b.Fatal(err)
		}
		out.OrgUnits = append(out.OrgUnits, created.ID)
	}
	for s := range gen.AllStaff(t) {
		u, err := dir.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: s.Name, Kana: s.NameKana, Email: s.Email,
			Roles: []permission.Role{Roles[s.Role]}, Active: true})
		if err != nil {
			b.Fatal(err)
		}
		if err := dir.SetUserOrgUnits(ctx, tenant.ID, u.ID, []uuid.UUID{out.OrgUnits[s.OrgUnit]}); err != nil {
			b.Fatal(err)
		}
		out.Staff = append(out.Staff, u.ID)
	}
	for _, gr := range gen.Groups(t) {
		g, err := dir.CreateGroup(ctx, tenant.ID, gr.Name)
		if err != nil {
			b.Fatal(err)
		}
		var ms []permission.Member
		for _, s := range gr.Managers {
			ms = append(ms, permission.Member{User: out.Staff[s], Manager: true})
		}
		for _, s := range gr.Members {
			ms = append(ms, permission.Member{User: out.Staff[s]})
		}
		if err := dir.SetGroupMembers(ctx, tenant.ID, g.ID, ms); err != nil {
			b.Fatal(err)
		}
		out.Groups = append(out.Groups, g.ID)
	}
	return out
}

// Principal returns a context carrying the principal of a staff member as
// Directory.Principal builds it.
func Principal(b *testing.B, db *bun.DB, tenant, user uuid.UUID) (context.Context, permission.Principal) {
	b.Helper()
	dir, err := permission.NewDirectory(db, nil)
	if err != nil {
		b.Fatal(err)
	}
	p, err := dir.Principal(context.Background(), tenant, user)
	if err != nil {
		b.Fatal(err)
	}
	return permission.WithPrincipal(context.Background(), p), p
}

// EnvInt returns the positive integer in the environment variable name, or
// def when it is unset or not a positive integer (benchmark data sizes).
func EnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
