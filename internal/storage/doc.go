// Package storage is the one place where Kiroku's engines meet the database.
//
// It knows the two supported dialects (PostgreSQL through pgdialect, SQLite
// through sqlitedialect) by db.Dialect().Name() and never imports a driver or a
// dialect package: the embedding program builds the *bun.DB.
//
// It provides:
//   - Of: which dialect a bun.IDB speaks;
//   - Err: the single mapping of driver errors to Kiroku's sentinels (no rows →
//     ErrNotFound; unique violation, serialization failure or deadlock →
//     ErrConflict; any other refusal of the data — foreign key, check, not
//     null, a bad value, a trigger raising — → ErrInvalid);
//   - InTx: a transaction helper that joins an outer transaction (as a
//     savepoint) when the handle is already a bun.Tx;
//   - Contains: LIKE patterns with escaping;
//   - GramIndex: the bigram index that makes one- and two-word Japanese
//     searches fast on both dialects (a GIN-indexed text[] column on
//     PostgreSQL, an FTS5 table over hex-encoded grams on SQLite);
//   - ReadReplica: the handle lag-tolerant reads go to;
//   - JSONValue, JSONArrayJoin: reading JSON columns in either dialect.
package storage
