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
	return &PrincipalCache{dir: dir, size: size, entries: map[[2]uuid.UUID]cachedStaff{}}
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
	key := [2]uuid.UUID{tenant, user}
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if !ok || e.version != v {
		p, u, err := c.dir.principal(ctx, tenant, user)
		if err != nil {
			return Principal{}, nil, err
		}
		e = cachedStaff{version: v, principal: p, user: *u}
		c.mu.Lock()
		if _, had := c.entries[key]; !had && len(c.entries) >= c.size {
			for k := range c.entries {
				delete(c.entries, k)
				break
			}
		}
		c.entries[key] = e
		c.mu.Unlock()
	}
	return e.copy()
}

func (e cachedStaff) copy() (Principal, *User, error) {
	p, u := e.principal, e.user
	p.Roles, p.OrgUnits, p.Groups, p.ManagedGroups = slices.Clone(p.Roles), slices.Clone(p.OrgUnits), slices.Clone(p.Groups), slices.Clone(p.ManagedGroups)
	u.Roles = slices.Clone(u.Roles)
	if u.ExternalID != nil {
		id := *u.ExternalID
		u.ExternalID = &id
	}
	return p, &u, nil
}
