// Package contrib turns what a plugin contributes (the SDK's types) into
// the engines' definitions: templates, master items merged into a tenant's
// masters, customer fields. The host uses it for every manifest, and the
// first-party plugins' tests use it to check their templates exactly as
// the host will see them.
package contrib

import (
	"slices"
	"strings"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// Template converts a template a plugin contributes into the record
// engine's definition, as version 1 (plugins version their templates by
// key, not by number).
func Template(t sdk.Template) template.Template {
	out := template.Template{
		Key: t.Key, Version: 1, Name: t.Name, Description: t.Description,
		Confidential: t.Confidential, TaxRounding: template.Rounding(t.TaxRounding),
		Computed: t.Computed,
	}
	for _, f := range t.Fields {
		field := template.Field{
			Key: f.Key, Label: f.Label, Type: template.FieldType(f.Type), Required: f.Required,
			Options: f.Options, Default: f.Default, Help: f.Help, Unit: f.Unit, Catalog: f.Catalog,
			TenantCatalog: f.TenantCatalog,
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

// Masters merges the items of kind among those the plugin called name
// contributes into cur, a tenant's items of that kind, and returns the
// result (cur is not modified). Items of the plugin's namespace
// ("<name>:…") that the plugin lists take its label and parent and are
// no longer archived; those it no longer lists are archived, since codes
// never disappear (records may carry them). Listed items cur lacks are
// appended in the plugin's order. Other items are kept as they are, in
// their order. Merging the result again with the same items returns it
// unchanged.
func Masters(name string, kind contactlog.MasterKind, cur []contactlog.MasterItem, items []sdk.MasterItem) []contactlog.MasterItem {
	var listed []contactlog.MasterItem
	for _, it := range items {
		if contactlog.MasterKind(it.Kind) == kind {
			listed = append(listed, contactlog.MasterItem{Code: it.Code, Label: strings.TrimSpace(it.Label), Parent: it.Parent})
		}
	}
	out := slices.Clone(cur)
	for i, it := range out {
		if !strings.HasPrefix(it.Code, name+":") {
			continue
		}
		if j := slices.IndexFunc(listed, func(l contactlog.MasterItem) bool { return l.Code == it.Code }); j >= 0 {
			out[i] = listed[j]
		} else {
			out[i].Archived = true
		}
	}
	for _, l := range listed {
		if !slices.ContainsFunc(out, func(it contactlog.MasterItem) bool { return it.Code == l.Code }) {
			out = append(out, l)
		}
	}
	return out
}

// CustomerField converts a customer field a plugin contributes into the
// customer engine's definition at position. The type names are the
// engine's (text, number, integer, date, boolean, select); the engine
// refuses any other.
func CustomerField(f sdk.CustomerField, position int) customer.FieldDef {
	return customer.FieldDef{
		Key: f.Key, Label: f.Label, Type: customer.FieldType(f.Type), Options: slices.Clone(f.Options),
		Required: f.Required, Position: position,
	}
}
