package permission

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/internal/vcache"
)

// PrincipalCache serves Directory.Principal from memory: a request path
// that builds the principal of its session's user on every request reads
// the user, the tenant and the memberships each time, where one read of
// the tenant's directory version (Directory.Version) tells whether the
// principal built last time is still right. Every Directory write advances
// that version in its transaction, so a change made by any process sharing
// the database is seen by the next lookup of every process.
//
// A PrincipalCache is safe for concurrent use. The zero value is not
// usable: build one with NewPrincipalCache.
type PrincipalCache struct {
	dir     *Directory
	entries *vcache.Cache[[2]uuid.UUID, cachedStaff]
	users   *vcache.Cache[uuid.UUID, []User]
}

type cachedStaff struct {
	principal Principal
	user      User
}

// NewPrincipalCache returns a cache over dir holding at most size staff
// users (size ≤ 0 means 10 000) and the staff lists of as many tenants;
// when full, an arbitrary entry makes room.
func NewPrincipalCache(dir *Directory, size int) *PrincipalCache {
	return &PrincipalCache{dir: dir, entries: vcache.New[[2]uuid.UUID, cachedStaff](size), users: vcache.New[uuid.UUID, []User](size)}
}

// Lookup returns what Directory.Principal returns for the user, and the
// directory's entry of the user (for their name), from memory when the
// tenant's directory version has not moved since they were read: one
// primary-key read instead of four. An unknown or inactive user fails with
// ErrUnauthenticated, as from Principal. The results are copies the caller
// may change.
func (c *PrincipalCache) Lookup(ctx context.Context, tenant, user uuid.UUID) (Principal, *User, error) {
	// The version is read before the principal is built (vcache.Cache.Get).
	v, err := c.dir.Version(ctx, tenant)
	if err != nil {
		return Principal{}, nil, err
	}
	e, err := c.entries.Get([2]uuid.UUID{tenant, user}, v, func() (cachedStaff, error) {
		p, u, err := c.dir.principal(ctx, tenant, user)
		if err != nil {
			return cachedStaff{}, err
		}
		return cachedStaff{principal: p, user: *u}, nil
	})
	if err != nil {
		return Principal{}, nil, err
	}
	return e.copy()
}

func (e cachedStaff) copy() (Principal, *User, error) {
	p, u := e.principal, e.user.clone()
	p.Roles, p.OrgUnits, p.Groups, p.ManagedGroups = slices.Clone(p.Roles), slices.Clone(p.OrgUnits), slices.Clone(p.Groups), slices.Clone(p.ManagedGroups)
	return p, &u, nil
}

// clone is a copy of u sharing no memory with it.
func (u User) clone() User {
	u.Roles = slices.Clone(u.Roles)
	if u.ExternalID != nil {
		id := *u.ExternalID
		u.ExternalID = &id
	}
	return u
}

// Users returns what Directory.Users returns for the tenant, from memory
// when the tenant's directory version has not moved since the list was
// read: one primary-key read instead of the whole staff list, for a page
// that offers every colleague as a choice (a filter's select). It holds
// the lists of at most as many tenants as the cache holds users. The
// result is a copy the caller may change.
func (c *PrincipalCache) Users(ctx context.Context, tenant uuid.UUID) ([]User, error) {
	v, err := c.dir.Version(ctx, tenant)
	if err != nil {
		return nil, err
	}
	us, err := c.users.Get(tenant, v, func() ([]User, error) { return c.dir.Users(ctx, tenant) })
	if err != nil {
		return nil, err
	}
	out := make([]User, len(us))
	for i, u := range us {
		out[i] = u.clone()
	}
	return out, nil
}
