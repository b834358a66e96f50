package schedule_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/schedule"
)

func TestPlanMeetNextPlan(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		in := visit(t, f, "2026-12-04 10:00")
		in.Staff = []uuid.UUID{f.aID, f.bID}
		a, err := f.svc.CreateAppointment(f.a, in)
		require.NoError(t, err)

		// Meet: the record carries the appointment's fields.
		rec, linked, err := f.svc.RecordFromAppointment(f.b, a.ID, a.Version, contactlog.Entry{Template: "builtin:interview", PublicMemo: "見積を説明"})
		require.NoError(t, err)
		require.Equal(t, f.yamada.ID, rec.Customer)
		require.Equal(t, []string{"山田 花子"}, rec.ContactPersons)
		require.Equal(t, "visit", rec.Channel)
		require.Equal(t, []uuid.UUID{f.aID, f.bID}, rec.Responders)
		require.Equal(t, a.Start, rec.PlannedAt)
		require.Equal(t, a.Start, rec.ActualAt, "the start has passed: it is the actual time")
		require.Equal(t, rec.ID, linked.Record)
		require.Equal(t, a.Version+1, linked.Version)
		_, _, err = f.svc.RecordFromAppointment(f.b, a.ID, linked.Version, contactlog.Entry{Template: "builtin:interview"})
		require.ErrorIs(t, err, schedule.ErrConflict, "one record per appointment")

		// The record names the appointment it was made from, to those who see it.
		from, err := f.svc.MadeFromAppointment(f.a, rec.ID)
		require.NoError(t, err)
		require.Equal(t, a.ID, from.ID)
		_, err = f.svc.MadeFromAppointment(f.other, rec.ID)
		require.ErrorIs(t, err, schedule.ErrNotFound, "outside its visibility the appointment does not exist")

		// The calendar shows both, the appointment pointing at the record.
		c, err := f.svc.Calendar(f.a, schedule.CalendarQuery{From: d("2026-12-04"), To: d("2026-12-04")})
		require.NoError(t, err)
		require.Len(t, c.Entries, 2)
		require.Equal(t, schedule.EntryAppointment, c.Entries[0].Kind)
		require.Equal(t, rec.ID, c.Entries[0].Record)

		// Next plan from the record.
		next, err := f.svc.PlanNext(f.a, rec.ID, schedule.AppointmentInput{Title: "次回訪問", Start: at(t, "2026-12-18 14:00"), End: at(t, "2026-12-18 15:00")})
		require.NoError(t, err)
		require.Equal(t, rec.ID, next.Source)
		require.Equal(t, f.yamada.ID, next.Customer)
		require.Equal(t, []uuid.UUID{f.aID, f.bID}, next.Staff)
		require.Equal(t, "visit", next.Channel)
		require.Equal(t, []string{"山田 花子"}, next.ContactPersons)

		// A future appointment makes a planned record (no actual time yet).
		rec2, _, err := f.svc.RecordFromAppointment(f.a, next.ID, next.Version, contactlog.Entry{Template: "builtin:interview"})
		require.NoError(t, err)
		require.True(t, rec2.ActualAt.IsZero())
		_, err = f.svc.MadeFromAppointment(f.a, uuid.Must(uuid.NewV7()))
		require.ErrorIs(t, err, schedule.ErrNotFound, "a record made from no appointment")
		require.Equal(t, next.Start, rec2.PlannedAt)

		// Or link an existing appointment as the next one.
		other, err := f.svc.CreateAppointment(f.a, schedule.AppointmentInput{Title: "電話", Start: at(t, "2026-12-20 10:00")})
		require.NoError(t, err)
		l, err := f.svc.LinkNext(f.a, rec.ID, other.ID, other.Version)
		require.NoError(t, err)
		require.Equal(t, rec.ID, l.Source)
		_, err = f.svc.LinkNext(f.a, rec.ID, other.ID, other.Version)
		require.ErrorIs(t, err, schedule.ErrConflict)
		// The record's page lists both, soonest first.
		nexts, err := f.svc.NextAppointments(f.a, rec.ID)
		require.NoError(t, err)
		require.Len(t, nexts, 2)
		require.Equal(t, []uuid.UUID{next.ID, other.ID}, []uuid.UUID{nexts[0].ID, nexts[1].ID})
		require.Equal(t, []uuid.UUID{f.aID, f.bID}, nexts[0].Staff)
		nexts, err = f.svc.NextAppointments(f.other, rec.ID)
		require.NoError(t, err)
		require.Empty(t, nexts, "outside their visibility the appointments do not exist")
		_, err = f.svc.PlanNext(f.other, rec.ID, schedule.AppointmentInput{Title: "x", Start: at(t, "2026-12-20 10:00")})
		require.ErrorIs(t, err, schedule.ErrNotFound)
	})
}

func TestCreateRecordWithCustomer(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := f.a
		count := func() int {
			n, err := db.NewSelect().TableExpr("customers").Where("tenant_id = ?", f.tenant).Count(ctx)
			require.NoError(t, err)
			return int(n)
		}
		before := count()
		p := customer.Profile{FamilyName: "鈴木", GivenName: "一郎", FamilyKana: "スズキ", GivenKana: "イチロウ", Assignees: []uuid.UUID{f.aID}}
		e := contactlog.Entry{Template: "builtin:interview", ActualAt: at(t, "2026-12-05 09:00"), Channel: "store"}
		cust, rec, err := f.svc.CreateRecordWithCustomer(ctx, p, e)
		require.NoError(t, err)
		require.Equal(t, cust.ID, rec.Customer)
		require.Equal(t, before+1, count())

		// A bad record rolls the customer back.
		bad := e
		bad.Channel = "teleport"
		p.FamilyName = "高橋"
		_, _, err = f.svc.CreateRecordWithCustomer(ctx, p, bad)
		requireField(t, err, "channel", validation.CodeUnknown)
		require.Equal(t, before+1, count())

		// Name and reading are required; the customer's fields are named
		// as such.
		_, _, err = f.svc.CreateRecordWithCustomer(ctx, customer.Profile{FamilyName: "田中"}, e)
		requireField(t, err, "customer.family_kana", validation.CodeRequired)
		_, _, err = f.svc.CreateRecordWithCustomer(ctx, customer.Profile{FamilyKana: "タナカ"}, e)
		requireField(t, err, "customer.family_name", validation.CodeRequired)
		require.Equal(t, before+1, count())
	})
}
