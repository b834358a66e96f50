package gendata

import (
	"fmt"
	"iter"
	"math"
	"slices"
	"time"
)

// Tenant describes one tenant of the data set.
type Tenant struct {
	// Index is the tenant's position in Config.Tenants.
	Index int
	// Name is the tenant's company name, e.g. 株式会社丸和工務店.
	Name string
	// NameKana is the katakana reading of Name without the legal form.
	NameKana string
	// Slug is a unique ASCII identifier, "tenant00", "tenant01", ….
	Slug string
	// Domain is the e-mail domain of the tenant's staff.
	Domain string
	// Size is the tenant's configured size.
	Size TenantSize
}

// Generator produces the data set described by a Config. It precomputes
// only the small per-tenant structures (staff, org tree, groups); customers
// and contact records are computed on demand from their index. A Generator
// is immutable and safe for concurrent use.
type Generator struct {
	cfg     Config
	tenants []tenantState
	// startDay is midnight of the day three years before the base time;
	// days is the number of whole days from startDay to the base time.
	startDay time.Time
	days     int
}

// tenantState is the precomputed state of one tenant.
type tenantState struct {
	info     Tenant
	keys     [numKinds]uint64
	staff    []Staff
	orgUnits []OrgUnit
	groups   []Group
	// assignable lists the staff that can be assigned to customers.
	assignable []int
	// permA and permB define the bijection rank → customer index
	// (rank*permA + permB) mod Customers used by the skewed customer choice.
	permA, permB uint64
	// zipfC and zipfLog parametrise the heavy-tailed part of the customer
	// choice (see pickCustomer).
	zipfC, zipfLog float64
}

// New validates cfg and returns a generator for it.
func New(cfg Config) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Tenants = slices.Clone(cfg.Tenants)
	g := &Generator{cfg: cfg, tenants: make([]tenantState, len(cfg.Tenants))}
	start := cfg.Base.AddDate(-3, 0, 0)
	g.startDay = time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, cfg.Base.Location())
	g.days = max(1, int(cfg.Base.Sub(g.startDay)/(24*time.Hour)))
	for t := range cfg.Tenants {
		g.initTenant(t)
	}
	return g, nil
}

// MustNew is like New but panics if cfg is invalid.
func MustNew(cfg Config) *Generator {
	g, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return g
}

// Config returns a copy of the generator's configuration.
func (g *Generator) Config() Config {
	c := g.cfg
	c.Tenants = slices.Clone(c.Tenants)
	return c
}

// NumTenants returns the number of tenants.
func (g *Generator) NumTenants() int { return len(g.tenants) }

// Tenant returns the description of tenant t. It panics if t is out of
// range, like every method taking a tenant index.
func (g *Generator) Tenant(t int) Tenant { return g.tenant(t).info }

// tenant returns the state of tenant t or panics.
func (g *Generator) tenant(t int) *tenantState {
	if t < 0 || t >= len(g.tenants) {
		panic(fmt.Sprintf("gendata: tenant %d out of range [0,%d)", t, len(g.tenants)))
	}
	return &g.tenants[t]
}

// checkIndex panics if i is not in [0, n).
func checkIndex(what string, i, n int) {
	if i < 0 || i >= n {
		panic(fmt.Sprintf("gendata: %s index %d out of range [0,%d)", what, i, n))
	}
}

// initTenant precomputes the state of tenant t.
func (g *Generator) initTenant(t int) {
	ts := &g.tenants[t]
	size := g.cfg.Tenants[t]
	for k := range ts.keys {
		ts.keys[k] = streamKey(g.cfg.Seed, t, uint64(k))
	}

	// Tenant identity. Stems are walked with a stride coprime to the table
	// size so that the first tenants get distinct names.
	off := int(mix64(g.cfg.Seed) % uint64(len(companyStems)))
	stem := companyStems[(t*7+off)%len(companyStems)]
	typ := companyTypes[(t*5+off)%len(companyTypes)]
	slug := fmt.Sprintf("tenant%02d", t)
	ts.info = Tenant{
		Index:    t,
		Name:     "株式会社" + stem.text + typ.text,
		NameKana: stem.kana + typ.kana,
		Slug:     slug,
		Domain:   slug + ".example.co.jp",
		Size:     size,
	}

	ts.orgUnits = buildOrgTree(ts.keys[kindOrg])
	ts.staff = buildStaff(ts.keys[kindStaff], t, size.Staff, ts.orgUnits, ts.info.Domain)
	ts.groups = buildGroups(ts.keys[kindGroup], size.Groups, ts.staff)

	for i, s := range ts.staff {
		if s.Role != RoleAdmin || len(ts.staff) == 1 {
			ts.assignable = append(ts.assignable, i)
		}
	}

	// Skewed customer choice.
	if n := size.Customers; n > 0 {
		var r rng
		r.seed(ts.keys[kindPerm], 0)
		a := uint64(r.intn(n)) | 1
		for gcd(a, uint64(n)) != 1 {
			a += 2
		}
		ts.permA = a % uint64(n)
		if ts.permA == 0 {
			ts.permA = 1
		}
		ts.permB = uint64(r.intn(n))
		ts.zipfC = math.Max(1, math.Sqrt(float64(n))/3)
		ts.zipfLog = math.Log((float64(n) + ts.zipfC) / ts.zipfC)
	}
}

// gcd returns the greatest common divisor of a and b.
func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Customers yields every customer of tenant t in index order.
func (g *Generator) Customers(t int) iter.Seq[Customer] {
	return g.CustomerRange(t, 0, g.tenant(t).info.Size.Customers)
}

// CustomerRange yields the customers of tenant t with index in [from, to),
// which lets callers split loading across goroutines. The bounds are
// clamped to the tenant's size.
func (g *Generator) CustomerRange(t, from, to int) iter.Seq[Customer] {
	n := g.tenant(t).info.Size.Customers
	from, to = max(from, 0), min(to, n)
	return func(yield func(Customer) bool) {
		for i := from; i < to; i++ {
			if !yield(g.Customer(t, i)) {
				return
			}
		}
	}
}

// Records yields every contact record of tenant t in index order.
func (g *Generator) Records(t int) iter.Seq[Record] {
	return g.RecordRange(t, 0, g.tenant(t).info.Size.Records)
}

// RecordRange yields the contact records of tenant t with index in
// [from, to). The bounds are clamped to the tenant's size.
func (g *Generator) RecordRange(t, from, to int) iter.Seq[Record] {
	n := g.tenant(t).info.Size.Records
	from, to = max(from, 0), min(to, n)
	return func(yield func(Record) bool) {
		for i := from; i < to; i++ {
			if !yield(g.Record(t, i)) {
				return
			}
		}
	}
}

// AllStaff yields every staff member of tenant t in index order.
func (g *Generator) AllStaff(t int) iter.Seq[Staff] {
	ts := g.tenant(t)
	return func(yield func(Staff) bool) {
		for i := range ts.staff {
			if !yield(g.Staff(t, i)) {
				return
			}
		}
	}
}
