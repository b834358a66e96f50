package contactlog_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

func requireField(t *testing.T, err error, field, code string) {
	t.Helper()
	var v *contactlog.ValidationError
	require.True(t, errors.As(err, &v), "want a validation error, got %v", err)
	require.True(t, v.Has(field, code), "want %s %s in %v", field, code, v)
}

func TestRecordLifecycle(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		e := entry(f.yamada.ID)
		e.Values = map[string]any{"place": "お客様宅", "purpose": "提案", "next_contact_on": "令和8年12月1日"}
		e.Expenses = []contactlog.Expense{{Route: " 新宿→横浜 ", Means: "電車", Amount: 580}}
		e.ContactPersons = []string{" 山田 花子 ", ""}
		r, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)
		require.Equal(t, int64(1), r.Version)
		require.Equal(t, 1, r.TemplateVersion)
		require.Equal(t, f.staffID, r.Author)
		require.Equal(t, []uuid.UUID{f.staffID}, r.Responders, "the author responds by default")
		require.Equal(t, f.clock.Now().Add(-time.Millisecond).UTC().Truncate(time.Second), r.ActualAt.Truncate(time.Second), "unplanned, unspecified: now")
		require.Equal(t, permission.ScopeCompany, r.Scope.Kind)
		require.Equal(t, "2026-12-01", r.Values["next_contact_on"], "era input normalized by the template")
		require.Equal(t, "新宿→横浜", r.Expenses[0].Route)
		require.Equal(t, []string{"山田 花子"}, r.ContactPersons)

		got, err := f.svc.Get(f.a, r.ID)
		require.NoError(t, err)
		require.Equal(t, r.PrivateMemo, got.PrivateMemo)
		require.Equal(t, r.Values, got.Values)
		require.True(t, r.CreatedAt.Equal(got.CreatedAt))
		_, err = f.svc.Get(f.other, r.ID)
		require.ErrorIs(t, err, contactlog.ErrNotFound, "other tenants do not see it")

		// Optimistic locking.
		e2 := got.Entry
		e2.PublicMemo = "見積をお送りしました。"
		up, err := f.svc.Update(f.staff, r.ID, 1, e2)
		require.NoError(t, err)
		require.Equal(t, int64(2), up.Version)
		_, err = f.svc.Update(f.staff, r.ID, 1, e2)
		require.ErrorIs(t, err, contactlog.ErrConflict)
		// The template cannot change.
		e3 := up.Entry
		e3.Template = template.KeyDaily
		_, err = f.svc.Update(f.staff, r.ID, 2, e3)
		requireField(t, err, "template", validation.CodeNotAllowed)

		// a is not a responder nor the author nor a manager: may see, not edit.
		_, err = f.svc.Update(f.a, r.ID, 2, up.Entry)
		require.ErrorIs(t, err, contactlog.ErrPermissionDenied)

		require.NoError(t, f.svc.Delete(f.staff, r.ID, 2))
		_, err = f.svc.Get(f.staff, r.ID)
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		require.ErrorIs(t, f.svc.Delete(f.staff, r.ID, 3), contactlog.ErrNotFound, "already deleted")
		require.NoError(t, f.svc.Restore(f.staff, r.ID, 3))
		got, err = f.svc.Get(f.staff, r.ID)
		require.NoError(t, err)
		require.Equal(t, int64(4), got.Version)

		require.ErrorIs(t, f.svc.Purge(f.staff, r.ID), contactlog.ErrPermissionDenied)
		require.NoError(t, f.svc.Purge(f.admin, r.ID))
		_, err = f.svc.Get(f.admin, r.ID)
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		for _, table := range []string{"contact_record_people", "contact_record_scope"} {
			n, err := db.NewSelect().TableExpr(table).Where("record_id = ?", r.ID).Count(context.Background())
			require.NoError(t, err)
			require.Zero(t, n, table)
		}
	})
}

func TestRecordValidation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		_, err := f.svc.Create(f.staff, contactlog.Entry{})
		requireField(t, err, "template", validation.CodeRequired)

		e := entry(uuid.New())
		e.Channel = "teleport"
		e.Category2 = "repair"  // needs Category1 support
		e.Category1 = "product" // …but product's children differ
		e.Values = map[string]any{"purpose": "宴会", "nope": 1}
		e.Responders = []uuid.UUID{uuid.New()}
		e.ReportTo = []uuid.UUID{uuid.Nil}
		e.Scope = permission.Scope{Kind: permission.ScopeGroups, Targets: []uuid.UUID{uuid.New()}}
		e.Expenses = []contactlog.Expense{{Amount: -1, Kind: "taxi"}}
		e.ActualAt = f.clock.Now().Add(72 * time.Hour)
		_, err = f.svc.Create(f.staff, e)
		for _, want := range [][2]string{
			{"customer", validation.CodeUnknown}, {"channel", validation.CodeUnknown}, {"category2", validation.CodeNotAllowed},
			{"fields.purpose", validation.CodeUnknown}, {"fields.nope", validation.CodeUnknown},
			{"responders", validation.CodeUnknown}, {"report_to", validation.CodeInvalidUUID},
			{"scope.targets", validation.CodeUnknown}, {"expenses[0].route", validation.CodeRequired},
			{"expenses[0].amount", validation.CodeOutOfRange}, {"expenses[0].kind", validation.CodeUnknown},
			{"actual_at", validation.CodeOutOfRange},
		} {
			requireField(t, err, want[0], want[1])
		}

		// A template nobody has, a draft that is shared.
		e = entry(uuid.Nil)
		e.Template = "tenant:nothing"
		e.Shared = true
		_, err = f.svc.Create(f.staff, e)
		requireField(t, err, "template", validation.CodeUnknown)
		requireField(t, err, "shared", validation.CodeNotAllowed)

		// Archived master codes: refused for new records, kept on old ones.
		r, err := f.svc.Create(f.staff, entry(f.yamada.ID))
		require.NoError(t, err)
		items, err := f.svc.Masters().List(f.admin, contactlog.MasterChannel)
		require.NoError(t, err)
		for i := range items {
			items[i].Archived = items[i].Code == "visit"
		}
		require.NoError(t, f.svc.Masters().Set(f.admin, contactlog.MasterChannel, items))
		_, err = f.svc.Create(f.staff, entry(f.yamada.ID))
		requireField(t, err, "channel", validation.CodeNotAllowed)
		e = r.Entry
		e.PublicMemo = "追記"
		_, err = f.svc.Update(f.staff, r.ID, r.Version, e)
		require.NoError(t, err, "an archived code the record already carries stays valid")

		// A customer principal writes nothing.
		cust := permission.WithPrincipal(context.Background(), permission.Principal{Tenant: f.tenant, User: uuid.New(), Kind: permission.Customer, Customer: f.yamada.ID})
		_, err = f.svc.Create(cust, entry(f.yamada.ID))
		require.ErrorIs(t, err, contactlog.ErrPermissionDenied)
	})
}

func TestRecordVisibility(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		// A draft is private to its author (and people) by default.
		draft, err := f.svc.Create(f.staff, contactlog.Entry{Template: template.KeyInterview, PublicMemo: "写真だけ先に"})
		require.NoError(t, err)
		require.True(t, draft.IsDraft())
		require.Equal(t, permission.ScopeUsers, draft.Scope.Kind)
		_, err = f.svc.Get(f.a, draft.ID)
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		_, err = f.svc.Get(f.manager, draft.ID)
		require.NoError(t, err, "the author's group manager sees it")
		// Linking it to a customer later; a linked record cannot go back
		// to being a draft.
		e := draft.Entry
		e.Customer = f.yamada.ID
		linked, err := f.svc.Update(f.staff, draft.ID, draft.Version, e)
		require.NoError(t, err)
		e = linked.Entry
		e.Customer = uuid.Nil
		_, err = f.svc.Update(f.staff, draft.ID, linked.Version, e)
		requireField(t, err, "customer", validation.CodeRequired)

		// Scope users: only the targets (plus author and people).
		e = entry(f.yamada.ID)
		e.Scope = permission.Scope{Kind: permission.ScopeUsers, Targets: []uuid.UUID{f.aID}}
		e.ReportTo = []uuid.UUID{f.adminID}
		r, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)
		_, err = f.svc.Get(f.a, r.ID)
		require.NoError(t, err)
		_, err = f.svc.Get(f.b, r.ID)
		require.ErrorIs(t, err, contactlog.ErrNotFound)

		// Partners: their own customers, never confidential templates.
		pe := partnerEntry(f.partnerCo.ID)
		pr, err := f.svc.Create(f.partner, pe)
		require.NoError(t, err)
		_, err = f.svc.Get(f.partner, pr.ID)
		require.NoError(t, err)
		_, err = f.svc.Create(f.partner, partnerEntry(f.yamada.ID))
		requireField(t, err, "customer", validation.CodeUnknown)
		pe.Template = template.KeySales
		_, err = f.svc.Create(f.partner, pe)
		require.ErrorIs(t, err, contactlog.ErrPermissionDenied)
		sales, err := f.svc.Create(f.admin, pe)
		require.NoError(t, err)
		require.True(t, sales.Confidential)
		_, err = f.svc.Get(f.partner, sales.ID)
		require.ErrorIs(t, err, contactlog.ErrNotFound)

		// The customer's portal sees shared records, without private parts.
		e = entry(f.yamada.ID)
		e.Shared = true
		e.Expenses = []contactlog.Expense{{Route: "駅→お客様宅", Amount: 200}}
		shared, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)
		cust := permission.WithPrincipal(context.Background(), permission.Principal{Tenant: f.tenant, User: uuid.New(), Kind: permission.Customer, Customer: f.yamada.ID})
		got, err := f.svc.Get(cust, shared.ID)
		require.NoError(t, err)
		require.Equal(t, shared.PublicMemo, got.PublicMemo)
		require.Empty(t, got.PrivateMemo)
		require.Empty(t, got.Expenses)
		_, err = f.svc.Get(cust, r.ID)
		require.ErrorIs(t, err, contactlog.ErrNotFound, "not shared")
	})
}

func TestReportToNotifiesNewRecipientsOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		pending := func() map[string]int {
			var rows []struct {
				Recipient string `bun:"recipient"`
				N         int    `bun:"n"`
			}
			require.NoError(t, db.NewSelect().TableExpr("outbox_messages").ColumnExpr("recipient, COUNT(*) AS n").
				Where("topic = ?", contactlog.TopicReportTo).Group("recipient").Scan(ctx, &rows))
			out := map[string]int{}
			for _, r := range rows {
				out[r.Recipient] = r.N
			}
			return out
		}
		e := entry(f.yamada.ID)
		e.ReportTo = []uuid.UUID{f.managerID, f.staffID} // the author is not told of their own record
		r, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)
		require.Equal(t, map[string]int{f.managerID.String(): 1}, pending())

		e = r.Entry
		e.ReportTo = []uuid.UUID{f.managerID, f.aID}
		r, err = f.svc.Update(f.staff, r.ID, r.Version, e)
		require.NoError(t, err)
		require.Equal(t, map[string]int{f.managerID.String(): 1, f.aID.String(): 1}, pending())

		// Removing and adding again does not repeat the notification.
		e.ReportTo = nil
		r, err = f.svc.Update(f.staff, r.ID, r.Version, e)
		require.NoError(t, err)
		e.ReportTo = []uuid.UUID{f.aID}
		_, err = f.svc.Update(f.staff, r.ID, r.Version, e)
		require.NoError(t, err)
		require.Equal(t, map[string]int{f.managerID.String(): 1, f.aID.String(): 1}, pending())

		// A rolled-back create leaves no notification behind.
		e = entry(f.yamada.ID)
		e.ReportTo = []uuid.UUID{f.bID}
		e.Channel = "teleport"
		_, err = f.svc.Create(f.staff, e)
		require.Error(t, err)
		require.NotContains(t, pending(), f.bID.String())
	})
}

func TestCreateNextAndTemplateVersions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		store, err := template.NewStore(db, &template.Config{Clock: f.clock.Now})
		require.NoError(t, err)
		v1, err := store.Save(f.admin, template.Template{Key: "tenant:visit", Name: "訪問", Fields: []template.Field{
			{Key: "minutes", Label: "作業時間", Type: template.FieldDuration, Required: true},
		}})
		require.NoError(t, err)
		e := entry(f.yamada.ID)
		e.Template = v1.Key
		e.Values = map[string]any{"minutes": "1:30"}
		e.Participants = []uuid.UUID{f.aID}
		first, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)
		require.Equal(t, 1, first.TemplateVersion)

		// Version 2 adds a required field; the old record still validates
		// with version 1 on update.
		v2 := v1.Clone()
		v2.Fields = append(v2.Fields, template.Field{Key: "car", Label: "車両", Type: template.FieldText, Required: true})
		_, err = store.Save(f.admin, v2)
		require.NoError(t, err)
		e = first.Entry
		e.PublicMemo = "修正"
		upd, err := f.svc.Update(f.staff, first.ID, first.Version, e)
		require.NoError(t, err)
		require.Equal(t, 1, upd.TemplateVersion)
		e.TemplateVersion = 2
		_, err = f.svc.Update(f.staff, first.ID, upd.Version, e)
		requireField(t, err, "fields.car", validation.CodeRequired)

		planned := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
		next, err := f.svc.CreateNext(f.staff, first.ID, planned)
		requireField(t, err, "fields.car", validation.CodeRequired) // the latest version applies to new records
		require.Nil(t, next)
		require.NoError(t, store.Archive(f.admin, "tenant:visit"))
		_, err = f.svc.CreateNext(f.staff, first.ID, planned)
		requireField(t, err, "template", validation.CodeNotAllowed)
		require.NoError(t, store.Unarchive(f.admin, "tenant:visit"))

		// With a template without required fields, next copies customer,
		// people and scope.
		base, err := f.svc.Create(f.staff, entry(f.yamada.ID))
		require.NoError(t, err)
		e = base.Entry
		e.Participants = []uuid.UUID{f.aID}
		base, err = f.svc.Update(f.staff, base.ID, base.Version, e)
		require.NoError(t, err)
		next, err = f.svc.CreateNext(f.staff, base.ID, planned)
		require.NoError(t, err)
		require.Equal(t, base.Customer, next.Customer)
		require.Equal(t, base.Participants, next.Participants)
		require.Equal(t, base.ID, next.Source)
		require.True(t, next.ActualAt.IsZero())
		require.True(t, next.PlannedAt.Equal(planned))
		require.Empty(t, next.PublicMemo)
	})
}

func TestRecordEndTime(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		start := f.clock.Now().Add(-2 * time.Hour).UTC().Truncate(time.Minute)
		e := entry(f.yamada.ID)
		e.ActualAt, e.EndAt = start, start.Add(90*time.Minute)
		r, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)
		got, err := f.svc.Get(f.staff, r.ID)
		require.NoError(t, err)
		require.True(t, got.EndAt.Equal(start.Add(90*time.Minute)), "stored: %v", got.EndAt)

		// An end before the start is refused, naming what it may not precede.
		e = got.Entry
		e.EndAt = start.Add(-time.Minute)
		_, err = f.svc.Update(f.staff, r.ID, got.Version, e)
		requireField(t, err, "end_at", validation.CodeOutOfRange)
		var v *contactlog.ValidationError
		require.True(t, errors.As(err, &v))
		require.Equal(t, "actual_at..", v.Fields[0].Param)

		// A planned contact ends after its planned start.
		e = entry(f.yamada.ID)
		e.PlannedAt = f.clock.Now().Add(48 * time.Hour)
		e.EndAt = e.PlannedAt.Add(-time.Hour)
		_, err = f.svc.Create(f.staff, e)
		requireField(t, err, "end_at", validation.CodeOutOfRange)
		e.EndAt = e.PlannedAt.Add(time.Hour)
		_, err = f.svc.Create(f.staff, e)
		require.NoError(t, err)

		// An end without any start is refused on update.
		e = got.Entry
		e.ActualAt, e.PlannedAt = time.Time{}, time.Time{}
		_, err = f.svc.Update(f.staff, r.ID, got.Version, e)
		requireField(t, err, "actual_at", validation.CodeRequired)
	})
}
