package contactlog

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// ErrUnavailable: a plugin a write needs is not running (missing, crashed,
// restarting, unavailable after repeated failures), did not answer in time,
// or answered nonsense. The error names the plugin; nothing is written. A
// write whose entry has field problems of its own fails with those
// instead (*ValidationError), so the user sees what to fix.
// Reads never need plugins.
var ErrUnavailable = kerr.ErrUnavailable

// FieldError is one problem with one input field: a stable field name
// ("fields.<key>"), a code (kerr's Code* vocabulary) and a parameter.
type FieldError = validation.FieldError

// RecordPlugins runs the record hooks of plugin templates: those whose
// namespace is neither "builtin" nor "tenant". The plugin host
// (plugins.Host) implements it; Config.Plugins wires it in.
type RecordPlugins interface {
	// CheckRecords validates a batch of records of templates of one
	// namespace (the plugin's name) and computes the values of those
	// without problems — neither the plugin's nor the engine's
	// (PluginRecord.Invalid) — in one round trip: one result per record,
	// in order. It fails with an error wrapping ErrUnavailable that names
	// the plugin when the plugin cannot answer. A plugin without a
	// capability answers with no problems or no computed values.
	CheckRecords(ctx context.Context, namespace string, records []PluginRecord) ([]PluginResult, error)
}

// PluginResult is a plugin's answer for one record (RecordPlugins).
type PluginResult struct {
	// Problems are the record's field problems; nil when it has none.
	Problems []FieldError
	// Computed are the record's computed values by field key; nil for a
	// record with problems or of a template without computed fields. The
	// engine stores them only when the record has no problems at all, only
	// keys the record's template lists in Template.Computed, and refuses
	// the write when a plugin returns any other key or a value the field
	// does not accept.
	Computed map[string]any
}

// PluginRecord is what a plugin sees of a record being written: its
// values are validated and normalized by the template (in their JSON
// form), its times and people are cleaned, and the computed fields are
// left out.
type PluginRecord struct {
	// ID is the record's ID; uuid.Nil for a record being created.
	ID              uuid.UUID
	Tenant          uuid.UUID
	Template        string
	TemplateVersion int
	// Customer is uuid.Nil for a draft.
	Customer   uuid.UUID
	PlannedAt  time.Time
	ActualAt   time.Time
	Values     map[string]any
	Responders []uuid.UUID
	// Invalid says the engine found problems with the record already (at
	// fields the plugin does not see, such as its times or people): the
	// plugin validates it and computes nothing, since it will not be
	// stored.
	Invalid bool
}

// pluginNamespace returns the plugin namespace of a template, or "" for
// built-in and tenant templates.
func pluginNamespace(tpl *template.Template) string {
	ns := template.Namespace(tpl.Key)
	if ns == template.NamespaceBuiltin || ns == template.NamespaceTenant {
		return ""
	}
	return ns
}

// pluginCheck asks the plugin of tpl to validate and compute e in one
// call: it adds the plugin's field problems to v and returns the computed
// values, for pluginCompute. An entry v already finds problems with is
// only validated, and when the plugin cannot answer, those problems are
// the answer (the user sees what to fix): ErrUnavailable is only for an
// entry with nothing else wrong.
func (s *Service) pluginCheck(ctx context.Context, pr permission.Principal, v *validation.Error, tpl *template.Template, e *Entry, prev *Record) (map[string]any, error) {
	ns := pluginNamespace(tpl)
	if ns == "" || s.cfg.Plugins == nil {
		return nil, nil
	}
	r := pluginRecord(pr, e, prev)
	r.Invalid = len(v.Fields) > 0
	results, err := s.cfg.Plugins.CheckRecords(ctx, ns, []PluginRecord{r})
	switch {
	case err != nil && r.Invalid && errors.Is(err, ErrUnavailable):
		return nil, nil
	case err != nil:
		return nil, err
	}
	if len(results) != 1 {
		return nil, fmt.Errorf("plugin %s: %d results for 1 record: %w", ns, len(results), ErrUnavailable)
	}
	v.Fields = append(v.Fields, results[0].Problems...)
	return results[0].Computed, nil
}

// pluginCompute stores computed, the plugin's computed values of e
// (pluginCheck), into e.Values, after checking that they are declared and
// valid.
func (s *Service) pluginCompute(pr permission.Principal, tpl *template.Template, e *Entry, computed map[string]any) error {
	ns := pluginNamespace(tpl)
	if ns == "" || s.cfg.Plugins == nil || len(tpl.Computed) == 0 {
		return nil
	}
	values := maps.Clone(e.Values)
	if values == nil {
		values = map[string]any{}
	}
	for _, k := range slices.Sorted(maps.Keys(computed)) {
		if !slices.Contains(tpl.Computed, k) {
			return fmt.Errorf("plugin %s: computed %q, which %s does not declare: %w", ns, k, tpl.Key, ErrUnavailable)
		}
		values[k] = computed[k]
	}
	vals, err := tpl.Validate(values, s.location(pr))
	if err != nil {
		return fmt.Errorf("plugin %s: computed values %s refuses (%v): %w", ns, tpl.Key, err, ErrUnavailable)
	}
	e.Values, err = jsonValues(vals)
	return err
}

func pluginRecord(pr permission.Principal, e *Entry, prev *Record) PluginRecord {
	r := PluginRecord{
		Tenant: pr.Tenant, Template: e.Template, TemplateVersion: e.TemplateVersion, Customer: e.Customer,
		PlannedAt: e.PlannedAt, ActualAt: e.ActualAt, Values: e.Values, Responders: e.Responders,
	}
	if prev != nil {
		r.ID = prev.ID
	}
	return r
}
