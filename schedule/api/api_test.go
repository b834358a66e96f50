package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	capi "github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/contactlog/api/apitest"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/clocktest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/schedule"
	"github.com/kirokuhq/kiroku/schedule/api"
)

type env struct {
	t     *testing.T
	http  *httptest.Server
	valid *apitest.Validator
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) call(user uuid.UUID, method, path string, body any, hdr ...string) reply {
	t := e.t
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.http.URL+path, rd)
	require.NoError(t, err)
	req.Header.Set("X-User", user.String())
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.NoError(t, e.valid.Response(req, res), "the response matches the OpenAPI document")
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return reply{res.StatusCode, res.Header, b}
}

func (r reply) decode(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), string(r.body))
}

// setup serves the schedule routes over db with two staff members, a and
// b, and a customer assigned to a only (b does not see it).
func setup(t *testing.T, db *bun.DB) (e *env, a, b *permission.User, cust *customer.Customer) {
	t.Helper()
	ctx := t.Context()
	require.NoError(t, capi.Migrate(ctx, db))
	require.NoError(t, schedule.Migrate(ctx, db))
	clock := clocktest.New(time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC), time.Millisecond)
	dir, err := permission.NewDirectory(db, clock.Now)
	require.NoError(t, err)
	tenant, err := dir.CreateTenant(ctx, permission.Tenant{Name: "API", CustomerVisibility: permission.VisibilityAssigned})
	require.NoError(t, err)
	a, err = dir.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: "営業 A", Roles: []permission.Role{permission.RoleStaff}, Active: true})
	require.NoError(t, err)
	b, err = dir.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: "営業 B", Roles: []permission.Role{permission.RoleStaff}, Active: true})
	require.NoError(t, err)
	authz, err := permission.NewEngine(db)
	require.NoError(t, err)
	customers, err := customer.NewService(db, &customer.Config{Authorizer: authz, Clock: clock.Now})
	require.NoError(t, err)
	templates, err := template.NewStoreRegistry(db, nil)
	require.NoError(t, err)
	records, err := contactlog.NewService(db, &contactlog.Config{Directory: dir, Templates: templates, Authorizer: authz, Clock: clock.Now})
	require.NoError(t, err)
	svc, err := schedule.NewService(db, &schedule.Config{Authorizer: authz, Directory: dir, Clock: clock.Now, Records: records, Customers: customers})
	require.NoError(t, err)
	srv, err := capi.New(&capi.Options{DB: db, Customers: customers, Records: records, Extra: api.Routes(svc), Clock: clock.Now,
		Authenticator: capi.AuthenticatorFunc(func(r *http.Request) (permission.Principal, error) {
			id, err := uuid.Parse(r.Header.Get("X-User"))
			if err != nil {
				return permission.Principal{}, capi.ErrUnauthenticated
			}
			return dir.Principal(r.Context(), tenant.ID, id)
		})})
	require.NoError(t, err)
	e = &env{t: t, http: httptest.NewServer(srv)}
	t.Cleanup(e.http.Close)
	e.valid, err = apitest.NewValidator(srv.OpenAPI())
	require.NoError(t, err)

	pctx := permission.WithPrincipal(ctx, must(dir.Principal(ctx, tenant.ID, a.ID)))
	cust, err = customers.Create(pctx, customer.Profile{FamilyName: "山田", FamilyKana: "ヤマダ", Assignees: []uuid.UUID{a.ID}})
	require.NoError(t, err)
	return e, a, b, cust
}

func TestRoutesMatchTheDocument(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e, a, b, cust := setup(t, db)
		start := time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC)
		r := e.call(a.ID, http.MethodPost, "/v1/appointments", schedule.AppointmentInput{Title: "訪問", Start: start,
			End: start.Add(time.Hour), Customer: cust.ID, Channel: "visit", Direct: schedule.DirectGo})
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		var ap schedule.Appointment
		r.decode(t, &ap)
		require.Equal(t, `"1"`, r.header.Get("ETag"))
		require.Equal(t, http.StatusUnprocessableEntity, e.call(a.ID, http.MethodPost, "/v1/appointments", schedule.AppointmentInput{}).status)
		require.Equal(t, http.StatusOK, e.call(a.ID, http.MethodGet, "/v1/appointments/"+ap.ID.String(), nil).status)
		require.Equal(t, http.StatusNotFound, e.call(b.ID, http.MethodGet, "/v1/appointments/"+ap.ID.String(), nil).status)
		in := ap.AppointmentInput
		in.Place = "本社"
		require.Equal(t, http.StatusPreconditionFailed, e.call(a.ID, http.MethodPut, "/v1/appointments/"+ap.ID.String(), in, "If-Match", `"9"`).status)
		r = e.call(a.ID, http.MethodPut, "/v1/appointments/"+ap.ID.String(), in, "If-Match", `"1"`)
		require.Equal(t, http.StatusOK, r.status, string(r.body))

		r = e.call(a.ID, http.MethodGet, "/v1/calendar?from=2026-11-29&to=2026-12-05", nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var cal schedule.Calendar
		r.decode(t, &cal)
		require.Len(t, cal.Entries, 1)
		require.Equal(t, http.StatusUnprocessableEntity, e.call(a.ID, http.MethodGet, "/v1/calendar?from=x&to=2026-12-05", nil).status)
		// A second appointment that day: with per_day=1 the first is
		// listed for its day and the second counted.
		r = e.call(a.ID, http.MethodPost, "/v1/appointments", schedule.AppointmentInput{Title: "会議", Start: start.Add(3 * time.Hour),
			End: start.Add(4 * time.Hour)})
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		r = e.call(a.ID, http.MethodGet, "/v1/calendar?from=2026-11-29&to=2026-12-05&per_day=1", nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		cal = schedule.Calendar{}
		r.decode(t, &cal)
		require.Len(t, cal.Entries, 1)
		require.Equal(t, ap.ID, cal.Entries[0].ID)
		require.Equal(t, "2026-12-04", cal.Entries[0].Day.String())
		require.Equal(t, []schedule.CalendarMore{{Staff: a.ID, Day: cal.Entries[0].Day, Count: 1}}, cal.More)
		for _, bad := range []string{"x", "-1"} {
			r = e.call(a.ID, http.MethodGet, "/v1/calendar?from=2026-11-29&to=2026-12-05&per_day="+bad, nil)
			require.Equal(t, http.StatusUnprocessableEntity, r.status, bad)
			require.Contains(t, string(r.body), "per_day", bad)
		}

		r = e.call(a.ID, http.MethodPost, "/v1/appointments/"+ap.ID.String()+"/record", contactlog.Entry{Template: "builtin:interview"}, "If-Match", `"2"`)
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		var made api.RecordFromAppointment
		r.decode(t, &made)
		require.Equal(t, made.Record.ID, made.Appointment.Record)
		r = e.call(a.ID, http.MethodPost, "/v1/records/"+made.Record.ID.String()+"/next-appointment",
			schedule.AppointmentInput{Title: "次回", Start: start.AddDate(0, 0, 14)})
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		r = e.call(a.ID, http.MethodGet, "/v1/customers/"+cust.ID.String()+"/appointments", nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var list api.AppointmentList
		r.decode(t, &list)
		require.Len(t, list.Appointments, 1)
		r = e.call(a.ID, http.MethodGet, "/v1/customers/"+cust.ID.String()+"/appointments?past=true", nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		r.decode(t, &list)
		require.Len(t, list.Appointments, 1)
		require.Equal(t, ap.ID, list.Appointments[0].ID, "the past one, with its record")
		require.Equal(t, made.Record.ID, list.Appointments[0].Record)
		require.Equal(t, http.StatusUnprocessableEntity, e.call(a.ID, http.MethodGet, "/v1/customers/"+cust.ID.String()+"/appointments?past=maybe", nil).status)
		require.Equal(t, http.StatusNoContent, e.call(a.ID, http.MethodDelete, "/v1/appointments/"+ap.ID.String(), nil, "If-Match", `"3"`).status)
		require.Equal(t, http.StatusNotFound, e.call(a.ID, http.MethodGet, "/v1/appointments/"+ap.ID.String(), nil).status)
		require.Equal(t, http.StatusPreconditionFailed, e.call(a.ID, http.MethodPost, "/v1/appointments/"+ap.ID.String()+"/restore", nil, "If-Match", `"3"`).status)
		require.Equal(t, http.StatusNoContent, e.call(a.ID, http.MethodPost, "/v1/appointments/"+ap.ID.String()+"/restore", nil, "If-Match", `"4"`).status)
		require.Equal(t, http.StatusOK, e.call(a.ID, http.MethodGet, "/v1/appointments/"+ap.ID.String(), nil).status)

		// An existing appointment becomes the record's next one.
		r = e.call(a.ID, http.MethodPost, "/v1/appointments", schedule.AppointmentInput{Title: "再訪", Start: start.AddDate(0, 0, 28),
			End: start.AddDate(0, 0, 28).Add(time.Hour), Customer: cust.ID})
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		var later schedule.Appointment
		r.decode(t, &later)
		r = e.call(a.ID, http.MethodPut, "/v1/records/"+made.Record.ID.String()+"/next-appointment", api.NextLink{Appointment: later.ID, Version: later.Version})
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		r.decode(t, &later)
		require.Equal(t, made.Record.ID, later.Source)
		r = e.call(a.ID, http.MethodGet, "/v1/records/"+made.Record.ID.String()+"/next-appointments", nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var nexts api.AppointmentList
		r.decode(t, &nexts)
		require.Contains(t, slices.Collect(func(yield func(uuid.UUID) bool) {
			for _, n := range nexts.Appointments {
				if !yield(n.ID) {
					return
				}
			}
		}), later.ID)
		var origin schedule.Appointment
		r = e.call(a.ID, http.MethodGet, "/v1/records/"+made.Record.ID.String()+"/appointment", nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		r.decode(t, &origin)
		require.Equal(t, made.Record.ID, origin.Record, "the record names the appointment it was made from")
		r = e.call(a.ID, http.MethodGet, "/v1/records/"+uuid.Must(uuid.NewV7()).String()+"/appointment", nil)
		require.Equal(t, http.StatusNotFound, r.status, string(r.body))
		r = e.call(b.ID, http.MethodGet, "/v1/records/"+made.Record.ID.String()+"/next-appointments", nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		require.JSONEq(t, `{"appointments":[]}`, string(r.body), "another staff member sees none of A's appointments")

		// A visitor who is not a customer yet: both in one transaction,
		// the reading required.
		r = e.call(a.ID, http.MethodPost, "/v1/records/with-customer", api.RecordWithCustomerInput{
			Customer: customer.Profile{FamilyName: "鈴木"}, Record: contactlog.Entry{Template: "builtin:interview"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.status, string(r.body))
		require.Contains(t, string(r.body), "customer.family_kana")
		r = e.call(a.ID, http.MethodPost, "/v1/records/with-customer", api.RecordWithCustomerInput{
			Customer: customer.Profile{FamilyName: "鈴木", FamilyKana: "スズキ"}, Record: contactlog.Entry{Template: "builtin:interview"}})
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		var both api.RecordWithCustomer
		r.decode(t, &both)
		require.Equal(t, both.Customer.ID, both.Record.Customer)

		var feed api.FeedStatus
		e.call(a.ID, http.MethodGet, "/v1/calendar-feed", nil).decode(t, &feed)
		require.False(t, feed.Active)
		r = e.call(a.ID, http.MethodPost, "/v1/calendar-feed", nil)
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		e.call(a.ID, http.MethodGet, "/v1/calendar-feed", nil).decode(t, &feed)
		require.True(t, feed.Active)
		require.False(t, feed.CreatedAt.IsZero())
		require.Equal(t, http.StatusNoContent, e.call(a.ID, http.MethodDelete, "/v1/calendar-feed", nil).status)

		r = e.call(a.ID, http.MethodPost, "/v1/requests", schedule.RequestInput{Title: "見積", To: []uuid.UUID{b.ID}, Due: schedule.Date{Year: 2026, Month: 12, Day: 10}})
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		var req schedule.Request
		r.decode(t, &req)
		r = e.call(b.ID, http.MethodGet, "/v1/requests?box=received&open=true", nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		require.Equal(t, http.StatusCreated, e.call(b.ID, http.MethodPost, "/v1/requests/"+req.ID.String()+"/replies", api.ReplyInput{Body: "了解"}).status)
		r = e.call(b.ID, http.MethodPost, "/v1/requests/"+req.ID.String()+"/status", api.StatusChange{Status: schedule.RequestDone}, "If-Match", `"1"`)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		r = e.call(a.ID, http.MethodGet, "/v1/requests/"+req.ID.String(), nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		r.decode(t, &req)
		require.Equal(t, schedule.RequestDone, req.Status)
		require.Len(t, req.Replies, 1)
		require.Equal(t, http.StatusUnprocessableEntity, e.call(a.ID, http.MethodGet, "/v1/requests?box=x", nil).status)
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
