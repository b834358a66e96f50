package customer

// Migrations is the engine's embedded migrations, for the migration tests
// of package customer_test.
var Migrations = migrations

// ImportCacheKiB is the page cache of an import's SQLite connection, for
// the hand-written import of the benchmarks.
const ImportCacheKiB = importCacheKiB
