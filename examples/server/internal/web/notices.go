package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/schedule"
)

// noticeRoutes registers the notice pages (MASPO お知らせ管理): the notices
// the user may edit, and the form to post, change and delete one. The top
// page shows the notices of the day (recordList).
func (u *UI) noticeRoutes(mux *http.ServeMux) {
	mux.Handle("GET /notices", u.page(u.noticeList))
	mux.Handle("GET /notices/new", u.page(u.noticeNew))
	mux.Handle("POST /notices/new", u.page(u.noticeCreate))
	mux.Handle("GET /notices/{id}/edit", u.page(u.noticeEdit))
	mux.Handle("POST /notices/{id}/edit", u.page(u.noticeUpdate))
	mux.Handle("POST /notices/{id}/delete", u.page(u.noticeDelete))
}

// noticeListData is the management page's data.
type noticeListData struct {
	Notices []schedule.Notice
	Names   staffNames
	Groups  map[uuid.UUID]string
	Today   schedule.Date
}

func (u *UI) noticeList(w http.ResponseWriter, r *Request) error {
	ns, err := u.app.Schedule.ManagedNotices(r.Context())
	if err != nil {
		return err
	}
	authors := make([]uuid.UUID, len(ns))
	for i, n := range ns {
		authors[i] = n.Author
	}
	names, err := u.staffNamesOf(r.Context(), r.Principal.Tenant, authors)
	if err != nil {
		return err
	}
	groups, err := u.app.Dir.Groups(r.Context(), r.Principal.Tenant)
	if err != nil {
		return err
	}
	gn := make(map[uuid.UUID]string, len(groups))
	for _, g := range groups {
		gn[g.ID] = g.Name
	}
	u.render(w, r.Request, r, http.StatusOK, "notices_index", noticeListData{Notices: ns, Names: names, Groups: gn,
		Today: schedule.DateOf(u.app.Clock().In(r.loc()))})
	return nil
}

// noticeFormData is the notice form's data.
type noticeFormData struct {
	Form *Form
	// Groups are those the audience may name: the user's, every group
	// for admins.
	Groups []permission.Group
	// Notice is the notice edited; nil for a new one.
	Notice *schedule.Notice
}

func (u *UI) renderNoticeForm(w http.ResponseWriter, r *Request, status int, f *Form, n *schedule.Notice) error {
	all, err := u.app.Dir.Groups(r.Context(), r.Principal.Tenant)
	if err != nil {
		return err
	}
	d := noticeFormData{Form: f, Notice: n}
	for _, g := range all {
		ok := r.Principal.Has(permission.RoleAdmin)
		for _, mine := range r.Principal.Groups {
			ok = ok || mine == g.ID
		}
		if ok {
			d.Groups = append(d.Groups, g)
		}
	}
	u.render(w, r.Request, r, status, "notices_form", d)
	return nil
}

func (u *UI) noticeNew(w http.ResponseWriter, r *Request) error {
	today := schedule.DateOf(u.app.Clock().In(r.loc()))
	f := NewForm(url.Values{"from": {today.String()}, "to": {today.AddDays(13).String()},
		"audience": {string(schedule.AudienceTenant)}})
	return u.renderNoticeForm(w, r, http.StatusOK, f, nil)
}

// noticeInput reads the notice form; malformed days and groups are
// reported on f, naming the field.
func noticeInput(f *Form) schedule.NoticeInput {
	in := schedule.NoticeInput{Title: f.Get("title"), Body: f.Get("body"), Hidden: f.Get("hidden") == "1",
		Audience: schedule.Audience(f.Get("audience"))}
	for _, d := range []struct {
		field string
		to    *schedule.Date
	}{{"from", &in.From}, {"to", &in.To}} {
		if s := f.Get(d.field); s != "" {
			v, err := schedule.ParseDate(s)
			if err != nil {
				f.Add(d.field, msg.T("code."+validation.CodeBadDate))
			}
			*d.to = v
		}
	}
	if in.Audience == schedule.AudienceGroup {
		id, err := uuid.Parse(f.Get("group"))
		if err != nil {
			f.Add("group", msg.T("code."+validation.CodeRequired))
		}
		in.Group = id
	}
	return in
}

func (u *UI) noticeCreate(w http.ResponseWriter, r *Request) error {
	f := NewForm(r.PostForm)
	in := noticeInput(f)
	if !f.Valid() {
		return u.renderNoticeForm(w, r, http.StatusUnprocessableEntity, f, nil)
	}
	_, err := u.app.Schedule.CreateNotice(r.Context(), in)
	if f.AddError(err, nil) {
		return u.renderNoticeForm(w, r, http.StatusUnprocessableEntity, f, nil)
	}
	if err != nil {
		return err
	}
	redirect(w, r.Request, "/notices", "notices.created")
	return nil
}

// noticeOf finds the notice of the path among those the user may edit.
func (u *UI) noticeOf(r *Request) (*schedule.Notice, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	ns, err := u.app.Schedule.ManagedNotices(r.Context())
	if err != nil {
		return nil, err
	}
	for i := range ns {
		if ns[i].ID == id {
			return &ns[i], nil
		}
	}
	return nil, kerr.ErrNotFound
}

func (u *UI) noticeEdit(w http.ResponseWriter, r *Request) error {
	n, err := u.noticeOf(r)
	if err != nil {
		return err
	}
	v := url.Values{"title": {n.Title}, "body": {n.Body}, "from": {n.From.String()}, "to": {n.To.String()},
		"audience": {string(n.Audience)}, "version": {strconv.FormatInt(n.Version, 10)}}
	if n.Hidden {
		v.Set("hidden", "1")
	}
	if n.Group != uuid.Nil {
		v.Set("group", n.Group.String())
	}
	return u.renderNoticeForm(w, r, http.StatusOK, NewForm(v), n)
}

func (u *UI) noticeUpdate(w http.ResponseWriter, r *Request) error {
	n, err := u.noticeOf(r)
	if err != nil {
		return err
	}
	f := NewForm(r.PostForm)
	version, err := strconv.ParseInt(f.Get("version"), 10, 64)
	if err != nil {
		return kerr.ErrInvalid
	}
	in := noticeInput(f)
	if !f.Valid() {
		return u.renderNoticeForm(w, r, http.StatusUnprocessableEntity, f, n)
	}
	_, err = u.app.Schedule.UpdateNotice(r.Context(), n.ID, version, in)
	if f.AddError(err, nil) {
		return u.renderNoticeForm(w, r, http.StatusUnprocessableEntity, f, n)
	}
	if err != nil {
		return err
	}
	redirect(w, r.Request, "/notices", "common.saved")
	return nil
}

func (u *UI) noticeDelete(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil {
		return kerr.ErrInvalid
	}
	if err := u.app.Schedule.DeleteNotice(r.Context(), id, version); err != nil {
		return err
	}
	redirect(w, r.Request, "/notices", "common.deleted")
	return nil
}
