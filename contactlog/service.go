package contactlog

import (
	"context"
	"embed"

	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/internal/migration"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// Errors re-exported from Kiroku's shared vocabulary.
var (
	ErrNotFound         = kerr.ErrNotFound
	ErrConflict         = kerr.ErrConflict
	ErrInvalid          = kerr.ErrInvalid
	ErrPermissionDenied = kerr.ErrPermissionDenied
	ErrUnauthenticated  = kerr.ErrUnauthenticated
)

// ValidationError lists every field problem of an input.
type ValidationError = kerr.ValidationError

//go:embed migrations
var migrations embed.FS

// Migrations is the contact-record engine's migration set.
var Migrations = migration.Set{Name: "contactlog", FS: migrations}

// Migrate creates or upgrades the engine's tables and those it depends on
// (permission, customer, template). Idempotent; safe from several
// processes at once.
func Migrate(ctx context.Context, db *bun.DB) error {
	return migration.Run(ctx, db, permission.Migrations, customer.Migrations, template.Migrations, Migrations)
}

// Service is the contact-record engine. It is safe for concurrent use.
type Service struct {
	db bun.IDB
}

// NewService returns the engine on db (a *bun.DB, or a bun.Tx).
func NewService(db bun.IDB) (*Service, error) {
	if _, err := storage.Of(db); err != nil {
		return nil, err
	}
	return &Service{db: db}, nil
}

// WithDB returns a copy of s bound to db, typically a transaction shared
// with other engines.
func (s *Service) WithDB(db bun.IDB) *Service { c := *s; c.db = db; return &c }
