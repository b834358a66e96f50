package web

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// listRoutes registers the my-list pages (マイリスト).
func (u *UI) listRoutes(mux *http.ServeMux) {
	mux.Handle("GET /lists", u.page(u.listIndex))
	mux.Handle("POST /lists", u.page(u.listCreate))
	mux.Handle("GET /lists/{id}", u.page(u.listShow))
	mux.Handle("POST /lists/{id}/rename", u.page(u.listRename))
	mux.Handle("POST /lists/{id}/delete", u.page(u.listDelete))
	mux.Handle("POST /lists/{id}/remove", u.page(u.listRemove))
}

type listIndexData struct {
	Form  *Form
	Lists []customer.List
}

func (u *UI) listIndexPage(w http.ResponseWriter, r *Request, status int, f *Form) error {
	lists, err := u.app.Customers.Lists(r.Context())
	if err != nil {
		return err
	}
	u.render(w, r.Request, r, status, "lists_index", listIndexData{Form: f, Lists: lists})
	return nil
}

func (u *UI) listIndex(w http.ResponseWriter, r *Request) error {
	return u.listIndexPage(w, r, http.StatusOK, NewForm(nil))
}

func (u *UI) listCreate(w http.ResponseWriter, r *Request) error {
	l, err := u.app.Customers.CreateList(r.Context(), r.PostFormValue("name"))
	f := NewForm(r.PostForm)
	if f.AddError(err, nil) {
		return u.listIndexPage(w, r, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	redirect(w, r.Request, "/lists/"+l.ID.String(), "lists.created")
	return nil
}

// listOf returns one of the principal's lists (ErrNotFound otherwise).
func (u *UI) listOf(r *Request) (*customer.List, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	lists, err := u.app.Customers.Lists(r.Context())
	if err != nil {
		return nil, err
	}
	for i := range lists {
		if lists[i].ID == id {
			return &lists[i], nil
		}
	}
	return nil, kerr.ErrNotFound
}

type listShowData struct {
	Form      *Form
	List      *customer.List
	Rows      []customerRow
	NextQuery string
}

func (u *UI) listShowPage(w http.ResponseWriter, r *Request, status int, f *Form) error {
	l, err := u.listOf(r)
	if err != nil {
		return err
	}
	page, err := u.app.Customers.Search(r.Context(), customer.Query{List: l.ID, After: r.URL.Query().Get("after")})
	if err != nil {
		return err
	}
	rows, err := u.customerRows(r.Context(), page.Customers)
	if err != nil {
		return err
	}
	d := listShowData{Form: f, List: l, Rows: rows}
	if page.Next != "" {
		d.NextQuery = "after=" + page.Next
	}
	if f.Get("name") == "" {
		f.Values.Set("name", l.Name)
	}
	u.render(w, r.Request, r, status, "lists_show", d)
	return nil
}

func (u *UI) listShow(w http.ResponseWriter, r *Request) error {
	return u.listShowPage(w, r, http.StatusOK, NewForm(nil))
}

func (u *UI) listRename(w http.ResponseWriter, r *Request) error {
	l, err := u.listOf(r)
	if err != nil {
		return err
	}
	err = u.app.Customers.RenameList(r.Context(), l.ID, r.PostFormValue("name"))
	f := NewForm(r.PostForm)
	if f.AddError(err, nil) {
		return u.listShowPage(w, r, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	redirect(w, r.Request, "/lists/"+l.ID.String(), "lists.renamed")
	return nil
}

func (u *UI) listDelete(w http.ResponseWriter, r *Request) error {
	l, err := u.listOf(r)
	if err != nil {
		return err
	}
	if err := u.app.Customers.DeleteList(r.Context(), l.ID); err != nil {
		return err
	}
	redirect(w, r.Request, "/lists", "lists.deleted")
	return nil
}

func (u *UI) listRemove(w http.ResponseWriter, r *Request) error {
	l, err := u.listOf(r)
	if err != nil {
		return err
	}
	c, err := uuid.Parse(r.PostFormValue("customer"))
	if err != nil {
		return kerr.ErrNotFound
	}
	if err := u.app.Customers.RemoveFromList(r.Context(), l.ID, c); err != nil {
		return err
	}
	redirect(w, r.Request, "/lists/"+l.ID.String(), "lists.removed")
	return nil
}

// customerAddToList adds the customer to one of the principal's lists
// (the profile's "add to list" form, field list).
func (u *UI) customerAddToList(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	l, err := uuid.Parse(r.PostFormValue("list"))
	if err != nil {
		return kerr.ErrNotFound
	}
	if err := u.app.Customers.AddToList(r.Context(), l, id); err != nil {
		return err
	}
	redirect(w, r.Request, "/customers/"+id.String(), "customers.added_to_list")
	return nil
}
