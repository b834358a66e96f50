package web

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// fieldTypes are the custom field types offered on the page, in order.
var fieldTypes = []customer.FieldType{customer.FieldText, customer.FieldNumber, customer.FieldInteger,
	customer.FieldDate, customer.FieldBoolean, customer.FieldSelect}

// adminFieldRow is a custom field on the form: its definition, its options
// as typed (one a line) and its position (1-based).
type adminFieldRow struct {
	customer.FieldDef
	OptionsText string
	Order       int
}

type adminFieldsPage struct {
	Fields []adminFieldRow
	Types  []customer.FieldType
	Form   *Form
}

func (u *UI) renderFields(w http.ResponseWriter, r *Request, status int, rows []adminFieldRow, f *Form) {
	u.render(w, r.Request, r, status, "admin_fields", &adminFieldsPage{Fields: rows, Types: fieldTypes, Form: f})
}

func (u *UI) adminFields(w http.ResponseWriter, r *Request) error {
	defs, err := u.app.Customers.Fields(r.Context())
	if err != nil {
		return err
	}
	rows := make([]adminFieldRow, len(defs))
	for i, d := range defs {
		rows[i] = adminFieldRow{FieldDef: d, OptionsText: strings.Join(d.Options, "\n"), Order: i + 1}
	}
	u.renderFields(w, r, http.StatusOK, rows, NewForm(nil))
	return nil
}

// fieldOptions splits the options typed one a line, blank lines dropped.
func fieldOptions(text string) []string {
	var out []string
	for line := range strings.Lines(text) {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// adminFieldsPost saves every custom field at once: "key", "label",
// "type", "options" and "order" are aligned lists, one entry per field,
// "required" lists the keys that are required; the fields are renumbered
// in the order of "order" (ties keep the form's order). "new_key",
// "new_label", "new_type", "new_options" and "new_required" add a field at
// the end; without "new_key" its code is generated (field_N). Nothing is
// saved unless every field is valid.
func (u *UI) adminFieldsPost(w http.ResponseWriter, r *Request) error {
	f := NewForm(r.PostForm)
	keys, labels, types, options, orders := f.Values["key"], f.Values["label"], f.Values["type"], f.Values["options"], f.Values["order"]
	n := len(keys)
	if len(labels) != n || len(types) != n || len(options) != n || len(orders) != n {
		return kerr.ErrInvalid
	}
	rows := make([]adminFieldRow, 0, n+1)
	for i, key := range keys {
		row := adminFieldRow{FieldDef: customer.FieldDef{Key: key, Label: labels[i], Type: customer.FieldType(types[i]),
			Options: fieldOptions(options[i]), Required: f.Has("required", key)}, OptionsText: options[i], Order: i + 1}
		if o, err := strconv.Atoi(strings.TrimSpace(orders[i])); err == nil {
			row.Order = o
		}
		rows = append(rows, row)
	}
	slices.SortStableFunc(rows, func(a, b adminFieldRow) int { return cmp.Compare(a.Order, b.Order) })
	if key, label := strings.TrimSpace(f.Get("new_key")), f.Get("new_label"); key != "" || strings.TrimSpace(label) != "" {
		if key == "" {
			// The admin named the field only: its code is generated.
			key = freeKey("field_", n+1, keys)
		}
		rows = append(rows, adminFieldRow{FieldDef: customer.FieldDef{Key: key, Label: label,
			Type: customer.FieldType(f.Get("new_type")), Options: fieldOptions(f.Get("new_options")),
			Required: f.Get("new_required") != ""}, OptionsText: f.Get("new_options"), Order: len(rows) + 1})
	}
	for i := range rows {
		rows[i].Position = i + 1
	}
	if len(rows) > n && slices.Contains(keys, rows[n].Key) {
		// DefineField replaces a field of the same key: adding must not.
		f.AddError(&validation.Error{Fields: []validation.FieldError{{Field: "new_key", Code: validation.CodeDuplicate,
			Param: rows[n].Key}}}, nil)
		u.renderFields(w, r, http.StatusUnprocessableEntity, renumber(rows[:n]), f)
		return nil
	}
	ctx := r.Context()
	err := u.app.DB.RunInTx(ctx, &sql.TxOptions{}, func(ctx context.Context, tx bun.Tx) error {
		customers := u.app.Customers.WithDB(tx)
		for i, row := range rows {
			if err := customers.DefineField(ctx, row.FieldDef); err != nil {
				return fieldRowError{i: i, new: i == n, err: err}
			}
		}
		return nil
	})
	var fe fieldRowError
	if errors.As(err, &fe) && f.AddError(fe.err, fe.rename(len(rows[fe.i].Options))) {
		u.renderFields(w, r, http.StatusUnprocessableEntity, renumber(rows[:n]), f)
		return nil
	}
	if err != nil {
		return err
	}
	redirect(w, r.Request, "/admin/fields", "common.saved")
	return nil
}

// fieldRowError is the problem of the field at position i of the page
// (new: the one being added).
type fieldRowError struct {
	i   int
	new bool
	err error
}

func (e fieldRowError) Error() string { return e.err.Error() }
func (e fieldRowError) Unwrap() error { return e.err }

// rename maps the engine's field names to the page's: "label" of the
// field at position i to "fields[i].label", or to "new_label"; the problem
// of one of its options options ("options[j]") to the options box.
func (e fieldRowError) rename(options int) map[string]string {
	out := map[string]string{}
	for _, name := range []string{"key", "label", "type", "options"} {
		if e.new {
			out[name] = "new_" + name
		} else {
			out[name] = fmt.Sprintf("fields[%d].%s", e.i, name)
		}
	}
	for j := range options {
		out[fmt.Sprintf("options[%d]", j)] = out["options"]
	}
	return out
}

// renumber sets the rows' Order to their positions on the page.
func renumber(rows []adminFieldRow) []adminFieldRow {
	for i := range rows {
		rows[i].Order = i + 1
	}
	return rows
}

// adminFieldDelete removes a custom field and erases its values from
// every customer, after a confirmation.
func (u *UI) adminFieldDelete(w http.ResponseWriter, r *Request) error {
	key := r.PathValue("key")
	defs, err := u.app.Customers.Fields(r.Context())
	if err != nil {
		return err
	}
	i := slices.IndexFunc(defs, func(d customer.FieldDef) bool { return d.Key == key })
	if i < 0 {
		return kerr.ErrNotFound
	}
	if !u.confirmedWith(w, r, "/admin/fields", msg.T("admin.fields.confirm_remove", defs[i].Label)) {
		return nil
	}
	if err := u.app.Customers.RemoveField(r.Context(), key); err != nil {
		return err
	}
	redirect(w, r.Request, "/admin/fields", "admin.fields.removed")
	return nil
}
