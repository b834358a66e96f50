package customer

// Migrations is the engine's embedded migrations, for the migration tests
// of package customer_test.
var Migrations = migrations
