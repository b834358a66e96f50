// Package schema holds the migrations of the example server's API tables
// (API tokens; the idempotency keys moved to contactlog/api) and
// RevokeTokens, apart from package api so that package app can register
// them without importing the API.
package schema

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/internal/migration"
	"github.com/kirokuhq/kiroku/internal/storage"
)

//go:embed migrations
var migrations embed.FS

// Migrations is the set of the API's tables.
var Migrations = migration.Set{Name: "server_api", FS: migrations}

// RevokeTokens revokes every live API token of the user at now, for good
// (a revoked token never works again). It is the auth store's Config.Revoke.
func RevokeTokens(ctx context.Context, db bun.IDB, user uuid.UUID, now time.Time) error {
	_, err := db.NewUpdate().Table("server_api_tokens").Set("revoked_at = ?", now.UTC().Truncate(time.Microsecond)).
		Where("user_id = ?", user).Where("revoked_at IS NULL").Exec(ctx)
	if err != nil {
		return fmt.Errorf("api: revoke tokens: %w", storage.Err(err))
	}
	return nil
}
