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

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// The template field builder: an admin defines a tenant template from a
// copy of another one (a built-in, say) or edits one of the tenant's, one
// field a row — label, type, required, options — moved up and down, added
// and removed, and previewed, without writing JSON. Every action is a
// POST of the whole form that answers with the page again: the draft is
// the form itself plus a hidden "draft" field holding the definition as it
// was last shown (what the rows do not edit — help texts, units, bounds,
// catalogs, aggregations — travels there), so no JavaScript and no
// server-side state are needed. Saving goes through template.Store.Save,
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
	// Preview shows the fields as the record form will.
	Preview bool
	// Problems are the save's problems not tied to a row.
	Problems []string
	Form     *Form
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
	return u.renderBuilder(w, r, http.StatusOK, &draft, NewForm(nil), false, nil)
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
	if err := applyBuilderForm(&t, f); err != nil {
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
		return u.renderBuilder(w, r, http.StatusOK, &t, f, false, nil)
	}
	switch op {
	case "add":
		t.Fields = append(t.Fields, template.Field{Key: newFieldKey(t.Fields), Type: template.FieldText})
		return u.renderBuilder(w, r, http.StatusOK, &t, f, false, nil)
	case "preview":
		return u.renderBuilder(w, r, http.StatusOK, &t, f, true, nil)
	case "save":
	default:
		return kerr.ErrInvalid
	}
	saved, err := u.app.TemplateStore.Save(r.Context(), t)
	var ve *validation.Error
	if errors.As(err, &ve) {
		f.Message = msg.T("common.form_errors")
		return u.renderBuilder(w, r, http.StatusUnprocessableEntity, &t, f, false, ve.Fields)
	}
	if errors.Is(err, kerr.ErrConflict) {
		f.Message = msg.T("admin.builder.conflict")
		return u.renderBuilder(w, r, http.StatusConflict, &t, f, false, nil)
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

// applyBuilderForm puts the form's edits on the draft: name, description
// and the rows ("key", "label", "type", "options" aligned, one entry a
// row; "required" lists the required rows' keys). A row's key must be one
// of the draft's fields; what a changed type cannot keep (options, bounds,
// default, unit, catalog) is dropped.
func applyBuilderForm(t *template.Template, f *Form) error {
	t.Name, t.Description = strings.TrimSpace(f.Get("name")), strings.TrimSpace(f.Get("description"))
	keys, labels, types, options := f.Values["key"], f.Values["label"], f.Values["type"], f.Values["options"]
	n := len(keys)
	if len(labels) != n || len(types) != n || len(options) != n || n != len(t.Fields) {
		return kerr.ErrInvalid
	}
	fields := make([]template.Field, n)
	for i, key := range keys {
		j := slices.IndexFunc(t.Fields, func(fd template.Field) bool { return fd.Key == key })
		if j < 0 {
			return kerr.ErrInvalid
		}
		fd := t.Fields[j]
		fd.Label = strings.TrimSpace(labels[i])
		fd.Required = f.Has("required", key)
		if typ := template.FieldType(types[i]); typ != fd.Type {
			fd = template.Field{Key: fd.Key, Label: fd.Label, Type: typ, Required: fd.Required, Help: fd.Help}
		}
		fd.Options = nil
		if fd.Type == template.FieldSelect || fd.Type == template.FieldMultiSelect {
			fd.Options = fieldOptions(options[i])
		}
		fields[i] = fd
	}
	t.Fields = fields
	return nil
}

// renderBuilder shows the draft t; problems (a refused save) are put
// beside the rows they name ("fields[2].options") or above the form.
func (u *UI) renderBuilder(w http.ResponseWriter, r *Request, status int, t *template.Template, f *Form, preview bool, problems []validation.FieldError) error {
	draft, err := json.Marshal(t)
	if err != nil {
		return err
	}
	p := &builderPage{Key: t.Key, Name: t.Name, Description: t.Description, Version: t.Version, Draft: string(draft),
		Preview: preview, Form: f}
	for _, fd := range t.Fields {
		row := builderRow{Field: fd, OptionsText: strings.Join(fd.Options, "\n"), Types: builderTypes}
		if !slices.Contains(builderTypes, fd.Type) {
			row.Types = append([]template.FieldType{fd.Type}, builderTypes...)
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
