package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/kerr"

	capi "github.com/kirokuhq/kiroku/contactlog/api"
)

// The customer page's プロフィール・ファイル: photos and documents kept
// with the customer, the ☆ image shown as the profile picture.

func (u *UI) customerFileRoutes(mux *http.ServeMux) {
	mux.Handle("POST /customers/{id}/files", u.page(u.customerAddFiles))
	mux.Handle("GET /customer-files/{id}", u.page(u.customerFileServe(false)))
	mux.Handle("GET /customer-files/{id}/thumb", u.page(u.customerFileServe(true)))
	mux.Handle("POST /customer-files/{id}", u.page(u.customerFileUpdate))
	mux.Handle("POST /customer-files/{id}/delete", u.page(u.customerFileDelete))
}

// customerFilesPanel is what the customer page shows of its files.
type customerFilesPanel struct {
	Files []customer.File
	// Picture is the ☆ image, shown as the profile picture.
	Picture *customer.File
	// CanEdit tells who may add, rename, ☆ and delete files.
	CanEdit bool
	// Problems are the refusals of the last upload or change, each naming
	// its file.
	Problems []string
	// Renamed is the file of a refused rename, whose name input shows
	// TypedName, what the user typed, again.
	Renamed   uuid.UUID
	TypedName string
}

// customerFilesOf reads the files panel of customer c.
func (u *UI) customerFilesOf(r *Request, c *customer.Customer) (customerFilesPanel, error) {
	ctx := r.Context()
	files, err := u.app.Customers.Files().List(ctx, c.ID)
	if err != nil {
		return customerFilesPanel{}, err
	}
	p := customerFilesPanel{Files: files}
	for i := range files {
		if files[i].Favorite {
			p.Picture = &files[i]
		}
	}
	obj := &permission.CustomerObject{Tenant: c.Tenant, ID: c.ID, Assignees: c.Assignees}
	p.CanEdit = u.app.Authz.Check(ctx, r.Principal, permission.ActionEdit, obj) == nil
	return p, nil
}

// customerAddFiles adds the multipart "files" to a customer; refused files
// are named on the customer's page and nothing is stored then.
func (u *UI) customerAddFiles(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if r.MultipartForm == nil {
		return kerr.ErrInvalid
	}
	names, bodies, closeAll, err := openParts(r.MultipartForm.File["files"])
	if err != nil {
		return err
	}
	defer closeAll()
	uploads := make([]customer.FileUpload, len(names))
	for i := range names {
		uploads[i] = customer.FileUpload{FileMeta: customer.FileMeta{Name: names[i]}, Body: bodies[i]}
	}
	_, err = u.app.Customers.Files().Add(r.Context(), id, uploads...)
	problems, err := filesRefused(err, names)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return u.renderCustomerShow(w, r, http.StatusUnprocessableEntity, customerFilesPanel{Problems: problems})
	}
	redirect(w, r.Request, "/customers/"+id.String()+"#files", "records.files_added")
	return nil
}

// customerFileServe streams a profile file (thumb: its thumbnail) to who
// may see its customer: images shown in the browser, other kinds
// downloaded, none able to run script here.
func (u *UI) customerFileServe(thumb bool) handlerFunc {
	return func(w http.ResponseWriter, r *Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		body, f, err := u.app.Customers.Files().Open(r.Context(), id, thumb)
		if err != nil {
			return err
		}
		capi.SetCustomerFileHeaders(w.Header(), f, thumb, true)
		writeFile(w, body)
		return nil
	}
}

// renameProblems are the lines that say why the change of a file (record
// attachment or profile file) was refused, each prefixed by the name typed
// when there is one (ファイル名: … for the name itself).
func renameProblems(ve *validation.Error, typed string) []string {
	problems := make([]string, len(ve.Fields))
	for i, fe := range ve.Fields {
		text := msg.Field(fe)
		if fe.Field == "name" {
			text = msg.T("records.file_name_problem", text)
		}
		problems[i] = text
		if name := strings.TrimSpace(typed); name != "" {
			problems[i] = visibleName(name) + ": " + text
		}
	}
	return problems
}

// customerFileUpdate renames a profile file and sets or clears its ☆.
func (u *UI) customerFileUpdate(w http.ResponseWriter, r *Request) error {
	id, version, err := pathIDVersion(r)
	if err != nil {
		return err
	}
	m := customer.FileMeta{Name: r.PostFormValue("name"), Favorite: r.PostFormValue("favorite") == "1"}
	f, err := u.app.Customers.Files().Update(r.Context(), id, version, m)
	var ve *validation.Error
	if errors.As(err, &ve) {
		return u.renderCustomerShow(w, r, http.StatusUnprocessableEntity,
			customerFilesPanel{Problems: renameProblems(ve, m.Name), Renamed: id, TypedName: m.Name})
	}
	if err != nil {
		return err
	}
	redirect(w, r.Request, "/customers/"+f.Customer.String()+"#files", "common.saved")
	return nil
}

// customerFileDelete erases a profile file, once confirmed.
func (u *UI) customerFileDelete(w http.ResponseWriter, r *Request) error {
	return u.deleteFromPage(w, r, u.app.Customers.Files().Delete, "customer", "/customers/", "#files")
}

// renderCustomerShow shows the page of the customer the form names
// ("customer", or the path's {id}) with in's problems over its files and
// in's typed name kept.
func (u *UI) renderCustomerShow(w http.ResponseWriter, r *Request, status int, in customerFilesPanel) error {
	id, err := uuid.Parse(r.PostFormValue("customer"))
	if err != nil {
		if id, err = pathID(r); err != nil {
			return err
		}
	}
	return u.showCustomer(w, r, status, id, in)
}
