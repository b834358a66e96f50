package plugins

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/storage"
	"github.com/kirokuhq/kiroku/plugins/internal/contrib"
)

// installationRow records that a tenant installed a plugin (the table
// plugin_installations, created by Migrate).
type installationRow struct {
	bun.BaseModel `bun:"table:plugin_installations"`
	Tenant        uuid.UUID `bun:"tenant_id,pk"`
	Plugin        string    `bun:"plugin,pk"`
	InstalledAt   time.Time `bun:"installed_at"`
}

// contribution is what one running plugin's manifest contributes to a
// tenant.
type contribution struct {
	name     string
	manifest *manifest
}

// running returns the latest manifests of the running plugins called
// names (every running plugin when names is empty), in the host's order
// of plugins. A name that is not a plugin of the host, or one that is not
// running, fails with ErrUnavailable.
func (h *Host) running(names []string) ([]contribution, error) {
	for _, n := range names {
		if _, err := h.proc(n); err != nil {
			return nil, err
		}
	}
	var out []contribution
	for _, p := range h.procs {
		if len(names) > 0 && !slices.Contains(names, p.spec.Name) {
			continue
		}
		p.mu.Lock()
		if p.state == StateRunning && p.manifest != nil {
			out = append(out, contribution{name: p.spec.Name, manifest: p.manifest})
		} else if len(names) > 0 {
			p.mu.Unlock()
			return nil, fmt.Errorf("plugin %s is %s: %w", p.spec.Name, p.state, ErrUnavailable)
		}
		p.mu.Unlock()
	}
	return out, nil
}

// db returns Config.DB, which installation state needs.
func (h *Host) db() (bun.IDB, error) {
	if h.cfg.DB == nil {
		return nil, fmt.Errorf("installation state needs Config.DB: %w", ErrInvalid)
	}
	return h.cfg.DB, nil
}

// Install installs the running plugins called names (every running
// plugin when names is empty) in the tenant of ctx's principal, who must
// be an admin. From then on those plugins receive the tenant's events,
// timers and notifications and validate and compute its records of their
// templates (see Uninstall). Installation state is kept in Config.DB (the
// table plugin_installations, created by Migrate), which Install needs,
// so every host sharing the database agrees on it. Call Install again
// after upgrading a plugin: it also contributes the plugin's masters and
// customer fields to the tenant, and, with Config.Catalog, the items of
// its templates' catalogs to the tenant's catalog.
//
// Master items are merged into records' masters kind by kind (Category1
// before Category2, so a plugin's Category2 items may name its Category1
// items as Parent): items the tenant lacks are appended, the plugin's
// existing items take the manifest's label and parent (and are no longer
// archived), and the plugin's items the manifest no longer lists are
// archived, never removed. Customer fields are defined with
// customers.DefineField: new ones after the tenant's fields, existing ones
// updated in place (their position kept). A field the manifest no longer
// lists stays defined with its values. Catalog items are merged with
// catalog.Service.Merge: categories by name, items by category, variant
// (the item's Classification) and name; what the tenant already has —
// prices it changed, items it archived — is left alone, and the plugin's
// templates keep their own catalogs, so records written with them stay
// as they were.
//
// Codes and keys are the plugin's namespaced ones, so a reinstalled or
// upgraded plugin keeps pointing at the same data, and installing again
// changes nothing. Each kind of master and each field is written in its
// own transaction (per plugin), and the plugins are marked installed last:
// after a failure (a manifest item the engines refuse, such as an unknown
// field type) the error names the plugin, no plugin is installed, and
// installing again completes the rest. A name that is not one of the
// host's running plugins fails with ErrUnavailable before anything is
// written.
func (h *Host) Install(ctx context.Context, records *contactlog.Service, customers *customer.Service, names ...string) error {
	pr, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return fmt.Errorf("plugins: install: %w", err)
	}
	db, err := h.db()
	if err != nil {
		return fmt.Errorf("plugins: install: %w", err)
	}
	plugins, err := h.running(names)
	if err != nil {
		return fmt.Errorf("plugins: install: %w", err)
	}
	if err := installMasters(ctx, records, plugins); err != nil {
		return fmt.Errorf("plugins: install: %w", err)
	}
	if err := installFields(ctx, customers, plugins); err != nil {
		return fmt.Errorf("plugins: install: %w", err)
	}
	if err := h.installCatalogs(ctx, plugins); err != nil {
		return fmt.Errorf("plugins: install: %w", err)
	}
	now := h.cfg.Clock().UTC()
	for _, c := range plugins {
		row := &installationRow{Tenant: pr.Tenant, Plugin: c.name, InstalledAt: now}
		if _, err := db.NewInsert().Model(row).On("CONFLICT (tenant_id, plugin) DO NOTHING").Exec(ctx); err != nil {
			return fmt.Errorf("plugins: install: %s: %w", c.name, storage.Err(err))
		}
	}
	return nil
}

// installMasters merges the plugins' master items into the tenant's
// masters.
func installMasters(ctx context.Context, records *contactlog.Service, plugins []contribution) error {
	for _, kind := range contactlog.MasterKinds() {
		cur, err := records.Masters().List(ctx, kind)
		if err != nil {
			return err
		}
		for _, c := range plugins {
			next := contrib.Masters(c.name, kind, cur, c.manifest.masters)
			if slices.Equal(next, cur) {
				continue
			}
			if err := records.Masters().Set(ctx, kind, next); err != nil {
				return fmt.Errorf("%s: masters %s: %w", c.name, kind, err)
			}
			cur = next
		}
	}
	return nil
}

// installCatalogs merges the items of the plugins' template catalogs into
// the tenant's catalog (Config.Catalog), one plugin at a time.
func (h *Host) installCatalogs(ctx context.Context, plugins []contribution) error {
	if h.cfg.Catalog == nil {
		return nil
	}
	for _, c := range plugins {
		var items []template.CatalogItem
		for _, t := range c.manifest.templates {
			for _, cat := range t.Catalogs {
				items = append(items, cat.Items...)
			}
		}
		if len(items) == 0 {
			continue
		}
		if _, err := h.cfg.Catalog.Merge(ctx, items); err != nil {
			return fmt.Errorf("%s: catalog: %w", c.name, err)
		}
	}
	return nil
}

// installFields defines or updates the plugins' customer fields in the
// tenant.
func installFields(ctx context.Context, customers *customer.Service, plugins []contribution) error {
	fields, err := customers.Fields(ctx)
	if err != nil {
		return err
	}
	position := 0
	for _, f := range fields {
		position = max(position, f.Position+1)
	}
	for _, c := range plugins {
		for _, f := range c.manifest.fields {
			i := slices.IndexFunc(fields, func(d customer.FieldDef) bool { return d.Key == f.Key })
			def := contrib.CustomerField(f, position)
			if i >= 0 {
				def.Position = fields[i].Position
			} else {
				position++
			}
			if err := customers.DefineField(ctx, def); err != nil {
				return fmt.Errorf("%s: customer field %s: %w", c.name, f.Key, err)
			}
		}
	}
	return nil
}

// Uninstall uninstalls the plugin called name from the tenant of ctx's
// principal, who must be an admin; uninstalling a plugin the tenant has
// not installed changes nothing. The plugin need not be running, nor
// still be one of the host's. From then on the plugin receives nothing of
// the tenant: its events, timers and channel messages still in the outbox
// are dropped at delivery, and writing a record of one of its templates
// fails validation (see CheckRecords). What it contributed stays
// readable: records keep their values and master codes, its master items
// are archived (kept with their labels, no longer offered), and its
// customer fields stay defined with their values. Installing it again
// restores its master items.
func (h *Host) Uninstall(ctx context.Context, records *contactlog.Service, name string) error {
	pr, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return fmt.Errorf("plugins: uninstall %s: %w", name, err)
	}
	db, err := h.db()
	if err != nil {
		return fmt.Errorf("plugins: uninstall %s: %w", name, err)
	}
	if _, err := db.NewDelete().Model((*installationRow)(nil)).
		Where("tenant_id = ?", pr.Tenant).Where("plugin = ?", name).Exec(ctx); err != nil {
		return fmt.Errorf("plugins: uninstall %s: %w", name, storage.Err(err))
	}
	gone := []contribution{{name: name, manifest: &manifest{}}}
	if err := installMasters(ctx, records, gone); err != nil {
		return fmt.Errorf("plugins: uninstall %s: %w", name, err)
	}
	return nil
}

// Installed returns the names of the plugins installed in the tenant of
// ctx's principal, in name order, whether they are running or not.
func (h *Host) Installed(ctx context.Context) ([]string, error) {
	pr, ok := permission.FromContext(ctx)
	if !ok {
		return nil, fmt.Errorf("plugins: installed: %w", permission.ErrUnauthenticated)
	}
	db, err := h.db()
	if err != nil {
		return nil, fmt.Errorf("plugins: installed: %w", err)
	}
	var out []string
	if err := db.NewSelect().Model((*installationRow)(nil)).Column("plugin").
		Where("tenant_id = ?", pr.Tenant).Order("plugin").Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("plugins: installed: %w", storage.Err(err))
	}
	return out, nil
}

// installedIn returns those of names that tenant installed, in the order
// of names. Without Config.DB no tenant installed any plugin.
func (h *Host) installedIn(ctx context.Context, tenant uuid.UUID, names []string) ([]string, error) {
	if h.cfg.DB == nil || len(names) == 0 {
		return nil, nil
	}
	var found []string
	if err := h.cfg.DB.NewSelect().Model((*installationRow)(nil)).Column("plugin").
		Where("tenant_id = ?", tenant).Where("plugin IN (?)", bun.List(names)).Scan(ctx, &found); err != nil {
		return nil, fmt.Errorf("plugins: installations of tenant %s: %w", tenant, storage.Err(err))
	}
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return !slices.Contains(found, n) }), nil
}

// installed reports whether tenant installed the plugin called name.
func (h *Host) installed(ctx context.Context, tenant uuid.UUID, name string) (bool, error) {
	in, err := h.installedIn(ctx, tenant, []string{name})
	return len(in) == 1, err
}
