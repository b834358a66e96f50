package permission

import (
	"context"
	"slices"
	"sync"

	"github.com/google/uuid"
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
	dir  *Directory
	size int

	mu      sync.Mutex
	entries map[[2]uuid.UUID]cachedStaff
	users   map[uuid.UUID]cachedUsers
}

// versioned is what the cache holds: something read at a directory
// version.
type versioned interface{ at() int64 }

func (e cachedUsers) at() int64 { return e.version }
func (e cachedStaff) at() int64 { return e.version }

// cached returns m's entry for key when it was read at version v, else
// loads it and stores it (making room by dropping an arbitrary entry when
// m holds c.size of them).
func cached[K comparable, E versioned](c *PrincipalCache, m map[K]E, key K, v int64, load func() (E, error)) (E, error) {
	c.mu.Lock()
	e, ok := m[key]
	c.mu.Unlock()
	if ok && e.at() == v {
		return e, nil
	}
	e, err := load()
	if err != nil {
		return e, err
	}
	c.mu.Lock()
	if _, had := m[key]; !had && len(m) >= c.size {
		for k := range m {
			delete(m, k)
			break
		}
	}
	m[key] = e
	c.mu.Unlock()
	return e, nil
}

// cachedUsers is a tenant's staff list as read at a directory version.
type cachedUsers struct {
	version int64
	users   []User
}

type cachedStaff struct {
	version   int64
	principal Principal
	user      User
}

// NewPrincipalCache returns a cache over dir holding at most size staff
// users (size ≤ 0 means 10 000); when full, an arbitrary entry makes room.
func NewPrincipalCache(dir *Directory, size int) *PrincipalCache {
	if size <= 0 {
		size = 10_000
	}
	return &PrincipalCache{dir: dir, size: size, entries: map[[2]uuid.UUID]cachedStaff{},
		users: map[uuid.UUID]cachedUsers{}}
}

// Lookup returns what Directory.Principal returns for the user, and the
// directory's entry of the user (for their name), from memory when the
// tenant's directory version has not moved since they were read: one
// primary-key read instead of four. An unknown or inactive user fails with
// ErrUnauthenticated, as from Principal. The results are copies the caller
// may change.
func (c *PrincipalCache) Lookup(ctx context.Context, tenant, user uuid.UUID) (Principal, *User, error) {
	// The version is read before the principal is built: a write between
	// the two leaves an entry marked older than what it holds, which the
	// next lookup rebuilds, never the other way round.
	v, err := c.dir.Version(ctx, tenant)
	if err != nil {
		return Principal{}, nil, err
	}
	e, err := cached(c, c.entries, [2]uuid.UUID{tenant, user}, v, func() (cachedStaff, error) {
		p, u, err := c.dir.principal(ctx, tenant, user)
		if err != nil {
			return cachedStaff{}, err
		}
		return cachedStaff{version: v, principal: p, user: *u}, nil
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
	e, err := cached(c, c.users, tenant, v, func() (cachedUsers, error) {
		us, err := c.dir.Users(ctx, tenant)
		return cachedUsers{version: v, users: us}, err
	})
	if err != nil {
		return nil, err
	}
	out := make([]User, len(e.users))
	for i, u := range e.users {
		out[i] = u.clone()
	}
	return out, nil
}
