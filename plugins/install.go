package plugins

import (
	"context"
	"fmt"
	"slices"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/plugins/internal/contrib"
)

// contribution is what one running plugin's manifest contributes to a
// tenant.
type contribution struct {
	name     string
	manifest *manifest
}

// running returns the latest manifests of the running plugins, in the
// host's order of plugins.
func (h *Host) running() []contribution {
	var out []contribution
	for _, p := range h.procs {
		p.mu.Lock()
		if p.state == StateRunning && p.manifest != nil {
			out = append(out, contribution{name: p.spec.Name, manifest: p.manifest})
		}
		p.mu.Unlock()
	}
	return out
}

// Install contributes the master items and customer fields of every
// running plugin's manifest to the tenant of ctx's principal, who must be
// an admin: call it per tenant when a plugin is added or upgraded.
//
// Master items are merged into records' masters kind by kind (Category1
// before Category2, so a plugin's Category2 items may name its Category1
// items as Parent): items the tenant lacks are appended, the plugin's
// existing items take the manifest's label and parent, and the plugin's
// items the manifest no longer lists are archived, never removed. Customer
// fields are defined with customers.DefineField: new ones after the
// tenant's fields, existing ones updated in place (their position kept).
// A field the manifest no longer lists stays defined with its values.
//
// Codes and keys are the plugin's namespaced ones, so a reinstalled or
// upgraded plugin keeps pointing at the same data, and installing again
// changes nothing. Each kind of master and each field is written in its
// own transaction (per plugin): after a failure (a manifest item the
// engines refuse, such as an unknown field type) the error names the
// plugin, and installing again completes the rest.
func (h *Host) Install(ctx context.Context, records *contactlog.Service, customers *customer.Service) error {
	if _, err := permission.RequireRole(ctx, permission.RoleAdmin); err != nil {
		return fmt.Errorf("plugins: install: %w", err)
	}
	plugins := h.running()
	for _, kind := range contactlog.MasterKinds() {
		cur, err := records.Masters(ctx, kind)
		if err != nil {
			return fmt.Errorf("plugins: install: %w", err)
		}
		for _, c := range plugins {
			next := contrib.Masters(c.name, kind, cur, c.manifest.masters)
			if slices.Equal(next, cur) {
				continue
			}
			if err := records.SetMasters(ctx, kind, next); err != nil {
				return fmt.Errorf("plugins: install: %s: masters %s: %w", c.name, kind, err)
			}
			cur = next
		}
	}
	fields, err := customers.Fields(ctx)
	if err != nil {
		return fmt.Errorf("plugins: install: %w", err)
	}
	position := 0
	for _, f := range fields {
		position = max(position, f.Position+1)
	}
	for _, c := range plugins {
		for _, f := range c.manifest.fields {
			i := slices.IndexFunc(fields, func(d customer.FieldDef) bool { return d.Key == f.Key })
			def := contrib.CustomerField(f, position)
			if i >= 0 {
				def.Position = fields[i].Position
			} else {
				position++
			}
			if err := customers.DefineField(ctx, def); err != nil {
				return fmt.Errorf("plugins: install: %s: customer field %s: %w", c.name, f.Key, err)
			}
		}
	}
	return nil
}
