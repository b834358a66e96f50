// Package enginecheck lets the first-party plugins' tests treat a
// contributed template the way the record engine does: as a
// template.Template that must pass template.Check, whose Validate
// normalizes the values a plugin then receives in their JSON form. It is
// for tests only; the plugins themselves import the SDK alone.
package enginecheck

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// Template converts a contributed template into the engine's definition
// (version 1) and fails the test unless it passes template.Check.
func Template(t testing.TB, st sdk.Template) template.Template {
	t.Helper()
	tpl := template.Template{
		Key:         st.Key,
		Version:     1,
		Name:        st.Name,
		Description: st.Description,
		TaxRounding: template.Rounding(st.TaxRounding),
	}
	for _, f := range st.Fields {
		tpl.Fields = append(tpl.Fields, template.Field{
			Key: f.Key, Label: f.Label, Type: template.FieldType(f.Type), Required: f.Required,
			Min: f.Min, Max: f.Max, Options: f.Options, Default: f.Default, Help: f.Help,
			Unit: f.Unit, Catalog: f.Catalog,
		})
	}
	for _, a := range st.Aggregations {
		tpl.Aggregations = append(tpl.Aggregations, template.Aggregation{Key: a.Key, Label: a.Label, Expr: a.Expr, Unit: a.Unit})
	}
	for _, c := range st.Catalogs {
		cat := template.Catalog{Key: c.Key, Name: c.Name}
		for _, it := range c.Items {
			cat.Items = append(cat.Items, template.CatalogItem{
				Key: it.Key, Name: it.Name, Category: it.Category, Classification: it.Classification,
				UnitPrice: it.UnitPrice, TaxRate: int(it.TaxRate),
			})
		}
		tpl.Catalogs = append(tpl.Catalogs, cat)
	}
	require.NoError(t, tpl.Check(), "template %s", st.Key)
	return tpl
}

// Values validates values with tpl in the zone loc, fails the test on a
// problem, and returns the normalized values in their JSON form, as the
// host hands them to a plugin.
func Values(t testing.TB, tpl template.Template, values map[string]any, loc *time.Location) map[string]any {
	t.Helper()
	normalized, problems := tpl.Validate(values, loc)
	require.Nil(t, problems)
	b, err := json.Marshal(normalized)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}
