package contactlog

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/benchdb"
	"github.com/kirokuhq/kiroku/internal/gendata"
	"github.com/kirokuhq/kiroku/internal/storage"
	"github.com/kirokuhq/kiroku/internal/textnorm"
)

// The benchmark matrix: every form of record search (keywords of 1, 2, 3
// and 4+ characters, common, rare and absent; ASCII digits; each filter;
// each sort; without the total, with the capped total and with the exact
// one) × every principal kind (staff,
// manager, partner, admin) × both customer visibility modes, each cell
// measured beside hand-written SQL that returns the same page (and count)
// in the same run. Admins and partners see the same records in either mode
// (permission's rules), so they are measured once.
//
// Select cells with -bench, e.g. -bench 'Records/matrix/staff-assigned/kw-'.
// The table of p50/p95 and ratios is logged at the end (-v).

// matrixForm is one search form: the engine's Query and the hand-written
// conditions and order of the same search.
type matrixForm struct {
	name string
	q    Query
	// where adds the form's conditions to h (AND-ed after the visibility)
	// and returns them; order is the ORDER BY of the page ("" is the
	// newest created first); join is a join the order needs.
	where func(h *handQuery) string
	order func(h *handQuery) (join, order string)
	// page, when set, is the whole page query of the form given the
	// conditions (the visibility and where's), in place of order's.
	page func(h *handQuery, where string) string
}

// handQuery builds a hand-written query with positional arguments.
type handQuery struct {
	args []any
	who  matrixWho
}

// arg adds v and returns its placeholder.
func (h *handQuery) arg(v any) string {
	h.args = append(h.args, v)
	return fmt.Sprintf("$%d", len(h.args))
}

// matrixWho is a principal of the matrix: its kind and visibility mode.
type matrixWho struct {
	name string
	kind string // staff, manager, partner, admin
	ctx  context.Context
	p    permission.Principal
}

// list is ids as a PostgreSQL array literal.
func list(ids []uuid.UUID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id.String()
	}
	return "{" + strings.Join(s, ",") + "}"
}

// custVisible is the hand-written condition that the principal sees the
// customer aliased a (the customer rule of permission, by hand).
func (h *handQuery) custVisible(a string) string {
	p := h.who.p
	t := h.arg(p.Tenant)
	switch {
	case h.who.kind == "admin" || h.who.kind != "partner" && p.CustomerVisibility == permission.VisibilityAll:
		return a + ".tenant_id = " + t
	case h.who.kind == "manager":
		return a + ".tenant_id = " + t + " AND EXISTS (SELECT 1 FROM customer_assignees ca WHERE ca.tenant_id = " + a + ".tenant_id AND ca.customer_id = " + a + ".id" +
			" AND (ca.user_id = " + h.arg(p.User) + " OR ca.user_id IN (SELECT g.user_id FROM group_members g WHERE g.tenant_id = " + a + ".tenant_id AND g.group_id = ANY(" + h.arg(list(p.ManagedGroups)) + "::uuid[]))))"
	}
	return a + ".tenant_id = " + t + " AND EXISTS (SELECT 1 FROM customer_assignees ca WHERE ca.tenant_id = " + a + ".tenant_id AND ca.customer_id = " + a + ".id AND ca.user_id = " + h.arg(p.User) + ")"
}

// seen is the hand-written condition that the principal sees the customer
// of record r (by its assignees).
func (h *handQuery) seen() string {
	p := h.who.p
	if h.who.kind == "manager" {
		return "EXISTS (SELECT 1 FROM customer_assignees ca WHERE ca.tenant_id = r.tenant_id AND ca.customer_id = r.customer_id" +
			" AND (ca.user_id = " + h.arg(p.User) + " OR ca.user_id IN (SELECT g.user_id FROM group_members g WHERE g.tenant_id = r.tenant_id AND g.group_id = ANY(" + h.arg(list(p.ManagedGroups)) + "::uuid[]))))"
	}
	// The tenant as a value too, as the engine writes it: without it,
	// PostgreSQL hashing the subquery scans every tenant's assignees.
	return "EXISTS (SELECT 1 FROM customer_assignees ca WHERE ca.tenant_id = r.tenant_id AND ca.customer_id = r.customer_id AND ca.tenant_id = " + h.arg(p.Tenant) +
		" AND ca.user_id = " + h.arg(p.User) + ")"
}

// visible is the hand-written record visibility of the principal (live
// records).
func (h *handQuery) visible() string {
	p := h.who.p
	base := "r.tenant_id = " + h.arg(p.Tenant) + " AND r.deleted_at IS NULL"
	if h.who.kind == "admin" {
		return base
	}
	u := h.arg(p.User)
	people := "EXISTS (SELECT 1 FROM contact_record_people p WHERE p.tenant_id = r.tenant_id AND p.record_id = r.id AND p.user_id = " + u + " OFFSET 0)"
	scope := []string{"r.scope_kind IN ('company', '')",
		"r.scope_kind = 'users' AND EXISTS (SELECT 1 FROM contact_record_scope s WHERE s.tenant_id = r.tenant_id AND s.record_id = r.id AND s.target_id = " + u + " OFFSET 0)"}
	if len(p.Groups) > 0 {
		scope = append(scope, "r.scope_kind = 'groups' AND EXISTS (SELECT 1 FROM contact_record_scope s WHERE s.tenant_id = r.tenant_id AND s.record_id = r.id AND s.target_id = ANY("+h.arg(list(p.Groups))+"::uuid[]) OFFSET 0)")
	}
	if len(p.OrgUnits) > 0 {
		scope = append(scope, "r.scope_kind = 'org_units' AND EXISTS (SELECT 1 FROM contact_record_scope s JOIN org_unit_paths o ON o.tenant_id = s.tenant_id AND o.ancestor_id = s.target_id"+
			" WHERE s.tenant_id = r.tenant_id AND s.record_id = r.id AND o.descendant_id = ANY("+h.arg(list(p.OrgUnits))+"::uuid[]) OFFSET 0)")
	}
	scoped := "(" + strings.Join(scope, " OR ") + ")"
	if h.who.kind == "partner" {
		return base + " AND NOT r.confidential AND (r.author_id = " + u + " OR (" + h.seen() + " AND (" + people + " OR " + scoped + ")))"
	}
	if p.CustomerVisibility != permission.VisibilityAll {
		scoped = "(r.customer_id IS NULL OR " + h.seen() + ") AND " + scoped
	}
	others := []string{"r.author_id = " + u, people, scoped}
	if h.who.kind == "manager" && len(p.ManagedGroups) > 0 {
		others = append(others, "r.author_id IN (SELECT g.user_id FROM group_members g WHERE g.tenant_id = r.tenant_id AND g.group_id = ANY("+h.arg(list(p.ManagedGroups))+"::uuid[]))")
	}
	return base + " AND (" + strings.Join(others, " OR ") + ")"
}

// keyword is the hand-written condition of one keyword term: the record's
// text (through the bigram index, the ASCII trigram index or a plain LIKE)
// or the name of a customer the principal sees.
func (h *handQuery) keyword(text string) string {
	term := textnorm.Key(text)
	like := h.arg(storage.Contains(term))
	own := searchKeyExpr + " LIKE " + like + " ESCAPE '\\'"
	if h.who.kind != "partner" {
		own = "(" + own + " OR " + privateKeyExpr + " LIKE " + like + " ESCAPE '\\')"
	}
	if grams := textnorm.Bigrams(term); len(grams) > 0 {
		gram, _ := storage.Grams(grams[:min(len(grams), 4)]).Value()
		if len(grams) == 1 && len([]rune(term)) == 2 && h.who.kind != "partner" {
			own = "r.grams @> " + h.arg(gram) + "::text[]"
		} else {
			own = "r.grams @> " + h.arg(gram) + "::text[] AND " + own
		}
	} else if grams := textnorm.ASCIITrigrams(term); len(grams) > 0 {
		gram, _ := storage.Grams(grams[:min(len(grams), 4)]).Value()
		own = asciiGramsExpr + " @> " + h.arg(gram) + "::text[] AND " + own
	}
	// The customers as an array computed once (an init plan), so that
	// PostgreSQL can OR the index lookups of both sides.
	return "(" + own + " OR r.customer_id = ANY(ARRAY(SELECT c.id FROM customers c WHERE " + h.custVisible("c") +
		" AND (c.name_key LIKE " + like + " ESCAPE '\\' OR c.sort_kana LIKE " + like + " ESCAPE '\\' OR c.company_name LIKE " + like + " ESCAPE '\\'))))"
}

// sql returns the page query, the count query and the query whose planner
// estimate stands for a count over the cap, of form f for h.who: the count
// reads at most storage.DefaultTotalCap+1 matches (the engine's default
// Config.TotalCap) unless the form asks for the exact total.
func (f matrixForm) sql(who matrixWho) (page, count, estimate string, args []any) {
	h := &handQuery{who: who}
	where := h.visible()
	if f.where != nil {
		where += " AND " + f.where(h)
	}
	join, order := "", "r.created_at DESC, r.id DESC"
	if f.order != nil {
		join, order = f.order(h)
	}
	page = benchHandSelect + join + " WHERE " + where + " ORDER BY " + order + fmt.Sprintf(" LIMIT %d", 21)
	if f.page != nil {
		page = f.page(h, where)
	}
	estimate = "SELECT 1 FROM contact_records r WHERE " + where
	count = "SELECT count(*) FROM contact_records r WHERE " + where
	if !f.q.ExactTotal {
		count = fmt.Sprintf("SELECT count(*) FROM (%s LIMIT %d) AS capped", estimate, storage.DefaultTotalCap+1)
	}
	return page, count, estimate, h.args
}

// matrixForms are the forms of the matrix for the loaded data set.
func matrixForms(e *benchEnv) []matrixForm {
	kw := func(name, text string) matrixForm {
		return matrixForm{name: "kw-" + name, q: Query{Text: text}, where: func(h *handQuery) string {
			var conds []string
			for _, t := range strings.Fields(text) {
				conds = append(conds, h.keyword(t))
			}
			return strings.Join(conds, " AND ")
		}}
	}
	cond := func(name string, q Query, where func(h *handQuery) string) matrixForm {
		return matrixForm{name: name, q: q, where: where}
	}
	month := func(y int, m time.Month) (time.Time, time.Time) {
		from := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
		return from, from.AddDate(0, 1, 0)
	}
	af, at := month(2025, time.February)
	pf, pt := month(2025, time.April)
	cf, ct := month(2024, time.October)
	responder := e.dir.Staff[1]
	withTotal := func(f matrixForm) matrixForm {
		f.name += "+total"
		f.q.WithTotal = true
		return f
	}
	withExactTotal := func(f matrixForm) matrixForm {
		f.name += "+exacttotal"
		f.q.ExactTotal = true
		return f
	}
	// By customer reading, the best hand-written query walks the visible
	// customers in reading order (the live ones through customers_kana,
	// those in the trash sorted apart and merged in) and each one's
	// records by time, stopping when the page is full; then come the
	// drafts and the records of hidden customers by time, which
	// PostgreSQL reads only when the walk leaves the page short (its
	// Append returns the branches of UNION ALL in order and stops under
	// the LIMIT; the matrix's check fails if it did not).
	kanaPage := func(dir string) func(h *handQuery, where string) string {
		return func(h *handQuery, where string) string {
			walk := func(live string) string {
				return "(SELECT kc.tenant_id, kc.id, kc.sort_kana FROM customers kc WHERE kc.deleted_at " + live + " AND " + h.custVisible("kc") +
					" ORDER BY kc.sort_kana " + dir + ", kc.id " + dir + ")"
			}
			order := fmt.Sprintf("r.occurred_at %[1]s, r.id %[1]s", dir)
			return "(" + strings.TrimSuffix(benchHandSelect, "contact_records r") + "(" + walk("IS NULL") + " UNION ALL " + walk("IS NOT NULL") + ") kc" +
				" CROSS JOIN LATERAL (SELECT r.* FROM contact_records r WHERE r.tenant_id = kc.tenant_id AND r.customer_id = kc.id AND " + where +
				" ORDER BY " + order + " LIMIT 21) r ORDER BY kc.sort_kana " + dir + ", kc.id " + dir + ", " + order + " LIMIT 21)" +
				" UNION ALL (" + benchHandSelect + " WHERE " + where + " AND NOT EXISTS (SELECT 1 FROM customers kc WHERE kc.tenant_id = r.tenant_id AND kc.id = r.customer_id AND " +
				h.custVisible("kc") + ") ORDER BY " + order + " LIMIT 21) LIMIT 21"
		}
	}
	forms := []matrixForm{
		{name: "top"},
		kw("1-common", "見"), kw("1-rare", "釣"),
		kw("2-common", "見積"), kw("2-rare", "挨拶"), kw("2-none", "振込"), kw("2-address", "丁目"),
		kw("3-common", "見積書"), kw("3-rare", "手付金"),
		kw("4-common", "カタログ"), kw("4-rare", "押印いただき"),
		kw("ascii", "090"), kw("two-terms", "見積 カタログ"),
		cond("actual", Query{ActualFrom: af, ActualTo: at}, func(h *handQuery) string {
			return "r.occurred_at = r.actual_at AND r.occurred_at >= " + h.arg(af) + " AND r.occurred_at < " + h.arg(at)
		}),
		cond("planned", Query{PlannedFrom: pf, PlannedTo: pt}, func(h *handQuery) string {
			return "r.planned_at >= " + h.arg(pf) + " AND r.planned_at < " + h.arg(pt)
		}),
		cond("created", Query{CreatedFrom: cf, CreatedTo: ct}, func(h *handQuery) string {
			return "r.created_at >= " + h.arg(cf) + " AND r.created_at < " + h.arg(ct)
		}),
		cond("mine", Query{Mine: true}, func(h *handQuery) string {
			u := h.arg(h.who.p.User)
			return "(r.author_id = " + u + " OR EXISTS (SELECT 1 FROM contact_record_people mp WHERE mp.tenant_id = r.tenant_id AND mp.record_id = r.id AND mp.user_id = " + u +
				" AND mp.role IN ('" + roleResponder + "', '" + roleParticipant + "')))"
		}),
		cond("customer", Query{Customer: e.busiest}, func(h *handQuery) string { return "r.customer_id = " + h.arg(e.busiest) }),
		cond("template", Query{Templates: []string{"builtin:" + string(gendata.TemplateClaim)}}, func(h *handQuery) string {
			return "r.template_key = " + h.arg("builtin:"+string(gendata.TemplateClaim))
		}),
		cond("responder", Query{Responder: responder}, func(h *handQuery) string {
			return "EXISTS (SELECT 1 FROM contact_record_people rp WHERE rp.tenant_id = r.tenant_id AND rp.record_id = r.id AND rp.user_id = " + h.arg(responder) +
				" AND rp.role = '" + roleResponder + "')"
		}),
		cond("progress", Query{Progress: []string{string(gendata.ProgressWon)}}, func(h *handQuery) string {
			return "r.progress = " + h.arg(string(gendata.ProgressWon))
		}),
		cond("drafts", Query{DraftsOnly: true}, func(*handQuery) string { return "r.customer_id IS NULL" }),
		cond("important", Query{ImportantOnly: true}, func(*handQuery) string { return "r.important" }),
		cond("rank", Query{CustomerRanks: []string{string(gendata.RankA)}}, func(h *handQuery) string {
			return "r.customer_id = ANY(ARRAY(SELECT c.id FROM customers c WHERE " + h.custVisible("c") + " AND c.rank = " + h.arg(string(gendata.RankA)) + "))"
		}),
		{name: "sort-actual", q: Query{Sort: SortActual}, order: func(*handQuery) (string, string) { return "", "r.occurred_at DESC, r.id DESC" }},
		{name: "sort-created-asc", q: Query{Asc: true}, order: func(*handQuery) (string, string) { return "", "r.created_at ASC, r.id ASC" }},
		{name: "sort-kana", q: Query{Sort: SortCustomerKana}, page: kanaPage("DESC")},
		{name: "sort-kana-asc", q: Query{Sort: SortCustomerKana, Asc: true}, page: kanaPage("ASC")},
	}
	rank := forms[slices.IndexFunc(forms, func(f matrixForm) bool { return f.name == "rank" })]
	forms = append(forms, withTotal(forms[0]), withTotal(kw("2-common", "見積")), withTotal(kw("4-common", "カタログ")),
		withTotal(rank), withExactTotal(forms[0]), withExactTotal(rank))
	// Sorted by customer reading under a keyword.
	kanaKeyword := kw("2-rare+sort-kana", "挨拶")
	kanaKeyword.q.Sort, kanaKeyword.page = SortCustomerKana, kanaPage("DESC")
	return append(forms, kanaKeyword)
}

// matrixWhos are the principals of the matrix: the staff member, the
// manager in either customer visibility mode, the partner and an admin.
func matrixWhos(b *testing.B, e *benchEnv) []matrixWho {
	b.Helper()
	var out []matrixWho
	for _, pr := range e.principals {
		if pr.name == "partner" {
			out = append(out, matrixWho{name: "partner", kind: "partner", ctx: pr.ctx, p: pr.p})
			continue
		}
		for _, mode := range []permission.CustomerVisibility{permission.VisibilityAll, permission.VisibilityAssigned} {
			p := pr.p
			p.CustomerVisibility = mode
			out = append(out, matrixWho{name: pr.name + "-" + string(mode), kind: pr.name, ctx: permission.WithPrincipal(context.Background(), p), p: p})
		}
	}
	for s := range benchdb.Gen().AllStaff(benchBig) {
		if s.Role == gendata.RoleAdmin {
			ctx, p := benchdb.Principal(b, e.db, e.tenant, e.dir.Staff[s.Index])
			out = append(out, matrixWho{name: "admin", kind: "admin", ctx: ctx, p: p})
			break
		}
	}
	return out
}

// benchMatrix runs every form for every principal, engine and hand-written
// SQL, checks that they return the same page (and total: the same number
// when counted exactly, above the cap on both sides when not), and logs
// the table.
func benchMatrix(b *testing.B, e *benchEnv) {
	ctx := context.Background()
	type cell struct {
		name        string
		rows, total int
		kind        customer.TotalKind
	}
	var cells []cell
	stats := map[string]benchdb.Stat{}
	for _, who := range matrixWhos(b, e) {
		for _, f := range matrixForms(e) {
			name := who.name + "/" + f.name
			pageSQL, countSQL, estimateSQL, args := f.sql(who)
			hand := func() ([]benchHandRecord, int, error) {
				rs, _, err := benchQuery(ctx, e.db.DB, 20, pageSQL, args...)
				if err != nil || !f.q.WithTotal && !f.q.ExactTotal {
					return rs, -1, err
				}
				n := 0
				if err := e.db.DB.QueryRowContext(ctx, countSQL, args...).Scan(&n); err != nil || f.q.ExactTotal || n <= storage.DefaultTotalCap {
					return rs, n, err
				}
				// Over the cap the engine asks the planner for its
				// estimate: so does the hand-written side.
				var plan string
				err = e.db.DB.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+estimateSQL, args...).Scan(&plan)
				return rs, n, err
			}
			// The check and the plans run inside the cell, so that only the
			// cells -bench selects cost their queries.
			b.Run(name, func(b *testing.B) {
				page, err := e.svc.Search(who.ctx, f.q)
				if err != nil {
					b.Fatalf("%s: %v", name, err)
				}
				rs, n, err := hand()
				if err != nil {
					b.Fatalf("%s: hand-written: %v\n%s", name, err, pageSQL)
				}
				ke, kh := benchIDs(page.Records, func(r Record) uuid.UUID { return r.ID }), benchIDs(rs, func(r benchHandRecord) uuid.UUID { return r.ID })
				var kind customer.TotalKind
				if n >= 0 {
					kind = customer.TotalExact
				}
				sameTotal := page.Total == n && page.TotalKind == kind
				if n > storage.DefaultTotalCap && !f.q.ExactTotal {
					sameTotal = page.TotalKind != customer.TotalExact && page.Total > storage.DefaultTotalCap
				}
				if !slices.Equal(ke, kh) || !sameTotal {
					b.Errorf("%s: the engine returned %d records (total %d, %q), the hand-written SQL %d (total %d)", name, len(ke), page.Total, page.TotalKind, len(kh), n)
				}
				cells = append(cells, cell{name, len(ke), page.Total, page.TotalKind})
				if os.Getenv(benchdb.EnvExplain) != "" {
					for i, q := range benchEngineSQL(b, e, func(s *Service) error { _, err := s.Search(who.ctx, f.q); return err }) {
						benchdb.Explain(b, e.db.DB, fmt.Sprintf("kiroku/%s query %d", name, i+1), q)
					}
					benchdb.Explain(b, e.db.DB, "handsql/"+name, pageSQL, args...)
				}
				b.Run("kiroku", func(b *testing.B) {
					stats["kiroku/"+name] = benchdb.Latency(b, func() error { _, err := e.svc.Search(who.ctx, f.q); return err })
				})
				b.Run("handsql", func(b *testing.B) {
					stats["handsql/"+name] = benchdb.Latency(b, func() error { _, _, err := hand(); return err })
				})
			})
		}
	}
	var sum strings.Builder
	fmt.Fprintf(&sum, "\n    %-40s %5s %9s %19s %19s %8s %8s", "cell", "rows", "total", "kiroku p50/p95", "handsql p50/p95", "k/h p50", "k/h p95")
	for _, c := range cells {
		k, h := stats["kiroku/"+c.name], stats["handsql/"+c.name]
		if k.P50 == 0 || h.P50 == 0 {
			continue // not selected by -bench
		}
		total := fmt.Sprint(c.total)
		switch c.kind {
		case customer.TotalEstimate:
			total = "~" + total
		case customer.TotalAtLeast:
			total = "≥" + total
		}
		fmt.Fprintf(&sum, "\n    %-40s %5d %9s %8.2f/%8.2f ms %8.2f/%8.2f ms %7.2f× %7.2f×", c.name, c.rows, total,
			benchdb.MS(k.P50), benchdb.MS(k.P95), benchdb.MS(h.P50), benchdb.MS(h.P95),
			float64(k.P50)/float64(h.P50), float64(k.P95)/float64(h.P95))
	}
	b.Logf("record search matrix (target: p95 ≤ 100 ms and ≤ 1.5× handsql; total: ~ estimated, ≥ lower bound, capped at %d):%s",
		storage.DefaultTotalCap, sum.String())
}
