package schedule_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/schedule"
)

// at is a time of day in Tokyo.
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, jst(t))
	require.NoError(t, err)
	return v
}

func visit(t *testing.T, f *fixture, start string) schedule.AppointmentInput {
	return schedule.AppointmentInput{
		Title: "定期訪問", Start: at(t, start), End: at(t, start).Add(time.Hour), Place: "山田様宅",
		Staff: []uuid.UUID{f.aID}, Customer: f.yamada.ID, ContactPersons: []string{" 山田 花子 ", ""},
		Channel: "visit", Memo: "見積書を持参", Direct: schedule.DirectBoth,
	}
}

func TestAppointmentLifecycle(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		a, err := f.svc.CreateAppointment(f.a, visit(t, f, "2026-12-08 10:00"))
		require.NoError(t, err)
		require.Equal(t, []string{"山田 花子"}, a.ContactPersons)
		require.Equal(t, int64(1), a.Version)
		require.Equal(t, f.aID, a.Author)

		got, err := f.svc.Appointment(f.a, a.ID)
		require.NoError(t, err)
		require.Equal(t, a, got)

		in := a.AppointmentInput
		in.Title, in.Staff = "定期訪問（B同行）", []uuid.UUID{f.aID, f.bID}
		up, err := f.svc.UpdateAppointment(f.b, a.ID, 1, in)
		require.Error(t, err, "b is not on it yet")
		require.ErrorIs(t, err, schedule.ErrPermissionDenied)
		require.Nil(t, up)
		up, err = f.svc.UpdateAppointment(f.a, a.ID, 1, in)
		require.NoError(t, err)
		require.Equal(t, int64(2), up.Version)
		_, err = f.svc.UpdateAppointment(f.a, a.ID, 1, in)
		require.ErrorIs(t, err, schedule.ErrConflict)
		got, err = f.svc.Appointment(f.b, a.ID)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{f.aID, f.bID}, got.Staff)

		_, err = f.svc.Appointment(f.c, a.ID)
		require.ErrorIs(t, err, schedule.ErrNotFound, "c does not see yamada, so not the appointment")
		_, err = f.svc.Appointment(f.other, a.ID)
		require.ErrorIs(t, err, schedule.ErrNotFound)

		require.ErrorIs(t, f.svc.DeleteAppointment(f.b, a.ID, 1), schedule.ErrConflict)
		require.NoError(t, f.svc.DeleteAppointment(f.b, a.ID, 2))
		_, err = f.svc.Appointment(f.a, a.ID)
		require.ErrorIs(t, err, schedule.ErrNotFound)
		require.NoError(t, f.svc.RestoreAppointment(f.a, a.ID, 3))
		got, err = f.svc.Appointment(f.a, a.ID)
		require.NoError(t, err)
		require.Equal(t, int64(4), got.Version)
	})
}

func TestAppointmentValidation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		for _, tc := range []struct {
			name, field, code string
			edit              func(*schedule.AppointmentInput)
		}{
			{"no title", "title", validation.CodeRequired, func(in *schedule.AppointmentInput) { in.Title = " " }},
			{"long title", "title", validation.CodeTooLong, func(in *schedule.AppointmentInput) { in.Title = strings.Repeat("あ", schedule.MaxTitleLen+1) }},
			{"no start", "start", validation.CodeRequired, func(in *schedule.AppointmentInput) { in.Start, in.End = time.Time{}, time.Time{} }},
			{"end before start", "end", validation.CodeOutOfRange, func(in *schedule.AppointmentInput) { in.End = in.Start.Add(-time.Minute) }},
			{"too long", "end", validation.CodeOutOfRange, func(in *schedule.AppointmentInput) { in.End = in.Start.AddDate(2, 0, 0) }},
			{"unknown channel", "channel", validation.CodeUnknown, func(in *schedule.AppointmentInput) { in.Channel = "teleport" }},
			{"unknown direct", "direct", validation.CodeUnknown, func(in *schedule.AppointmentInput) { in.Direct = "sideways" }},
			{"unknown staff", "staff", validation.CodeUnknown, func(in *schedule.AppointmentInput) { in.Staff = []uuid.UUID{uuid.New()} }},
			{"hidden customer", "customer", validation.CodeUnknown, func(in *schedule.AppointmentInput) { in.Customer = f.sato.ID }},
			{"unknown scope group", "scope.targets", validation.CodeUnknown, func(in *schedule.AppointmentInput) {
				in.Scope = permission.Scope{Kind: permission.ScopeGroups, Targets: []uuid.UUID{uuid.New()}}
			}},
			{"company scope with targets", "scope.targets", validation.CodeNotAllowed, func(in *schedule.AppointmentInput) {
				in.Scope = permission.Scope{Kind: permission.ScopeCompany, Targets: []uuid.UUID{f.group}}
			}},
			{"control character in title", "title", validation.CodeFormat, func(in *schedule.AppointmentInput) { in.Title = "定期\x07訪問" }},
			{"control character in memo", "memo", validation.CodeFormat, func(in *schedule.AppointmentInput) { in.Memo = "見積書\x00" }},
			{"long place", "place", validation.CodeTooLong, func(in *schedule.AppointmentInput) { in.Place = strings.Repeat("x", schedule.MaxPlaceLen+1) }},
		} {
			in := visit(t, f, "2026-12-08 10:00")
			tc.edit(&in)
			_, err := f.svc.CreateAppointment(f.a, in)
			requireField(t, err, tc.field, tc.code)
		}
		_, err := f.svc.CreateAppointment(f.yamadaPortal(t), visit(t, f, "2026-12-08 10:00"))
		require.ErrorIs(t, err, schedule.ErrPermissionDenied)

		noRecords, err := schedule.NewService(db, &schedule.Config{Authorizer: permission.Unrestricted(), Directory: f.cfg.Directory})
		require.NoError(t, err)
		_, err = noRecords.CreateAppointment(f.a, visit(t, f, "2026-12-08 10:00"))
		require.ErrorIs(t, err, schedule.ErrInvalid)
	})
}

func TestAppointmentAllDayRoundTrip(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		in := schedule.AppointmentInput{Title: "展示会", AllDay: true, Start: at(t, "2026-12-10 15:00"), End: at(t, "2026-12-11 09:00")}
		a, err := f.svc.CreateAppointment(f.a, in)
		require.NoError(t, err)
		require.Equal(t, at(t, "2026-12-10 00:00").UTC(), a.Start)
		require.Equal(t, at(t, "2026-12-11 00:00").UTC(), a.End)
		up, err := f.svc.UpdateAppointment(f.a, a.ID, a.Version, a.AppointmentInput)
		require.NoError(t, err)
		require.Equal(t, a.End, up.End, "passing the appointment back changes nothing")
		got, err := f.svc.Appointment(f.a, a.ID)
		require.NoError(t, err)
		require.Equal(t, a.End, got.End)

		cal, err := f.svc.Calendar(f.a, schedule.CalendarQuery{From: d("2026-12-11"), To: d("2026-12-11")})
		require.NoError(t, err)
		require.Len(t, cal.Entries, 1)
		cal, err = f.svc.Calendar(f.a, schedule.CalendarQuery{From: d("2026-12-12"), To: d("2026-12-12")})
		require.NoError(t, err)
		require.Empty(t, cal.Entries)
	})
}

func TestAppointmentScope(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		// An internal appointment of a, shown only to c.
		in := schedule.AppointmentInput{Title: "面談", Start: at(t, "2026-12-07 10:00"),
			Scope: permission.Scope{Kind: permission.ScopeUsers, Targets: []uuid.UUID{f.cID}}}
		a, err := f.svc.CreateAppointment(f.a, in)
		require.NoError(t, err)
		for _, tc := range []struct {
			who  string
			ctx  context.Context
			sees bool
		}{{"a", f.a, true}, {"b", f.b, false}, {"c", f.c, true}, {"admin", f.admin, true}} {
			_, err := f.svc.Appointment(tc.ctx, a.ID)
			if tc.sees {
				require.NoError(t, err, tc.who)
			} else {
				require.True(t, errors.Is(err, schedule.ErrNotFound), "%s: %v", tc.who, err)
			}
		}
		// c sees it but may not change it.
		_, err = f.svc.UpdateAppointment(f.c, a.ID, a.Version, a.AppointmentInput)
		require.ErrorIs(t, err, schedule.ErrPermissionDenied)
	})
}

// yamadaPortal is the context of yamada's own portal account.
func (f *fixture) yamadaPortal(t *testing.T) context.Context {
	t.Helper()
	return permission.WithPrincipal(context.Background(), permission.Principal{
		Tenant: f.tenant, User: uuid.New(), Kind: permission.Customer, Customer: f.yamada.ID})
}

// A partner on an appointment of their own customer may change it, not
// make it confidential (partners never see those).
func TestAppointmentPartnerOnStaff(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		dir, err := permission.NewDirectory(db, f.clock.Now)
		require.NoError(t, err)
		u, err := dir.SaveUser(ctx, permission.User{Tenant: f.tenant, Name: "代理店 P", Email: "p@partner.example",
			Roles: []permission.Role{permission.RolePartner}, Active: true})
		require.NoError(t, err)
		p, err := dir.Principal(ctx, f.tenant, u.ID)
		require.NoError(t, err)
		partner := permission.WithPrincipal(ctx, p)
		kato, err := f.cfg.Customers.Create(f.admin, customer.Profile{FamilyName: "加藤", FamilyKana: "カトウ", Assignees: []uuid.UUID{u.ID}})
		require.NoError(t, err)
		a, err := f.svc.CreateAppointment(f.admin, schedule.AppointmentInput{Title: "同行", Start: at(t, "2026-12-08 10:00"),
			Staff: []uuid.UUID{u.ID, f.aID}, Customer: kato.ID})
		require.NoError(t, err)
		in := a.AppointmentInput
		in.Place = "加藤様宅"
		up, err := f.svc.UpdateAppointment(partner, a.ID, a.Version, in)
		require.NoError(t, err)
		in.Confidential = true
		_, err = f.svc.UpdateAppointment(partner, a.ID, up.Version, in)
		require.ErrorIs(t, err, schedule.ErrPermissionDenied)
	})
}
