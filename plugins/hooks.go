package plugins

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/plugins/internal/wire"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

var _ contactlog.RecordPlugins = (*Host)(nil)

// ValidateRecords asks the plugin namespace for the field problems of a
// batch of records, one list per record in order (contactlog.RecordPlugins).
// A record of a tenant that has not installed the plugin (Install) is
// refused without calling the plugin: its only problem is at "template"
// with code not_allowed and the plugin's name as Param, so the write fails
// with a *ValidationError. A plugin without the validate capability
// reports no other problems. It fails with an error wrapping ErrUnavailable
// and naming the plugin when the plugin is not one of the host's, not
// running, does not answer in time, or answers nonsense (not one result
// per record, a problem not at a template field).
func (h *Host) ValidateRecords(ctx context.Context, namespace string, records []contactlog.PluginRecord) ([][]contactlog.FieldError, error) {
	p, err := h.proc(namespace)
	if err != nil {
		return nil, err
	}
	refused, err := h.notInstalled(ctx, namespace, records)
	if err != nil {
		return nil, err
	}
	out := make([][]contactlog.FieldError, len(records))
	var batch []contactlog.PluginRecord
	var at []int // the positions of batch's records in records
	for i, r := range records {
		if slices.Contains(refused, r.Tenant) {
			out[i] = []contactlog.FieldError{{Field: "template", Code: sdk.CodeNotAllowed, Param: namespace}}
			continue
		}
		batch = append(batch, r)
		at = append(at, i)
	}
	if len(batch) == 0 && len(records) > 0 {
		return out, nil // all refused: nothing to ask
	}
	err = p.call(ctx, "validate", func(ctx context.Context, c *wire.Client, m *manifest) error {
		if !m.caps.Validate {
			return nil
		}
		problems, err := c.ValidateRecords(ctx, recordsToAPI(batch))
		if err != nil {
			return err
		}
		got, err := problemsFromAPI(problems)
		for j, ps := range got {
			out[at[j]] = ps
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ComputeRecords asks the plugin namespace for the computed values of a
// batch of records, by field key, one map per record in order
// (contactlog.RecordPlugins). A plugin without the compute capability
// computes nothing. A batch with a record of a tenant that has not
// installed the plugin fails with an error wrapping ErrInvalid before the
// plugin is called (the record engine asks only after ValidateRecords
// found no problem). Other errors as ValidateRecords; which keys a record
// may receive is checked by the record engine against its template.
func (h *Host) ComputeRecords(ctx context.Context, namespace string, records []contactlog.PluginRecord) ([]map[string]any, error) {
	p, err := h.proc(namespace)
	if err != nil {
		return nil, err
	}
	refused, err := h.notInstalled(ctx, namespace, records)
	if err != nil {
		return nil, err
	}
	if len(refused) > 0 {
		return nil, fmt.Errorf("plugins: plugin %s is not installed in tenant %s: %w", namespace, refused[0], ErrInvalid)
	}
	out := make([]map[string]any, len(records))
	err = p.call(ctx, "compute", func(ctx context.Context, c *wire.Client, m *manifest) error {
		if !m.caps.Compute {
			return nil
		}
		values, err := c.ComputeRecords(ctx, recordsToAPI(records))
		if err != nil {
			return err
		}
		out = values
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// notInstalled returns the tenants of records that have not installed the
// plugin called name.
func (h *Host) notInstalled(ctx context.Context, name string, records []contactlog.PluginRecord) ([]uuid.UUID, error) {
	var tenants []uuid.UUID
	for _, r := range records {
		if !slices.Contains(tenants, r.Tenant) {
			tenants = append(tenants, r.Tenant)
		}
	}
	var out []uuid.UUID
	for _, t := range tenants {
		ok, err := h.installed(ctx, t, name)
		if err != nil {
			return nil, err
		}
		if !ok {
			out = append(out, t)
		}
	}
	return out, nil
}
