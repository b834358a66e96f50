package plugins

import (
	"context"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/plugins/internal/wire"
)

var _ contactlog.RecordPlugins = (*Host)(nil)

// ValidateRecords asks the plugin namespace for the field problems of a
// batch of records, one list per record in order (contactlog.RecordPlugins).
// A plugin without the validate capability reports none. It fails with an
// error wrapping ErrUnavailable and naming the plugin when the plugin is not
// installed, not running, does not answer in time, or answers nonsense (not
// one result per record, a problem not at a template field).
func (h *Host) ValidateRecords(ctx context.Context, namespace string, records []contactlog.PluginRecord) ([][]contactlog.FieldError, error) {
	p, err := h.proc(namespace)
	if err != nil {
		return nil, err
	}
	out := make([][]contactlog.FieldError, len(records))
	err = p.call(ctx, "validate", func(ctx context.Context, c *wire.Client, m *manifest) error {
		if !m.caps.Validate {
			return nil
		}
		problems, err := c.ValidateRecords(ctx, recordsToAPI(records))
		if err != nil {
			return err
		}
		out, err = problemsFromAPI(problems)
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
// computes nothing. Errors as ValidateRecords; which keys a record may
// receive is checked by the record engine against its template.
func (h *Host) ComputeRecords(ctx context.Context, namespace string, records []contactlog.PluginRecord) ([]map[string]any, error) {
	p, err := h.proc(namespace)
	if err != nil {
		return nil, err
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
