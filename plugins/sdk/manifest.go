package sdk

import (
	"fmt"
	"slices"
)

// Manifest is what a plugin contributes. Every key of a contributed object
// (template, master item code, customer field) is namespaced by Name:
// "careservice:visit". Keys must stay stable across versions: records and
// template versions point at them.
type Manifest struct {
	// Name is the plugin's namespace: lower-case ASCII letters and digits.
	// The host requires it to equal the name of the plugin's executable
	// without "kiroku-plugin-".
	Name string
	// Version is the plugin's own version (semver recommended); the host
	// shows it and stores it with each template version.
	Version string
	// DisplayName is the plugin's name as users see it (Japanese).
	DisplayName string
	// Description tells users what the plugin does (Japanese).
	Description string
	// Templates are the record templates the plugin contributes.
	Templates []Template
	// Masters are items the plugin adds to the record masters of each
	// tenant that installs it.
	Masters []MasterItem
	// CustomerFields are custom fields of customers the plugin adds to
	// each tenant that installs it.
	CustomerFields []CustomerField
	// EventKinds are the events the plugin wants (EventRecordCreated, …);
	// empty means none. Non-empty requires an EventHandler.
	EventKinds []string
}

// Template is a record template the plugin contributes.
type Template struct {
	// Key is namespaced: "<plugin name>:<key>".
	Key string
	// Name is the template's name as users pick it (Japanese).
	Name string
	// Description is shown with the template.
	Description string
	// Confidential records are visible only to their people and managers.
	Confidential bool
	// Fields are the template's fields, in the order forms show them;
	// their keys are unique within the template.
	Fields []Field
	// Aggregations are monthly aggregations over the template's records.
	Aggregations []Aggregation
	// Catalogs are the item lists the template's lines fields pick from.
	Catalogs []Catalog
	// TaxRounding of money lines: "floor" (default when empty), "round" or
	// "ceil".
	TaxRounding string
	// Computed are the keys of Fields the plugin's Computer fills in; users
	// do not enter them. Non-empty requires a Computer.
	Computed []string
}

// Field is one field of a template.
type Field struct {
	// Key identifies the field within its template (not namespaced);
	// records hold its value under this key.
	Key string
	// Label is the field's name on forms (Japanese).
	Label string
	// Type is one of text, longtext, number, integer, money, date,
	// datetime, duration, select, multiselect, boolean, staff, contact,
	// lines.
	Type string
	// Required fields must have a value.
	Required bool
	// Min and Max bound numbers; nil means unbounded.
	Min, Max *float64
	// Options are the choices of select and multiselect fields.
	Options []string
	// Default is the initial value in its JSON form; nil means none.
	Default any
	// Help is a hint shown under the field.
	Help string
	// Unit is shown after the value (分, 円, 杯).
	Unit string
	// Catalog is the key of one of the template's Catalogs that the lines
	// of a lines field pick from.
	Catalog string
	// TenantCatalog says a lines field without a Catalog picks from the
	// catalog of the tenant (カテゴリー管理): a line's item is a tenant
	// catalog item's ID, and the host fills the line's name, category,
	// variant, unit price and tax rate from the item when the line leaves
	// them empty. A template's Catalogs are merged into the tenant catalog
	// when a tenant installs the plugin, so a plugin offers its own items
	// there and its records follow the tenant's prices.
	TenantCatalog bool
}

// Aggregation is a monthly aggregation over a template's records.
type Aggregation struct {
	// Key identifies the aggregation within its template.
	Key string
	// Label names it on charts and reports.
	Label string
	// Expr is an expression over the record's field values.
	Expr string
	// Unit is shown after the aggregated value.
	Unit string
}

// Catalog is a list of items (a menu, a price list) lines fields pick from.
type Catalog struct {
	// Key identifies the catalog within its template.
	Key string
	// Name is the catalog's name as users see it.
	Name string
	// Items are the catalog's items, in display order.
	Items []CatalogItem
}

// CatalogItem is one item of a catalog.
type CatalogItem struct {
	// Key identifies the item within its catalog; lines hold it.
	Key string
	// Name is the item's name as users see it.
	Name string
	// Category groups items on forms (麺類, ドリンク).
	Category string
	// Classification is a free label a plugin may compute with (a service
	// code, a tax class).
	Classification string
	// UnitPrice in yen, tax excluded.
	UnitPrice int64
	// TaxRate in percent (10, 8, 0).
	TaxRate int32
}

// MasterItem is an item the plugin adds to one of a tenant's record
// masters.
type MasterItem struct {
	// Kind is the master: channel, result, summary, progress, category1
	// or category2.
	Kind string
	// Code is namespaced: "<plugin name>:<code>". Records hold it.
	Code string
	// Label is the item as users see it.
	Label string
	// Parent is, for a category2 item, the code of its category1 item;
	// empty otherwise.
	Parent string
}

// CustomerField is a custom field of customers the plugin contributes.
type CustomerField struct {
	// Key is namespaced: "<plugin name>:<key>".
	Key string
	// Label is the field's name on forms.
	Label string
	// Type is one of text, number, integer, date, select, boolean.
	Type string
	// Options are the choices of a select field.
	Options []string
	// Required fields must have a value.
	Required bool
}

// eventKinds are the kinds Manifest.EventKinds may list.
var eventKinds = []string{
	EventRecordCreated, EventRecordUpdated, EventRecordDeleted,
	EventCustomerCreated, EventCustomerUpdated, EventCustomerDeleted,
}

// Check reports the first problem of m: a name that is not lower-case
// ASCII letters and digits, a template key, master item code (per kind)
// or customer field key that is not namespaced "<name>:…" or is repeated,
// a repeated field key in a template, a computed key that is not a field
// of its template, or an unknown event kind. The host checks every
// manifest it receives the same way.
func (m Manifest) Check() error {
	if !validName(m.Name) {
		return fmt.Errorf("plugin %q: name must be lower-case ASCII letters and digits", m.Name)
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("plugin %s: "+format, append([]any{m.Name}, args...)...)
	}
	namespaced := func(what, key string, seen map[string]bool) error {
		if len(key) <= len(m.Name)+1 || key[:len(m.Name)+1] != m.Name+":" {
			return fail("%s %q is not namespaced %q", what, key, m.Name+":…")
		}
		if seen[key] {
			return fail("%s %q is repeated", what, key)
		}
		seen[key] = true
		return nil
	}
	templates := map[string]bool{}
	for _, t := range m.Templates {
		if err := namespaced("template", t.Key, templates); err != nil {
			return err
		}
		fields := map[string]bool{}
		for _, f := range t.Fields {
			if f.Key == "" || fields[f.Key] {
				return fail("template %s: field key %q is empty or repeated", t.Key, f.Key)
			}
			fields[f.Key] = true
		}
		for _, c := range t.Computed {
			if !fields[c] {
				return fail("template %s: computed field %q is not a field", t.Key, c)
			}
		}
	}
	masters := map[string]map[string]bool{}
	for _, mi := range m.Masters {
		if masters[mi.Kind] == nil {
			masters[mi.Kind] = map[string]bool{}
		}
		if err := namespaced("master item "+mi.Kind, mi.Code, masters[mi.Kind]); err != nil {
			return err
		}
	}
	customerFields := map[string]bool{}
	for _, f := range m.CustomerFields {
		if err := namespaced("customer field", f.Key, customerFields); err != nil {
			return err
		}
	}
	for _, k := range m.EventKinds {
		if !slices.Contains(eventKinds, k) {
			return fail("unknown event kind %q", k)
		}
	}
	return nil
}

func validName(s string) bool {
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return s != ""
}
