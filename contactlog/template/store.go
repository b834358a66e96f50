package template

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/migration"
	"github.com/kirokuhq/kiroku/internal/storage"
	"github.com/kirokuhq/kiroku/internal/vcache"
)

//go:embed migrations
var migrations embed.FS

// migrationSet is the template store's migration set (tables template_*);
// engines that build on templates run it with their own.
// It is registered (migration.Named) for the engines that migrate it with
// their own in one run.
var migrationSet = migration.Register(migration.Set{Name: "template", FS: migrations})

// Migrate creates or upgrades the template store's tables and the
// directory's (customer/permission), whose tenant version the Store
// caches by. It is idempotent and safe when several processes run it at
// once. On PostgreSQL it holds a session-level advisory lock for the whole
// run: db must not go through a transaction-mode pooler.
func Migrate(ctx context.Context, db *bun.DB) error {
	sets, err := migration.Named("permission")
	if err != nil {
		return err
	}
	return migration.Run(ctx, db, append(sets, migrationSet)...)
}

// Config configures a Store. nil or the zero value means defaults.
type Config struct {
	// Clock returns the current time. Default: time.Now.
	Clock func() time.Time
}

// WithDefaults returns a copy of c (which may be nil) with every zero field
// set to its default.
func (c *Config) WithDefaults() Config {
	var out Config
	if c != nil {
		out = *c
	}
	if out.Clock == nil {
		out.Clock = time.Now
	}
	return out
}

// Store keeps the templates tenants define (the "tenant" namespace),
// every version of them, in the database. It is a Source for the
// Registry, and safe for concurrent use.
//
// A Store on a *bun.DB keeps each tenant's latest templates in memory at
// the tenant's version (permission.TenantVersion, read once per request
// within permission.WithVersionMemo): every write of the Store advances
// the version in its transaction (permission.BumpVersion), so a template
// saved or archived through any process is read again on the next call.
type Store struct {
	db  bun.IDB
	cfg Config
	// latestCache holds the tenants' latest templates by tenant version
	// (see Store.latest); nil when s is bound to a transaction, whose
	// uncommitted reads must not be kept.
	latestCache *vcache.Cache[uuid.UUID, []Template]
}

var _ Source = (*Store)(nil)

// NewStore returns a template store on db (a *bun.DB or a bun.Tx).
func NewStore(db bun.IDB, cfg *Config) (*Store, error) {
	if _, err := storage.Of(db); err != nil {
		return nil, err
	}
	s := &Store{db: db, cfg: cfg.WithDefaults()}
	if _, ok := db.(*bun.DB); ok {
		s.latestCache = vcache.New[uuid.UUID, []Template](0)
	}
	return s, nil
}

// WithDB returns a copy of s bound to db, typically a transaction shared
// with other engines. The copy reads everything through db, nothing from
// s's memory.
func (s *Store) WithDB(db bun.IDB) *Store {
	c := *s
	c.db = db
	c.latestCache = nil
	return &c
}

type definitionRow struct {
	bun.BaseModel `bun:"table:template_definitions"`
	Tenant        uuid.UUID `bun:"tenant_id,pk"`
	Key           string    `bun:"key,pk"`
	Version       int       `bun:"version,pk"`
	Name          string    `bun:"name"`
	Definition    string    `bun:"definition"`
	CreatedAt     time.Time `bun:"created_at"`
	CreatedBy     uuid.UUID `bun:"created_by"`
}

type headRow struct {
	bun.BaseModel `bun:"table:template_heads"`
	Tenant        uuid.UUID  `bun:"tenant_id,pk"`
	Key           string     `bun:"key,pk"`
	Version       int        `bun:"version"`
	ArchivedAt    *time.Time `bun:"archived_at"`
	UpdatedAt     time.Time  `bun:"updated_at"`
}

func (s *Store) now() time.Time { return s.cfg.Clock().UTC().Truncate(time.Microsecond) }

// Save stores a tenant template (admins only) and returns it as stored.
//
// The key must be in the tenant namespace ("tenant:visit") and the
// definition must pass Check (a *ValidationError otherwise; a key outside
// the namespace is reported as field "key", code not_allowed).
// t.Version is the version the edit was based on: 0 creates the template
// (ErrConflict if the key exists), n saves version n+1 (ErrConflict if
// someone saved a version after n; ErrNotFound if the key does not
// exist). A definition equal to the latest version is not saved again: the
// latest version is returned. Archived is not changed by Save.
func (s *Store) Save(ctx context.Context, t Template) (*Template, error) {
	p, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return nil, err
	}
	v := &validation.Error{}
	if templateKeyRE.MatchString(t.Key) && Namespace(t.Key) != NamespaceTenant {
		v.Add("key", validation.CodeNotAllowed, t.Key)
	}
	t.check(v)
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("template: save %s: %w", t.Key, err)
	}
	def, err := t.DefinitionJSON()
	if err != nil {
		return nil, fmt.Errorf("template: save %s: %w", t.Key, err)
	}
	base, now := t.Version, s.now()
	var saved *Template
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		head := headRow{}
		err := tx.NewSelect().Model(&head).Where("tenant_id = ?", p.Tenant).Where("key = ?", t.Key).Scan(ctx)
		if err = storage.Err(err); errors.Is(err, ErrNotFound) {
			if base != 0 {
				return fmt.Errorf("template: save %s based on version %d: %w", t.Key, base, ErrNotFound)
			}
			row := definitionRow{Tenant: p.Tenant, Key: t.Key, Version: 1, Name: t.Name, Definition: string(def), CreatedAt: now, CreatedBy: p.User}
			if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
				return conflict(t.Key, storage.Err(err))
			}
			head = headRow{Tenant: p.Tenant, Key: t.Key, Version: 1, UpdatedAt: now}
			if _, err := tx.NewInsert().Model(&head).Exec(ctx); err != nil {
				return conflict(t.Key, storage.Err(err))
			}
			if saved, err = decode(row, false); err != nil {
				return err
			}
			return permission.BumpVersion(ctx, tx, p.Tenant)
		} else if err != nil {
			return err
		}
		if base != head.Version {
			return fmt.Errorf("template: save %s based on version %d, latest is %d: %w", t.Key, base, head.Version, ErrConflict)
		}
		cur := definitionRow{}
		if err := tx.NewSelect().Model(&cur).Where("tenant_id = ?", p.Tenant).Where("key = ?", t.Key).
			Where("version = ?", head.Version).Scan(ctx); err != nil {
			return err
		}
		latest, err := decode(cur, head.ArchivedAt != nil)
		if err != nil {
			return err
		}
		if same, err := latest.DefinitionJSON(); err == nil && bytes.Equal(same, def) {
			saved = latest
			return nil
		}
		row := definitionRow{Tenant: p.Tenant, Key: t.Key, Version: head.Version + 1, Name: t.Name,
			Definition: string(def), CreatedAt: now, CreatedBy: p.User}
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return conflict(t.Key, storage.Err(err))
		}
		res, err := tx.NewUpdate().Model((*headRow)(nil)).
			Set("version = ?", row.Version).Set("updated_at = ?", now).
			Where("tenant_id = ?", p.Tenant).Where("key = ?", t.Key).Where("version = ?", base).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("template: save %s: saved concurrently: %w", t.Key, ErrConflict)
		}
		if saved, err = decode(row, head.ArchivedAt != nil); err != nil {
			return err
		}
		return permission.BumpVersion(ctx, tx, p.Tenant)
	})
	if err != nil {
		return nil, err
	}
	return saved, nil
}

func conflict(key string, err error) error {
	if errors.Is(err, ErrConflict) {
		return fmt.Errorf("template: save %s: saved concurrently: %w", key, err)
	}
	return err
}

// decode reads a stored definition.
func decode(r definitionRow, archived bool) (*Template, error) {
	var t Template
	if err := json.Unmarshal([]byte(r.Definition), &t); err != nil {
		return nil, fmt.Errorf("template: decode %s version %d: %w", r.Key, r.Version, err)
	}
	t.Key, t.Version, t.Archived = r.Key, r.Version, archived
	return &t, nil
}

// Get returns one version of a tenant template (0: the latest), archived
// or not, to any principal of the tenant (records shared with a customer
// render with it too).
func (s *Store) Get(ctx context.Context, key string, version int) (*Template, error) {
	p, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	return s.get(ctx, p.Tenant, key, version)
}

// get returns one version of a tenant template (0: the latest): the
// latest from s.latest when s caches, an older one (or any, when s is
// bound to a transaction) read by key and version.
func (s *Store) get(ctx context.Context, tenant uuid.UUID, key string, version int) (*Template, error) {
	if Namespace(key) != NamespaceTenant || version < 0 {
		return nil, fmt.Errorf("template: %s: %w", key, ErrNotFound)
	}
	var latest int
	var archived bool
	if s.latestCache != nil {
		all, err := s.latest(ctx, tenant)
		if err != nil {
			return nil, err
		}
		i, ok := slices.BinarySearchFunc(all, key, func(t Template, key string) int { return strings.Compare(t.Key, key) })
		if !ok {
			return nil, fmt.Errorf("template: %s: %w", key, ErrNotFound)
		}
		if version == 0 || version == all[i].Version {
			t := all[i].Clone()
			return &t, nil
		}
		latest, archived = all[i].Version, all[i].Archived
	} else {
		head := headRow{}
		if err := s.db.NewSelect().Model(&head).Where("tenant_id = ?", tenant).Where("key = ?", key).Scan(ctx); err != nil {
			return nil, fmt.Errorf("template: %s: %w", key, storage.Err(err))
		}
		latest, archived = head.Version, head.ArchivedAt != nil
	}
	if version == 0 {
		version = latest
	}
	if version > latest {
		return nil, fmt.Errorf("template: %s version %d: %w", key, version, ErrNotFound)
	}
	row := definitionRow{}
	if err := s.db.NewSelect().Model(&row).Where("tenant_id = ?", tenant).Where("key = ?", key).
		Where("version = ?", version).Scan(ctx); err != nil {
		return nil, fmt.Errorf("template: %s version %d: %w", key, version, storage.Err(err))
	}
	return decode(row, archived)
}

// List returns the latest version of every tenant template, archived ones
// included (Archived set), ordered by key.
func (s *Store) List(ctx context.Context) ([]Template, error) {
	p, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	return s.list(ctx, p.Tenant, true)
}

// list returns copies of the tenant's latest templates, archived ones
// only when archived is set.
func (s *Store) list(ctx context.Context, tenant uuid.UUID, archived bool) ([]Template, error) {
	all, err := s.latest(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]Template, 0, len(all))
	for _, t := range all {
		if archived || !t.Archived {
			out = append(out, t.Clone())
		}
	}
	return out, nil
}

// latest returns the latest version of every tenant template, archived
// ones included, ordered by key: from memory while the tenant version
// (permission.TenantVersion, once per request within a version memo) has
// not moved, else read. The result is shared: callers clone what they
// hand out.
func (s *Store) latest(ctx context.Context, tenant uuid.UUID) ([]Template, error) {
	if s.latestCache == nil {
		return s.readLatest(ctx, tenant)
	}
	v, err := permission.TenantVersion(ctx, s.db, tenant)
	if errors.Is(err, ErrNotFound) { // a tenant outside the directory has no version to cache by
		return s.readLatest(ctx, tenant)
	}
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	return s.latestCache.Get(tenant, v, func() ([]Template, error) { return s.readLatest(ctx, tenant) })
}

// readLatest reads what Store.latest returns.
func (s *Store) readLatest(ctx context.Context, tenant uuid.UUID) ([]Template, error) {
	var rows []struct {
		Key        string     `bun:"key"`
		Version    int        `bun:"version"`
		Definition string     `bun:"definition"`
		ArchivedAt *time.Time `bun:"archived_at"`
	}
	q := "SELECT d.key, d.version, d.definition, h.archived_at FROM template_heads AS h " +
		"JOIN template_definitions AS d ON d.tenant_id = h.tenant_id AND d.key = h.key AND d.version = h.version " +
		"WHERE h.tenant_id = ?"
	if err := s.db.NewRaw(q, tenant).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("template: list: %w", storage.Err(err))
	}
	out := make([]Template, 0, len(rows))
	for _, r := range rows {
		t, err := decode(definitionRow{Key: r.Key, Version: r.Version, Definition: r.Definition}, r.ArchivedAt != nil)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b Template) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Archive hides a tenant template from new records (admins only). Records
// written with it still render; Get still returns it. Archiving an
// archived template does nothing.
func (s *Store) Archive(ctx context.Context, key string) error {
	return s.setArchived(ctx, key, true)
}

// Unarchive makes an archived tenant template available for new records
// again (admins only).
func (s *Store) Unarchive(ctx context.Context, key string) error {
	return s.setArchived(ctx, key, false)
}

func (s *Store) setArchived(ctx context.Context, key string, archived bool) error {
	p, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return err
	}
	now := s.now()
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		q := tx.NewUpdate().Model((*headRow)(nil)).Set("updated_at = ?", now).
			Where("tenant_id = ?", p.Tenant).Where("key = ?", key)
		if archived {
			q = q.Set("archived_at = COALESCE(archived_at, ?)", now)
		} else {
			q = q.Set("archived_at = NULL")
		}
		res, err := q.Exec(ctx)
		if err := storage.Affected(res, err, ErrNotFound); err != nil {
			return err
		}
		return permission.BumpVersion(ctx, tx, p.Tenant)
	})
	if err != nil {
		return fmt.Errorf("template: archive %s: %w", key, err)
	}
	return nil
}

// sameTenant refuses a Source call for another tenant than the principal's
// in ctx, if ctx carries one.
func sameTenant(ctx context.Context, tenant uuid.UUID) error {
	if p, ok := permission.FromContext(ctx); ok && p.Tenant != tenant {
		return ErrNotFound
	}
	return nil
}

// Templates implements Source: the latest version of every tenant
// template that is not archived. When ctx carries a principal, tenant must
// be the principal's (ErrNotFound otherwise).
func (s *Store) Templates(ctx context.Context, tenant uuid.UUID) ([]Template, error) {
	if err := sameTenant(ctx, tenant); err != nil {
		return nil, fmt.Errorf("template: list: %w", err)
	}
	return s.list(ctx, tenant, false)
}

// Template implements Source: one version of a tenant template (0: the
// latest), archived or not. When ctx carries a principal, tenant must be
// the principal's (ErrNotFound otherwise).
func (s *Store) Template(ctx context.Context, tenant uuid.UUID, key string, version int) (*Template, error) {
	if err := sameTenant(ctx, tenant); err != nil {
		return nil, fmt.Errorf("template: %s: %w", key, err)
	}
	return s.get(ctx, tenant, key, version)
}
