package gendata

import (
	"errors"
	"fmt"
	"time"
)

// DefaultSeed is the seed of the standard data set.
const DefaultSeed uint64 = 0x6b69726f6b75 // "kiroku"

// jst is Japan Standard Time. A fixed zone is used so that generation does
// not depend on the tz database of the host.
var jst = time.FixedZone("JST", 9*60*60)

// DefaultBase returns the base time of the standard data set: 2025-04-01
// 00:00 JST. Generated history lies before it and planned future contacts
// after it.
func DefaultBase() time.Time { return time.Date(2025, time.April, 1, 0, 0, 0, 0, jst) }

// TenantSize gives the number of each kind of entity in one tenant.
type TenantSize struct {
	// Customers is the number of customers (individuals and companies).
	Customers int
	// Records is the number of contact records.
	Records int
	// Staff is the number of staff accounts, including the admin.
	Staff int
	// Groups is the number of staff groups.
	Groups int
}

// Config fixes everything the generated data depends on. Two generators
// built from equal Configs produce identical data.
type Config struct {
	// Seed selects the pseudo-random data set.
	Seed uint64
	// Base is the "now" of the data set: customers are created in the three
	// years before it, past contacts happen before it and planned contacts
	// after it. Generated times use Base's location.
	Base time.Time
	// Tenants gives the size of each tenant; tenant indexes are positions in
	// this slice.
	Tenants []TenantSize
}

// Standard returns the configuration of the project's standard data set:
// ten tenants, tenant 0 being the big one (100 000 customers, 1 000 000
// contact records, 200 staff, 20 groups) and tenants 1–9 small ones
// (1 000 customers, 10 000 records, 10 staff, 2 groups each).
func Standard() Config {
	t := make([]TenantSize, 10)
	t[0] = TenantSize{Customers: 100_000, Records: 1_000_000, Staff: 200, Groups: 20}
	for i := 1; i < len(t); i++ {
		t[i] = TenantSize{Customers: 1_000, Records: 10_000, Staff: 10, Groups: 2}
	}
	return Config{Seed: DefaultSeed, Base: DefaultBase(), Tenants: t}
}

// Small returns a configuration for unit tests and the demo mode: one
// tenant with 200 customers, 1 000 records, 8 staff and 2 groups.
func Small() Config {
	return Config{
		Seed:    DefaultSeed,
		Base:    DefaultBase(),
		Tenants: []TenantSize{{Customers: 200, Records: 1_000, Staff: 8, Groups: 2}},
	}
}

// SmallBusiness returns the configuration of a small business's data set,
// the size the SQLite budgets are set at: one tenant with 10 000 customers,
// 100 000 contact records, 30 staff and 4 groups.
func SmallBusiness() Config {
	return Config{
		Seed:    DefaultSeed,
		Base:    DefaultBase(),
		Tenants: []TenantSize{{Customers: 10_000, Records: 100_000, Staff: 30, Groups: 4}},
	}
}

// Validate reports whether the configuration can be generated: a non-zero
// base time, at least one tenant, at least one staff member per tenant, no
// negative sizes, and at least one customer in a tenant that has records.
func (c Config) Validate() error {
	if c.Base.IsZero() {
		return errors.New("gendata: Base time is zero")
	}
	if len(c.Tenants) == 0 {
		return errors.New("gendata: no tenants")
	}
	for i, t := range c.Tenants {
		switch {
		case t.Customers < 0 || t.Records < 0 || t.Staff < 0 || t.Groups < 0:
			return fmt.Errorf("gendata: tenant %d: negative size %+v", i, t)
		case t.Staff < 1:
			return fmt.Errorf("gendata: tenant %d: needs at least one staff member", i)
		case t.Records > 0 && t.Customers == 0:
			return fmt.Errorf("gendata: tenant %d: records need at least one customer", i)
		}
	}
	return nil
}
