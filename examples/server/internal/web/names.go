package web

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
)

// Pages show names where the engines store IDs: staff from the directory
// (one query per page), customers through customer.Service.Names (one
// query per page, filtered by what the principal may see), templates from
// the registry (once per key and version).

// staffNames maps staff users to their names.
type staffNames map[uuid.UUID]string

// staffNamesOf names the staff users of the ID lists, the people a page
// shows, with one query (none when the lists are empty): a page never reads
// the whole staff list only to name a few of them.
func (u *UI) staffNamesOf(ctx context.Context, tenant uuid.UUID, ids ...[]uuid.UUID) (staffNames, error) {
	return u.app.Dir.UserNames(ctx, tenant, slices.Concat(ids...)...)
}

// staffNames names every staff user of the tenant: for an export, which
// names the people of many pages of rows with one query.
func (u *UI) staffNames(ctx context.Context, tenant uuid.UUID) (staffNames, error) {
	users, err := u.app.Staff.Users(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return namesOf(users), nil
}

// namesOf maps users to their names, for a page that has read them already.
func namesOf(users []permission.User) staffNames {
	m := make(staffNames, len(users))
	for _, us := range users {
		m[us.ID] = us.Name
	}
	return m
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

// templateLabeler names templates, asking the registry once per key and
// version.
type templateLabeler struct {
	u     *UI
	ctx   context.Context
	names map[string]string
}

// templateLabels returns a labeler for r's tenant.
func (u *UI) templateLabels(r *Request) *templateLabeler {
	return &templateLabeler{u: u, ctx: r.Context(), names: map[string]string{}}
}

// know gives the labeler the names of ts (a page that has read the
// tenant's templates already), so that their rows ask the registry
// nothing.
func (l *templateLabeler) know(ts []template.Template) {
	for _, t := range ts {
		l.names[t.Key+"@"+strconv.Itoa(t.Version)] = t.Name
	}
}

// label is the template's name, or its key when the registry cannot find it
// (a plugin that was removed).
func (l *templateLabeler) label(key string, version int) string {
	k := key + "@" + strconv.Itoa(version)
	if n, ok := l.names[k]; ok {
		return n
	}
	n := key
	if t, err := l.u.app.Records.Template(l.ctx, key, version); err == nil {
		n = t.Name
	}
	l.names[k] = n
	return n
}
