package template

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/jpdate"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// Errors re-exported from Kiroku's shared vocabulary, so callers can match
// with errors.Is against this package.
var (
	ErrNotFound         = kerr.ErrNotFound
	ErrConflict         = kerr.ErrConflict
	ErrInvalid          = kerr.ErrInvalid
	ErrPermissionDenied = kerr.ErrPermissionDenied
	ErrUnauthenticated  = kerr.ErrUnauthenticated
)

// ValidationError lists every problem of a template definition or of a
// record's values at once. It is validation.Error: its Fields carry
// stable codes (required, wrong_type, format, out_of_range, unknown,
// too_long, …) and it matches ErrInvalid with errors.Is.
type ValidationError = validation.Error

// FieldType is the type of a template field. It decides which inputs
// Validate accepts and which canonical Go value it returns.
type FieldType string

// Field types and the canonical Go values Validate returns for them.
const (
	FieldText        FieldType = "text"        // string, one line, at most 1000 characters (Max lowers it)
	FieldLongText    FieldType = "longtext"    // string, several lines, at most 10 000 characters
	FieldNumber      FieldType = "number"      // float64, optionally with a Unit ("kg", "分")
	FieldInteger     FieldType = "integer"     // int64
	FieldMoney       FieldType = "money"       // int64 yen, no fractions
	FieldDate        FieldType = "date"        // date.Date (era input accepted)
	FieldDateTime    FieldType = "datetime"    // time.Time in UTC, whole seconds
	FieldDuration    FieldType = "duration"    // int64 minutes, never negative
	FieldSelect      FieldType = "select"      // string, one of Options
	FieldMultiSelect FieldType = "multiselect" // []string, a subset of Options in Options order
	FieldBoolean     FieldType = "boolean"     // bool
	FieldStaff       FieldType = "staff"       // uuid.UUID of a staff user
	FieldContact     FieldType = "contact"     // uuid.UUID of a customer contact
	FieldLines       FieldType = "lines"       // Lines: catalog item lines with computed totals
)

// Valid reports whether t is one of the defined field types.
func (t FieldType) Valid() bool {
	switch t {
	case FieldText, FieldLongText, FieldNumber, FieldInteger, FieldMoney, FieldDate, FieldDateTime,
		FieldDuration, FieldSelect, FieldMultiSelect, FieldBoolean, FieldStaff, FieldContact, FieldLines:
		return true
	}
	return false
}

// Numeric reports whether values of type t are numbers to aggregations:
// number, integer, money, duration (minutes), boolean (1 or 0) and lines
// (the total, tax included).
func (t FieldType) Numeric() bool {
	switch t {
	case FieldNumber, FieldInteger, FieldMoney, FieldDuration, FieldBoolean, FieldLines:
		return true
	}
	return false
}

// Limits of a template definition.
const (
	MaxFields       = 200     // fields per template
	MaxOptions      = 200     // options per select or multiselect field
	MaxAggregations = 50      // aggregations per template
	MaxCatalogItems = 2000    // items per catalog
	MaxTextLen      = 1000    // characters of a text value (a field's Max may lower it)
	MaxLongTextLen  = 10000   // characters of a longtext value (a field's Max may lower it)
	MaxLines        = 1000    // lines of a lines value (a field's Max may lower it)
	MaxExprLen      = 1000    // characters of an aggregation expression
	maxNameLen      = 100     // template name, field label, option, catalog and item names
	maxHelpLen      = 500     // help text of a field
	maxDescLen      = 2000    // description of a template
	maxIntegral     = 1 << 53 // integers beyond this are not exact in JSON numbers
	maxUnitLen      = 20      // a field's Unit
	maxItemKeyLen   = 100     // a line's item key
	maxLineNameLen  = 200     // a line's name
)

var (
	// templateKeyRE: "namespace:name", e.g. "builtin:interview", "tenant:visit_2024",
	// "careservice:visit".
	templateKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}:[a-z0-9][a-z0-9_\-]{0,63}$`)
	// fieldKeyRE: lower snake ASCII, optionally namespaced by a plugin
	// ("careservice:care_level"), as customer custom fields.
	fieldKeyRE = regexp.MustCompile(`^([a-z][a-z0-9_]{0,39}:)?[a-z][a-z0-9_]{0,39}$`)
	// simpleKeyRE: aggregation and catalog keys.
	simpleKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	// itemKeyRE: catalog item keys (product codes), e.g. "shoyu_regular", "A-100".
	itemKeyRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$`)
)

// Namespaces of template keys that the Registry routes itself; every other
// namespace names a plugin.
const (
	NamespaceBuiltin = "builtin" // the built-in templates (Builtins)
	NamespaceTenant  = "tenant"  // templates a tenant defined (Store)
)

// Namespace returns the namespace of a template key: "builtin" for
// "builtin:interview", "careservice" for "careservice:visit", "" for a key
// without one.
func Namespace(key string) string {
	ns, _, ok := strings.Cut(key, ":")
	if !ok {
		return ""
	}
	return ns
}

// Template is the definition of one kind of contact record (面談記録,
// 商談, 日報, …): an ordered list of typed fields, the aggregations that
// reports offer for it, and the catalogs its lines fields draw from.
//
// A template is identified by Key and Version. Definitions never change
// in place: saving a changed definition creates the next version, and a
// record keeps the version it was written with, so old records render and
// re-validate with the fields they were written with.
type Template struct {
	// Key identifies the template across versions: "namespace:name" in
	// lower-case ASCII, e.g. "builtin:daily", "tenant:visit",
	// "careservice:visit". The namespace says where it comes from (see
	// Registry).
	Key string `json:"key"`
	// Version counts the saved definitions of Key from 1. To Store.Save,
	// it is the version the edit was based on (0 for a new template).
	Version int `json:"version"`
	// Name is shown to users, e.g. "日報".
	Name string `json:"name"`
	// Description explains when to use the template.
	Description string `json:"description,omitempty"`
	// Confidential marks templates whose records are withheld from
	// partner principals (商談 records, for example).
	Confidential bool `json:"confidential,omitempty"`
	// Fields in display order.
	Fields []Field `json:"fields"`
	// Aggregations offered by reports and charts over many records.
	Aggregations []Aggregation `json:"aggregations,omitempty"`
	// Catalogs that lines fields name in Field.Catalog. They travel with
	// the definition, so each version keeps the prices it was written with.
	Catalogs []Catalog `json:"catalogs,omitempty"`
	// TaxRounding is how the consumption tax of lines fields is rounded,
	// once per tax rate per record (per receipt). Default: RoundFloor
	// (切り捨て).
	TaxRounding Rounding `json:"tax_rounding,omitempty"`
	// Computed lists the keys of fields a plugin computes (its
	// ComputeRecords hook) rather than users entering them: each names one
	// of Fields, none may be Required, and the record engine drops what a
	// user enters for them and stores what the plugin computed. Only
	// plugin templates compute fields.
	Computed []string `json:"computed,omitempty"`
	// Archived is set by the source: an archived template is hidden when a
	// new record is created; records written with it still render. It is
	// not part of the definition.
	Archived bool `json:"archived,omitempty"`
}

// Field is one typed input of a template.
type Field struct {
	// Key names the value in a record: lower-case ASCII letters, digits and
	// underscores, optionally namespaced by a plugin ("careservice:care_level").
	Key string `json:"key"`
	// Label is shown to users, e.g. "作業時間".
	Label string `json:"label"`
	// Type decides the accepted input and the canonical value.
	Type FieldType `json:"type"`
	// Required fields must have a value (a Default counts).
	Required bool `json:"required,omitempty"`
	// Min and Max bound the value (nil: unbounded): the number for number,
	// integer and money, minutes for duration, characters for text and
	// longtext, choices for multiselect and lines for lines. Other types
	// take no bounds.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// Options of a select or multiselect field, in display order.
	Options []string `json:"options,omitempty"`
	// Default is used when a record has no value for the field. It must be
	// a valid value of the type (any accepted input form).
	Default any `json:"default,omitempty"`
	// Help is a short explanation shown with the input.
	Help string `json:"help,omitempty"`
	// Unit is shown after number and integer values ("kg", "件") and may
	// follow the number in input ("65kg").
	Unit string `json:"unit,omitempty"`
	// Catalog names one of the template's Catalogs (lines fields only):
	// each line must then name one of its items.
	Catalog string `json:"catalog,omitempty"`
	// TenantCatalog says the lines field draws from the tenant's catalog
	// (contactlog/catalog, カテゴリー管理) rather than one of the
	// template's (lines fields without a Catalog only): a line's item, when
	// it gives one, is a tenant catalog item's ID, which ValidateOptions.Items
	// resolves. In a lines field without it, an item is a free product
	// code, kept as typed and never looked up.
	TenantCatalog bool `json:"tenant_catalog,omitempty"`
}

// Limit returns a pointer to v, for Field.Min and Field.Max.
func Limit(v float64) *float64 { return &v }

// Aggregation is a value computed over the records of one template, such
// as the total working time of a month. See CompiledAggregation for the
// expression language.
type Aggregation struct {
	// Key identifies the aggregation within the template (lower snake ASCII).
	Key string `json:"key"`
	// Label is shown to users, e.g. "作業時間合計".
	Label string `json:"label"`
	// Expr is the expression, e.g. "sum(.work_minutes)".
	Expr string `json:"expr"`
	// Unit is shown after the result, e.g. "分" or "円".
	Unit string `json:"unit,omitempty"`
}

// Catalog is a list of products or services that lines fields draw from,
// as MASPO's 商品・サービスカテゴリー: items grouped by category (ラーメン,
// 餃子) and, where a category has several variants, by classification
// (醤油・味噌・塩 × 普通・大盛).
type Catalog struct {
	// Key is what Field.Catalog names (lower snake ASCII).
	Key string `json:"key"`
	// Name is shown to users, e.g. "メニュー".
	Name string `json:"name"`
	// Items in display order.
	Items []CatalogItem `json:"items"`
}

// CatalogItem is one product or service of a Catalog.
type CatalogItem struct {
	// Key is the item's code, unique in the catalog: ASCII letters, digits,
	// '_', '-', '.'.
	Key string `json:"key"`
	// Name is shown to users, e.g. "醤油ラーメン 普通".
	Name string `json:"name"`
	// Category groups items (カテゴリー), e.g. "ラーメン".
	Category string `json:"category,omitempty"`
	// Classification is the variant within the category (分類), e.g. "大盛".
	Classification string `json:"classification,omitempty"`
	// UnitPrice in yen, tax excluded (税抜き). A line takes it when it does
	// not give its own.
	UnitPrice int64 `json:"unit_price"`
	// TaxRate in percent: 10 (standard), 8 (reduced, 軽減税率), 0. A line
	// may override it (take-out 8% versus eat-in 10%).
	TaxRate int `json:"tax_rate"`
}

// Item returns the catalog item with the given key.
func (c *Catalog) Item(key string) (CatalogItem, bool) {
	for _, it := range c.Items {
		if it.Key == key {
			return it, true
		}
	}
	return CatalogItem{}, false
}

// Field returns the field with the given key.
func (t Template) Field(key string) (Field, bool) {
	for _, f := range t.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return Field{}, false
}

// Catalog returns the catalog with the given key.
func (t Template) Catalog(key string) (*Catalog, bool) {
	for i := range t.Catalogs {
		if t.Catalogs[i].Key == key {
			return &t.Catalogs[i], true
		}
	}
	return nil, false
}

// Clone returns a deep copy of t: changing the copy's fields, options,
// aggregations or catalogs leaves t alone.
func (t Template) Clone() Template {
	c := t
	c.Fields = slices.Clone(t.Fields)
	for i := range c.Fields {
		f := &c.Fields[i]
		f.Options = slices.Clone(f.Options)
		if f.Min != nil {
			f.Min = Limit(*f.Min)
		}
		if f.Max != nil {
			f.Max = Limit(*f.Max)
		}
		f.Default = cloneValue(f.Default)
	}
	c.Computed = slices.Clone(t.Computed)
	c.Aggregations = slices.Clone(t.Aggregations)
	c.Catalogs = slices.Clone(t.Catalogs)
	for i := range c.Catalogs {
		c.Catalogs[i].Items = slices.Clone(c.Catalogs[i].Items)
	}
	return c
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case []string:
		return slices.Clone(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cloneValue(e)
		}
		return out
	}
	return v
}

// Check validates the definition itself and reports every problem at once
// as a *ValidationError (field names such as "key", "fields[2].options",
// "aggregations[0].expr", "catalogs[0].items[3].tax_rate"):
//
//   - Key is "namespace:name"; Version is not negative; Name is set.
//   - Field keys are well-formed and unique; labels are set; types are
//     known; select and multiselect fields have unique, non-empty options
//     (and only they have options); bounds suit the type and Min ≤ Max;
//     a Default is a valid value of its field; a lines field's Catalog
//     names one of Catalogs; only a lines field without a Catalog takes
//     TenantCatalog.
//   - Aggregation keys are unique and their expressions compile; a
//     compile error is reported with code format and the error message,
//     with its line and column, as Param.
//   - Catalog keys and item keys are unique, prices are in range and tax
//     rates are 0–100.
func (t Template) Check() error {
	v := &validation.Error{}
	t.check(v)
	if err := v.Err(); err != nil {
		return fmt.Errorf("template: check %s: %w", t.Key, err)
	}
	return nil
}

func (t Template) check(v *validation.Error) {
	if !templateKeyRE.MatchString(t.Key) {
		v.Add("key", validation.CodeFormat, t.Key)
	}
	if t.Version < 0 {
		v.Add("version", validation.CodeOutOfRange, "0..")
	}
	checkName(v, "name", t.Name, maxNameLen, true)
	checkName(v, "description", t.Description, maxDescLen, false)
	switch t.TaxRounding {
	case "", RoundFloor, RoundHalfUp, RoundCeil:
	default:
		v.Add("tax_rounding", validation.CodeUnknown, string(t.TaxRounding))
	}

	catalogs := map[string]bool{}
	for i, c := range t.Catalogs {
		p := fmt.Sprintf("catalogs[%d]", i)
		checkKey(v, p+".key", c.Key, simpleKeyRE, catalogs)
		checkName(v, p+".name", c.Name, maxNameLen, true)
		checkCatalogItems(v, p, c.Items)
	}

	if len(t.Fields) > MaxFields {
		v.Add("fields", validation.CodeTooMany, strconv.Itoa(MaxFields))
	}
	keys := map[string]bool{}
	for i := range t.Fields {
		f := &t.Fields[i]
		p := fmt.Sprintf("fields[%d]", i)
		checkKey(v, p+".key", f.Key, fieldKeyRE, keys)
		checkName(v, p+".label", f.Label, maxNameLen, true)
		checkName(v, p+".help", f.Help, maxHelpLen, false)
		if !f.Type.Valid() {
			v.Add(p+".type", validation.CodeUnknown, string(f.Type))
			continue
		}
		t.checkField(v, p, f, catalogs)
	}
	ns := Namespace(t.Key)
	for i, k := range t.Computed {
		p := fmt.Sprintf("computed[%d]", i)
		f, ok := t.Field(k)
		switch {
		case ns == NamespaceBuiltin || ns == NamespaceTenant:
			v.Add(p, validation.CodeNotAllowed, k)
		case !ok:
			v.Add(p, validation.CodeUnknown, k)
		case f.Required:
			v.Add(p, validation.CodeNotAllowed, "required")
		case slices.Index(t.Computed, k) < i:
			v.Add(p, validation.CodeDuplicate, k)
		}
	}

	if len(t.Aggregations) > MaxAggregations {
		v.Add("aggregations", validation.CodeTooMany, strconv.Itoa(MaxAggregations))
	}
	aggs := map[string]bool{}
	for i, a := range t.Aggregations {
		p := fmt.Sprintf("aggregations[%d]", i)
		checkKey(v, p+".key", a.Key, simpleKeyRE, aggs)
		checkName(v, p+".label", a.Label, maxNameLen, true)
		checkName(v, p+".unit", a.Unit, maxUnitLen, false)
		switch {
		case strings.TrimSpace(a.Expr) == "":
			v.Add(p+".expr", validation.CodeRequired, "")
		case utf8.RuneCountInString(a.Expr) > MaxExprLen:
			v.Add(p+".expr", validation.CodeTooLong, strconv.Itoa(MaxExprLen))
		default:
			if _, err := t.CompileAggregation(a); err != nil {
				msg := err.Error()
				var ee *ExprError
				if errors.As(err, &ee) {
					msg = ee.Error()
				}
				v.Add(p+".expr", validation.CodeFormat, msg)
			}
		}
	}
}

func checkName(v *validation.Error, field, s string, limit int, required bool) {
	switch {
	case strings.TrimSpace(s) == "":
		if required {
			v.Add(field, validation.CodeRequired, "")
		}
	case utf8.RuneCountInString(s) > limit:
		v.Add(field, validation.CodeTooLong, strconv.Itoa(limit))
	}
}

func checkCatalogItems(v *validation.Error, p string, items []CatalogItem) {
	if len(items) > MaxCatalogItems {
		v.Add(p+".items", validation.CodeTooMany, strconv.Itoa(MaxCatalogItems))
	}
	seen := map[string]bool{}
	for j, it := range items {
		q := fmt.Sprintf("%s.items[%d]", p, j)
		switch {
		case !itemKeyRE.MatchString(it.Key):
			v.Add(q+".key", validation.CodeFormat, it.Key)
		case seen[it.Key]:
			v.Add(q+".key", validation.CodeDuplicate, it.Key)
		}
		seen[it.Key] = true
		checkName(v, q+".name", it.Name, maxLineNameLen, true)
		checkName(v, q+".category", it.Category, maxNameLen, false)
		checkName(v, q+".classification", it.Classification, maxNameLen, false)
		if it.UnitPrice < -MaxUnitPrice || it.UnitPrice > MaxUnitPrice {
			v.Add(q+".unit_price", validation.CodeOutOfRange, rangeParam(-MaxUnitPrice, MaxUnitPrice))
		}
		if it.TaxRate < 0 || it.TaxRate > 100 {
			v.Add(q+".tax_rate", validation.CodeOutOfRange, "0..100")
		}
	}
}

// bounds says how a field type uses Min and Max.
type bounds int

const (
	noBounds    bounds = iota
	realBounds         // any finite number
	wholeBounds        // whole numbers
	countBounds        // whole numbers ≥ 0 (lengths, counts)
)

// Bounded reports whether fields of the type take Min and Max.
func (t FieldType) Bounded() bool { return t.bounds() != noBounds }

// HasUnit reports whether fields of the type take a Unit.
func (t FieldType) HasUnit() bool { return t == FieldNumber || t == FieldInteger }

func (t FieldType) bounds() bounds {
	switch t {
	case FieldNumber:
		return realBounds
	case FieldInteger, FieldMoney, FieldDuration:
		return wholeBounds
	case FieldText, FieldLongText, FieldMultiSelect, FieldLines:
		return countBounds
	}
	return noBounds
}

func (t Template) checkField(v *validation.Error, p string, f *Field, catalogs map[string]bool) {
	switch f.Type {
	case FieldSelect, FieldMultiSelect:
		if len(f.Options) == 0 {
			v.Add(p+".options", validation.CodeRequired, "")
		}
		if len(f.Options) > MaxOptions {
			v.Add(p+".options", validation.CodeTooMany, strconv.Itoa(MaxOptions))
		}
		seen := map[string]bool{}
		for j, o := range f.Options {
			q := fmt.Sprintf("%s.options[%d]", p, j)
			switch {
			case o == "":
				v.Add(q, validation.CodeRequired, "")
			case clean(o) != o:
				v.Add(q, validation.CodeFormat, o)
			case utf8.RuneCountInString(o) > maxNameLen:
				v.Add(q, validation.CodeTooLong, strconv.Itoa(maxNameLen))
			case seen[o]:
				v.Add(q, validation.CodeDuplicate, o)
			}
			seen[o] = true
		}
	default:
		if len(f.Options) > 0 {
			v.Add(p+".options", validation.CodeNotAllowed, "")
		}
	}

	if f.Unit != "" {
		if !f.Type.HasUnit() {
			v.Add(p+".unit", validation.CodeNotAllowed, "")
		} else {
			checkName(v, p+".unit", f.Unit, maxUnitLen, false)
		}
	}
	if f.Catalog != "" {
		switch {
		case f.Type != FieldLines:
			v.Add(p+".catalog", validation.CodeNotAllowed, "")
		case !catalogs[f.Catalog]:
			v.Add(p+".catalog", validation.CodeUnknown, f.Catalog)
		}
	}
	if f.TenantCatalog {
		switch {
		case f.Type != FieldLines:
			v.Add(p+".tenant_catalog", validation.CodeNotAllowed, "")
		case f.Catalog != "":
			v.Add(p+".tenant_catalog", validation.CodeNotAllowed, "catalog")
		}
	}

	b := f.Type.bounds()
	boundsOK := true
	for _, lim := range []struct {
		name string
		val  *float64
	}{{"min", f.Min}, {"max", f.Max}} {
		if lim.val == nil {
			continue
		}
		x := *lim.val
		q := p + "." + lim.name
		switch {
		case b == noBounds:
			v.Add(q, validation.CodeNotAllowed, "")
		case math.IsNaN(x) || math.IsInf(x, 0):
			v.Add(q, validation.CodeFormat, "")
		case b != realBounds && x != math.Trunc(x):
			v.Add(q, validation.CodeFormat, strconv.FormatFloat(x, 'f', -1, 64))
		case b == countBounds && x < 0:
			v.Add(q, validation.CodeOutOfRange, "0..")
		case f.Type == FieldDuration && x < 0:
			v.Add(q, validation.CodeOutOfRange, "0..")
		case math.Abs(x) > maxIntegral:
			v.Add(q, validation.CodeOutOfRange, rangeParam(-maxIntegral, maxIntegral))
		case lim.name == "max" && f.Type == FieldText && x > MaxTextLen:
			v.Add(q, validation.CodeOutOfRange, rangeParam(0, MaxTextLen))
		case lim.name == "max" && f.Type == FieldLongText && x > MaxLongTextLen:
			v.Add(q, validation.CodeOutOfRange, rangeParam(0, MaxLongTextLen))
		case lim.name == "max" && f.Type == FieldLines && x > MaxLines:
			v.Add(q, validation.CodeOutOfRange, rangeParam(0, MaxLines))
		default:
			continue
		}
		boundsOK = false
	}
	if boundsOK && f.Min != nil && f.Max != nil && *f.Min > *f.Max {
		v.Add(p+".min", validation.CodeOutOfRange, "..max")
	}

	if f.Default != nil {
		if f.Type == FieldLines {
			v.Add(p+".default", validation.CodeNotAllowed, "")
		} else if boundsOK {
			dv := &validation.Error{}
			if _, present := t.normalizeField(dv, p+".default", f, f.Default, jpdate.Tokyo()); !present {
				v.Add(p+".default", validation.CodeRequired, "")
			}
			v.Fields = append(v.Fields, dv.Fields...)
		}
	}
}

// rangeParam formats an out_of_range Param: "0..1440", "0..", "..100".
func rangeParam[N int | int64 | float64](lo, hi N) string {
	return formatNum(float64(lo)) + ".." + formatNum(float64(hi))
}

func boundsParam(min, max *float64) string {
	var b strings.Builder
	if min != nil {
		b.WriteString(formatNum(*min))
	}
	b.WriteString("..")
	if max != nil {
		b.WriteString(formatNum(*max))
	}
	return b.String()
}

func formatNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// DefinitionJSON returns the canonical JSON of the definition: without
// Version and Archived (which belong to the source), with defaults made
// explicit, so that two equal definitions have equal JSON. Sources that
// version definitions compare it to decide whether a definition changed.
func (t Template) DefinitionJSON() ([]byte, error) {
	c := t.Clone()
	c.Version = 0
	c.Archived = false
	if c.TaxRounding == "" && t.hasLines() {
		c.TaxRounding = RoundFloor
	}
	return json.Marshal(c)
}

func (t Template) hasLines() bool {
	return slices.ContainsFunc(t.Fields, func(f Field) bool { return f.Type == FieldLines })
}

// checkKey reports a key that is malformed or already in seen, and adds it
// to seen.
func checkKey(v *validation.Error, field, key string, re *regexp.Regexp, seen map[string]bool) {
	switch {
	case !re.MatchString(key):
		v.Add(field, validation.CodeFormat, key)
	case seen[key]:
		v.Add(field, validation.CodeDuplicate, key)
	}
	seen[key] = true
}
