package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/width"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// The template field builder: an admin defines a tenant template from a
// copy of another one (a built-in, say) or edits one of the tenant's, one
// field a row — label, type, required, options, help text, unit, lower and
// upper bounds, and for a lines field without a template catalog whether
// it draws from the tenant catalog — moved up and down, added and removed, and previewed,
// without writing JSON. Every action is a POST of the whole form that
// answers with the page again: the draft is the form itself plus a hidden
// "draft" field holding the definition as it was last shown (what the rows
// do not edit — defaults, catalogs, aggregations — travels there), so no
// JavaScript and no server-side state are needed. A bound that is not a
// number stays in its box as typed, named beside its row, and blocks the
// save. Saving goes through template.Store.Save,
// whose validation problems are shown beside the row they name.

// builderTypes are the field types offered for new fields, in order: the
// ones that need nothing but a label (and options). A copied field of
// another type (lines, contact) keeps its type.
var builderTypes = []template.FieldType{template.FieldText, template.FieldLongText, template.FieldNumber,
	template.FieldInteger, template.FieldMoney, template.FieldDate, template.FieldDateTime, template.FieldDuration,
	template.FieldSelect, template.FieldMultiSelect, template.FieldBoolean, template.FieldStaff}

// builderRow is one field on the builder's form.
type builderRow struct {
	template.Field
	// OptionsText is the options as typed, one a line.
	OptionsText string
	// MinText and MaxText are the bounds as shown: the draft's, or what
	// was typed when it is not a number.
	MinText, MaxText string
	// Types are the types offered for this row.
	Types []template.FieldType
	// Problems are the save's problems with this field.
	Problems []string
	// Last is the last row (it has no "down").
	Last bool
}

type builderPage struct {
	Key, Name, Description string
	Version                int
	// Draft is the definition as shown, for the next POST.
	Draft string
	Rows  []builderRow
	// Preview, when asked for, is the draft's fields as the record form
	// will show them.
	Preview *builderPreview
	// Problems are the save's problems not tied to a row.
	Problems []string
	Form     *Form
}

// builderPreview is a draft's fields on an empty record form, drawn by
// the record form's own partials ("record_field", "record_lines").
type builderPreview struct {
	Form      *Form
	Fields    []fieldInput
	Lines     []lineField
	HasHidden bool
}

func (u *UI) builderRoutes(admin func(handlerFunc) http.Handler, mux *http.ServeMux) {
	mux.Handle("GET /admin/templates/build", admin(u.adminBuilder))
	mux.Handle("POST /admin/templates/build", admin(u.adminBuilderPost))
}

// adminBuilder starts a draft: ?from=key copies any template the tenant
// sees under a new tenant key; ?edit=tenant:key edits a tenant template's
// latest version.
func (u *UI) adminBuilder(w http.ResponseWriter, r *Request) error {
	q := r.URL.Query()
	key := cmp.Or(q.Get("edit"), q.Get("from"))
	if key == "" {
		key = template.KeyInterview
	}
	t, err := u.app.Templates.Template(r.Context(), r.Principal.Tenant, key, 0)
	if err != nil {
		return err
	}
	draft := *t
	draft.Archived = false
	if q.Get("edit") == "" || template.Namespace(key) != template.NamespaceTenant {
		draft.Key = u.newTemplateKey(key)
		draft.Version = 0
		draft.Name = msg.T("admin.builder.copy_name", t.Name)
		draft.Computed = nil
	}
	return u.renderBuilder(w, r, http.StatusOK, &draft, NewForm(nil), false, nil, nil)
}

// newTemplateKey generates the key of a copy of key: "tenant:" and the
// copied key's name with a time-based suffix, so admins never type one.
func (u *UI) newTemplateKey(from string) string {
	name := strings.TrimPrefix(from, template.Namespace(from)+":")
	name = strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' {
			return c
		}
		return '_'
	}, name)
	return template.NamespaceTenant + ":" + name + "_" + strconv.FormatInt(u.app.Clock().UnixMilli(), 36)
}

// builderOp is "up:i", "down:i", "remove:i", "add", "preview" or "save".
var builderOpRE = regexp.MustCompile(`^(up|down|remove):(\d+)$`)

func (u *UI) adminBuilderPost(w http.ResponseWriter, r *Request) error {
	f := NewForm(r.PostForm)
	var t template.Template
	if err := json.Unmarshal([]byte(f.Get("draft")), &t); err != nil || template.Namespace(t.Key) != template.NamespaceTenant {
		return kerr.ErrInvalid
	}
	typed, err := applyBuilderForm(&t, f)
	if err != nil {
		return err
	}
	op := f.Get("op")
	if m := builderOpRE.FindStringSubmatch(op); m != nil {
		i, _ := strconv.Atoi(m[2])
		if i >= len(t.Fields) {
			return kerr.ErrInvalid
		}
		switch m[1] {
		case "up":
			if i > 0 {
				t.Fields[i-1], t.Fields[i] = t.Fields[i], t.Fields[i-1]
			}
		case "down":
			if i+1 < len(t.Fields) {
				t.Fields[i+1], t.Fields[i] = t.Fields[i], t.Fields[i+1]
			}
		case "remove":
			t.Fields = slices.Delete(t.Fields, i, i+1)
		}
		return u.renderBuilder(w, r, http.StatusOK, &t, f, false, typed, nil)
	}
	switch op {
	case "add":
		t.Fields = append(t.Fields, template.Field{Key: newFieldKey(t.Fields), Type: template.FieldText})
		return u.renderBuilder(w, r, http.StatusOK, &t, f, false, typed, nil)
	case "preview":
		return u.renderBuilder(w, r, http.StatusOK, &t, f, true, typed, nil)
	case "save":
	default:
		return kerr.ErrInvalid
	}
	if len(typed) > 0 {
		f.Message = msg.T("common.form_errors")
		return u.renderBuilder(w, r, http.StatusUnprocessableEntity, &t, f, false, typed, nil)
	}
	saved, err := u.app.TemplateStore.Save(r.Context(), t)
	var ve *validation.Error
	if errors.As(err, &ve) {
		f.Message = msg.T("common.form_errors")
		return u.renderBuilder(w, r, http.StatusUnprocessableEntity, &t, f, false, nil, ve.Fields)
	}
	if errors.Is(err, kerr.ErrConflict) {
		f.Message = msg.T("admin.builder.conflict")
		return u.renderBuilder(w, r, http.StatusConflict, &t, f, false, nil, nil)
	}
	if err != nil {
		return err
	}
	redirect(w, r.Request, "/admin/templates/build?"+url.Values{"edit": {saved.Key}}.Encode(), "admin.builder.saved")
	return nil
}

// newFieldKey generates a field key not in fields: field_1, field_2, …
func newFieldKey(fields []template.Field) string {
	keys := make([]string, len(fields))
	for i, fd := range fields {
		keys[i] = fd.Key
	}
	return freeKey("field_", len(fields)+1, keys)
}

// freeKey is prefix followed by the first number from n on that makes a
// key not in taken: the codes admins never type.
func freeKey(prefix string, n int, taken []string) string {
	for ; ; n++ {
		if key := prefix + strconv.Itoa(n); !slices.Contains(taken, key) {
			return key
		}
	}
}

// typedBounds are a row's bounds as typed where they are not numbers, by
// field key (rows move): they stay in their boxes until corrected.
type typedBounds map[string][2]*string

// applyBuilderForm puts the form's edits on the draft: name, description
// and the rows ("key", "label", "type", "options", "help", "unit", "min",
// "max" aligned, one entry a row; "required" lists the required rows'
// keys, "tenant_catalog" those of lines rows without a template catalog
// that draw from the tenant catalog). A row's key must be one of the draft's fields; what a changed type
// cannot keep (options, bounds, default, catalog, and a unit unless the new
// type takes one) is dropped. Bounds that are not numbers are returned as
// typed, and the field keeps none until they are.
func applyBuilderForm(t *template.Template, f *Form) (typedBounds, error) {
	t.Name, t.Description = strings.TrimSpace(f.Get("name")), strings.TrimSpace(f.Get("description"))
	keys, labels, types, options := f.Values["key"], f.Values["label"], f.Values["type"], f.Values["options"]
	helps, units, mins, maxes := f.Values["help"], f.Values["unit"], f.Values["min"], f.Values["max"]
	n := len(keys)
	for _, col := range [][]string{labels, types, options, helps, units, mins, maxes} {
		if len(col) != n {
			return nil, kerr.ErrInvalid
		}
	}
	if n != len(t.Fields) {
		return nil, kerr.ErrInvalid
	}
	var typed typedBounds
	fields := make([]template.Field, n)
	for i, key := range keys {
		j := slices.IndexFunc(t.Fields, func(fd template.Field) bool { return fd.Key == key })
		if j < 0 {
			return nil, kerr.ErrInvalid
		}
		fd := t.Fields[j]
		fd.Label = strings.TrimSpace(labels[i])
		fd.Required = f.Has("required", key)
		fd.Help = strings.TrimSpace(helps[i])
		changed := template.FieldType(types[i]) != fd.Type
		if changed {
			fd = template.Field{Key: fd.Key, Label: fd.Label, Type: template.FieldType(types[i]), Required: fd.Required, Help: fd.Help}
		}
		fd.Options = nil
		if fd.Type == template.FieldSelect || fd.Type == template.FieldMultiSelect {
			fd.Options = fieldOptions(options[i])
		}
		if fd.Type == template.FieldLines && fd.Catalog == "" {
			fd.TenantCatalog = f.Has("tenant_catalog", key)
		}
		fd.Unit = ""
		if fd.Type.HasUnit() {
			fd.Unit = strings.TrimSpace(units[i])
		}
		if !changed && fd.Type.Bounded() {
			var bad [2]*string
			for b, in := range []string{mins[i], maxes[i]} {
				v, ok := parseBound(in)
				if !ok {
					bad[b] = &in
				}
				if b == 0 {
					fd.Min = v
				} else {
					fd.Max = v
				}
			}
			if bad != [2]*string{} {
				if typed == nil {
					typed = typedBounds{}
				}
				typed[key] = bad
			}
		}
		fields[i] = fd
	}
	t.Fields = fields
	return typed, nil
}

// parseBound reads a typed bound: empty is none; digits may be full-width
// and grouped with commas (「１,０００」).
func parseBound(s string) (*float64, bool) {
	s = strings.ReplaceAll(width.Narrow.String(strings.TrimSpace(s)), ",", "")
	if s == "" {
		return nil, true
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, false
	}
	return template.Limit(x), true
}

// formatBound shows a bound in its box.
func formatBound(x *float64) string {
	if x == nil {
		return ""
	}
	return strconv.FormatFloat(*x, 'f', -1, 64)
}

// renderBuilder shows the draft t with the bounds typed as non-numbers;
// problems (a refused save) are put beside the rows they name
// ("fields[2].options") or above the form.
func (u *UI) renderBuilder(w http.ResponseWriter, r *Request, status int, t *template.Template, f *Form, preview bool, typed typedBounds, problems []validation.FieldError) error {
	draft, err := json.Marshal(t)
	if err != nil {
		return err
	}
	p := &builderPage{Key: t.Key, Name: t.Name, Description: t.Description, Version: t.Version, Draft: string(draft), Form: f}
	if preview {
		p.Preview = &builderPreview{Form: NewForm(nil)}
		p.Preview.Fields, p.Preview.HasHidden = formFields(t)
		if p.Preview.Lines, err = u.lineFields(r, p.Preview.Form, t); err != nil {
			return err
		}
	}
	for i, fd := range t.Fields {
		row := builderRow{Field: fd, OptionsText: strings.Join(fd.Options, "\n"), Types: builderTypes,
			MinText: formatBound(fd.Min), MaxText: formatBound(fd.Max)}
		if !slices.Contains(builderTypes, fd.Type) {
			row.Types = append([]template.FieldType{fd.Type}, builderTypes...)
		}
		for b, in := range typed[fd.Key] {
			if in == nil {
				continue
			}
			name := [2]string{"min", "max"}[b]
			if b == 0 {
				row.MinText = *in
			} else {
				row.MaxText = *in
			}
			problems = append(problems, validation.FieldError{Field: fmt.Sprintf("fields[%d].%s", i, name), Code: validation.CodeFormat})
		}
		p.Rows = append(p.Rows, row)
	}
	if len(p.Rows) > 0 {
		p.Rows[len(p.Rows)-1].Last = true
	}
	for _, fe := range problems {
		var i int
		var rest string
		if n, _ := fmt.Sscanf(fe.Field, "fields[%d]%s", &i, &rest); n >= 1 && i < len(p.Rows) {
			p.Rows[i].Problems = append(p.Rows[i].Problems, builderProblem(fe))
			continue
		}
		p.Problems = append(p.Problems, builderProblem(fe))
	}
	u.render(w, r.Request, r, status, "admin_builder", p)
	return nil
}

// builderProblem names the part of the template a problem is about in the
// builder's words.
func builderProblem(fe validation.FieldError) string {
	part := fe.Field
	if i := strings.LastIndex(part, "."); i >= 0 {
		part = part[i+1:]
	}
	if j := strings.Index(part, "["); j >= 0 {
		part = part[:j]
	}
	label := part
	if msg.Has("admin.builder.part." + part) {
		label = msg.T("admin.builder.part." + part)
	}
	return label + ": " + msg.Field(fe)
}
