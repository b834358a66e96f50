package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog/catalog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// Catalog lines on the record form (会計項目). A lines field K has rows
// named "ln.K.<part>.<i>" (part: cat, item, src, name, qty, price, rate)
// and "ln.K.rows", the number of rows shown. A field that uses the tenant
// catalog (template.Field.TenantCatalog) offers it (category → item); choosing
// an item fills name, unit price and rate from the catalog as they are now
// (catalog.Service.Line), and "src" remembers which item they came from, so
// choosing another item fills them again while typed changes are kept. A
// field with a template catalog offers its items; the engine fills what is
// left empty. Any other lines field takes a product code as typed, never
// looked up. Subtotals and taxes are the engine's (template.Validate).

// Line-row form operations: add a row to a lines field; remove row i.
const (
	opAddLine    = "add_line:"    // + field key
	opRemoveLine = "remove_line:" // + field key + ":" + row index
)

// maxLineRows bounds the rows a form renders.
const maxLineRows = template.MaxLines

// lineParts are the inputs of one line row.
var lineParts = []string{"cat", "item", "src", "name", "qty", "price", "rate"}

func lineName(key, part string, i int) string {
	return "ln." + key + "." + part + "." + strconv.Itoa(i)
}

func lineRowCount(f *Form, key string) int {
	n, _ := strconv.Atoi(f.Get("ln." + key + ".rows"))
	return min(max(n, 1), maxLineRows)
}

// lineOp runs a line-row operation; it reports whether op was one.
func lineOp(f *Form, op string) bool {
	if key, ok := strings.CutPrefix(op, opAddLine); ok {
		f.Values.Set("ln."+key+".rows", strconv.Itoa(min(lineRowCount(f, key)+1, maxLineRows)))
		return true
	}
	rest, ok := strings.CutPrefix(op, opRemoveLine)
	if !ok {
		return false
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return true
	}
	key := rest[:i]
	at, err := strconv.Atoi(rest[i+1:])
	n := lineRowCount(f, key)
	if err != nil || at < 0 || at >= n {
		return true
	}
	for j := at; j < n-1; j++ {
		for _, p := range lineParts {
			f.Values.Set(lineName(key, p, j), f.Get(lineName(key, p, j+1)))
		}
	}
	for _, p := range lineParts {
		f.Values.Del(lineName(key, p, n-1))
	}
	f.Values.Set("ln."+key+".rows", strconv.Itoa(max(n-1, 1)))
	return true
}

// fillLines fills the rows of lines field fd whose tenant-catalog item
// changed with the item's name, unit price and rate as they are now
// (quantity 1 when empty); a refused item is a problem of its row.
func (u *UI) fillLines(r *Request, f *Form, fd template.Field) error {
	if !fd.TenantCatalog {
		return nil
	}
	for i := range lineRowCount(f, fd.Key) {
		get := func(p string) string { return strings.TrimSpace(f.Get(lineName(fd.Key, p, i))) }
		item := get("item")
		if item == "" || item == get("src") {
			continue
		}
		id, err := uuid.Parse(item)
		if err != nil {
			f.Add(lineName(fd.Key, "item", i), msg.T("code.invalid_id"))
			continue
		}
		l, err := u.app.Catalog.Line(r.Context(), id, 1)
		switch {
		case errors.Is(err, kerr.ErrNotFound):
			f.Add(lineName(fd.Key, "item", i), msg.T("records.line_item_gone"))
			continue
		case err != nil:
			if !f.AddError(err, map[string]string{"item": lineName(fd.Key, "item", i)}) {
				return err
			}
			continue
		}
		f.Values.Set(lineName(fd.Key, "name", i), l.Name)
		f.Values.Set(lineName(fd.Key, "price", i), strconv.FormatInt(l.UnitPrice, 10))
		f.Values.Set(lineName(fd.Key, "rate", i), strconv.Itoa(l.TaxRate))
		f.Values.Set(lineName(fd.Key, "src", i), item)
		if get("qty") == "" {
			f.Values.Set(lineName(fd.Key, "qty", i), "1")
		}
	}
	return nil
}

// lineInput is one row as the engine's map input (keys item, name,
// quantity, unit_price, tax_rate; empty inputs left out); nil when nothing
// is typed or chosen.
func lineInput(item, name, qty, price, rate string) map[string]any {
	m := map[string]any{}
	for _, p := range []struct{ val, key string }{{item, "item"}, {name, "name"}, {qty, "quantity"},
		{price, "unit_price"}, {rate, "tax_rate"}} {
		if s := strings.TrimSpace(p.val); s != "" {
			m[p.key] = s
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// readLines reads the rows of lines field fd with anything typed or chosen
// (after fillLines), as the engine's input.
func readLines(f *Form, key string) []any {
	var out []any
	for i := range lineRowCount(f, key) {
		get := func(p string) string { return f.Get(lineName(key, p, i)) }
		if m := lineInput(get("item"), get("name"), get("qty"), get("price"), get("rate")); m != nil {
			out = append(out, m)
		}
	}
	return out
}

// setLines writes a stored lines value into the form's rows (editing).
func setLines(v map[string][]string, key string, raw any) error {
	b, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	var ls template.Lines
	if err := json.Unmarshal(b, &ls); err != nil {
		return fmt.Errorf("lines %s: %w", key, err)
	}
	for i, l := range ls.Items {
		set := func(p, s string) { v[lineName(key, p, i)] = []string{s} }
		set("item", l.Item)
		set("src", l.Item)
		set("name", l.Name)
		set("qty", strconv.FormatFloat(l.Quantity, 'f', -1, 64))
		set("price", strconv.FormatInt(l.UnitPrice, 10))
		set("rate", strconv.Itoa(l.TaxRate))
	}
	v["ln."+key+".rows"] = []string{strconv.Itoa(len(ls.Items))}
	return nil
}

// lineLabels are the message keys of a line's inputs, by the engine's
// names.
var lineLabels = map[string]string{"item": "records.line_item", "name": "records.line_name",
	"quantity": "records.line_quantity", "unit_price": "records.line_unit_price", "tax_rate": "records.line_tax_rate"}

// lineOption is one choice of a line row's select.
type lineOption struct {
	Value, Label string
}

// lineRow is one row of a lines field as typed, with its choices, its
// computed subtotal (when the row is valid) and its problems.
type lineRow struct {
	Index                                          int
	Category, Item, Source, Name, Qty, Price, Rate string
	Items                                          []lineOption
	Subtotal                                       string
	Problems                                       []string
}

// lineField is a lines field of the form: rows, choices and totals.
type lineField struct {
	Field      template.Field
	Categories []lineOption // the tenant catalog's (a field with TenantCatalog)
	// Free: the field has no catalog, and a row's item is a product code
	// typed as is.
	Free bool
	Rows []lineRow
	// Totals are the engine's computation of the rows when all are valid
	// (nil: none).
	Totals *lineTotals
}

// lineTotals are the totals of a lines field, formatted (1,234円).
type lineTotals struct {
	Net, Total string
	Taxes      []lineTax
}

// lineTax is the consumption tax of one rate.
type lineTax struct {
	Rate int
	Tax  string
}

// lineFields builds the lines fields of t for the form: each row's
// choices, and the engine's subtotals and taxes of what is typed.
func (u *UI) lineFields(r *Request, f *Form, t *template.Template) ([]lineField, error) {
	var out []lineField
	var cats []catalog.Category
	loaded := false
	for _, fd := range t.Fields {
		if fd.Type != template.FieldLines {
			continue
		}
		if err := u.fillLines(r, f, fd); err != nil {
			return nil, err
		}
		lf := lineField{Field: fd, Free: fd.Catalog == "" && !fd.TenantCatalog}
		var own []lineOption
		if c, ok := t.Catalog(fd.Catalog); ok && fd.Catalog != "" {
			for _, it := range c.Items {
				own = append(own, lineOption{Value: it.Key, Label: it.Name})
			}
		} else if fd.TenantCatalog && !loaded {
			var err error
			if cats, err = u.app.Catalog.Categories(r.Context()); err != nil {
				return nil, err
			}
			loaded = true
		}
		if fd.TenantCatalog {
			for _, c := range cats {
				lf.Categories = append(lf.Categories, lineOption{Value: c.ID.String(), Label: c.Name})
			}
		}
		for i := range lineRowCount(f, fd.Key) {
			get := func(p string) string { return f.Get(lineName(fd.Key, p, i)) }
			row := lineRow{Index: i, Category: get("cat"), Item: get("item"), Source: get("src"), Name: get("name"),
				Qty: get("qty"), Price: get("price"), Rate: get("rate")}
			for _, p := range []string{"item", "qty"} {
				row.Problems = append(row.Problems, f.Errors[lineName(fd.Key, p, i)]...)
			}
			switch {
			case fd.Catalog != "":
				row.Items = own
			case fd.TenantCatalog:
				if err := u.lineRowItems(r, &row); err != nil {
					return nil, err
				}
			}
			lf.Rows = append(lf.Rows, row)
		}
		if err := u.computeLines(r, t, &lf); err != nil {
			return nil, err
		}
		out = append(out, lf)
	}
	return out, nil
}

// lineRowItems fills the category of a row's tenant-catalog item (an edit
// names the item only) and the items offered: the category's current
// items, and the chosen one even when archived (an old record keeps it).
func (u *UI) lineRowItems(r *Request, row *lineRow) error {
	if id, err := uuid.Parse(row.Item); err == nil && row.Category == "" {
		switch it, err := u.app.Catalog.Item(r.Context(), id); {
		case err == nil:
			row.Category = it.Category.String()
		case !errors.Is(err, kerr.ErrNotFound):
			return err
		}
	}
	cat, err := uuid.Parse(row.Category)
	if err != nil {
		return nil
	}
	items, err := u.app.Catalog.Items(r.Context(), cat, true)
	if err != nil {
		if errors.Is(err, kerr.ErrNotFound) {
			return nil
		}
		return err
	}
	for _, it := range items {
		if !it.Archived || it.ID.String() == row.Item {
			row.Items = append(row.Items, lineOption{Value: it.ID.String(),
				Label: it.DisplayName() + " " + yen(it.UnitPrice)})
		}
	}
	return nil
}

// computeLines runs the engine's validation of the field over the rows
// typed, each alone (its subtotal, or its problems named by input), then
// all together for the totals when every row is valid.
func (u *UI) computeLines(r *Request, t *template.Template, lf *lineField) error {
	one := *t
	fd := lf.Field
	fd.Required, fd.Min = false, nil
	one.Fields = []template.Field{fd}
	one.Computed = nil
	validate := func(input []any) (*template.Lines, []validation.FieldError, error) {
		vals, err := one.Validate(map[string]any{fd.Key: input}, r.loc())
		var ve *validation.Error
		if errors.As(err, &ve) {
			return nil, ve.Fields, nil
		}
		if err != nil {
			return nil, nil, err
		}
		ls, ok := vals[fd.Key].(template.Lines)
		if !ok {
			return nil, nil, fmt.Errorf("lines %s: value %T", fd.Key, vals[fd.Key])
		}
		return &ls, nil, nil
	}
	var all []any
	valid := true
	for i := range lf.Rows {
		row := &lf.Rows[i]
		m := lineInput(row.Item, row.Name, row.Qty, row.Price, row.Rate)
		if m == nil {
			continue
		}
		all = append(all, m)
		ls, problems, err := validate([]any{m})
		if err != nil {
			return err
		}
		for _, fe := range problems {
			part := fe.Field[strings.LastIndexByte(fe.Field, '.')+1:]
			label, ok := lineLabels[part]
			if !ok {
				label = "records.line_item"
			}
			row.Problems = append(row.Problems, msg.T("records.line_problem", msg.T(label), msg.Field(fe)))
		}
		if ls != nil {
			row.Subtotal = yen(ls.Items[0].Subtotal)
		} else {
			valid = false
		}
	}
	if !valid || len(all) == 0 {
		return nil
	}
	ls, _, err := validate(all)
	if err != nil || ls == nil {
		return err
	}
	lf.Totals = &lineTotals{Net: yen(ls.Subtotal), Total: yen(ls.Total)}
	for _, x := range ls.Taxes {
		lf.Totals.Taxes = append(lf.Totals.Taxes, lineTax{Rate: x.Rate, Tax: yen(x.Tax)})
	}
	return nil
}
