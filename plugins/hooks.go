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

// CheckRecords asks the plugin namespace, in one call, for the field
// problems of a batch of records and the computed values (by field key) of
// those without problems: one result per record, in order. Records the
// engine already found problems with (PluginRecord.Invalid) are only
// validated, in a second call when the batch mixes both kinds
// (contactlog.RecordPlugins). A record of a tenant that has not installed
// the plugin (Install) is not sent to the plugin: its only problem is at
// "template" with code not_allowed and the plugin's name as Param, so the
// write fails with a *ValidationError. A plugin without the validate
// capability reports no other problems, one without the compute capability
// computes nothing, and a plugin computes only records of templates with
// computed fields. It fails with an error wrapping ErrUnavailable and
// naming the plugin when the plugin is not one of the host's, not running,
// does not answer in time, or answers nonsense (not one result per record,
// a problem not at a template field); which keys a record may receive is
// checked by the record engine against its template.
func (h *Host) CheckRecords(ctx context.Context, namespace string, records []contactlog.PluginRecord) ([]contactlog.PluginResult, error) {
	p, err := h.proc(namespace)
	if err != nil {
		return nil, err
	}
	refused, err := h.notInstalled(ctx, namespace, records)
	if err != nil {
		// The plugin cannot be asked (the caller's deadline passed or the
		// database failed first): to the engine that is the plugin being
		// unavailable, as when the call itself fails.
		return nil, fmt.Errorf("%w (%w)", err, ErrUnavailable)
	}
	out := make([]contactlog.PluginResult, len(records))
	// batch are the records the plugin is asked about, at their positions
	// in records: all of them, unless a tenant is refused.
	batch, at := records, make([]int, len(records))
	for i := range at {
		at[i] = i
	}
	if len(refused) > 0 {
		batch, at = nil, at[:0]
		for i, r := range records {
			if slices.Contains(refused, r.Tenant) {
				out[i].Problems = []contactlog.FieldError{{Field: "template", Code: sdk.CodeNotAllowed, Param: namespace}}
				continue
			}
			batch = append(batch, r)
			at = append(at, i)
		}
		if len(batch) == 0 {
			return out, nil // all refused: nothing to ask
		}
	}
	err = p.call(ctx, "check", func(ctx context.Context, c *wire.Client, m *manifest) error {
		// Records the engine found problems with (Invalid) are validated
		// only, in a call of their own (the protocol's compute flag is per
		// call): a computer that fails on them cannot hide their problems.
		for _, invalid := range []bool{false, true} {
			var group []contactlog.PluginRecord
			var pos []int // the positions of group's records in records
			for j, r := range batch {
				if r.Invalid == invalid {
					group, pos = append(group, r), append(pos, at[j])
				}
			}
			if len(group) == 0 {
				continue
			}
			results, err := c.CheckRecords(ctx, recordsToAPI(group), m.caps.Validate, m.caps.Compute && !invalid)
			if err != nil {
				return err
			}
			for j, r := range results {
				if err := problemsFromAPI(pos[j], r.Problems, &out[pos[j]]); err != nil {
					return err
				}
				out[pos[j]].Computed = r.Computed
			}
		}
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
