package permission

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/idset"
	"github.com/kirokuhq/kiroku/internal/migration"
	"github.com/kirokuhq/kiroku/internal/storage"
)

//go:embed migrations
var migrations embed.FS

// migrationSet is the permission engine's migration set (tenants, the staff
// directory, the audit log). Every other engine runs it first.
// It is registered (migration.Named) for the engines that migrate it with
// their own in one run.
var migrationSet = migration.Register(migration.Set{Name: "permission", FS: migrations})

// Migrate creates or upgrades the directory and audit tables. It is
// idempotent and safe when several processes run it at once.
// On PostgreSQL it holds a session-level advisory lock for the whole run:
// db must not go through a transaction-mode pooler.
func Migrate(ctx context.Context, db *bun.DB) error { return migration.Run(ctx, db, migrationSet) }

// Tenant is one customer organisation of the embedding application.
type Tenant struct {
	bun.BaseModel      `bun:"table:kiroku_tenants"`
	ID                 uuid.UUID          `bun:"id,pk" json:"id"`
	Name               string             `bun:"name" json:"name"`
	TimeZone           string             `bun:"time_zone" json:"time_zone"` // IANA name, default Asia/Tokyo
	CustomerVisibility CustomerVisibility `bun:"customer_visibility" json:"customer_visibility"`
	CreatedAt          time.Time          `bun:"created_at" json:"created_at"`
	UpdatedAt          time.Time          `bun:"updated_at" json:"updated_at"`
	Version            int64              `bun:"version" json:"version"`
}

// User is a staff member in the directory.
type User struct {
	bun.BaseModel `bun:"table:staff_users,alias:u"`
	ID            uuid.UUID `bun:"id,pk" json:"id"`
	Tenant        uuid.UUID `bun:"tenant_id" json:"tenant"`
	// ExternalID is the embedding application's own ID for the user, unique
	// per tenant; SaveUser finds users by it when ID is zero.
	ExternalID *string   `bun:"external_id" json:"external_id,omitempty"`
	Name       string    `bun:"name" json:"name"`
	Kana       string    `bun:"kana" json:"kana"`
	Email      string    `bun:"email" json:"email"`
	Roles      []Role    `bun:"-" json:"roles"`
	RolesText  string    `bun:"roles" json:"-"`
	Active     bool      `bun:"active" json:"active"`
	CreatedAt  time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt  time.Time `bun:"updated_at" json:"updated_at"`
	Version    int64     `bun:"version" json:"version"`
}

// OrgUnitKind is the level of an org unit.
type OrgUnitKind string

// Org unit kinds: a tenant's tree is company → branch → department.
const (
	UnitCompany    OrgUnitKind = "company"    // 会社: the root
	UnitBranch     OrgUnitKind = "branch"     // 支店
	UnitDepartment OrgUnitKind = "department" // 部署
)

// OrgUnit is a node of the tenant's organisation tree.
type OrgUnit struct {
	bun.BaseModel `bun:"table:org_units,alias:o"`
	ID            uuid.UUID   `bun:"id,pk" json:"id"`
	Tenant        uuid.UUID   `bun:"tenant_id" json:"tenant"`
	Parent        *uuid.UUID  `bun:"parent_id" json:"parent,omitempty"`
	Kind          OrgUnitKind `bun:"kind" json:"kind"`
	Name          string      `bun:"name" json:"name"`
	Position      int         `bun:"position" json:"position"`
	CreatedAt     time.Time   `bun:"created_at" json:"created_at"`
	UpdatedAt     time.Time   `bun:"updated_at" json:"updated_at"`
	Version       int64       `bun:"version" json:"version"`
}

// Group is a flat team of staff with managers (e.g. 営業1課).
type Group struct {
	bun.BaseModel `bun:"table:staff_groups,alias:g"`
	ID            uuid.UUID `bun:"id,pk" json:"id"`
	Tenant        uuid.UUID `bun:"tenant_id" json:"tenant"`
	Name          string    `bun:"name" json:"name"`
	CreatedAt     time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at" json:"updated_at"`
	Version       int64     `bun:"version" json:"version"`
	Members       []Member  `bun:"-" json:"members"`
}

// Member is a group membership.
type Member struct {
	User    uuid.UUID `json:"user"`
	Manager bool      `json:"manager"`
}

type orgPath struct {
	bun.BaseModel `bun:"table:org_unit_paths"`
	Tenant        uuid.UUID `bun:"tenant_id"`
	Ancestor      uuid.UUID `bun:"ancestor_id,pk"`
	Descendant    uuid.UUID `bun:"descendant_id,pk"`
	Depth         int       `bun:"depth"`
}

type orgMembership struct {
	bun.BaseModel `bun:"table:org_memberships"`
	User          uuid.UUID `bun:"user_id,pk"`
	Unit          uuid.UUID `bun:"org_unit_id,pk"`
	Tenant        uuid.UUID `bun:"tenant_id"`
}

type groupMember struct {
	bun.BaseModel `bun:"table:group_members"`
	Group         uuid.UUID `bun:"group_id,pk"`
	User          uuid.UUID `bun:"user_id,pk"`
	Tenant        uuid.UUID `bun:"tenant_id"`
	Manager       bool      `bun:"manager"`
}

// Directory stores tenants, staff users, org units, groups and memberships.
// It is a trusted handle: it checks no principal, so expose its writes only
// to administrators (the example server does) or to the embedding
// application's own user synchronisation.
type Directory struct {
	db    bun.IDB
	clock func() time.Time
}

// NewDirectory returns the directory over db. clock may be nil (time.Now).
func NewDirectory(db bun.IDB, clock func() time.Time) (*Directory, error) {
	if _, err := storage.Of(db); err != nil {
		return nil, err
	}
	if clock == nil {
		clock = time.Now
	}
	return &Directory{db: db, clock: clock}, nil
}

// WithDB returns a copy of d bound to db (a transaction).
func (d *Directory) WithDB(db bun.IDB) *Directory { c := *d; c.db = db; return &c }

func (d *Directory) now() time.Time { return d.clock().UTC().Truncate(time.Microsecond) }

func nameError(field, s string, limit int) *validation.Error {
	var v validation.Error
	if strings.TrimSpace(s) == "" {
		v.Add(field, validation.CodeRequired, "")
	} else if utf8.RuneCountInString(s) > limit {
		v.Add(field, validation.CodeTooLong, strconv.Itoa(limit))
	}
	return &v
}

// CreateTenant stores a new tenant. A zero ID gets a new UUIDv7; empty
// TimeZone means Asia/Tokyo; empty CustomerVisibility means VisibilityAll.
func (d *Directory) CreateTenant(ctx context.Context, t Tenant) (*Tenant, error) {
	if t.TimeZone == "" {
		t.TimeZone = "Asia/Tokyo"
	}
	if t.CustomerVisibility == "" {
		t.CustomerVisibility = VisibilityAll
	}
	if err := validateTenant(&t); err != nil {
		return nil, fmt.Errorf("permission: create tenant: %w", err)
	}
	if t.ID == uuid.Nil {
		t.ID = uuid.Must(uuid.NewV7())
	}
	t.CreatedAt, t.UpdatedAt, t.Version = d.now(), d.now(), 1
	if _, err := d.db.NewInsert().Model(&t).Exec(ctx); err != nil {
		return nil, fmt.Errorf("permission: create tenant: %w", storage.Err(err))
	}
	return &t, nil
}

func validateTenant(t *Tenant) error {
	t.Name = strings.TrimSpace(t.Name)
	v := nameError("name", t.Name, 100)
	if _, err := time.LoadLocation(t.TimeZone); err != nil || t.TimeZone == "" {
		v.Add("time_zone", validation.CodeUnknown, t.TimeZone)
	}
	if t.CustomerVisibility != VisibilityAll && t.CustomerVisibility != VisibilityAssigned {
		v.Add("customer_visibility", validation.CodeUnknown, string(t.CustomerVisibility))
	}
	return v.Err()
}

// Tenant returns a tenant.
func (d *Directory) Tenant(ctx context.Context, id uuid.UUID) (*Tenant, error) {
	var t Tenant
	if err := d.db.NewSelect().Model(&t).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("permission: tenant %s: %w", id, storage.Err(err))
	}
	return &t, nil
}

// TenantIDs returns the ID of every tenant, oldest first: for system jobs
// that run per tenant (contactlog.System.ScheduleOrphanCollection).
func (d *Directory) TenantIDs(ctx context.Context) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	if err := d.db.NewSelect().Model((*Tenant)(nil)).Column("id").OrderExpr("created_at, id").Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("permission: tenants: %w", storage.Err(err))
	}
	return ids, nil
}

// UpdateTenant saves a tenant's name, time zone and customer visibility.
// t.Version must be the version read (ErrConflict otherwise).
func (d *Directory) UpdateTenant(ctx context.Context, t Tenant) (*Tenant, error) {
	if err := validateTenant(&t); err != nil {
		return nil, fmt.Errorf("permission: update tenant: %w", err)
	}
	old := t.Version
	t.UpdatedAt, t.Version = d.now(), old+1
	var n int64
	err := storage.InTx(ctx, d.db, func(ctx context.Context, tx bun.IDB) error {
		res, err := tx.NewUpdate().Model(&t).Column("name", "time_zone", "customer_visibility", "updated_at", "version").
			WherePK().Where("version = ?", old).Returning("created_at").Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ = res.RowsAffected(); n != 1 {
			return nil
		}
		return BumpVersion(ctx, tx, t.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("permission: update tenant: %w", err)
	}
	if n != 1 {
		if _, err := d.Tenant(ctx, t.ID); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("permission: update tenant: %w", ErrConflict)
	}
	return &t, nil
}

func parseRoles(s string) []Role {
	var out []Role
	for _, r := range strings.Split(s, ",") {
		if r != "" {
			out = append(out, Role(r))
		}
	}
	return out
}

// SaveUser creates or updates a staff user: the entry point for syncing an
// application's users into the directory. The user is found by ID, or by
// ExternalID when ID is zero; a user found neither way is created (with a
// new UUIDv7 when ID is zero). Roles default to staff. Deactivate a user
// with Active false: an inactive user gets no principal.
func (d *Directory) SaveUser(ctx context.Context, u User) (*User, error) {
	u.Name, u.Kana, u.Email = strings.TrimSpace(u.Name), strings.TrimSpace(u.Kana), strings.TrimSpace(u.Email)
	v := nameError("name", u.Name, 100)
	if len(u.Roles) == 0 {
		u.Roles = []Role{RoleStaff}
	}
	roles := make([]string, 0, len(u.Roles))
	for _, r := range u.Roles {
		if !r.Valid() {
			v.Add("roles", validation.CodeUnknown, string(r))
		}
		if !slices.Contains(roles, string(r)) {
			roles = append(roles, string(r))
		}
	}
	if u.ExternalID != nil && (*u.ExternalID == "" || len(*u.ExternalID) > 200) {
		v.Add("external_id", validation.CodeFormat, "")
	}
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("permission: save user: %w", err)
	}
	u.RolesText = strings.Join(roles, ",")
	u.Roles = parseRoles(u.RolesText)
	err := storage.InTx(ctx, d.db, func(ctx context.Context, tx bun.IDB) error {
		var cur User
		q := tx.NewSelect().Model(&cur).Where("u.tenant_id = ?", u.Tenant)
		switch {
		case u.ID != uuid.Nil:
			q.Where("u.id = ?", u.ID)
		case u.ExternalID != nil:
			q.Where("u.external_id = ?", *u.ExternalID)
		default:
			q = nil
		}
		now := d.now()
		if q != nil {
			err := q.Scan(ctx)
			if err == nil {
				u.ID, u.CreatedAt, u.UpdatedAt, u.Version = cur.ID, cur.CreatedAt, now, cur.Version+1
				if _, err := tx.NewUpdate().Model(&u).Column("external_id", "name", "kana", "email", "roles", "active", "updated_at", "version").
					WherePK().Exec(ctx); err != nil {
					return err
				}
				return BumpVersion(ctx, tx, u.Tenant)
			}
			if !errors.Is(storage.Err(err), ErrNotFound) {
				return err
			}
		}
		if u.ID == uuid.Nil {
			u.ID = uuid.Must(uuid.NewV7())
		}
		u.CreatedAt, u.UpdatedAt, u.Version = now, now, 1
		if _, err := tx.NewInsert().Model(&u).Exec(ctx); err != nil {
			return err
		}
		return BumpVersion(ctx, tx, u.Tenant)
	})
	if err != nil {
		return nil, fmt.Errorf("permission: save user: %w", err)
	}
	return &u, nil
}

// User returns a staff user of the tenant.
func (d *Directory) User(ctx context.Context, tenant, id uuid.UUID) (*User, error) {
	var u User
	if err := d.db.NewSelect().Model(&u).Where("u.tenant_id = ?", tenant).Where("u.id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("permission: user %s: %w", id, storage.Err(err))
	}
	u.Roles = parseRoles(u.RolesText)
	return &u, nil
}

// Users returns the tenant's staff users by reading.
func (d *Directory) Users(ctx context.Context, tenant uuid.UUID) ([]User, error) {
	var us []User
	if err := d.db.NewSelect().Model(&us).Where("u.tenant_id = ?", tenant).Order("u.kana", "u.name", "u.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("permission: users: %w", storage.Err(err))
	}
	for i := range us {
		us[i].Roles = parseRoles(us[i].RolesText)
	}
	return us, nil
}

// UserNames returns the names of those of users that are staff users of
// the tenant, inactive ones included, keyed by ID: one query, for a page
// that shows the names of the people on it instead of reading the whole
// staff list. Unknown IDs have no entry; no users means no query.
func (d *Directory) UserNames(ctx context.Context, tenant uuid.UUID, users ...uuid.UUID) (map[uuid.UUID]string, error) {
	users = idset.Sorted(users)
	out := make(map[uuid.UUID]string, len(users))
	if len(users) == 0 {
		return out, nil
	}
	var rows []struct {
		ID   uuid.UUID `bun:"id"`
		Name string    `bun:"name"`
	}
	if err := d.db.NewSelect().Model((*User)(nil)).Column("u.id", "u.name").Where("u.tenant_id = ?", tenant).
		Where("u.id IN (?)", bun.List(users)).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("permission: user names: %w", storage.Err(err))
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

// CreateOrgUnit adds a unit to the tenant's tree. A unit without a parent
// must be the tenant's one company; branches and departments have a
// parent in the same tenant.
func (d *Directory) CreateOrgUnit(ctx context.Context, u OrgUnit) (*OrgUnit, error) {
	u.Name = strings.TrimSpace(u.Name)
	v := nameError("name", u.Name, 100)
	switch u.Kind {
	case UnitCompany:
		if u.Parent != nil {
			v.Add("parent", validation.CodeNotAllowed, "")
		}
	case UnitBranch, UnitDepartment:
		if u.Parent == nil {
			v.Add("parent", validation.CodeRequired, "")
		}
	default:
		v.Add("kind", validation.CodeUnknown, string(u.Kind))
	}
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("permission: create org unit: %w", err)
	}
	now := d.now()
	u.ID, u.CreatedAt, u.UpdatedAt, u.Version = uuid.Must(uuid.NewV7()), now, now, 1
	err := storage.InTx(ctx, d.db, func(ctx context.Context, tx bun.IDB) error {
		if u.Kind == UnitCompany {
			n, err := tx.NewSelect().Model((*OrgUnit)(nil)).Where("o.tenant_id = ?", u.Tenant).Where("o.parent_id IS NULL").Count(ctx)
			if err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("a company unit exists: %w", ErrConflict)
			}
		} else if err := d.WithDB(tx).unitExists(ctx, u.Tenant, *u.Parent); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(&u).Exec(ctx); err != nil {
			return err
		}
		paths := []orgPath{{Tenant: u.Tenant, Ancestor: u.ID, Descendant: u.ID}}
		if u.Parent != nil {
			var up []orgPath
			if err := tx.NewSelect().Model(&up).Where("tenant_id = ?", u.Tenant).Where("descendant_id = ?", *u.Parent).Scan(ctx); err != nil {
				return err
			}
			for _, p := range up {
				paths = append(paths, orgPath{Tenant: u.Tenant, Ancestor: p.Ancestor, Descendant: u.ID, Depth: p.Depth + 1})
			}
		}
		if _, err := tx.NewInsert().Model(&paths).Exec(ctx); err != nil {
			return err
		}
		return BumpVersion(ctx, tx, u.Tenant)
	})
	if err != nil {
		return nil, fmt.Errorf("permission: create org unit: %w", err)
	}
	return &u, nil
}

func (d *Directory) unitExists(ctx context.Context, tenant, id uuid.UUID) error {
	ok, err := d.db.NewSelect().Model((*OrgUnit)(nil)).Where("o.tenant_id = ?", tenant).Where("o.id = ?", id).Exists(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("org unit %s: %w", id, ErrNotFound)
	}
	return nil
}

// MoveOrgUnit moves a branch or department (with its subtree) under another
// parent of the same tenant. Moving a unit under itself or its own subtree
// fails with ErrInvalid.
func (d *Directory) MoveOrgUnit(ctx context.Context, tenant, id, parent uuid.UUID) error {
	err := storage.InTx(ctx, d.db, func(ctx context.Context, tx bun.IDB) error {
		dd := d.WithDB(tx)
		if err := dd.unitExists(ctx, tenant, id); err != nil {
			return err
		}
		if err := dd.unitExists(ctx, tenant, parent); err != nil {
			return err
		}
		var sub []orgPath
		if err := tx.NewSelect().Model(&sub).Where("tenant_id = ?", tenant).Where("ancestor_id = ?", id).Scan(ctx); err != nil {
			return err
		}
		subtree := make([]uuid.UUID, len(sub))
		for i, p := range sub {
			subtree[i] = p.Descendant
		}
		if slices.Contains(subtree, parent) {
			var v validation.Error
			v.Add("parent", validation.CodeNotAllowed, "cycle")
			return &v
		}
		var kind OrgUnitKind
		if err := tx.NewSelect().Model((*OrgUnit)(nil)).Column("kind").Where("o.tenant_id = ?", tenant).Where("o.id = ?", id).Scan(ctx, &kind); err != nil {
			return err
		}
		if kind == UnitCompany {
			var v validation.Error
			v.Add("kind", validation.CodeNotAllowed, string(kind))
			return &v
		}
		if _, err := tx.NewDelete().Model((*orgPath)(nil)).Where("tenant_id = ?", tenant).Where("descendant_id IN (?)", bun.List(subtree)).
			Where("ancestor_id NOT IN (?)", bun.List(subtree)).Exec(ctx); err != nil {
			return err
		}
		var up []orgPath
		if err := tx.NewSelect().Model(&up).Where("tenant_id = ?", tenant).Where("descendant_id = ?", parent).Scan(ctx); err != nil {
			return err
		}
		var paths []orgPath
		for _, a := range up {
			for _, s := range sub {
				paths = append(paths, orgPath{Tenant: tenant, Ancestor: a.Ancestor, Descendant: s.Descendant, Depth: a.Depth + s.Depth + 1})
			}
		}
		if _, err := tx.NewInsert().Model(&paths).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*OrgUnit)(nil)).Set("parent_id = ?", parent).Set("updated_at = ?", d.now()).
			Set("version = version + 1").Where("tenant_id = ?", tenant).Where("id = ?", id).Exec(ctx); err != nil {
			return err
		}
		return BumpVersion(ctx, tx, tenant)
	})
	if err != nil {
		return fmt.Errorf("permission: move org unit %s: %w", id, err)
	}
	return nil
}

// RenameOrgUnit renames a unit.
func (d *Directory) RenameOrgUnit(ctx context.Context, tenant, id uuid.UUID, name string) error {
	name = strings.TrimSpace(name)
	if err := nameError("name", name, 100).Err(); err != nil {
		return fmt.Errorf("permission: rename org unit: %w", err)
	}
	err := storage.InTx(ctx, d.db, func(ctx context.Context, tx bun.IDB) error {
		res, err := tx.NewUpdate().Model((*OrgUnit)(nil)).Set("name = ?", name).Set("updated_at = ?", d.now()).
			Set("version = version + 1").Where("tenant_id = ?", tenant).Where("id = ?", id).Exec(ctx)
		if err := storage.Affected(res, err, ErrNotFound); err != nil {
			return err
		}
		return BumpVersion(ctx, tx, tenant)
	})
	if err != nil {
		return fmt.Errorf("permission: rename org unit %s: %w", id, err)
	}
	return nil
}

// DeleteOrgUnit deletes a unit without children; its memberships go with
// it. A unit with children fails with ErrConflict.
func (d *Directory) DeleteOrgUnit(ctx context.Context, tenant, id uuid.UUID) error {
	err := storage.InTx(ctx, d.db, func(ctx context.Context, tx bun.IDB) error {
		kids, err := tx.NewSelect().Model((*OrgUnit)(nil)).Where("o.tenant_id = ?", tenant).Where("o.parent_id = ?", id).Count(ctx)
		if err != nil {
			return err
		}
		if kids > 0 {
			return fmt.Errorf("it has %d child units: %w", kids, ErrConflict)
		}
		res, err := tx.NewDelete().Model((*OrgUnit)(nil)).Where("tenant_id = ?", tenant).Where("id = ?", id).Exec(ctx)
		if err := storage.Affected(res, err, ErrNotFound); err != nil {
			return err
		}
		return BumpVersion(ctx, tx, tenant)
	})
	if err != nil {
		return fmt.Errorf("permission: delete org unit %s: %w", id, err)
	}
	return nil
}

// OrgUnits returns the tenant's units, parents before children.
func (d *Directory) OrgUnits(ctx context.Context, tenant uuid.UUID) ([]OrgUnit, error) {
	var us []OrgUnit
	err := d.db.NewSelect().Model(&us).
		ColumnExpr("o.*").
		Join("JOIN org_unit_paths p ON p.tenant_id = o.tenant_id AND p.descendant_id = o.id").
		Where("o.tenant_id = ?", tenant).
		GroupExpr("o.tenant_id, o.id").
		OrderExpr("MAX(p.depth), o.position, o.name, o.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("permission: org units: %w", storage.Err(err))
	}
	return us, nil
}

// SetUserOrgUnits replaces the units a user belongs to.
func (d *Directory) SetUserOrgUnits(ctx context.Context, tenant, user uuid.UUID, units []uuid.UUID) error {
	units = idset.Sorted(units)
	err := storage.InTx(ctx, d.db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := d.WithDB(tx).User(ctx, tenant, user); err != nil {
			return err
		}
		if err := requireAll(ctx, tx.NewSelect().Model((*OrgUnit)(nil)), "o", tenant, units, "org units"); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*orgMembership)(nil)).Where("tenant_id = ?", tenant).Where("user_id = ?", user).Exec(ctx); err != nil {
			return err
		}
		if err := BumpVersion(ctx, tx, tenant); err != nil || len(units) == 0 {
			return err
		}
		ms := make([]orgMembership, len(units))
		for i, u := range units {
			ms[i] = orgMembership{User: user, Unit: u, Tenant: tenant}
		}
		_, err := tx.NewInsert().Model(&ms).Exec(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("permission: set org units of %s: %w", user, err)
	}
	return nil
}

// OrgMemberships returns the units each user belongs to, inactive users
// included: for the given users, or for every user of the tenant when none
// is given. A user in no unit has no entry; each list is sorted.
func (d *Directory) OrgMemberships(ctx context.Context, tenant uuid.UUID, users ...uuid.UUID) (map[uuid.UUID][]uuid.UUID, error) {
	var ms []orgMembership
	q := d.db.NewSelect().Model(&ms).Where("tenant_id = ?", tenant).OrderExpr("user_id, org_unit_id")
	if len(users) > 0 {
		q = q.Where("user_id IN (?)", bun.List(users))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("permission: org memberships: %w", storage.Err(err))
	}
	out := make(map[uuid.UUID][]uuid.UUID)
	for _, m := range ms {
		out[m.User] = append(out[m.User], m.Unit)
	}
	return out, nil
}

// CreateGroup creates a group; names are unique per tenant.
func (d *Directory) CreateGroup(ctx context.Context, tenant uuid.UUID, name string) (*Group, error) {
	name = strings.TrimSpace(name)
	if err := nameError("name", name, 100).Err(); err != nil {
		return nil, fmt.Errorf("permission: create group: %w", err)
	}
	now := d.now()
	g := &Group{ID: uuid.Must(uuid.NewV7()), Tenant: tenant, Name: name, CreatedAt: now, UpdatedAt: now, Version: 1, Members: []Member{}}
	err := storage.InTx(ctx, d.db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := tx.NewInsert().Model(g).Exec(ctx); err != nil {
			return err
		}
		return BumpVersion(ctx, tx, tenant)
	})
	if err != nil {
		return nil, fmt.Errorf("permission: create group: %w", err)
	}
	return g, nil
}

// DeleteGroup deletes a group and its memberships.
func (d *Directory) DeleteGroup(ctx context.Context, tenant, id uuid.UUID) error {
	err := storage.InTx(ctx, d.db, func(ctx context.Context, tx bun.IDB) error {
		res, err := tx.NewDelete().Model((*Group)(nil)).Where("tenant_id = ?", tenant).Where("id = ?", id).Exec(ctx)
		if err := storage.Affected(res, err, ErrNotFound); err != nil {
			return err
		}
		return BumpVersion(ctx, tx, tenant)
	})
	if err != nil {
		return fmt.Errorf("permission: delete group %s: %w", id, err)
	}
	return nil
}

// Groups returns the tenant's groups by name, with their members.
func (d *Directory) Groups(ctx context.Context, tenant uuid.UUID) ([]Group, error) {
	var gs []Group
	if err := d.db.NewSelect().Model(&gs).Where("g.tenant_id = ?", tenant).Order("g.name", "g.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("permission: groups: %w", storage.Err(err))
	}
	var ms []groupMember
	if err := d.db.NewSelect().Model(&ms).Where("tenant_id = ?", tenant).Order("group_id", "user_id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("permission: groups: %w", storage.Err(err))
	}
	at := map[uuid.UUID]int{}
	for i := range gs {
		at[gs[i].ID] = i
		gs[i].Members = []Member{}
	}
	for _, m := range ms {
		if i, ok := at[m.Group]; ok {
			gs[i].Members = append(gs[i].Members, Member{User: m.User, Manager: m.Manager})
		}
	}
	return gs, nil
}

// SetGroupMembers replaces a group's members. Every user must be a staff
// user of the tenant.
func (d *Directory) SetGroupMembers(ctx context.Context, tenant, group uuid.UUID, members []Member) error {
	byUser := map[uuid.UUID]bool{}
	for _, m := range members {
		byUser[m.User] = byUser[m.User] || m.Manager
	}
	err := storage.InTx(ctx, d.db, func(ctx context.Context, tx bun.IDB) error {
		ok, err := tx.NewSelect().Model((*Group)(nil)).Where("g.tenant_id = ?", tenant).Where("g.id = ?", group).Exists(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("group %s: %w", group, ErrNotFound)
		}
		users := make([]uuid.UUID, 0, len(byUser))
		for u := range byUser {
			users = append(users, u)
		}
		if err := requireAll(ctx, tx.NewSelect().Model((*User)(nil)), "u", tenant, users, "members"); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*groupMember)(nil)).Where("tenant_id = ?", tenant).Where("group_id = ?", group).Exec(ctx); err != nil {
			return err
		}
		if err := BumpVersion(ctx, tx, tenant); err != nil || len(users) == 0 {
			return err
		}
		ms := make([]groupMember, 0, len(users))
		for _, u := range users {
			ms = append(ms, groupMember{Group: group, User: u, Tenant: tenant, Manager: byUser[u]})
		}
		_, err = tx.NewInsert().Model(&ms).Exec(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("permission: set members of group %s: %w", group, err)
	}
	return nil
}

// Principal builds the principal of an active staff user from the
// directory: roles, org units, groups, managed groups, the tenant's
// customer visibility and time zone. An unknown or inactive user fails with
// ErrUnauthenticated.
func (d *Directory) Principal(ctx context.Context, tenant, user uuid.UUID) (Principal, error) {
	p, _, err := d.principal(ctx, tenant, user)
	return p, err
}

// principal is Principal that also returns the user it read.
func (d *Directory) principal(ctx context.Context, tenant, user uuid.UUID) (Principal, *User, error) {
	u, err := d.User(ctx, tenant, user)
	if errors.Is(err, ErrNotFound) || (err == nil && !u.Active) {
		return Principal{}, nil, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, nil, err
	}
	t, err := d.Tenant(ctx, tenant)
	if err != nil {
		return Principal{}, nil, err
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return Principal{}, nil, fmt.Errorf("permission: principal: tenant time zone %q: %w", t.TimeZone, err)
	}
	p := Principal{Tenant: tenant, User: user, Kind: Staff, Roles: u.Roles, CustomerVisibility: t.CustomerVisibility,
		OrgUnits: []uuid.UUID{}, Groups: []uuid.UUID{}, ManagedGroups: []uuid.UUID{}, Location: loc}
	if err := d.db.NewSelect().Model((*orgMembership)(nil)).Column("org_unit_id").Where("tenant_id = ?", tenant).Where("user_id = ?", user).
		Order("org_unit_id").Scan(ctx, &p.OrgUnits); err != nil {
		return Principal{}, nil, fmt.Errorf("permission: principal: %w", storage.Err(err))
	}
	var ms []groupMember
	if err := d.db.NewSelect().Model(&ms).Where("tenant_id = ?", tenant).Where("user_id = ?", user).Order("group_id").Scan(ctx); err != nil {
		return Principal{}, nil, fmt.Errorf("permission: principal: %w", storage.Err(err))
	}
	for _, m := range ms {
		p.Groups = append(p.Groups, m.Group)
		if m.Manager {
			p.ManagedGroups = append(p.ManagedGroups, m.Group)
		}
	}
	return p, u, nil
}

// BumpVersion advances the tenant's version (Directory.Version) in tx, the
// transaction of a change to what is cached at that version: the engines
// call it for their tenant settings (record masters and templates,
// customer ranks and fields). It forgets the version ctx's memo holds
// (WithVersionMemo), so that the request that changed them reads them
// again.
func BumpVersion(ctx context.Context, tx bun.IDB, tenant uuid.UUID) error {
	if m, ok := ctx.Value(versionKey{}).(*versionMemo); ok {
		m.mu.Lock()
		m.ok = false
		m.mu.Unlock()
	}
	if _, err := tx.NewRaw("UPDATE kiroku_tenants SET "+VersionColumn+" = "+VersionColumn+" + 1 WHERE id = ?", tenant).Exec(ctx); err != nil {
		return fmt.Errorf("permission: advance the version of %s: %w", tenant, storage.Err(err))
	}
	return nil
}

// Version returns the tenant's version: a counter that every write of the
// Directory to the tenant (its settings, users, org units, groups and
// memberships) advances in the write's transaction, and so does every
// change of the tenant settings the engines cache (BumpVersion). A
// principal built while the version was v is still what Principal would
// build as long as the version is v, whichever process wrote:
// PrincipalCache relies on it, and so do the engines' caches of tenant
// settings. Writes that bypass the Directory and the engines must advance
// it themselves. Within a context of WithVersionMemo it is read once.
func (d *Directory) Version(ctx context.Context, tenant uuid.UUID) (int64, error) {
	return TenantVersion(ctx, d.db, tenant)
}

type versionKey struct{}

// versionMemo is the tenant version read for one request.
type versionMemo struct {
	mu     sync.Mutex
	ok     bool
	tenant uuid.UUID
	v      int64
}

// WithVersionMemo returns ctx carrying a memo of the tenant version for one
// request: the first TenantVersion (or Directory.Version) of a tenant reads
// it and later ones within ctx reuse it, so that a request that looks up
// its principal, the staff names and the record masters reads the version
// once, not once per cache. What the request sees is the tenant as of that
// read; BumpVersion with ctx forgets it.
func WithVersionMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, versionKey{}, &versionMemo{})
}

// TenantVersion returns the tenant's version (Directory.Version) read
// through db, or the one ctx's memo holds for the tenant (WithVersionMemo).
func TenantVersion(ctx context.Context, db bun.IDB, tenant uuid.UUID) (int64, error) {
	m, _ := ctx.Value(versionKey{}).(*versionMemo)
	if m != nil {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.ok && m.tenant == tenant {
			return m.v, nil
		}
	}
	var v int64
	if err := db.NewRaw("SELECT "+VersionColumn+" FROM kiroku_tenants WHERE id = ?", tenant).Scan(ctx, &v); err != nil {
		return 0, fmt.Errorf("permission: version of %s: %w", tenant, storage.Err(err))
	}
	if m != nil {
		m.ok, m.tenant, m.v = true, tenant, v
	}
	return v, nil
}

// VersionColumn is the column of kiroku_tenants (keyed by id) that holds
// the tenant version, for a caller that reads it together with something
// else and hands it to RememberVersion.
const VersionColumn = "directory_version"

// RememberVersion puts v, the tenant's version the caller read itself (in
// the statement of its session lookup, say, from VersionColumn), into
// ctx's memo (WithVersionMemo) as if TenantVersion had read it: the
// caller must have read it before anything cached at it. Without a memo
// it does nothing.
func RememberVersion(ctx context.Context, tenant uuid.UUID, v int64) {
	if m, ok := ctx.Value(versionKey{}).(*versionMemo); ok {
		m.mu.Lock()
		m.ok, m.tenant, m.v = true, tenant, v
		m.mu.Unlock()
	}
}

// requireAll fails with ErrNotFound unless every one of ids (distinct)
// names a row of q's table, aliased alias, in the tenant.
func requireAll(ctx context.Context, q *bun.SelectQuery, alias string, tenant uuid.UUID, ids []uuid.UUID, what string) error {
	if len(ids) == 0 {
		return nil
	}
	n, err := q.Where(alias+".tenant_id = ?", tenant).Where(alias+".id IN (?)", bun.List(ids)).Count(ctx)
	if err != nil {
		return err
	}
	if int(n) != len(ids) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}

// UnknownStaff returns those of users that are not active staff users of
// the tenant in the directory (nil when all are). Engines use it to refuse
// assigning work to made-up, departed or foreign users.
func UnknownStaff(ctx context.Context, db bun.IDB, tenant uuid.UUID, users []uuid.UUID) ([]uuid.UUID, error) {
	users = idset.Sorted(users)
	if len(users) == 0 {
		return nil, nil
	}
	var known []uuid.UUID
	if err := db.NewSelect().Model((*User)(nil)).Column("u.id").Where("u.tenant_id = ?", tenant).
		Where("u.active").Where("u.id IN (?)", bun.List(users)).Scan(ctx, &known); err != nil {
		return nil, fmt.Errorf("permission: unknown staff: %w", storage.Err(err))
	}
	var out []uuid.UUID
	for _, u := range users {
		if !slices.Contains(known, u) {
			out = append(out, u)
		}
	}
	return out, nil
}

// UnknownScopeTargets returns those of targets that are not, in the
// tenant's directory, what a scope of kind names: org units, groups or
// active staff users (nil when all are, and for ScopeCompany, which has no
// targets). Engines use it to refuse scopes naming made-up or foreign
// targets.
func UnknownScopeTargets(ctx context.Context, db bun.IDB, tenant uuid.UUID, kind ScopeKind, targets []uuid.UUID) ([]uuid.UUID, error) {
	var table string
	switch kind {
	case ScopeOrgUnits:
		table = "org_units"
	case ScopeGroups:
		table = "staff_groups"
	case ScopeUsers:
		return UnknownStaff(ctx, db, tenant, targets)
	default:
		return nil, nil
	}
	targets = idset.Sorted(targets)
	if len(targets) == 0 {
		return nil, nil
	}
	var found []uuid.UUID
	if err := db.NewSelect().TableExpr(table).Column("id").Where("tenant_id = ?", tenant).
		Where("id IN (?)", bun.List(targets)).Scan(ctx, &found); err != nil {
		return nil, fmt.Errorf("permission: unknown scope targets: %w", storage.Err(err))
	}
	var out []uuid.UUID
	for _, t := range targets {
		if !slices.Contains(found, t) {
			out = append(out, t)
		}
	}
	return out, nil
}
