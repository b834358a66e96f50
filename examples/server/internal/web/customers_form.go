package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/date"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// customerTextField is one text input of the customer form.
type customerTextField struct {
	Name, Label, Type, Autocomplete, Hint string
	Required                              bool
}

// customerNameFields and customerContactFields are the form's text inputs,
// in display order.
var (
	customerNameFields = []customerTextField{
		{Name: "family_name", Label: "customers.family_name", Type: "text", Autocomplete: "family-name", Required: true},
		{Name: "given_name", Label: "customers.given_name", Type: "text", Autocomplete: "given-name"},
		{Name: "family_kana", Label: "customers.family_kana", Type: "text", Hint: "customers.kana_hint"},
		{Name: "given_kana", Label: "customers.given_kana", Type: "text"},
		{Name: "company_name", Label: "customers.company_name", Type: "text", Autocomplete: "organization"},
		{Name: "company_kana", Label: "customers.company_kana", Type: "text"},
		{Name: "department", Label: "customers.department", Type: "text"},
	}
	customerContactFields = []customerTextField{
		{Name: "email", Label: "customers.email", Type: "email", Autocomplete: "email"},
		{Name: "mobile", Label: "customers.mobile", Type: "tel", Autocomplete: "tel"},
		{Name: "phone", Label: "customers.phone", Type: "tel"},
		{Name: "birthday", Label: "customers.birthday", Type: "text", Hint: "customers.birthday_hint"},
		{Name: "postal_code", Label: "customers.postal_code", Type: "text", Autocomplete: "postal-code"},
		{Name: "address", Label: "customers.address", Type: "text", Autocomplete: "street-address"},
		{Name: "decision_maker", Label: "customers.decision_maker", Type: "text"},
	}
)

// customerChoice is one option of a radio group or select.
type customerChoice struct{ Value, Label string }

var (
	customerKinds = []customerChoice{{"individual", "customers.kind_individual"}, {"company", "customers.kind_company"}}
	customerStats = []customerChoice{{"prospect", "customers.status_prospect"}, {"existing", "customers.status_existing"}}
	customerGends = []customerChoice{{"", "customers.gender_none"}, {"male", "customers.gender_male"},
		{"female", "customers.gender_female"}, {"other", "customers.gender_other"}}
	customerContacts = []customerChoice{{"", "customers.contact_any"}, {"mobile", "customers.contact_mobile"},
		{"email", "customers.contact_email"}, {"home_phone", "customers.contact_home_phone"},
		{"letter", "customers.contact_letter"}}
)

// customerFormData is what customers_form renders.
type customerFormData struct {
	Form          *Form
	Customer      *customer.Customer // nil when registering
	Action        string
	Ranks         []customer.Rank
	Fields        []customer.FieldDef
	NameFields    []customerTextField
	ContactFields []customerTextField
	Kinds         []customerChoice
	Statuses      []customerChoice
	Genders       []customerChoice
	Contacts      []customerChoice
	// Files are the profile files chosen so far, spooled until the form
	// is saved; FileProblems are the engine's refusals of them, each
	// naming its file.
	Files        []spooled
	FileProblems []string
}

// customerRename maps engine field names the form names differently: the
// form's custom inputs are named like the engine's fields ("custom.<key>"),
// and problems with the whole custom map are shown under the memo.
var customerRename = map[string]string{"custom": "memo"}

func (u *UI) customerFormPage(w http.ResponseWriter, r *Request, status int, f *Form, c *customer.Customer) error {
	return u.customerFormFiles(w, r, status, f, c, nil)
}

// customerFormFiles renders the form with the files spooled for it and
// fileProblems about them.
func (u *UI) customerFormFiles(w http.ResponseWriter, r *Request, status int, f *Form, c *customer.Customer, fileProblems []string) error {
	ctx := r.Context()
	ranks, err := u.app.Customers.Ranks(ctx)
	if err != nil {
		return err
	}
	fields, err := u.app.Customers.Fields(ctx)
	if err != nil {
		return err
	}
	d := customerFormData{Form: f, Customer: c, Action: "/customers/new", Ranks: ranks, Fields: fields,
		NameFields: customerNameFields, ContactFields: customerContactFields, Kinds: customerKinds,
		Statuses: customerStats, Genders: customerGends, Contacts: customerContacts}
	if c != nil {
		d.Action = "/customers/" + c.ID.String() + "/edit"
	}
	if f.Get(spoolField) != "" {
		if d.Files, err = u.spoolOf(r, f).list(ctx); err != nil {
			return err
		}
	}
	d.FileProblems = fileProblems
	u.render(w, r.Request, r, status, "customers_form", d)
	return nil
}

func (u *UI) customerNew(w http.ResponseWriter, r *Request) error {
	f := NewForm(url.Values{"kind": {"individual"}, "status": {"prospect"}})
	return u.customerFormPage(w, r, http.StatusOK, f, nil)
}

// customerProfile reads the posted form into a profile. A birthday that
// does not parse is returned as a field problem, so the caller can report
// it together with the engine's.
func customerProfile(v url.Values, fields []customer.FieldDef) (customer.Profile, *validation.Error) {
	ve := &validation.Error{}
	p := customer.Profile{
		Kind: customer.Kind(v.Get("kind")), Status: customer.Status(v.Get("status")),
		FamilyName: v.Get("family_name"), GivenName: v.Get("given_name"),
		FamilyKana: v.Get("family_kana"), GivenKana: v.Get("given_kana"),
		CompanyName: v.Get("company_name"), CompanyKana: v.Get("company_kana"), Department: v.Get("department"),
		Email: v.Get("email"), Mobile: v.Get("mobile"), Phone: v.Get("phone"),
		Gender: customer.Gender(v.Get("gender")), PostalCode: v.Get("postal_code"), Address: v.Get("address"),
		ContactMethod: customer.ContactMethod(v.Get("contact_method")), DecisionMaker: v.Get("decision_maker"),
		Rank: v.Get("rank"), Memo: v.Get("memo"), Consent: v.Get("consent") == "1",
	}
	if b := strings.TrimSpace(v.Get("birthday")); b != "" {
		d, err := date.Parse(b)
		if err != nil {
			ve.Add("birthday", date.ErrorCode(err), "")
		} else {
			p.Birthday = &d
		}
	}
	if len(fields) > 0 {
		p.Custom = map[string]any{}
		for _, fd := range fields {
			s := strings.TrimSpace(v.Get("custom." + fd.Key))
			if fd.Type == customer.FieldBoolean {
				p.Custom[fd.Key] = s == "true"
				continue
			}
			if s != "" {
				p.Custom[fd.Key] = s
			}
		}
	}
	return p, ve
}

// errCustomerDryRun rolls back a create or update made only to collect
// the engine's problems alongside the form's own.
var errCustomerDryRun = errors.New("web: customer dry run")

// customerCheck runs save in a transaction that is always rolled back and
// returns the engine's validation problems (nil when there are none).
func (u *UI) customerCheck(ctx context.Context, save func(*customer.Service) error) error {
	err := u.app.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := save(u.app.Customers.WithDB(tx)); err != nil {
			return err
		}
		return errCustomerDryRun
	})
	if errors.Is(err, errCustomerDryRun) {
		return nil
	}
	return err
}

// customerSave validates the form and saves it with save, together with
// the files chosen (spooled across round trips, see spool.go) in one
// transaction; it reports whether the form was shown again: with its
// problems, with the engine's refusals of files (nothing saved then), or
// after a chosen file was removed (op "remove_file:<id>").
func (u *UI) customerSave(w http.ResponseWriter, r *Request, c *customer.Customer,
	save func(*customer.Service, customer.Profile) (*customer.Customer, error)) (*customer.Customer, bool, error) {
	ctx := r.Context()
	fields, err := u.app.Customers.Fields(ctx)
	if err != nil {
		return nil, false, err
	}
	p, ve := customerProfile(r.PostForm, fields)
	f := NewForm(r.PostForm)
	sp := u.spoolOf(r, f)
	if err := sp.add(ctx, r); err != nil {
		return nil, false, err
	}
	if id, ok := strings.CutPrefix(f.Get("op"), opRemoveFile); ok {
		f.Values.Del("op")
		if err := sp.remove(ctx, id); err != nil {
			return nil, false, err
		}
		return nil, true, u.customerFormPage(w, r, http.StatusOK, f, c)
	}
	if len(ve.Fields) > 0 {
		// Collect the engine's problems too, without the bad birthday.
		err := u.customerCheck(ctx, func(s *customer.Service) error { _, err := save(s, p); return err })
		if err != nil && !f.AddError(err, customerRename) {
			return nil, false, err
		}
		f.AddError(ve, customerRename)
		return nil, true, u.customerFormPage(w, r, http.StatusUnprocessableEntity, f, c)
	}
	saved, problems, err := u.saveCustomer(r, p, save, sp)
	if f.AddError(err, customerRename) {
		return nil, true, u.customerFormPage(w, r, http.StatusUnprocessableEntity, f, c)
	}
	if err != nil {
		return nil, false, err
	}
	if len(problems) > 0 {
		return nil, true, u.customerFormFiles(w, r, http.StatusUnprocessableEntity, f, c, problems)
	}
	return saved, false, nil
}

// saveCustomer saves profile p with save and stores the spooled files on
// the customer, in one transaction: when the engine refuses a file nothing
// is saved and the refusals come back as problems (the files stay
// spooled). On success the spool is emptied.
func (u *UI) saveCustomer(r *Request, p customer.Profile, save func(*customer.Service, customer.Profile) (*customer.Customer, error),
	sp spool) (*customer.Customer, []string, error) {
	return saveSpooled(u, r.Context(), sp, func(ctx context.Context, tx bun.Tx) (*customer.Customer, error) {
		return save(u.app.Customers.WithDB(tx), p)
	}, func(ctx context.Context, tx bun.Tx, saved *customer.Customer, files []spooled, bodies []io.Reader) error {
		return u.addCustomerFiles(ctx, tx, saved.ID, files, bodies)
	})
}

func (u *UI) customerCreate(w http.ResponseWriter, r *Request) error {
	created, shown, err := u.customerSave(w, r, nil, func(s *customer.Service, p customer.Profile) (*customer.Customer, error) {
		return s.Create(r.Context(), p)
	})
	if shown || err != nil {
		return err
	}
	redirect(w, r.Request, "/customers/"+created.ID.String(), "customers.created")
	return nil
}

// pathCustomer returns the customer whose id is the path's {id}.
func (u *UI) pathCustomer(r *Request) (*customer.Customer, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return u.app.Customers.Get(r.Context(), id)
}

func (u *UI) customerEdit(w http.ResponseWriter, r *Request) error {
	c, err := u.pathCustomer(r)
	if err != nil {
		return err
	}
	return u.customerFormPage(w, r, http.StatusOK, NewForm(customerValues(c)), c)
}

// customerValues fills the form from a stored customer.
func customerValues(c *customer.Customer) url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("kind", string(c.Kind))
	set("status", string(c.Status))
	set("family_name", c.FamilyName)
	set("given_name", c.GivenName)
	set("family_kana", c.FamilyKana)
	set("given_kana", c.GivenKana)
	set("company_name", c.CompanyName)
	set("company_kana", c.CompanyKana)
	set("department", c.Department)
	set("email", c.Email)
	set("mobile", c.Mobile)
	set("phone", c.Phone)
	if c.Birthday != nil {
		set("birthday", c.Birthday.String())
	}
	set("gender", string(c.Gender))
	set("postal_code", c.PostalCode)
	set("address", c.Address)
	set("contact_method", string(c.ContactMethod))
	set("decision_maker", c.DecisionMaker)
	set("rank", c.Rank)
	set("memo", c.Memo)
	if c.Consent || c.ConsentAt != nil {
		v.Set("consent", "1")
	}
	for k, x := range c.Custom {
		switch x := x.(type) {
		case string:
			set("custom."+k, x)
		case bool:
			set("custom."+k, strconv.FormatBool(x))
		case float64:
			set("custom."+k, strconv.FormatFloat(x, 'f', -1, 64))
		case int64:
			set("custom."+k, strconv.FormatInt(x, 10))
		}
	}
	v.Set("version", strconv.FormatInt(c.Version, 10))
	return v
}

func (u *UI) customerUpdate(w http.ResponseWriter, r *Request) error {
	c, err := u.pathCustomer(r)
	if err != nil {
		return err
	}
	id := c.ID
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil {
		return kerr.ErrInvalid
	}
	_, shown, err := u.customerSave(w, r, c, func(s *customer.Service, p customer.Profile) (*customer.Customer, error) {
		// The form does not change the staff in charge (担当変更 is the
		// manager's page).
		p.Assignees = c.Assignees
		return s.Update(r.Context(), id, version, p)
	})
	if shown || err != nil {
		return err
	}
	redirect(w, r.Request, "/customers/"+id.String(), "customers.updated")
	return nil
}

func (u *UI) customerDelete(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := u.app.Customers.Delete(r.Context(), id); err != nil {
		return err
	}
	redirect(w, r.Request, "/customers", "customers.deleted")
	return nil
}
