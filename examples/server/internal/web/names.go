package web

import (
	"context"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
)

// Pages show names where the engines store IDs. Each lookup here is one
// query per page (or per key), shared by every area.

// staffNames maps the tenant's staff users to their names.
type staffNames map[uuid.UUID]string

func (u *UI) staffNames(ctx context.Context, tenant uuid.UUID) (staffNames, error) {
	users, err := u.app.Dir.Users(ctx, tenant)
	if err != nil {
		return nil, err
	}
	m := make(staffNames, len(users))
	for _, us := range users {
		m[us.ID] = us.Name
	}
	return m, nil
}

// of returns the names of ids, skipping unknown ones.
func (n staffNames) of(ids []uuid.UUID) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if name, ok := n[id]; ok {
			out = append(out, name)
		}
	}
	return out
}

// joined returns the names of ids joined with "、".
func (n staffNames) joined(ids []uuid.UUID) string { return strings.Join(n.of(ids), "、") }

// customerNames returns the display names of the customers among ids that
// p may see, by ID, with one query restricted by the authorizer's predicate
// (customer.Service.Get would write a "view" to the audit log for every row
// of a list). Hidden and deleted customers have no entry.
func (u *UI) customerNames(ctx context.Context, p permission.Principal, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	out := map[uuid.UUID]string{}
	if len(ids) == 0 {
		return out, nil
	}
	pred, err := u.app.Authz.Predicate(ctx, p, &permission.CustomerTable{Alias: "c"})
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ID          uuid.UUID     `bun:"id"`
		Kind        customer.Kind `bun:"kind"`
		FamilyName  string        `bun:"family_name"`
		GivenName   string        `bun:"given_name"`
		CompanyName string        `bun:"company_name"`
	}
	q := u.app.DB.NewSelect().TableExpr("customers AS c").
		Column("c.id", "c.kind", "c.family_name", "c.given_name", "c.company_name").
		Where("c.id IN (?)", bun.List(ids)).Where("c.deleted_at IS NULL")
	if err := pred.Apply(q).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	for _, row := range rows {
		c := customer.Customer{Profile: customer.Profile{Kind: row.Kind, FamilyName: row.FamilyName,
			GivenName: row.GivenName, CompanyName: row.CompanyName}}
		out[row.ID] = c.DisplayName()
	}
	return out, nil
}

// templateLabeler names templates, asking the registry once per key and
// version.
type templateLabeler struct {
	u      *UI
	ctx    context.Context
	tenant uuid.UUID
	names  map[string]string
}

// templateLabels returns a labeler for r's tenant.
func (u *UI) templateLabels(r *Request) *templateLabeler {
	return &templateLabeler{u: u, ctx: r.Context(), tenant: r.Principal.Tenant, names: map[string]string{}}
}

// label is the template's name, or its key when the registry cannot find it
// (a plugin that was removed).
func (l *templateLabeler) label(key string, version int) string {
	k := key + "@" + strconv.Itoa(version)
	if n, ok := l.names[k]; ok {
		return n
	}
	n := key
	if t, err := l.u.app.Records.Templates().Template(l.ctx, l.tenant, key, version); err == nil {
		n = t.Name
	}
	l.names[k] = n
	return n
}
