package template

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Source provides templates of one namespace: the built-ins
// (BuiltinSource), a tenant's own (Store), or a plugin's (Static, or the
// plugin host's adapter).
//
// Implementations return fresh copies the caller may change, and are safe
// for concurrent use.
type Source interface {
	// Templates returns the latest version of every template the tenant
	// may use for new records (archived ones are left out).
	Templates(ctx context.Context, tenant uuid.UUID) ([]Template, error)
	// Template returns one version of a template (0: the latest), archived
	// or not, or an error wrapping ErrNotFound.
	Template(ctx context.Context, tenant uuid.UUID, key string, version int) (*Template, error)
}

// Static returns a Source serving fixed templates, the same for every
// tenant: what a plugin's manifest contributes. Several versions of a key
// may be given; each template must pass Check, have a version ≥ 1 and a
// key in the namespace, and (key, version) pairs must be unique.
func Static(namespace string, templates ...Template) (Source, error) {
	s := staticSource{}
	seen := map[string]bool{}
	for _, t := range templates {
		if err := t.Check(); err != nil {
			return nil, err
		}
		if Namespace(t.Key) != namespace {
			return nil, fmt.Errorf("template: %s is not in namespace %s: %w", t.Key, namespace, ErrInvalid)
		}
		if t.Version < 1 {
			return nil, fmt.Errorf("template: %s: version %d: %w", t.Key, t.Version, ErrInvalid)
		}
		id := fmt.Sprintf("%s@%d", t.Key, t.Version)
		if seen[id] {
			return nil, fmt.Errorf("template: %s version %d given twice: %w", t.Key, t.Version, ErrConflict)
		}
		seen[id] = true
		s.all = append(s.all, t.Clone())
	}
	return s, nil
}

type staticSource struct{ all []Template }

var _ Source = staticSource{}

func (s staticSource) Templates(context.Context, uuid.UUID) ([]Template, error) {
	latest := map[string]int{}
	for _, t := range s.all {
		latest[t.Key] = max(latest[t.Key], t.Version)
	}
	var out []Template
	for _, t := range s.all {
		if t.Version == latest[t.Key] && !t.Archived {
			out = append(out, t.Clone())
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (s staticSource) Template(_ context.Context, _ uuid.UUID, key string, version int) (*Template, error) {
	return pick(s.all, key, version)
}

// Registry finds templates by key across sources. The key's namespace
// chooses the source: "builtin" → the built-ins, "tenant" → the tenant's
// Store, any other namespace → the plugin source registered under it. A
// namespace with no source is reported as ErrNotFound naming the plugin
// ("template: plugin careservice is not installed"), so a record written
// by a plugin that was later removed fails clearly.
//
// A Registry is safe for concurrent use; plugin sources may be registered
// and unregistered while it serves.
type Registry struct {
	set *sourceSet
	// db, when set (WithDB), is the handle the tenant Store reads through.
	db bun.IDB
}

// sourceSet is the sources of a Registry, shared by its WithDB copies.
type sourceSet struct {
	mu      sync.RWMutex
	sources map[string]Source
}

var _ Source = (*Registry)(nil)

// NewRegistry returns a registry of the built-in templates and, when
// tenant is not nil, the tenant-defined templates it serves (normally a
// *Store).
func NewRegistry(tenant Source) *Registry {
	r := &Registry{set: &sourceSet{sources: map[string]Source{NamespaceBuiltin: BuiltinSource()}}}
	if tenant != nil {
		r.set.sources[NamespaceTenant] = tenant
	}
	return r
}

// WithDB returns a view of r whose tenant templates are read through db
// (a transaction shared with other engines), so that a template created in
// that transaction is found before it commits: the tenant source, when it
// is a *Store, is bound with Store.WithDB. The built-in and plugin sources
// are served as registered, and the view shares r's plugin sources:
// registering or unregistering on either is seen by both.
func (r *Registry) WithDB(db bun.IDB) *Registry { return &Registry{set: r.set, db: db} }

// bound returns src as r serves it: the tenant Store bound to r.db.
func (r *Registry) bound(src Source) Source {
	if st, ok := src.(*Store); ok && r.db != nil {
		return st.WithDB(r.db)
	}
	return src
}

// Register serves the templates of namespace (a plugin's name, e.g.
// "careservice") from src. The namespaces builtin and tenant are
// reserved; registering a namespace twice fails with ErrConflict.
func (r *Registry) Register(namespace string, src Source) error {
	if !simpleKeyRE.MatchString(namespace) || src == nil {
		return fmt.Errorf("template: register %q: %w", namespace, ErrInvalid)
	}
	if namespace == NamespaceBuiltin || namespace == NamespaceTenant {
		return fmt.Errorf("template: register %q: reserved namespace: %w", namespace, ErrConflict)
	}
	r.set.mu.Lock()
	defer r.set.mu.Unlock()
	if _, ok := r.set.sources[namespace]; ok {
		return fmt.Errorf("template: register %q: already registered: %w", namespace, ErrConflict)
	}
	r.set.sources[namespace] = src
	return nil
}

// Unregister removes the plugin source of namespace, if any. Lookups of
// its templates then fail with ErrNotFound.
func (r *Registry) Unregister(namespace string) {
	if namespace == NamespaceBuiltin || namespace == NamespaceTenant {
		return
	}
	r.set.mu.Lock()
	defer r.set.mu.Unlock()
	delete(r.set.sources, namespace)
}

func (r *Registry) source(namespace string) (Source, error) {
	r.set.mu.RLock()
	src, ok := r.set.sources[namespace]
	r.set.mu.RUnlock()
	switch {
	case ok:
		return r.bound(src), nil
	case namespace == NamespaceTenant:
		return nil, fmt.Errorf("template: no store for tenant templates: %w", ErrNotFound)
	case namespace == "":
		return nil, fmt.Errorf("template: key without namespace: %w", ErrNotFound)
	}
	return nil, fmt.Errorf("template: plugin %s is not installed: %w", namespace, ErrNotFound)
}

// Template returns one version of a template (0: the latest) from the
// source of its namespace.
func (r *Registry) Template(ctx context.Context, tenant uuid.UUID, key string, version int) (*Template, error) {
	if version < 0 {
		return nil, fmt.Errorf("template: %s version %d: %w", key, version, ErrNotFound)
	}
	src, err := r.source(Namespace(key))
	if err != nil {
		return nil, err
	}
	t, err := src.Template(ctx, tenant, key, version)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, fmt.Errorf("template: %s version %d: %w", key, version, ErrNotFound)
	}
	if t.Key != key || (version != 0 && t.Version != version) {
		return nil, fmt.Errorf("template: source of %s returned %s version %d: %w", key, t.Key, t.Version, ErrNotFound)
	}
	return t, nil
}

// Templates returns the templates a tenant may use for new records: the
// built-ins, then the tenant's own, then each plugin's (plugins by
// namespace). An error of the built-in or tenant source fails the call.
// A plugin source that fails (a plugin that is down) is left out: the
// others are returned together with an error naming it, so a caller may
// show what it has.
func (r *Registry) Templates(ctx context.Context, tenant uuid.UUID) ([]Template, error) {
	r.set.mu.RLock()
	namespaces := make([]string, 0, len(r.set.sources))
	sources := make(map[string]Source, len(r.set.sources))
	for ns, src := range r.set.sources {
		if ns != NamespaceBuiltin && ns != NamespaceTenant {
			namespaces = append(namespaces, ns)
		}
		sources[ns] = r.bound(src)
	}
	r.set.mu.RUnlock()
	slices.Sort(namespaces)
	namespaces = append([]string{NamespaceBuiltin, NamespaceTenant}, namespaces...)

	var out []Template
	var errs []error
	for _, ns := range namespaces {
		src, ok := sources[ns]
		if !ok {
			continue
		}
		ts, err := src.Templates(ctx, tenant)
		if err != nil {
			if ns == NamespaceBuiltin || ns == NamespaceTenant {
				return nil, err
			}
			errs = append(errs, fmt.Errorf("template: plugin %s: %w", ns, err))
			continue
		}
		for _, t := range ts {
			if Namespace(t.Key) == ns {
				out = append(out, t)
			}
		}
	}
	return out, errors.Join(errs...)
}

// NewStoreRegistry returns the usual registry: the built-in templates and
// the tenant-defined ones of a Store on db (NewStore with cfg), ready for
// the plugin host to register its sources.
func NewStoreRegistry(db bun.IDB, cfg *Config) (*Registry, error) {
	st, err := NewStore(db, cfg)
	if err != nil {
		return nil, err
	}
	return NewRegistry(st), nil
}
