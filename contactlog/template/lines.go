package template

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/kirokuhq/kiroku/customer/validation"
)

// Rounding is how a fraction of a yen of consumption tax is rounded.
type Rounding string

// Tax rounding rules. They apply to the tax of each rate once per record
// (per receipt, as the qualified-invoice rules require), never per line,
// and to the amount's magnitude: a negative tax (a refund) rounds the same
// way as a positive one.
const (
	RoundFloor  Rounding = "floor" // 切り捨て (the default)
	RoundHalfUp Rounding = "round" // 四捨五入
	RoundCeil   Rounding = "ceil"  // 切り上げ
)

// Limits of a line.
const (
	// MaxUnitPrice bounds the magnitude of a unit price, in yen. Negative
	// prices are allowed for discount lines (値引き).
	MaxUnitPrice = 1_000_000_000
	// MaxQuantity bounds a line's quantity. Quantities have at most three
	// decimals (0.5 杯, 1.25 kg).
	MaxQuantity = 1_000_000
)

// Line is one line of a lines value: an item, how many, at what price.
type Line struct {
	// Item is the catalog item's key (required when the field names a
	// catalog); in a field that uses the tenant's catalog
	// (Field.TenantCatalog), a tenant catalog item's ID that
	// ValidateOptions.Items resolves, or empty; in any other field, a free
	// product code kept as typed, or empty.
	Item string `json:"item,omitempty"`
	// Name is shown on the line; with a catalog it defaults to the item's.
	Name string `json:"name"`
	// Category and Variant are the names of the item's category and
	// variant (分類) when the line was written, for an item that
	// ValidateOptions.Items resolved; they default to the item's and are
	// kept as given, so renaming the catalog leaves past lines alone.
	Category string `json:"category,omitempty"`
	Variant  string `json:"variant,omitempty"`
	// Quantity is positive, with at most three decimals.
	Quantity float64 `json:"quantity"`
	// UnitPrice in yen, tax excluded; with a catalog it defaults to the
	// item's (in a Line value, zero means "the catalog's").
	UnitPrice int64 `json:"unit_price"`
	// TaxRate in percent, 0–100; with a catalog it defaults to the item's
	// (in a Line value, zero means "the catalog's"; in map input, a
	// missing key does, so JSON can say 0 explicitly).
	TaxRate int `json:"tax_rate"`
	// Subtotal is computed: round(Quantity × UnitPrice), half away from
	// zero, tax excluded. Input values are ignored.
	Subtotal int64 `json:"subtotal"`
}

// TaxAmount is the consumption tax of one rate in a lines value.
type TaxAmount struct {
	Rate int   `json:"rate"` // percent
	Base int64 `json:"base"` // sum of the subtotals at this rate
	Tax  int64 `json:"tax"`  // Base × Rate / 100, rounded once
}

// Lines is the canonical value of a lines field (MASPO's 会計項目): the
// lines with their computed subtotals and the computed totals.
type Lines struct {
	Items []Line `json:"items"`
	// Subtotal is the sum of the lines' subtotals, tax excluded (小計).
	Subtotal int64 `json:"subtotal"`
	// Taxes per rate, ascending by rate (8% and 10% under 軽減税率).
	Taxes []TaxAmount `json:"taxes"`
	// Tax is the sum of Taxes (消費税).
	Tax int64 `json:"tax"`
	// Total is Subtotal + Tax (合計).
	Total int64 `json:"total"`
}

// ComputeLines returns the lines with their subtotals and the totals
// computed: each line's subtotal is round(quantity × unit price) (half away
// from zero), and the tax of each rate is computed once, on the sum of the
// subtotals at that rate, rounded with r ("" means RoundFloor). It assumes
// valid lines (Validate checks them).
func ComputeLines(items []Line, r Rounding) Lines {
	out := Lines{Items: slices.Clone(items), Taxes: []TaxAmount{}}
	if out.Items == nil {
		out.Items = []Line{}
	}
	base := map[int]int64{}
	for i := range out.Items {
		l := &out.Items[i]
		l.Subtotal = lineSubtotal(l.Quantity, l.UnitPrice)
		out.Subtotal += l.Subtotal
		base[l.TaxRate] += l.Subtotal
	}
	rates := make([]int, 0, len(base))
	for rate := range base {
		rates = append(rates, rate)
	}
	slices.Sort(rates)
	for _, rate := range rates {
		tax := taxOf(base[rate], rate, r)
		out.Taxes = append(out.Taxes, TaxAmount{Rate: rate, Base: base[rate], Tax: tax})
		out.Tax += tax
	}
	out.Total = out.Subtotal + out.Tax
	return out
}

// LinesOf reads a lines value as a record stores it: Lines, *Lines, or
// its JSON form (Record.Values after a round trip through the database).
// It reports false for nil and for anything else.
func LinesOf(v any) (Lines, bool) {
	switch x := v.(type) {
	case Lines:
		return x, true
	case *Lines:
		if x != nil {
			return *x, true
		}
		return Lines{}, false
	case nil:
		return Lines{}, false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return Lines{}, false
	}
	var ls Lines
	if err := json.Unmarshal(b, &ls); err != nil {
		return Lines{}, false
	}
	return ls, true
}

// lineSubtotal is round(q × price) in exact integer arithmetic on
// thousandths of a unit, half away from zero.
func lineSubtotal(q float64, price int64) int64 {
	p := int64(math.Round(q*1000)) * price
	sub, rem := p/1000, p%1000
	switch {
	case rem >= 500:
		sub++
	case rem <= -500:
		sub--
	}
	return sub
}

// taxOf is base × rate / 100 rounded by r, on the magnitude.
func taxOf(base int64, rate int, r Rounding) int64 {
	neg := base < 0
	if neg {
		base = -base
	}
	q, rem := base/100, base%100
	tax := q * int64(rate)
	frac := rem * int64(rate) // hundredths of a yen
	tax += frac / 100
	frac %= 100
	switch r {
	case RoundHalfUp:
		if frac >= 50 {
			tax++
		}
	case RoundCeil:
		if frac > 0 {
			tax++
		}
	}
	if neg {
		return -tax
	}
	return tax
}

// lineInput is one line as given, before validation.
type lineInput struct {
	item, name, category, variant  any
	quantity, unitPrice, rate      any
	hasQuantity, hasPrice, hasRate bool
	// zeroDefaults: a Line value, whose zero price and rate mean "the
	// item's" when the line names a catalog item.
	zeroDefaults bool
}

// normalizeLines validates a lines value: Lines, *Lines, []Line, []any or
// []map[string]any of lines, or the JSON form of Lines (a map with
// "items"). Map lines have the keys item, name, quantity, unit_price and
// tax_rate, category and variant (subtotal is ignored). lookup, if not
// nil, resolves the items of a field that uses the tenant's catalog (see
// ItemFunc); its error is returned as is.
func (t Template) normalizeLines(v *validation.Error, path string, f *Field, raw any, lookup itemLookup) (any, bool, error) {
	if f.Catalog != "" {
		c, ok := t.Catalog(f.Catalog)
		if !ok {
			v.Add(path, validation.CodeUnknown, f.Catalog)
			return nil, true, nil
		}
		lookup = func(key string) (*CatalogItem, string, error) {
			switch it, ok := c.Item(key); {
			case key == "":
				return nil, validation.CodeRequired, nil
			case !ok:
				return nil, validation.CodeUnknown, nil
			default:
				// The template's catalog travels with its version, which
				// keeps the names: lines don't copy them.
				it.Category, it.Classification = "", ""
				return &it, "", nil
			}
		}
	}
	var inputs []lineInput
	fromLine := func(l Line) lineInput {
		return lineInput{
			item: l.Item, name: l.Name, category: l.Category, variant: l.Variant,
			quantity: l.Quantity, unitPrice: l.UnitPrice, rate: l.TaxRate,
			hasQuantity: true, hasPrice: true, hasRate: true, zeroDefaults: true,
		}
	}
	var list []any
	switch x := raw.(type) {
	case Lines:
		list = linesAsAny(x.Items)
	case *Lines:
		list = linesAsAny(x.Items)
	case []Line:
		list = linesAsAny(x)
	case []map[string]any:
		list = make([]any, len(x))
		for i, m := range x {
			list[i] = m
		}
	case []any:
		list = x
	case map[string]any:
		for k := range x {
			switch k {
			case "items", "subtotal", "taxes", "tax", "total":
			default:
				v.Add(path+"."+k, validation.CodeUnknown, k)
			}
		}
		items, ok := x["items"].([]any)
		if !ok && x["items"] != nil {
			v.Add(path+".items", validation.CodeWrongType, "")
			return nil, true, nil
		}
		list = items
	default:
		v.Add(path, validation.CodeWrongType, "")
		return nil, true, nil
	}
	n0 := len(v.Fields)
	for i, e := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		switch l := e.(type) {
		case Line:
			inputs = append(inputs, fromLine(l))
		case *Line:
			inputs = append(inputs, fromLine(*l))
		case map[string]any:
			in := lineInput{item: l["item"], name: l["name"], category: l["category"], variant: l["variant"],
				quantity: l["quantity"], unitPrice: l["unit_price"], rate: l["tax_rate"]}
			_, in.hasQuantity = l["quantity"]
			_, in.hasPrice = l["unit_price"]
			_, in.hasRate = l["tax_rate"]
			in.hasQuantity = in.hasQuantity && !isEmpty(in.quantity)
			in.hasPrice = in.hasPrice && !isEmpty(in.unitPrice)
			in.hasRate = in.hasRate && !isEmpty(in.rate)
			for k := range l {
				switch k {
				case "item", "name", "category", "variant", "quantity", "unit_price", "tax_rate", "subtotal":
				default:
					v.Add(p+"."+k, validation.CodeUnknown, k)
				}
			}
			inputs = append(inputs, in)
		default:
			v.Add(p, validation.CodeWrongType, "")
		}
	}
	if len(v.Fields) > n0 {
		return nil, true, nil
	}
	if len(inputs) == 0 {
		return nil, false, nil
	}
	limit := MaxLines
	if f.Max != nil && int(*f.Max) < limit {
		limit = int(*f.Max)
	}
	if len(inputs) > limit {
		v.Add(path, validation.CodeTooMany, strconv.Itoa(limit))
		return nil, true, nil
	}
	if f.Min != nil && float64(len(inputs)) < *f.Min {
		v.Add(path, validation.CodeOutOfRange, boundsParam(f.Min, f.Max))
		return nil, true, nil
	}
	lines := make([]Line, 0, len(inputs))
	for i, in := range inputs {
		l, ok, err := normalizeLine(v, fmt.Sprintf("%s[%d]", path, i), in, lookup)
		if err != nil {
			return nil, true, err
		}
		if ok {
			lines = append(lines, l)
		}
	}
	if len(v.Fields) > n0 {
		return nil, true, nil
	}
	return ComputeLines(lines, t.TaxRounding), true, nil
}

// itemLookup resolves a line's item as ItemFunc does, for one field.
type itemLookup func(item string) (*CatalogItem, string, error)

func linesAsAny(ls []Line) []any {
	out := make([]any, len(ls))
	for i, l := range ls {
		out[i] = l
	}
	return out
}

func normalizeLine(v *validation.Error, p string, in lineInput, lookup itemLookup) (Line, bool, error) {
	var l Line
	n0 := len(v.Fields)
	text := func(field string, raw any, limit int) string {
		if raw == nil {
			return ""
		}
		s, ok := raw.(string)
		if !ok {
			v.Add(p+"."+field, validation.CodeWrongType, "")
			return ""
		}
		s = clean(s)
		if v.CheckText(p+"."+field, s, true) && utf8.RuneCountInString(s) > limit {
			v.Add(p+"."+field, validation.CodeTooLong, strconv.Itoa(limit))
		}
		return s
	}
	l.Item = text("item", in.item, maxItemKeyLen)
	l.Name = text("name", in.name, maxLineNameLen)
	l.Category = text("category", in.category, maxLineNameLen)
	l.Variant = text("variant", in.variant, maxLineNameLen)

	// The item, when the line names one: it fills what the line leaves
	// empty.
	var item *CatalogItem
	var problem string // the item's: its line's other problems are moot
	if lookup != nil && len(v.Fields) == n0 {
		var it *CatalogItem
		var err error
		if it, problem, err = lookup(l.Item); err != nil {
			return Line{}, false, err
		}
		switch {
		case problem != "":
			v.Add(p+".item", problem, l.Item)
		case it != nil:
			item = it
			l.Item = cmp.Or(it.Key, l.Item) // as the source spells it
			// Cleaned as typed text is, so the line validates again to
			// itself.
			l.Name = cmp.Or(l.Name, clean(it.Name))
			l.Category = cmp.Or(l.Category, clean(it.Category))
			l.Variant = cmp.Or(l.Variant, clean(it.Classification))
			if in.zeroDefaults {
				in.hasPrice = in.unitPrice != int64(0)
				in.hasRate = in.rate != 0
			}
		}
	}
	if item == nil && problem == "" && l.Name == "" && len(v.Fields) == n0 {
		v.Add(p+".name", validation.CodeRequired, "")
	}

	if !in.hasQuantity {
		v.Add(p+".quantity", validation.CodeRequired, "")
	} else if q, code := parseNumber(in.quantity, "", false); code != "" {
		v.Add(p+".quantity", code, "")
	} else if q <= 0 || q > MaxQuantity {
		v.Add(p+".quantity", validation.CodeOutOfRange, "0.001.."+strconv.Itoa(MaxQuantity))
	} else if m := q * 1000; math.Abs(m-math.Round(m)) > 1e-6 {
		v.Add(p+".quantity", validation.CodeFormat, "")
	} else {
		l.Quantity = math.Round(m) / 1000
	}

	switch {
	case in.hasPrice:
		x, code := parseNumber(in.unitPrice, "", true)
		switch {
		case code != "":
			v.Add(p+".unit_price", code, "")
		case x != math.Trunc(x):
			v.Add(p+".unit_price", validation.CodeFormat, "")
		case math.Abs(x) > MaxUnitPrice:
			v.Add(p+".unit_price", validation.CodeOutOfRange, rangeParam(-MaxUnitPrice, MaxUnitPrice))
		default:
			l.UnitPrice = int64(x)
		}
	case item != nil:
		l.UnitPrice = item.UnitPrice
	case problem != "":
	default:
		v.Add(p+".unit_price", validation.CodeRequired, "")
	}

	switch {
	case in.hasRate:
		x, code := parseNumber(in.rate, "%", false)
		switch {
		case code != "":
			v.Add(p+".tax_rate", code, "")
		case x != math.Trunc(x):
			v.Add(p+".tax_rate", validation.CodeFormat, "")
		case x < 0 || x > 100:
			v.Add(p+".tax_rate", validation.CodeOutOfRange, "0..100")
		default:
			l.TaxRate = int(x)
		}
	case item != nil:
		l.TaxRate = item.TaxRate
	case problem != "":
	default:
		v.Add(p+".tax_rate", validation.CodeRequired, "")
	}
	return l, len(v.Fields) == n0, nil
}
