package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/jpdate"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// maxCustomerOptions is how many customers a search on the record form
// offers.
const maxCustomerOptions = 20

// datetimeLocal is the layout of an <input type="datetime-local">.
const datetimeLocal = "2006-01-02T15:04"

// customerOption is one choice of the record form's customer radio list.
type customerOption struct {
	ID   string
	Name string
	Kana string
}

// fieldInput is one template field on the record form.
type fieldInput struct {
	template.Field
	// Name is the form field: "f.<key>".
	Name string
}

// recordFormData is the data of the record form (create and edit).
type recordFormData struct {
	Form *Form
	// Record is the record edited; nil when creating.
	Record *contactlog.Record
	// Action is where the form is sent; FindAction where the customer
	// search and the template switch re-show it.
	Action, FindAction string
	Templates          []template.Template
	Template           *template.Template
	Fields             []fieldInput
	Customers          []customerOption
	// Searched tells that a customer search ran (Customers are its
	// results, plus the chosen customer).
	Searched bool
	// FilesLost tells that files were sent with a form shown again: the
	// browser cannot keep them, so they must be chosen again.
	FilesLost bool
	// Other are problems of fields the form does not show.
	Other []string
	// HasHidden tells that the template has fields the form cannot edit
	// (lines, computed); an edit keeps their values.
	HasHidden bool
}

// loc is the principal's time zone.
func (r *Request) loc() *time.Location {
	if r.Principal.Location != nil {
		return r.Principal.Location
	}
	return jpdate.Tokyo()
}

// recordNew shows the empty record form, the customer chosen when the link
// names one (a customer's page links here).
func (u *UI) recordNew(w http.ResponseWriter, r *Request) error {
	f := NewForm(nil)
	f.Values.Set("template", template.KeyInterview)
	f.Values.Set("actual_at", u.app.Clock().In(r.loc()).Format(datetimeLocal))
	if id, err := uuid.Parse(r.URL.Query().Get("customer")); err == nil {
		f.Values.Set("customer_id", id.String())
	}
	return u.renderRecordForm(w, r, http.StatusOK, nil, f, false)
}

// recordNewPost shows the record form again with what was typed: after a
// customer search (op=find) or a change of template (op=template).
func (u *UI) recordNewPost(w http.ResponseWriter, r *Request) error {
	f := NewForm(r.PostForm)
	return u.renderRecordForm(w, r, http.StatusOK, nil, f, r.PostFormValue("op") == "find")
}

// recordCreate creates a record from the multipart form, then stores its
// photos and files.
func (u *UI) recordCreate(w http.ResponseWriter, r *Request) error {
	f := NewForm(r.PostForm)
	t, err := u.formTemplate(r, f.Get("template"), 0)
	if err != nil {
		return err
	}
	e := contactlog.Entry{Template: t.Key}
	u.readEntry(r, f, t, &e, nil)
	if !f.Valid() {
		return u.renderRecordForm(w, r, http.StatusUnprocessableEntity, nil, f, false)
	}
	// The record is created first and the files added to it afterwards:
	// AddAttachments needs a record, and the engine decides a file's type
	// by its content while storing it, so a refused file can only be known
	// by trying. A record whose files were refused is kept (the typing is
	// not lost) and its page says which files were refused and why, with
	// the form to add files again.
	rec, err := u.app.Records.Create(r.Context(), e)
	if err != nil {
		if addEntryError(f, err, t) {
			return u.renderRecordForm(w, r, http.StatusUnprocessableEntity, nil, f, false)
		}
		return err
	}
	problems, err := u.attach(r, rec.ID)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return u.renderRecordShow(w, r, http.StatusUnprocessableEntity, rec.ID, problems)
	}
	redirect(w, r.Request, "/records/"+rec.ID.String(), "records.created")
	return nil
}

// recordEdit shows the form of an existing record.
func (u *UI) recordEdit(w http.ResponseWriter, r *Request) error {
	rec, err := u.recordOf(r)
	if err != nil {
		return err
	}
	t, err := u.formTemplate(r, rec.Template, rec.TemplateVersion)
	if err != nil {
		return err
	}
	f := NewForm(nil)
	v := f.Values
	v.Set("version", itoa64(rec.Version))
	v.Set("template", rec.Template)
	if rec.Customer != uuid.Nil {
		v.Set("customer_id", rec.Customer.String())
	}
	if !rec.ActualAt.IsZero() {
		v.Set("actual_at", rec.ActualAt.In(r.loc()).Format(datetimeLocal))
	}
	v.Set("public_memo", rec.PublicMemo)
	v.Set("private_memo", rec.PrivateMemo)
	if rec.Important {
		v.Set("important", "1")
	}
	if rec.Shared {
		v.Set("shared", "1")
	}
	for _, fd := range t.Fields {
		val, ok := rec.Values[fd.Key]
		if !ok || val == nil {
			continue
		}
		name := "f." + fd.Key
		switch fd.Type {
		case template.FieldMultiSelect:
			for _, x := range anyList(val) {
				v.Add(name, x)
			}
		case template.FieldBoolean:
			if b, _ := val.(bool); b {
				v.Set(name, "1")
			}
		default:
			v.Set(name, inputValue(fd, val, r.loc()))
		}
	}
	return u.renderRecordForm(w, r, http.StatusOK, rec, f, false)
}

// recordUpdate saves the edit form (or shows it again for op=find), based
// on the version the form was read at: a stale version is a conflict.
func (u *UI) recordUpdate(w http.ResponseWriter, r *Request) error {
	rec, err := u.recordOf(r)
	if err != nil {
		return err
	}
	f := NewForm(r.PostForm)
	f.Values.Set("template", rec.Template)
	if op := f.Get("op"); op != "" {
		return u.renderRecordForm(w, r, http.StatusOK, rec, f, op == "find")
	}
	version, err := parseVersion(f.Get("version"))
	if err != nil {
		return err
	}
	t, err := u.formTemplate(r, rec.Template, rec.TemplateVersion)
	if err != nil {
		return err
	}
	e := rec.Entry
	u.readEntry(r, f, t, &e, rec.Values)
	if !f.Valid() {
		return u.renderRecordForm(w, r, http.StatusUnprocessableEntity, rec, f, false)
	}
	if _, err := u.app.Records.Update(r.Context(), rec.ID, version, e); err != nil {
		if addEntryError(f, err, t) {
			return u.renderRecordForm(w, r, http.StatusUnprocessableEntity, rec, f, false)
		}
		return err
	}
	redirect(w, r.Request, "/records/"+rec.ID.String(), "common.saved")
	return nil
}

// readEntry copies the form's fields into e; old are the record's values
// before the edit (fields the form does not show keep them). Problems the
// engine cannot see (a malformed time) are recorded on f.
func (u *UI) readEntry(r *Request, f *Form, t *template.Template, e *contactlog.Entry, old map[string]any) {
	e.Customer = uuid.Nil
	if s := f.Get("customer_id"); s != "" {
		id, err := uuid.Parse(s)
		if err != nil {
			f.Add("customer_id", msg.T("code.invalid_id"))
		}
		e.Customer = id
	}
	e.ActualAt = time.Time{}
	if s := strings.TrimSpace(f.Get("actual_at")); s != "" {
		at, err := time.ParseInLocation(datetimeLocal, s, r.loc())
		if err != nil {
			f.Add("actual_at", msg.T("code.format"))
		}
		e.ActualAt = at
	}
	e.PublicMemo = f.Get("public_memo")
	e.PrivateMemo = f.Get("private_memo")
	e.Important = f.Get("important") == "1"
	e.Shared = f.Get("shared") == "1"
	vals := map[string]any{}
	for _, fd := range t.Fields {
		name := "f." + fd.Key
		switch {
		case fd.Type == template.FieldLines || slices.Contains(t.Computed, fd.Key):
			if v, ok := old[fd.Key]; ok {
				vals[fd.Key] = v
			}
		case fd.Type == template.FieldMultiSelect:
			if l := f.Values[name]; len(l) > 0 {
				vals[fd.Key] = l
			}
		case fd.Type == template.FieldBoolean:
			vals[fd.Key] = f.Get(name) == "1"
		default:
			if s := strings.TrimSpace(f.Get(name)); s != "" {
				vals[fd.Key] = s
			}
		}
	}
	e.Values = vals
}

// entryFields are the engine's field names the record form shows, with the
// form's names.
var entryFields = map[string]string{
	"customer": "customer_id", "template": "template", "actual_at": "actual_at",
	"public_memo": "public_memo", "private_memo": "private_memo", "important": "important", "shared": "shared",
}

// addEntryError records a validation error of the record engine on f:
// template values ("fields.<key>…") next to their inputs, other problems the
// form shows next to their fields, the rest at the top of the form. It
// reports whether err was a validation error.
func addEntryError(f *Form, err error, t *template.Template) bool {
	var ve *validation.Error
	if !errors.As(err, &ve) {
		return false
	}
	for _, fe := range ve.Fields {
		name := fe.Field
		if i := strings.IndexAny(name, "[."); i > 0 && !strings.HasPrefix(name, "fields.") {
			name = name[:i]
		}
		switch {
		case strings.HasPrefix(name, "fields."):
			key := strings.TrimPrefix(name, "fields.")
			if i := strings.Index(key, "["); i > 0 {
				key = key[:i]
			}
			if _, ok := t.Field(key); ok {
				f.Add("f."+key, msg.Field(fe))
				continue
			}
			f.Add("_other", msg.Field(fe))
		default:
			if to, ok := entryFields[name]; ok {
				f.Add(to, msg.Field(fe))
				continue
			}
			f.Add("_other", msg.T("records.other_problem", name, msg.Field(fe)))
		}
	}
	f.Message = msg.T("common.form_errors")
	return true
}

// formTemplate finds the template a form is written with: key at version
// (0: the latest), the meeting template when key is empty or unknown on a
// new record.
func (u *UI) formTemplate(r *Request, key string, version int) (*template.Template, error) {
	if key == "" {
		key = template.KeyInterview
	}
	t, err := u.app.Records.Template(r.Context(), key, version)
	if err != nil && version == 0 && errors.Is(err, kerr.ErrNotFound) {
		return u.app.Records.Template(r.Context(), template.KeyInterview, 0)
	}
	return t, err
}

// newRecordTemplates are the templates offered for new records: not
// archived and without lines fields (entered through the API; the form has
// no input for them).
func (u *UI) newRecordTemplates(r *Request) ([]template.Template, error) {
	ts, err := u.app.Records.Templates(r.Context())
	if err != nil {
		if len(ts) == 0 {
			return nil, err
		}
		// A plugin that is down: offer the others.
		u.log.Warn("record templates incomplete", "err", err)
	}
	out := ts[:0]
	for _, t := range ts {
		if t.Archived || slices.ContainsFunc(t.Fields, func(f template.Field) bool { return f.Type == template.FieldLines }) {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

// renderRecordForm shows the record form with f; rec is the record edited
// (nil when creating); find runs the customer search of "customer_q".
func (u *UI) renderRecordForm(w http.ResponseWriter, r *Request, status int, rec *contactlog.Record, f *Form, find bool) error {
	d := recordFormData{Form: f, Record: rec, Action: "/records", FindAction: "/records/new", Searched: find}
	var err error
	if rec != nil {
		d.Action = "/records/" + rec.ID.String() + "/edit"
		d.FindAction = d.Action
		d.Template, err = u.formTemplate(r, rec.Template, rec.TemplateVersion)
	} else {
		if d.Templates, err = u.newRecordTemplates(r); err != nil {
			return err
		}
		d.Template, err = u.formTemplate(r, f.Get("template"), 0)
		if r.MultipartForm != nil {
			for _, fhs := range r.MultipartForm.File {
				if len(fhs) > 0 {
					d.FilesLost = true
				}
			}
		}
	}
	if err != nil {
		return err
	}
	f.Values.Set("template", d.Template.Key)
	for _, fd := range d.Template.Fields {
		if fd.Type == template.FieldLines || slices.Contains(d.Template.Computed, fd.Key) {
			d.HasHidden = true
			continue
		}
		d.Fields = append(d.Fields, fieldInput{Field: fd, Name: "f." + fd.Key})
	}
	d.Other = f.Errors["_other"]
	if d.Customers, err = u.customerOptions(r, f, find); err != nil {
		return err
	}
	u.render(w, r.Request, r, status, "records_form", d)
	return nil
}

// customerOptions are the customer choices of the form: the chosen
// customer, then, after a search, up to maxCustomerOptions matches of
// "customer_q" (by name or reading; hiragana finds katakana).
func (u *UI) customerOptions(r *Request, f *Form, find bool) ([]customerOption, error) {
	var out []customerOption
	chosen, _ := uuid.Parse(f.Get("customer_id"))
	if chosen != uuid.Nil {
		names, err := u.app.Customers.Names(r.Context(), []uuid.UUID{chosen})
		if err != nil {
			return nil, err
		}
		n, ok := names[chosen]
		if !ok {
			// A customer hidden from the user since (reassigned): kept,
			// unnamed, so that saving does not unlink the record.
			n = msg.T("records.hidden_customer")
		}
		out = append(out, customerOption{ID: chosen.String(), Name: n})
	}
	q := strings.TrimSpace(f.Get("customer_q"))
	if !find || q == "" {
		return out, nil
	}
	page, err := u.app.Customers.Search(r.Context(), customer.Query{Text: q, Limit: maxCustomerOptions})
	if err != nil {
		var ve *validation.Error
		if errors.As(err, &ve) {
			f.Add("customer_q", msg.Field(ve.Fields[0]))
			return out, nil
		}
		return nil, err
	}
	for _, c := range page.Customers {
		if c.ID == chosen && len(out) > 0 {
			out[0].Kana = strings.TrimSpace(c.FamilyKana + " " + c.GivenKana)
			continue
		}
		out = append(out, customerOption{ID: c.ID.String(), Name: c.DisplayName(),
			Kana: strings.TrimSpace(c.FamilyKana + " " + c.GivenKana)})
	}
	if len(page.Customers) == 0 {
		f.Add("customer_q", msg.T("records.no_customer_found"))
	}
	return out, nil
}

// recordOf loads the record named by the path's {id}.
func (u *UI) recordOf(r *Request) (*contactlog.Record, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return u.app.Records.Get(r.Context(), id)
}

func anyList(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, 0, len(l))
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
