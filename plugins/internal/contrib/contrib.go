// Package contrib turns what a plugin contributes (the SDK's types) into
// the engines' definitions. The host uses it for every manifest, and the
// first-party plugins' tests use it to check their templates exactly as
// the host will see them.
package contrib

import (
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/plugins/internal/pluginapi"
)

// Template converts a template a plugin contributes into the record
// engine's definition, as version 1 (plugins version their templates by
// key, not by number).
func Template(t pluginapi.Template) template.Template {
	out := template.Template{
		Key: t.Key, Version: 1, Name: t.Name, Description: t.Description,
		Confidential: t.Confidential, TaxRounding: template.Rounding(t.TaxRounding),
		Computed: t.Computed,
	}
	for _, f := range t.Fields {
		field := template.Field{
			Key: f.Key, Label: f.Label, Type: template.FieldType(f.Type), Required: f.Required,
			Options: f.Options, Default: f.Default, Help: f.Help, Unit: f.Unit, Catalog: f.Catalog,
		}
		if f.Min != nil {
			field.Min = template.Limit(*f.Min)
		}
		if f.Max != nil {
			field.Max = template.Limit(*f.Max)
		}
		out.Fields = append(out.Fields, field)
	}
	for _, a := range t.Aggregations {
		out.Aggregations = append(out.Aggregations, template.Aggregation{Key: a.Key, Label: a.Label, Expr: a.Expr, Unit: a.Unit})
	}
	for _, c := range t.Catalogs {
		cat := template.Catalog{Key: c.Key, Name: c.Name}
		for _, it := range c.Items {
			cat.Items = append(cat.Items, template.CatalogItem{
				Key: it.Key, Name: it.Name, Category: it.Category, Classification: it.Classification,
				UnitPrice: it.UnitPrice, TaxRate: int(it.TaxRate),
			})
		}
		out.Catalogs = append(out.Catalogs, cat)
	}
	return out
}
