package plugins

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	kirokupluginv1 "github.com/kirokuhq/kiroku/plugins/proto/kirokuplugin/v1"
)

// nameRE is a plugin's name and namespace: lower-case ASCII letters and
// digits, starting with a letter.
var nameRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,39}$`)

// manifest is what the host keeps of a plugin's manifest.
type manifest struct {
	name, version string
	validate      bool // the plugin validates records
	compute       bool // the plugin computes values of records
	templates     []template.Template
}

// manifestFromProto converts and checks the manifest of the plugin called
// name: the names must agree, capabilities must be known and customer
// fields namespaced by name. Manifest templates are served as version 1;
// template.Static checks them (namespace, Check) when the host serves them.
func manifestFromProto(name string, m *kirokupluginv1.Manifest) (*manifest, error) {
	if m == nil {
		return nil, fmt.Errorf("empty manifest")
	}
	if m.GetName() != name {
		return nil, fmt.Errorf("manifest names the plugin %q, not %q", m.GetName(), name)
	}
	out := &manifest{name: name, version: m.GetVersion()}
	for _, c := range m.GetCapabilities() {
		switch c {
		case kirokupluginv1.Capability_CAPABILITY_VALIDATE:
			out.validate = true
		case kirokupluginv1.Capability_CAPABILITY_COMPUTE:
			out.compute = true
		case kirokupluginv1.Capability_CAPABILITY_EVENTS, kirokupluginv1.Capability_CAPABILITY_NOTIFY:
		default:
			return nil, fmt.Errorf("unknown capability %v", c)
		}
	}
	for _, f := range m.GetCustomerFields() {
		if !strings.HasPrefix(f.GetKey(), name+":") {
			return nil, fmt.Errorf("customer field %q is not in namespace %s", f.GetKey(), name)
		}
	}
	for _, t := range m.GetTemplates() {
		out.templates = append(out.templates, templateFromProto(t))
	}
	return out, nil
}

// templateFromProto converts a manifest template (as version 1).
func templateFromProto(t *kirokupluginv1.Template) template.Template {
	out := template.Template{
		Key: t.GetKey(), Version: 1, Name: t.GetName(), Description: t.GetDescription(),
		Confidential: t.GetConfidential(), TaxRounding: template.Rounding(t.GetTaxRounding()),
		Computed: t.GetComputed(),
	}
	for _, f := range t.GetFields() {
		field := template.Field{
			Key: f.GetKey(), Label: f.GetLabel(), Type: template.FieldType(f.GetType()), Required: f.GetRequired(),
			Options: f.GetOptions(), Help: f.GetHelp(), Unit: f.GetUnit(), Catalog: f.GetCatalog(),
		}
		if f.Min != nil {
			field.Min = template.Limit(f.GetMin())
		}
		if f.Max != nil {
			field.Max = template.Limit(f.GetMax())
		}
		if f.GetDefault() != nil {
			field.Default = f.GetDefault().AsInterface()
		}
		out.Fields = append(out.Fields, field)
	}
	for _, a := range t.GetAggregations() {
		out.Aggregations = append(out.Aggregations, template.Aggregation{Key: a.GetKey(), Label: a.GetLabel(), Expr: a.GetExpr(), Unit: a.GetUnit()})
	}
	for _, c := range t.GetCatalogs() {
		cat := template.Catalog{Key: c.GetKey(), Name: c.GetName()}
		for _, it := range c.GetItems() {
			cat.Items = append(cat.Items, template.CatalogItem{
				Key: it.GetKey(), Name: it.GetName(), Category: it.GetCategory(), Classification: it.GetClassification(),
				UnitPrice: it.GetUnitPrice(), TaxRate: int(it.GetTaxRate()),
			})
		}
		out.Catalogs = append(out.Catalogs, cat)
	}
	return out
}

// recordsToProto converts records for a ValidateRecords or ComputeRecords
// request.
func recordsToProto(records []contactlog.PluginRecord) ([]*kirokupluginv1.Record, error) {
	out := make([]*kirokupluginv1.Record, len(records))
	for i, r := range records {
		values, err := structpb.NewStruct(r.Values)
		if err != nil {
			return nil, fmt.Errorf("record %d: values: %w", i, err)
		}
		pr := &kirokupluginv1.Record{
			Tenant: r.Tenant.String(), TemplateKey: r.Template, TemplateVersion: int32(r.TemplateVersion), Values: values,
		}
		if r.ID != uuid.Nil {
			pr.Id = r.ID.String()
		}
		if r.Customer != uuid.Nil {
			pr.Customer = r.Customer.String()
		}
		if !r.PlannedAt.IsZero() {
			pr.PlannedAt = timestamppb.New(r.PlannedAt)
		}
		if !r.ActualAt.IsZero() {
			pr.ActualAt = timestamppb.New(r.ActualAt)
		}
		for _, u := range r.Responders {
			pr.Responders = append(pr.Responders, u.String())
		}
		out[i] = pr
	}
	return out, nil
}

// problemsFromProto converts a ValidateRecordsResponse's results for n
// records. Every problem must be at a template field ("fields.<key>…")
// and carry a code.
func problemsFromProto(results []*kirokupluginv1.RecordProblems, n int) ([][]contactlog.FieldError, error) {
	if len(results) != n {
		return nil, fmt.Errorf("%d validation results for %d records", len(results), n)
	}
	out := make([][]contactlog.FieldError, n)
	for i, res := range results {
		for _, p := range res.GetProblems() {
			if !strings.HasPrefix(p.GetField(), "fields.") || p.GetCode() == "" {
				return nil, fmt.Errorf("record %d: problem %q/%q is not at a template field with a code", i, p.GetField(), p.GetCode())
			}
			out[i] = append(out[i], contactlog.FieldError{Field: p.GetField(), Code: p.GetCode(), Param: p.GetParam()})
		}
	}
	return out, nil
}

// computedFromProto converts a ComputeRecordsResponse's results for n
// records into values by field key. Which keys a record may receive is
// the record engine's to check (its template's Computed).
func computedFromProto(results []*structpb.Struct, n int) ([]map[string]any, error) {
	if len(results) != n {
		return nil, fmt.Errorf("%d computed results for %d records", len(results), n)
	}
	out := make([]map[string]any, n)
	for i, res := range results {
		out[i] = res.AsMap()
	}
	return out, nil
}
