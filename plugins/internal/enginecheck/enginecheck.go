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

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/plugins/internal/contrib"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// Template converts a contributed template into the engine's definition
// (version 1) and fails the test unless it passes template.Check.
func Template(t testing.TB, st sdk.Template) template.Template {
	t.Helper()
	tpl := contrib.Template(st)
	require.NoError(t, tpl.Check(), "template %s", st.Key)
	return tpl
}

// Values validates values with tpl in the zone loc, fails the test on a
// problem, and returns the normalized values in their JSON form, as the
// host hands them to a plugin.
func Values(t testing.TB, tpl template.Template, values map[string]any, loc *time.Location) map[string]any {
	t.Helper()
	return ValuesWith(t, tpl, values, template.ValidateOptions{Location: loc})
}

// ValuesWith is Values with options, such as the items of a tenant
// catalog (TenantCatalog).
func ValuesWith(t testing.TB, tpl template.Template, values map[string]any, opts template.ValidateOptions) map[string]any {
	t.Helper()
	normalized, problems := tpl.ValidateWith(values, opts)
	require.Nil(t, problems)
	b, err := json.Marshal(normalized)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// TenantCatalog stands for a tenant's catalog into which the host merged
// the items of catalogs (a plugin's, at install): it returns each item's
// ID by its key and the template.ItemFunc that resolves those IDs as the
// record engine resolves a tenant's items — the name with the variant
// ("生ビール（アルコール）"), the category, the variant, the price and the
// rate.
func TenantCatalog(catalogs []sdk.Catalog) (ids map[string]string, items template.ItemFunc) {
	ids = map[string]string{}
	byID := map[string]template.CatalogItem{}
	for _, c := range catalogs {
		for _, it := range c.Items {
			id := uuid.NewSHA1(uuid.NameSpaceOID, []byte(c.Key+"/"+it.Key)).String()
			ids[it.Key] = id
			name := it.Name
			if it.Classification != "" {
				name += "（" + it.Classification + "）"
			}
			byID[id] = template.CatalogItem{Key: id, Name: name, Category: it.Category, Classification: it.Classification,
				UnitPrice: it.UnitPrice, TaxRate: int(it.TaxRate)}
		}
	}
	return ids, func(_, item string) (*template.CatalogItem, string, error) {
		it, ok := byID[item]
		switch {
		case item == "":
			return nil, "", nil
		case !ok:
			return nil, validation.CodeUnknown, nil
		}
		return &it, "", nil
	}
}
