package migration

import (
	"fmt"
	"sync"
)

// registry holds the sets of the packages linked into the program, by name.
var registry sync.Map // string → Set

// Register records s under s.Name so that Named finds it, and returns s.
// Each engine registers its set in a package-level variable (at package
// initialisation, before any importer's Migrate can run); a name
// registered twice is a programming error and panics then.
func Register(s Set) Set {
	if _, dup := registry.LoadOrStore(s.Name, s); dup {
		panic("migration: set " + s.Name + " registered twice")
	}
	return s
}

// Named returns the registered sets of names, in that order: an engine's
// Migrate runs the sets it depends on with its own in one Run, without
// their packages exporting them.
func Named(names ...string) ([]Set, error) {
	sets := make([]Set, len(names))
	for i, n := range names {
		s, ok := registry.Load(n)
		if !ok {
			return nil, fmt.Errorf("migration: no set %q registered (its package is not linked in)", n)
		}
		sets[i] = s.(Set)
	}
	return sets, nil
}
