package customer

import (
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/storage"
	"github.com/kirokuhq/kiroku/internal/textnorm"
)

// Query fragments. Other engines (records, schedule, reports) read
// customers inside their own SQL — to join a row to its customer, to keep
// the rows whose customer the principal sees, to match a keyword against
// customers' names, to sort by reading. They build that SQL from Ref and
// AssigneeRef, never from the customer engine's table and column names,
// which may change with its migrations; the fragments keep their meaning.

// Ref is the customers table under an alias in another engine's query.
// Every fragment qualifies its columns with Alias; a join names the tenant
// equality itself.
type Ref struct {
	// Alias is the table's alias in the query, e.g. "c".
	Alias string
}

// Resource is the table for permission.Authorizer.Predicate: the predicate
// it returns restricts Ref's rows to the customers the principal sees (or,
// with action set, may do more with; see permission.CustomerTable).
func (c Ref) Resource(action permission.Action) *permission.CustomerTable {
	return &permission.CustomerTable{Alias: c.Alias, Action: action}
}

// From is the table under the alias, for a FROM clause (TableExpr).
func (c Ref) From() string { return "customers AS " + c.Alias }

// Join is a join clause of kind ("JOIN", "LEFT JOIN") from the rows of the
// table aliased owner (which has a tenant_id column) to the customer its
// column names, within the owner row's tenant.
func (c Ref) Join(kind, owner, column string) string {
	return kind + " customers AS " + c.Alias + " ON " + c.Alias + ".tenant_id = " + owner + ".tenant_id AND " +
		c.Alias + ".id = " + owner + "." + column
}

// ID is the customer's ID column.
func (c Ref) ID() string { return c.Alias + ".id" }

// Tenant is the customer's tenant column.
func (c Ref) Tenant() string { return c.Alias + ".tenant_id" }

// SortKana is the reading customers sort by (the company's reading first
// for companies): Customer.SortKana.
func (c Ref) SortKana() string { return c.Alias + ".sort_kana" }

// Live is the condition that the customer is not in the trash.
func (c Ref) Live() string { return c.Alias + ".deleted_at IS NULL" }

// Trashed is the condition that the customer is in the trash: the
// negation of Live.
func (c Ref) Trashed() string { return c.Alias + ".deleted_at IS NOT NULL" }

// NameColumns selects what a customer's display name is made of
// (Customer.DisplayName of a Customer with these Profile fields): kind,
// family_name, given_name and company_name, each as prefix+name.
func (c Ref) NameColumns(prefix string) string {
	a := c.Alias + "."
	return a + "kind AS " + prefix + "kind, " + a + "family_name AS " + prefix + "family_name, " +
		a + "given_name AS " + prefix + "given_name, " + a + "company_name AS " + prefix + "company_name"
}

// ContactColumns selects where the customer is reached (Profile.Email and
// Profile.Mobile), as prefix+email and prefix+mobile.
func (c Ref) ContactColumns(prefix string) string {
	a := c.Alias + "."
	return a + "email AS " + prefix + "email, " + a + "mobile AS " + prefix + "mobile"
}

// IDs selects the IDs of the customers that pass visible, a predicate of
// Authorizer.Predicate for c.Resource (it names the tenant).
func (c Ref) IDs(db bun.IDB, visible permission.Predicate) *bun.SelectQuery {
	return visible.Apply(db.NewSelect().TableExpr(c.From()).Column(c.ID()))
}

// Visible selects customer id when it is live (Live) and passes visible,
// a predicate of Authorizer.Predicate for c.Resource; ask it Exists.
func (c Ref) Visible(db bun.IDB, visible permission.Predicate, id uuid.UUID) *bun.SelectQuery {
	return visible.Apply(db.NewSelect().TableExpr(c.From()).Column(c.ID()).Where(c.ID()+" = ?", id).Where(c.Live()))
}

// WhereRank keeps the customers of q (a query over c) whose rank is one of
// ranks.
func (c Ref) WhereRank(q *bun.SelectQuery, ranks []string) *bun.SelectQuery {
	return q.Where(c.Alias+".rank IN (?)", bun.List(ranks))
}

// WhereName keeps the customers of q (a query over c in tenant) whose
// name, company name or reading contains term, a normalized key
// (textnorm.Key: hiragana ≡ katakana, full ≡ half width, lower case). On
// PostgreSQL a term with a gram (two characters, not both ASCII, or three
// ASCII ones) is looked up among the name grams each customer's grams hold
// (nameGrams: of those names alone, not of the address or memo, so a word
// common in addresses costs no more than a rare one); on SQLite a term of
// two characters or more is looked up in the customer engine's bigram
// index of the whole search text first.
func (c Ref) WhereName(q *bun.SelectQuery, tenant uuid.UUID, term string) (*bun.SelectQuery, error) {
	like := storage.Contains(term)
	q.Where(`(`+c.Alias+`.name_key LIKE ? ESCAPE '\' OR `+c.Alias+`.sort_kana LIKE ? ESCAPE '\' OR `+c.Alias+`.company_name LIKE ? ESCAPE '\')`,
		like, like, like)
	d, err := storage.Of(q.DB())
	if err != nil {
		return nil, err
	}
	if d == storage.Postgres {
		if grams := termNameGrams(term); len(grams) > 0 {
			q.Where(c.Alias+".grams @> ?::text[]", storage.Grams(grams))
		}
		return q, nil
	}
	if grams := textnorm.Bigrams(term); len(grams) > 0 {
		expr, args := gramIndex.Filter(d, c.Alias, tenant, grams[:min(len(grams), 4)])
		q.Where(expr, args...)
	}
	return q, nil
}

// nameGramPrefix starts each name gram stored in a customer's grams on
// PostgreSQL. The grams of the whole search text, which keyword searches
// ask for, are two characters long (textnorm.Bigrams); a name gram is the
// prefix and a bigram or an ASCII trigram, three or four characters, so no
// search term's gram is ever a name gram, nor the reverse.
const nameGramPrefix = "~"

// nameGrams are the grams of a customer's name (its name key, reading and
// company name, as stored: NameKey, SortKana, CompanyName), each prefixed by
// nameGramPrefix: every bigram (textnorm.Bigrams) and ASCII trigram
// (textnorm.ASCIITrigrams, so digits and Latin words have an index too) of
// the three joined by spaces. On PostgreSQL they are stored in the row's
// grams beside the search text's, in the one GIN index, for WhereName.
func nameGrams(nameKey, sortKana, companyName string) []string {
	return prefixNameGrams(nameKey + " " + sortKana + " " + companyName)
}

// prefixNameGrams are the bigrams and ASCII trigrams of s, prefixed by
// nameGramPrefix.
func prefixNameGrams(s string) []string {
	grams := append(textnorm.Bigrams(s), textnorm.ASCIITrigrams(s)...)
	for i, g := range grams {
		grams[i] = nameGramPrefix + g
	}
	return grams
}

// termNameGrams are the name grams WhereName asks the index for: those of
// term, at most four (more narrow the index little and cost a posting list
// each; the LIKE checks the rest).
func termNameGrams(term string) []string {
	grams := prefixNameGrams(term)
	return grams[:min(len(grams), 4)]
}

// AssigneeRef is the table of who is in charge of which customer (担当者,
// Customer.Assignees) under an alias in another engine's query.
type AssigneeRef struct {
	// Alias is the table's alias in the query, e.g. "ca".
	Alias string
}

// From is the table under the alias, for a FROM clause (TableExpr).
func (a AssigneeRef) From() string { return "customer_assignees AS " + a.Alias }

// Tenant, Customer and User are its columns: one row per staff member
// (User) in charge of a customer (Customer) of a tenant.
func (a AssigneeRef) Tenant() string { return a.Alias + ".tenant_id" }

// Customer is the customer's ID column; see Tenant.
func (a AssigneeRef) Customer() string { return a.Alias + ".customer_id" }

// User is the staff member's ID column; see Tenant.
func (a AssigneeRef) User() string { return a.Alias + ".user_id" }

// Assigned is the condition that the staff member user is in charge of the
// customer that column of the row aliased owner (with a tenant_id column)
// names, the owner row being of tenant (named so that the lookup is by the
// (tenant, user) index).
func (a AssigneeRef) Assigned(owner, column string, tenant, user uuid.UUID) (string, []any) {
	return "EXISTS (SELECT 1 FROM " + a.From() + " WHERE " + a.Tenant() + " = " + owner + ".tenant_id AND " + a.Tenant() + " = ? AND " +
		a.Customer() + " = " + owner + "." + column + " AND " + a.User() + " = ?)", []any{tenant, user}
}

// Of selects the staff in charge of customer cust of tenant, in ID order.
func (a AssigneeRef) Of(db bun.IDB, tenant, cust uuid.UUID) *bun.SelectQuery {
	return db.NewSelect().TableExpr(a.From()).Column(a.User()).
		Where(a.Tenant()+" = ?", tenant).Where(a.Customer()+" = ?", cust).OrderExpr(a.User())
}
