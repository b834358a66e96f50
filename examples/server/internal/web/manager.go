package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// managerRoles may open the manager pages; the engines decide what each
// may actually see and change.
var managerRoles = []permission.Role{permission.RoleManager, permission.RoleAdmin}

func (u *UI) managerRoutes(mux *http.ServeMux) {
	mux.Handle("GET /manager", u.page(u.managerIndex, managerRoles...))
	mux.Handle("GET /manager/members/{id}", u.page(u.managerMember, managerRoles...))
	mux.Handle("POST /manager/reassign", u.page(u.managerReassign, managerRoles...))
}

// managerGroup is a group the principal manages, with its members.
type managerGroup struct {
	permission.Group
	People []managerPerson
}

// managerPerson is a group member as the manager pages show them.
type managerPerson struct {
	ID      uuid.UUID
	Name    string
	Manager bool
	Active  bool
}

// team is what a manager works with: the groups they manage (admins: all
// groups) and everyone in them.
type team struct {
	Groups []managerGroup
	// People are the members of those groups, by reading, once each.
	People []managerPerson
	users  map[uuid.UUID]permission.User
}

func (t *team) has(id uuid.UUID) bool {
	return slices.ContainsFunc(t.People, func(p managerPerson) bool { return p.ID == id })
}

func (t *team) name(id uuid.UUID) string { return t.users[id].Name }

func (u *UI) team(ctx context.Context, p permission.Principal) (*team, error) {
	groups, err := u.app.Dir.Groups(ctx, p.Tenant)
	if err != nil {
		return nil, err
	}
	users, err := u.app.Staff.Users(ctx, p.Tenant)
	if err != nil {
		return nil, err
	}
	t := &team{users: map[uuid.UUID]permission.User{}}
	for _, us := range users {
		t.users[us.ID] = us
	}
	seen := map[uuid.UUID]bool{}
	for _, g := range groups {
		if !p.Has(permission.RoleAdmin) && !slices.Contains(p.ManagedGroups, g.ID) {
			continue
		}
		mg := managerGroup{Group: g}
		for _, m := range g.Members {
			us, ok := t.users[m.User]
			if !ok {
				continue
			}
			person := managerPerson{ID: us.ID, Name: us.Name, Manager: m.Manager, Active: us.Active}
			mg.People = append(mg.People, person)
			if !seen[us.ID] {
				seen[us.ID] = true
				t.People = append(t.People, person)
			}
		}
		sort.SliceStable(mg.People, func(i, j int) bool { return t.users[mg.People[i].ID].Kana < t.users[mg.People[j].ID].Kana })
		t.Groups = append(t.Groups, mg)
	}
	sort.SliceStable(t.People, func(i, j int) bool { return t.users[t.People[i].ID].Kana < t.users[t.People[j].ID].Kana })
	return t, nil
}

func (u *UI) managerIndex(w http.ResponseWriter, r *Request) error {
	t, err := u.team(r.Context(), r.Principal)
	if err != nil {
		return err
	}
	u.render(w, r.Request, r, http.StatusOK, "manager_index", t)
	return nil
}

// managerMemberView is the data of one member's page.
type managerMemberView struct {
	Member    managerPerson
	Records   []recordRow
	Customers []managerCustomer
	// Next is the cursor of the next page of customers.
	Next string
	// Targets are the people customers may move to.
	Targets []managerPerson
	Form    *Form
	// Shown is how many records at most are listed.
	Shown int
	// Query is the customer search (name, reading, …) the list is
	// narrowed by; Total is how many customers it finds (totalText).
	Query string
	Total string
	// Paged tells a page after the first (the list links back to it).
	Paged bool
	// Moved reports a single 担当変更 just made, when it still holds.
	Moved *managerMove
}

// managerMove is one customer moved from the member to another person.
type managerMove struct {
	Customer string
	From, To string
}

type managerCustomer struct {
	customer.Customer
	AssigneeNames []string
}

// memberRecordsShown is how many of a member's latest records the page
// lists.
const memberRecordsShown = 20

// memberCustomersPage is how many customers one page of a member's
// customers lists.
const memberCustomersPage = 20

func (u *UI) managerMember(w http.ResponseWriter, r *Request) error {
	return u.renderMember(w, r, r.PathValue("id"), http.StatusOK, NewForm(nil))
}

func (u *UI) renderMember(w http.ResponseWriter, r *Request, rawID string, status int, f *Form) error {
	id, err := uuid.Parse(rawID)
	if err != nil {
		return kerr.ErrNotFound
	}
	ctx := r.Context()
	t, err := u.team(ctx, r.Principal)
	if err != nil {
		return err
	}
	if !t.has(id) {
		return kerr.ErrNotFound
	}
	v := managerMemberView{Form: f, Shown: memberRecordsShown}
	for _, p := range t.People {
		if p.ID == id {
			v.Member = p
		} else if p.Active {
			v.Targets = append(v.Targets, p)
		}
	}
	recs, err := u.app.Records.Search(ctx, contactlog.Query{Responder: id, Limit: memberRecordsShown})
	if err != nil {
		return err
	}
	staff, err := u.staffNamesOf(ctx, r.Principal.Tenant, recordResponders(recs.Records))
	if err != nil {
		return err
	}
	if v.Records, err = u.recordRows(r, recs.Records, staff); err != nil {
		return err
	}
	q := r.URL.Query()
	v.Query, v.Paged = strings.TrimSpace(q.Get("q")), q.Get("after") != ""
	page, err := u.app.Customers.Search(ctx, customer.Query{Assignee: id, Text: v.Query,
		Limit: memberCustomersPage, After: q.Get("after"), WithTotal: true})
	if err != nil {
		return err
	}
	v.Next, v.Total = page.Next, totalText(page.Total, page.TotalKind)
	if v.Moved, err = u.movedCustomer(ctx, t, id, q.Get("moved"), q.Get("to")); err != nil {
		return err
	}
	for _, c := range page.Customers {
		mc := managerCustomer{Customer: c}
		for _, a := range c.Assignees {
			mc.AssigneeNames = append(mc.AssigneeNames, t.name(a))
		}
		v.Customers = append(v.Customers, mc)
	}
	u.render(w, r.Request, r, status, "manager_member", v)
	return nil
}

// movedCustomer describes the single 担当変更 the redirect after it
// names (?moved=customer&to=user), read back from the customer as it is
// now: nil unless the customer is visible, is assigned to the new person
// and no longer to the member, so the page states only what holds.
func (u *UI) movedCustomer(ctx context.Context, t *team, member uuid.UUID, rawCustomer, rawTo string) (*managerMove, error) {
	id, err1 := uuid.Parse(rawCustomer)
	to, err2 := uuid.Parse(rawTo)
	if err1 != nil || err2 != nil || !t.has(to) {
		return nil, nil
	}
	c, err := u.app.Customers.Get(ctx, id)
	if errors.Is(err, kerr.ErrNotFound) || errors.Is(err, kerr.ErrPermissionDenied) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !slices.Contains(c.Assignees, to) || slices.Contains(c.Assignees, member) {
		return nil, nil
	}
	return &managerMove{Customer: c.DisplayName(), From: t.name(member), To: t.name(to)}, nil
}

// managerConfirmView asks before moving all of a member's customers.
type managerConfirmView struct {
	From, To managerPerson
	Count    int
}

func (u *UI) managerReassign(w http.ResponseWriter, r *Request) error {
	ctx := r.Context()
	from, err := uuid.Parse(r.PostFormValue("from"))
	if err != nil {
		return kerr.ErrNotFound
	}
	to, err := uuid.Parse(r.PostFormValue("to"))
	if err != nil || to == from {
		f := NewForm(r.PostForm)
		f.Add("to", msg.T("manager.choose_target"))
		f.Message = msg.T("common.form_errors")
		return u.renderMember(w, r, from.String(), http.StatusUnprocessableEntity, f)
	}
	back := "/manager/members/" + from.String()
	if raw := r.PostFormValue("customer"); raw != "" {
		id, err := uuid.Parse(raw)
		if err != nil {
			return kerr.ErrNotFound
		}
		c, err := u.app.Customers.Get(ctx, id)
		if err != nil {
			return err
		}
		assignees := make([]uuid.UUID, 0, len(c.Assignees)+1)
		for _, a := range c.Assignees {
			if a == from {
				a = to
			}
			if !slices.Contains(assignees, a) {
				assignees = append(assignees, a)
			}
		}
		if !slices.Contains(assignees, to) {
			assignees = append(assignees, to)
		}
		if err := u.app.Customers.SetAssignees(ctx, id, assignees); err != nil {
			return err
		}
		q := url.Values{"moved": {id.String()}, "to": {to.String()}}
		if search := r.PostFormValue("q"); search != "" {
			q.Set("q", search)
		}
		http.Redirect(w, r.Request, back+"?"+q.Encode(), http.StatusSeeOther)
		return nil
	}
	if r.PostFormValue("confirm") != "yes" {
		t, err := u.team(ctx, r.Principal)
		if err != nil {
			return err
		}
		if !t.has(from) || !t.has(to) {
			return kerr.ErrPermissionDenied
		}
		// The confirmation states how many customers will change: counted
		// exactly, however many.
		page, err := u.app.Customers.Search(ctx, customer.Query{Assignee: from, Limit: 1, ExactTotal: true})
		if err != nil {
			return err
		}
		v := managerConfirmView{Count: page.Total}
		for _, p := range t.People {
			switch p.ID {
			case from:
				v.From = p
			case to:
				v.To = p
			}
		}
		u.render(w, r.Request, r, http.StatusOK, "manager_confirm", v)
		return nil
	}
	if _, err := u.app.Customers.Reassign(ctx, from, to); err != nil {
		return err
	}
	redirect(w, r.Request, back, "manager.reassigned_all")
	return nil
}
