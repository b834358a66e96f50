package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

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
	// Held are the files of a refused upload, every one chosen, kept
	// (spooled, see spool.go) in the upload box until added or taken
	// back; UploadSet is the token of their set, which the box carries.
	Held      []spooled
	UploadSet string
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

// customerAddFiles adds the files of the customer page's upload box: the
// multipart "files" chosen now and those the box holds from a refused try
// (spooled like the customer form's, see spool.go), in one Files().Add
// through saveSpooled. When the engine refuses one, nothing is stored and
// the page names each refused file with the reason while the box keeps
// every file chosen, so only the bad ones are taken back (op
// "remove_file:<id>") and none is chosen again.
func (u *UI) customerAddFiles(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if r.MultipartForm == nil {
		return kerr.ErrInvalid
	}
	ctx := r.Context()
	f := NewForm(r.PostForm)
	sp := u.spoolOf(r, f)
	if err := sp.add(ctx, r); err != nil {
		return err
	}
	show := func(status int, problems []string) error {
		held, err := sp.list(ctx)
		if err != nil {
			return err
		}
		return u.showCustomer(w, r, status, id, customerFilesPanel{Problems: problems, Held: held, UploadSet: f.Get(spoolField)})
	}
	if file, ok := strings.CutPrefix(f.Get("op"), opRemoveFile); ok {
		if err := sp.remove(ctx, file); err != nil {
			return err
		}
		return show(http.StatusOK, nil)
	}
	held, err := sp.list(ctx)
	if err != nil {
		return err
	}
	var problems []string
	if len(held) == 0 {
		// Nothing chosen: the engine's own refusal says so.
		_, err = u.app.Customers.Files().Add(ctx, id)
		problems, err = filesRefused(err, nil)
	} else {
		_, problems, err = saveSpooled(u, ctx, sp, func(context.Context, bun.Tx) (uuid.UUID, error) { return id, nil },
			u.addCustomerFiles)
	}
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return show(http.StatusUnprocessableEntity, problems)
	}
	redirect(w, r.Request, "/customers/"+id.String()+"#files", "records.files_added")
	return nil
}

// addCustomerFiles stores the spooled files (bodies in their order) on
// customer id in tx, in one Files().Add: the store step of saveSpooled for
// the customer form and the customer page's upload box.
func (u *UI) addCustomerFiles(ctx context.Context, tx bun.Tx, id uuid.UUID, files []spooled, bodies []io.Reader) error {
	ups := make([]customer.FileUpload, len(files))
	for i, f := range files {
		ups[i] = customer.FileUpload{FileMeta: customer.FileMeta{Name: f.Name}, Body: bodies[i]}
	}
	_, err := u.app.Customers.WithDB(tx).Files().Add(ctx, id, ups...)
	return err
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
