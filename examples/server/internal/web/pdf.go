package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/report/pdf"
)

// pdfRoutes registers the PDF downloads (memolog's 「PDFでダウンロード」): the
// option dialog — a <details> on the record and customer pages, and a page
// of its own after a refused submission — posts to the download, which
// answers the PDF as an attachment (old phones cannot show PDFs inline).
func (u *UI) pdfRoutes(mux *http.ServeMux) {
	mux.Handle("GET /records/{id}/pdf", u.page(u.pdfOptions(false)))
	mux.Handle("POST /records/{id}/pdf", u.page(u.pdfDownload(false)))
	mux.Handle("GET /customers/{id}/pdf", u.page(u.pdfOptions(true)))
	mux.Handle("POST /customers/{id}/pdf", u.page(u.pdfDownload(true)))
}

// pdfDialog is the option dialog's data.
type pdfDialog struct {
	Action string // the download's URL
	CSRF   string
	Form   *Form
	// PrivateMemo offers the private-memo checkbox (staff who may read
	// private memos).
	PrivateMemo bool
	// Customer: a customer's history, with a period and the template
	// filter (Template: its key, TemplateLabel: its name).
	Customer      bool
	Template      string
	TemplateLabel string
	// Open shows the dialog unfolded (its own page).
	Open bool
}

// newPDFDialog is the dialog of a record or a customer with its defaults
// (cover on, title 面談記録).
func newPDFDialog(r *Request, id uuid.UUID, customer, privateMemo bool) pdfDialog {
	path := "/records/"
	if customer {
		path = "/customers/"
	}
	f := NewForm(url.Values{"cover": {"1"}, "title": {pdf.DefaultTitle}})
	return pdfDialog{Action: path + id.String() + "/pdf", CSRF: r.Session.CSRF, Form: f, PrivateMemo: privateMemo, Customer: customer}
}

// pdfPage is the dialog's own page.
type pdfPage struct {
	Heading string
	Back    string
	Dialog  pdfDialog
}

func (u *UI) pdfOptions(customer bool) handlerFunc {
	return func(w http.ResponseWriter, r *Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		d := newPDFDialog(r, id, customer, r.Principal.IsStaff())
		if customer {
			d.Template = r.URL.Query().Get("template")
		}
		return u.renderPDFPage(w, r, http.StatusOK, id, d)
	}
}

// renderPDFPage renders the dialog's own page, naming the record's or
// customer's page to go back to.
func (u *UI) renderPDFPage(w http.ResponseWriter, r *Request, status int, id uuid.UUID, d pdfDialog) error {
	ctx := r.Context()
	page := pdfPage{Heading: msg.T("pdf.record_heading"), Back: "/records/" + id.String()}
	if d.Customer {
		c, err := u.app.Customers.Get(ctx, id)
		if err != nil {
			return err
		}
		page.Heading, page.Back = msg.T("pdf.customer_heading", c.DisplayName()), "/customers/"+id.String()
		if d.Template != "" {
			t, err := u.app.Records.Template(ctx, d.Template, 0)
			if err != nil {
				return err
			}
			d.TemplateLabel = t.Name
		}
	} else {
		rec, err := u.app.Records.Get(ctx, id)
		if err != nil {
			return err
		}
		d.PrivateMemo = !rec.PrivateMemoWithheld
	}
	d.Open = true
	page.Dialog = d
	u.render(w, r.Request, r, status, "pdf_options", page)
	return nil
}

// pdfDownload reads the dialog and answers the PDF, or the dialog's page
// again with the problems (422).
func (u *UI) pdfDownload(customer bool) handlerFunc {
	return func(w http.ResponseWriter, r *Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		d := newPDFDialog(r, id, customer, r.Principal.IsStaff())
		d.Form = NewForm(r.PostForm)
		if customer {
			d.Template = r.PostFormValue("template")
		}
		opt := pdfOptions(d.Form, customer, r.loc())
		if d.Form.Valid() {
			dl := pdf.Download(w, opt.Title)
			if customer {
				err = u.app.PDF.Customer(r.Context(), dl, id, opt)
			} else {
				err = u.app.PDF.Record(r.Context(), dl, id, opt)
			}
			if err == nil || !d.Form.AddError(err, map[string]string{"include_private_memo": "private_memo", "records": "from", "photos": "from"}) {
				return err
			}
		}
		return u.renderPDFPage(w, r, http.StatusUnprocessableEntity, id, d)
	}
}

// pdfOptions reads the dialog's fields, recording problems on f: a
// password typed without its checkbox (or the checkbox without one) is
// refused rather than ignored.
func pdfOptions(f *Form, customer bool, loc *time.Location) pdf.Options {
	opt := pdf.Options{Cover: f.Get("cover") == "1", Title: f.Get("title"), IncludePrivateMemo: f.Get("private_memo") == "1"}
	switch pw := f.Get("password"); {
	case f.Get("password_on") == "1" && pw == "":
		f.Add("password", msg.T("pdf.password_missing"))
	case f.Get("password_on") != "1" && pw != "":
		f.Add("password", msg.T("pdf.password_unchecked"))
	default:
		opt.Password = pw
	}
	if customer {
		opt.Template = f.Get("template")
		day := func(name string) time.Time {
			s := f.Get(name)
			if s == "" {
				return time.Time{}
			}
			t, err := time.ParseInLocation("2006-01-02", s, loc)
			if err != nil {
				f.Add(name, msg.Field(validation.FieldError{Field: name, Code: validation.CodeFormat}))
			}
			return t
		}
		opt.From = day("from")
		if to := day("to"); !to.IsZero() {
			opt.To = to.AddDate(0, 0, 1) // the end day is included
		}
	}
	if !f.Valid() {
		f.Message = msg.T("common.form_errors")
	}
	return opt
}
