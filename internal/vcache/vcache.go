// Package vcache is a bounded in-memory map of values read at a version: a
// counter the database advances in the transaction of every change to what
// the values were read from (a tenant's version, permission.Version). A
// value read at the version the caller just read is still what the
// database holds, whichever process wrote; any other version means it is
// read again. The engines use it for what every request reads and admins
// rarely change: principals and staff lists (permission.PrincipalCache),
// record masters (contactlog), customer ranks and fields (customer).
package vcache

import "sync"

// Cache holds at most a fixed number of values by key, each with the
// version it was read at. It is safe for concurrent use. The zero value is
// not usable: build one with New.
type Cache[K comparable, V any] struct {
	size int

	mu sync.Mutex
	m  map[K]entry[V]
}

type entry[V any] struct {
	version int64
	value   V
}

// New returns a cache of at most size values (size ≤ 0 means 10 000); when
// it is full, an arbitrary entry makes room.
func New[K comparable, V any](size int) *Cache[K, V] {
	if size <= 0 {
		size = 10_000
	}
	return &Cache[K, V]{size: size, m: map[K]entry[V]{}}
}

// Get returns the value of key when it was read at version v, else
// load's, which it keeps for the next Get at v (an error is returned and
// nothing kept). The caller must read v before load reads the value: a
// change between the two leaves a value marked older than what it holds,
// which the next Get at the new version reads again, never the other way
// round. The value is shared: callers copy what they hand out.
func (c *Cache[K, V]) Get(key K, v int64, load func() (V, error)) (V, error) {
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && e.version == v {
		return e.value, nil
	}
	value, err := load()
	if err != nil {
		return value, err
	}
	c.mu.Lock()
	if _, had := c.m[key]; !had && len(c.m) >= c.size {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[key] = entry[V]{version: v, value: value}
	c.mu.Unlock()
	return value, nil
}
