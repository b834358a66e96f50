package citus_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/internal/citus"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// CheckSchema catches keys that are not tenant-leading in a scratch schema
// (PostgreSQL).
func TestCheckSchemaFindsPlantedViolations(t *testing.T) {
	t.Parallel()
	db := dbtest.Postgres(t)
	ctx := context.Background()
	for _, q := range []string{
		`CREATE TABLE tenants (id uuid PRIMARY KEY)`,
		`CREATE TABLE parents (tenant_id uuid NOT NULL REFERENCES tenants (id), id uuid NOT NULL, PRIMARY KEY (tenant_id, id))`,
		`CREATE TABLE good (tenant_id uuid NOT NULL, id uuid NOT NULL, parent_id uuid, email text,
			PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, email),
			FOREIGN KEY (tenant_id, parent_id) REFERENCES parents (tenant_id, id) ON DELETE CASCADE)`,
		`CREATE UNIQUE INDEX good_lower_email ON good (tenant_id, lower(email))`,
		`CREATE TABLE lookups (code text PRIMARY KEY)`,
		// Planted violations, one per table.
		`CREATE TABLE bad_pk (id uuid PRIMARY KEY, tenant_id uuid NOT NULL)`,
		`CREATE TABLE bad_unique (tenant_id uuid NOT NULL, id uuid NOT NULL, email text, PRIMARY KEY (tenant_id, id), UNIQUE (email))`,
		`CREATE TABLE bad_index (tenant_id uuid NOT NULL, id uuid NOT NULL, email text, PRIMARY KEY (tenant_id, id))`,
		`CREATE UNIQUE INDEX bad_index_email ON bad_index (lower(email))`,
		`CREATE TABLE bad_fk (tenant_id uuid NOT NULL, id uuid NOT NULL, parent_id uuid NOT NULL, PRIMARY KEY (tenant_id, id),
			FOREIGN KEY (parent_id, tenant_id) REFERENCES parents (tenant_id, id))`,
		`CREATE TABLE bad_ref_fk (tenant_id uuid NOT NULL, id uuid NOT NULL, code text REFERENCES lookups (code), PRIMARY KEY (tenant_id, id))`,
		`CREATE TABLE no_tenant (id uuid PRIMARY KEY)`,
		`CREATE TABLE no_key (tenant_id uuid NOT NULL, id uuid NOT NULL)`,
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	plan, err := citus.ParsePlan(`SELECT create_distributed_table('tenants', 'id');
SELECT create_reference_table('lookups');`)
	require.NoError(t, err)
	cat, err := citus.ReadCatalog(ctx, db)
	require.NoError(t, err)
	require.Contains(t, cat, "good")
	require.ElementsMatch(t, []string{"tenant_id", "(expression)"}, cat["good"].Keys[len(cat["good"].Keys)-1].Columns)

	require.Equal(t, []string{
		"bad_fk: foreign key bad_fk_parent_id_tenant_id_fkey (parent_id, tenant_id) → parents (tenant_id, id) does not map tenant_id to parents.tenant_id",
		"bad_index: key bad_index_email ((expression)) lacks tenant_id",
		"bad_pk: key bad_pk_pkey (id) lacks tenant_id",
		"bad_ref_fk: foreign key bad_ref_fk_code_fkey points at lookups, which is not distributed by tenant",
		"bad_unique: key bad_unique_email_key (email) lacks tenant_id",
		"no_key: no primary key",
		"no_tenant: no tenant_id column (declare it a reference table, or add the column)",
	}, citus.CheckSchema(cat, plan))
}

func TestDryRunChecksEveryStatement(t *testing.T) {
	t.Parallel()
	table := func(name string, cols map[string]string, keys [][]string, fks ...citus.ForeignKey) *citus.Table {
		t := &citus.Table{Name: name, Columns: cols, ForeignKeys: fks}
		for _, k := range keys {
			t.Keys = append(t.Keys, citus.Key{Name: name + "_key", Columns: k})
		}
		return t
	}
	ids := map[string]string{"tenant_id": "uuid", "id": "uuid"}
	cat := citus.Catalog{
		"tenants": table("tenants", map[string]string{"id": "uuid"}, [][]string{{"id"}}),
		"parents": table("parents", ids, [][]string{{"tenant_id", "id"}}),
		"children": table("children", map[string]string{"tenant_id": "uuid", "id": "uuid", "parent_id": "uuid"}, [][]string{{"tenant_id", "id"}},
			citus.ForeignKey{Name: "children_parent", Columns: []string{"tenant_id", "parent_id"}, Target: "parents", TargetColumns: []string{"tenant_id", "id"}}),
		"codes":     table("codes", map[string]string{"code": "text"}, [][]string{{"code"}}),
		"texts":     table("texts", map[string]string{"tenant_id": "text", "id": "uuid"}, [][]string{{"tenant_id", "id"}}),
		"forgotten": table("forgotten", ids, [][]string{{"tenant_id", "id"}}),
		"refs": table("refs", map[string]string{"code": "text", "parent_id": "uuid"}, [][]string{{"code"}},
			citus.ForeignKey{Name: "refs_parent", Columns: []string{"parent_id"}, Target: "parents", TargetColumns: []string{"id"}}),
		"uniques":                   table("uniques", ids, [][]string{{"tenant_id", "id"}, {"id"}}),
		"kiroku_migrations_uniques": table("kiroku_migrations_uniques", map[string]string{"id": "bigint"}, [][]string{{"id"}}),
	}
	plan, err := citus.ParsePlan(`SELECT create_distributed_table('tenants', 'id');
SELECT create_distributed_table('children', 'tenant_id', colocate_with => 'tenants');
SELECT create_distributed_table('parents', 'tenant_id', colocate_with => 'tenants');
SELECT create_distributed_table('parents', 'tenant_id', colocate_with => 'tenants');
SELECT create_distributed_table('texts', 'tenant_id', colocate_with => 'tenants');
SELECT create_distributed_table('uniques', 'tenant_id', colocate_with => 'nowhere');
SELECT create_distributed_table('missing', 'tenant_id');
SELECT create_reference_table('codes');
SELECT create_reference_table('refs');`)
	require.NoError(t, err)
	require.Equal(t, []string{
		"line 2 (children): foreign key children_parent points at parents, not distributed before it",
		"line 4 (parents): table distributed twice",
		"line 5 (texts): tenant_id is text, tenants.id is uuid: cannot co-locate",
		"line 6 (uniques): key uniques_key lacks tenant_id",
		"line 6 (uniques): colocate_with nowhere, not distributed before it",
		"line 7 (missing): no such table",
		"line 9 (refs): reference table's foreign key refs_parent points at distributed parents",
		"forgotten: not in the distribution script",
	}, citus.DryRun(cat, plan))

	fixed, err := citus.ParsePlan(`SELECT create_distributed_table('tenants', 'id');
SELECT create_distributed_table('parents', 'tenant_id', colocate_with => 'tenants');
SELECT create_distributed_table('children', 'tenant_id', colocate_with => 'tenants');
SELECT create_distributed_table('forgotten', 'tenant_id', colocate_with => 'tenants');
SELECT create_reference_table('codes');`)
	require.NoError(t, err)
	delete(cat, "texts")
	delete(cat, "refs")
	delete(cat, "uniques")
	require.Empty(t, citus.DryRun(cat, fixed))
}

func TestParsePlan(t *testing.T) {
	t.Parallel()
	plan, err := citus.DefaultPlan()
	require.NoError(t, err)
	require.Equal(t, citus.Statement{Line: plan[0].Line, Table: "kiroku_tenants", Column: "id"}, plan[0])
	require.Equal(t, "tenant_id", plan.Distributed()["contact_records"])
	require.NotContains(t, plan.Distributed(), "server_sessions")

	_, err = citus.ParsePlan("-- fine\n\nSELECT create_reference_table('a');\nSELECT create_distributed_table('b');\n")
	require.EqualError(t, err, `citus: script line 4: not a create_distributed_table or create_reference_table call: "SELECT create_distributed_table('b');"`)
}
