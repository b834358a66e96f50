// Package schema holds the migrations of the example server's API tables
// (API tokens; the idempotency keys moved to contactlog/api), apart from
// package api so that package app can register them without importing the
// API.
package schema

import (
	"embed"

	"github.com/kirokuhq/kiroku/internal/migration"
)

//go:embed migrations
var migrations embed.FS

// Migrations is the set of the API's tables.
var Migrations = migration.Set{Name: "server_api", FS: migrations}
