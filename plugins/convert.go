package plugins

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/plugins/internal/contrib"
	"github.com/kirokuhq/kiroku/plugins/internal/wire"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// nameRE is a plugin's name and namespace: lower-case ASCII letters and
// digits, starting with a letter.
var nameRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,39}$`)

// manifest is what the host keeps of a plugin's manifest.
type manifest struct {
	version   string
	caps      wire.Capabilities
	templates []template.Template
	events    []string // the event kinds the plugin wants
	masters   []sdk.MasterItem
	fields    []sdk.CustomerField // customer fields
}

// manifestFromAPI converts the manifest of the plugin called name, which
// wire.Client already checked (sdk.Manifest.Check: namespaced keys,
// computed keys among the fields): its name must be name, and its master
// items must be of the record engine's kinds. Manifest
// templates are served as version 1; template.Static checks them
// (namespace, template.Check) when the host serves them.
func manifestFromAPI(name string, m sdk.Manifest, caps wire.Capabilities) (*manifest, error) {
	if m.Name != name {
		return nil, fmt.Errorf("manifest names the plugin %q, not %q", m.Name, name)
	}
	for _, mi := range m.Masters {
		if !contactlog.MasterKind(mi.Kind).Valid() {
			return nil, fmt.Errorf("master item %s is of an unknown kind %q", mi.Code, mi.Kind)
		}
	}
	out := &manifest{version: m.Version, caps: caps, masters: m.Masters, fields: m.CustomerFields}
	if caps.Events {
		out.events = m.EventKinds
	}
	for _, t := range m.Templates {
		out.templates = append(out.templates, contrib.Template(t))
	}
	return out, nil
}

// recordsToAPI converts records for a CheckRecords call: IDs as strings,
// uuid.Nil as "".
func recordsToAPI(records []contactlog.PluginRecord) []sdk.Record {
	id := func(u uuid.UUID) string {
		if u == uuid.Nil {
			return ""
		}
		return u.String()
	}
	out := make([]sdk.Record, len(records))
	for i, r := range records {
		out[i] = sdk.Record{
			ID: id(r.ID), Tenant: id(r.Tenant), Template: r.Template, TemplateVersion: int32(r.TemplateVersion),
			Customer: id(r.Customer), PlannedAt: r.PlannedAt, ActualAt: r.ActualAt, Values: r.Values,
		}
		if len(r.Responders) > 0 {
			out[i].Responders = make([]string, len(r.Responders))
			for j, u := range r.Responders {
				out[i].Responders[j] = u.String()
			}
		}
	}
	return out
}

// problemsFromAPI converts a plugin's problems with the i-th record of a
// batch into out. Every problem must be at a template field
// ("fields.<key>…") and carry a code.
func problemsFromAPI(i int, problems []sdk.FieldProblem, out *contactlog.PluginResult) error {
	for _, p := range problems {
		if !strings.HasPrefix(p.Field, "fields.") || p.Code == "" {
			return fmt.Errorf("record %d: problem %q/%q is not at a template field with a code", i, p.Field, p.Code)
		}
		out.Problems = append(out.Problems, contactlog.FieldError{Field: p.Field, Code: p.Code, Param: p.Param})
	}
	return nil
}
