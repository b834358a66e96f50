package plugins

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/internal/migration"
	"github.com/kirokuhq/kiroku/internal/storage"
)

//go:embed migrations
var migrations embed.FS

// migrationSet is the plugin host's migration set: the tables
// plugin_templates (the installation's versions of plugin templates) and
// plugin_installations (which tenant installed which plugin).
var migrationSet = migration.Register(migration.Set{Name: "plugins", FS: migrations})

// Migrate creates or upgrades the tables of the record engine
// (contactlog.Migrate) and the host's. Idempotent; safe from several
// processes at once.
// On PostgreSQL it holds a session-level advisory lock for the whole run:
// db must not go through a transaction-mode pooler.
func Migrate(ctx context.Context, db *bun.DB) error {
	if err := contactlog.Migrate(ctx, db); err != nil {
		return err
	}
	return migration.Run(ctx, db, migrationSet)
}

// templateRow is one stored version of a plugin template. Plugin
// templates are the installation's, not a tenant's.
type templateRow struct {
	bun.BaseModel `bun:"table:plugin_templates"`
	Key           string    `bun:"key,pk"`
	Version       int       `bun:"version,pk"`
	Plugin        string    `bun:"plugin"`
	PluginVersion string    `bun:"plugin_version"`
	Definition    string    `bun:"definition"`
	CreatedAt     time.Time `bun:"created_at"`
}

// decode reads a stored definition as version row.Version of row.Key.
func (row templateRow) decode() (template.Template, error) {
	var t template.Template
	if err := json.Unmarshal([]byte(row.Definition), &t); err != nil {
		return t, fmt.Errorf("decode %s version %d: %w", row.Key, row.Version, err)
	}
	t.Key, t.Version, t.Archived = row.Key, row.Version, false
	return t, nil
}

// maxVersionTries bounds how often storing a template's next version is
// retried when another host stores one first.
const maxVersionTries = 10

// versioned stores each manifest template of plugin (at pluginVersion)
// whose definition differs from its key's latest stored one as the key's
// next version, and returns a source of every stored version of the
// plugin's templates; keys the manifest no longer lists are archived.
func versioned(ctx context.Context, db bun.IDB, now time.Time, plugin, pluginVersion string, manifest []template.Template) (template.Source, error) {
	for _, t := range manifest {
		if err := storeVersion(ctx, db, now, plugin, pluginVersion, t); err != nil {
			return nil, err
		}
	}
	var rows []templateRow
	if err := db.NewSelect().Model(&rows).Where("plugin = ?", plugin).Order("key", "version").Scan(ctx); err != nil {
		return nil, fmt.Errorf("load templates: %w", storage.Err(err))
	}
	all := make([]template.Template, 0, len(rows))
	for _, row := range rows {
		t, err := row.decode()
		if err != nil {
			return nil, err
		}
		t.Archived = !slices.ContainsFunc(manifest, func(m template.Template) bool { return m.Key == t.Key })
		all = append(all, t)
	}
	return template.Static(plugin, all...)
}

// storeVersion stores t as its key's next version unless the latest
// stored definition equals it. Two hosts storing the same key at once
// collide on the primary key: the loser reads the winner's version and
// compares again.
func storeVersion(ctx context.Context, db bun.IDB, now time.Time, plugin, pluginVersion string, t template.Template) error {
	def, err := t.DefinitionJSON()
	if err != nil {
		return fmt.Errorf("template %s: %w", t.Key, err)
	}
	for range maxVersionTries {
		var latest []templateRow
		err := db.NewSelect().Model(&latest).Where("key = ?", t.Key).Order("version DESC").Limit(1).Scan(ctx)
		if err != nil {
			return fmt.Errorf("template %s: %w", t.Key, storage.Err(err))
		}
		next := 1
		if len(latest) == 1 {
			stored, err := latest[0].decode()
			if err != nil {
				return err
			}
			same, err := stored.DefinitionJSON()
			if err != nil {
				return fmt.Errorf("template %s: %w", t.Key, err)
			}
			if bytes.Equal(same, def) {
				return nil
			}
			next = latest[0].Version + 1
		}
		row := templateRow{Key: t.Key, Version: next, Plugin: plugin, PluginVersion: pluginVersion, Definition: string(def), CreatedAt: now}
		res, err := db.NewInsert().Model(&row).On("CONFLICT DO NOTHING").Exec(ctx)
		if err != nil && !storage.Busy(err) {
			return fmt.Errorf("template %s: %w", t.Key, storage.Err(err))
		}
		if err == nil {
			if n, err := res.RowsAffected(); err == nil && n == 1 {
				return nil
			}
		}
	}
	return fmt.Errorf("template %s: stored concurrently %d times in a row: %w", t.Key, maxVersionTries, contactlog.ErrConflict)
}
