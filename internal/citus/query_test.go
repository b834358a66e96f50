package citus_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/internal/citus"
)

func TestCheckerFindsJoinsWithoutTenantEquality(t *testing.T) {
	t.Parallel()
	plan, err := citus.DefaultPlan()
	require.NoError(t, err)
	c := citus.NewChecker(plan)
	const tenant = "'0193a0a0-0000-7000-8000-000000000001'"
	for _, tc := range []struct {
		name     string
		sql      string
		links    int
		problems int
	}{
		{"one table", `SELECT * FROM customers AS c WHERE c.tenant_id = ` + tenant, 0, 0},
		{"join with tenant", `SELECT c.id FROM customer_list_items AS li JOIN customers AS c ON c.tenant_id = li.tenant_id AND c.id = li.customer_id`, 1, 0},
		{"join on id alone", `SELECT c.id FROM customer_list_items AS li JOIN customers AS c ON c.id = li.customer_id WHERE li.tenant_id = ` + tenant, 1, 1},
		{"quoted identifiers", `SELECT "c"."id" FROM "customer_list_items" AS "li" JOIN "customers" AS "c" ON "c"."tenant_id" = "li"."tenant_id" AND "c"."id" = "li"."customer_id"`, 1, 0},
		{"tenant equality on another column", `SELECT 1 FROM contact_records r JOIN customers c ON c.tenant_id = r.author_id AND c.id = r.customer_id`, 1, 1},
		{"both pinned to literals, not joined", `SELECT 1 FROM contact_records r LEFT JOIN customers c ON c.id = r.customer_id AND c.tenant_id = ` + tenant + ` WHERE r.tenant_id = ` + tenant, 1, 1},
		{"join through a third table", `SELECT 1 FROM contact_records r JOIN contact_record_people p ON p.tenant_id = r.tenant_id AND p.record_id = r.id
			JOIN customers c ON c.tenant_id = p.tenant_id AND c.id = r.customer_id`, 2, 0},
		{"comma join with tenant in WHERE", `SELECT 1 FROM org_units o, org_unit_paths p WHERE p.tenant_id = o.tenant_id AND p.descendant_id = o.id`, 1, 0},
		{"correlated EXISTS with tenant", `SELECT 1 FROM customers c WHERE c.tenant_id = ` + tenant + ` AND EXISTS (SELECT 1 FROM customer_assignees pa WHERE pa.tenant_id = c.tenant_id AND pa.customer_id = c.id)`, 1, 0},
		{"correlated EXISTS pinned but not linked", `SELECT 1 FROM customers c WHERE c.tenant_id = ` + tenant + ` AND EXISTS (SELECT 1 FROM customer_assignees pa WHERE pa.customer_id = c.id AND pa.tenant_id = ` + tenant + `)`, 1, 1},
		{"uncorrelated IN pinned", `SELECT 1 FROM customer_assignees pa WHERE pa.tenant_id = ` + tenant + ` AND pa.user_id IN (SELECT pg.user_id FROM group_members pg WHERE pg.tenant_id = ` + tenant + ` AND pg.group_id IN ('a', 'b'))`, 1, 0},
		{"uncorrelated IN across tenants", `SELECT 1 FROM customers c WHERE c.id IN (SELECT customer_id FROM customer_assignees WHERE user_id = 'u')`, 1, 1},
		{"unqualified tenant pin", `SELECT 1 FROM customers c WHERE c.id IN (SELECT customer_id FROM customer_assignees WHERE tenant_id = ` + tenant + `)`, 1, 0},
		{"nested subquery inside EXISTS", `SELECT 1 FROM contact_records r WHERE EXISTS (SELECT 1 FROM contact_record_scope ps JOIN org_unit_paths po ON po.ancestor_id = ps.target_id
			WHERE ps.tenant_id = r.tenant_id AND ps.record_id = r.id LIMIT 1 OFFSET 0)`, 2, 1},
		{"scalar subquery in a LEFT JOIN", `SELECT c.id FROM customers AS c LEFT JOIN contact_records AS p ON p.tenant_id = c.tenant_id AND p.id = (SELECT r.id FROM contact_records AS r
			WHERE r.tenant_id = c.tenant_id AND r.customer_id = c.id ORDER BY r.actual_at DESC LIMIT 1)`, 2, 0},
		{"scalar subquery not linked", `SELECT c.id FROM customers AS c LEFT JOIN contact_records AS p ON p.tenant_id = c.tenant_id AND p.id = (SELECT r.id FROM contact_records AS r
			WHERE r.customer_id = c.id LIMIT 1)`, 2, 1},
		{"reference and local tables are not checked", `SELECT 1 FROM server_sessions s JOIN staff_users u ON u.id = s.user_id JOIN kiroku_migrations_customer m ON m.id = 1`, 0, 0},
		{"union parts are separate queries", `SELECT id FROM customers WHERE tenant_id = ` + tenant + ` UNION ALL SELECT id FROM contact_records WHERE tenant_id = ` + tenant, 0, 0},
		{"statements of a body are separate queries", `DELETE FROM contact_record_assignees WHERE tenant_id = 'x' AND record_id = 'y';
			INSERT INTO contact_record_assignees (tenant_id, record_id, user_id) SELECT ca.tenant_id, 'y', ca.user_id FROM customer_assignees AS ca WHERE ca.tenant_id = 'x'`, 0, 0},
		{"a trigger's row values pin a subquery", `DELETE FROM contact_record_assignees WHERE tenant_id = OLD.tenant_id AND record_id IN
			(SELECT r.id FROM contact_records AS r WHERE r.tenant_id = OLD.tenant_id AND r.customer_id = OLD.customer_id)`, 1, 0},
		{"a table aliased new is a table", `SELECT 1 FROM customers AS new WHERE new.id IN (SELECT customer_id FROM customer_assignees AS a WHERE a.user_id = new.id)`, 1, 1},
		{"insert target is not joined", `INSERT INTO org_unit_paths (tenant_id, ancestor_id, descendant_id, depth) SELECT p.tenant_id, p.ancestor_id, 'x', p.depth + 1 FROM org_unit_paths p WHERE p.tenant_id = ` + tenant, 0, 0},
		{"update from a derived table", `UPDATE outbox_messages AS m SET attempts = m.attempts + 1 FROM (SELECT id FROM outbox_messages WHERE tenant_id = ` + tenant + ` AND status = 'pending' ORDER BY id LIMIT 10 FOR UPDATE SKIP LOCKED) AS due
			WHERE m.tenant_id = ` + tenant + ` AND m.id = due.id`, 1, 0},
		{"claim across tenants", `UPDATE outbox_messages AS m SET attempts = m.attempts + 1 FROM (SELECT id FROM outbox_messages WHERE status = 'pending' LIMIT 10 FOR UPDATE SKIP LOCKED) AS due WHERE m.id = due.id`, 1, 1},
		{"kiroku_tenants joined by its id", `SELECT 1 FROM kiroku_tenants t JOIN staff_users u ON u.tenant_id = t.id`, 1, 0},
		{"strings and comments hide nothing", `SELECT 1 FROM customers c /* JOIN x */ WHERE c.memo = 'JOIN customers d ON d.id = c.id' -- JOIN y`, 0, 0},
		{"not equal is no equality", `SELECT 1 FROM customers c JOIN customer_assignees a ON a.tenant_id <> c.tenant_id AND a.customer_id = c.id`, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := c.Check(tc.sql)
			require.Equal(t, tc.links, r.Links, "links")
			require.Len(t, r.Problems, tc.problems, "%q", r.Problems)
			// CheckShape agrees, the first time and from what it
			// remembers; and with other values in the literals.
			other := strings.NewReplacer(tenant, "'0193a0a0-0000-7000-8000-000000000002'", "1", "23").Replace(tc.sql)
			for _, q := range []string{tc.sql, tc.sql, other, other} {
				rs := c.CheckShape(q)
				require.Equal(t, tc.links, rs.Links, "links of %s", q)
				require.Len(t, rs.Problems, tc.problems, "%q", rs.Problems)
				for _, p := range rs.Problems {
					require.Contains(t, p, q, "a problem quotes its own statement")
				}
			}
		})
	}
}

// Statements that differ only in their literals share a shape; any other
// difference (an identifier, a keyword, an operator, a quoted name, a
// comment hiding a quote) gives another one.
func TestCheckShapeTellsStatementsApart(t *testing.T) {
	t.Parallel()
	plan, err := citus.DefaultPlan()
	require.NoError(t, err)
	c := citus.NewChecker(plan)
	linked := `SELECT 1 FROM customers c JOIN customer_assignees a ON a.tenant_id = c.tenant_id AND a.customer_id = c.id WHERE c.memo = 'x' AND c.n = 1`
	require.Equal(t, citus.Report{Links: 1}, c.CheckShape(linked))
	// Same shape, other literals (one with a doubled quote): no problem.
	require.Equal(t, citus.Report{Links: 1}, c.CheckShape(strings.Replace(strings.Replace(linked, "'x'", "'it''s'", 1), "= 1", "= 2.5e3", 1)))
	// A column instead of a literal, another column in the equality, a
	// string hiding the equality: other shapes, checked afresh.
	for _, q := range []string{
		strings.Replace(linked, "a.tenant_id = c.tenant_id", "a.tenant_id = c.id", 1),
		strings.Replace(linked, "a.tenant_id = c.tenant_id", "a.tenant_id <> c.tenant_id", 1),
		strings.Replace(linked, "a.tenant_id = c.tenant_id", "'a.tenant_id = c.tenant_id'", 1),
		strings.Replace(linked, "a.tenant_id = c.tenant_id", `"a".tenant_id = c.id`, 1),
		strings.Replace(linked, "a.tenant_id = c.tenant_id", "/* ' */ a.tenant_id = c.id -- '", 1),
	} {
		r := c.CheckShape(q)
		require.Equal(t, 1, r.Links, q)
		require.Len(t, r.Problems, 1, q)
	}
}
