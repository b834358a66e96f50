package contactlog_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestReportPatterns: each staff member keeps their own named sets of
// report-to recipients; nobody else lists, changes or deletes them.
func TestReportPatterns(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		p, err := f.svc.ReportPatterns().Create(f.staff, contactlog.ReportPatternInput{Name: " 上長と営業A ",
			Recipients: []uuid.UUID{f.managerID, f.aID, f.managerID}})
		require.NoError(t, err)
		require.Equal(t, "上長と営業A", p.Name)
		require.Equal(t, []uuid.UUID{f.managerID, f.aID}, p.Recipients, "in order, once each")
		require.Equal(t, f.staffID, p.Owner)

		_, err = f.svc.ReportPatterns().Create(f.staff, contactlog.ReportPatternInput{Name: "上長と営業A", Recipients: []uuid.UUID{f.bID}})
		requireField(t, err, "name", validation.CodeDuplicate)
		_, err = f.svc.ReportPatterns().Create(f.staff, contactlog.ReportPatternInput{Name: strings.Repeat("長", 51)})
		requireField(t, err, "name", validation.CodeTooLong)
		requireField(t, err, "recipients", validation.CodeRequired)
		_, err = f.svc.ReportPatterns().Create(f.staff, contactlog.ReportPatternInput{Name: "他社", Recipients: []uuid.UUID{uuid.New()}})
		requireField(t, err, "recipients", validation.CodeUnknown)
		// Another staff member may use the same name.
		_, err = f.svc.ReportPatterns().Create(f.a, contactlog.ReportPatternInput{Name: "上長と営業A", Recipients: []uuid.UUID{f.managerID}})
		require.NoError(t, err)

		b, err := f.svc.ReportPatterns().Create(f.staff, contactlog.ReportPatternInput{Name: "営業B", Recipients: []uuid.UUID{f.bID}})
		require.NoError(t, err)
		mine, err := f.svc.ReportPatterns().List(f.staff)
		require.NoError(t, err)
		require.Equal(t, []string{"上長と営業A", "営業B"}, []string{mine[0].Name, mine[1].Name})

		up, err := f.svc.ReportPatterns().Update(f.staff, b.ID, contactlog.ReportPatternInput{Name: "営業Bと上長",
			Recipients: []uuid.UUID{f.bID, f.managerID}})
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{f.bID, f.managerID}, up.Recipients)
		_, err = f.svc.ReportPatterns().Update(f.staff, b.ID, contactlog.ReportPatternInput{Name: "上長と営業A", Recipients: []uuid.UUID{f.bID}})
		requireField(t, err, "name", validation.CodeDuplicate)

		// Someone else's pattern is not there for them.
		_, err = f.svc.ReportPatterns().Update(f.a, b.ID, contactlog.ReportPatternInput{Name: "乗っ取り", Recipients: []uuid.UUID{f.aID}})
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		require.ErrorIs(t, f.svc.ReportPatterns().Delete(f.a, b.ID), contactlog.ErrNotFound)
		require.ErrorIs(t, f.svc.ReportPatterns().Delete(f.other, b.ID), contactlog.ErrNotFound)
		theirs, err := f.svc.ReportPatterns().List(f.a)
		require.NoError(t, err)
		require.Len(t, theirs, 1)

		require.NoError(t, f.svc.ReportPatterns().Delete(f.staff, b.ID))
		mine, err = f.svc.ReportPatterns().List(f.staff)
		require.NoError(t, err)
		require.Len(t, mine, 1)
	})
}

// TestReportMessage: the report-to message is stored, mailed to the
// recipients newly added, and never shown to the customer.
func TestReportMessage(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		m := newMailer(t, f)
		e := entry(f.yamada.ID)
		e.ReportTo = []uuid.UUID{f.managerID}
		e.ReportMessage = " 見積の承認をお願いします。 "
		e.Shared = true
		r, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)
		require.Equal(t, "見積の承認をお願いします。", r.ReportMessage)
		deliverAll(t, m.disp)
		got := m.to(t, "hanako@example.jp")
		require.Len(t, got, 1)
		require.Contains(t, got[0].Text, "見積の承認をお願いします。")

		cust := permission.WithPrincipal(context.Background(), permission.Principal{Tenant: f.tenant, User: uuid.New(),
			Kind: permission.Customer, Customer: f.yamada.ID})
		seen, err := f.svc.Get(cust, r.ID)
		require.NoError(t, err, "shared with the customer")
		require.Empty(t, seen.ReportMessage, "the customer never reads it")

		e = r.Entry
		e.ReportMessage = strings.Repeat("長", contactlog.MaxReportMessageLen+1)
		_, err = f.svc.Update(f.staff, r.ID, r.Version, e)
		requireField(t, err, "report_message", validation.CodeTooLong)

		// Only the newly added recipient hears of it, with the new message.
		e.ReportTo, e.ReportMessage = []uuid.UUID{f.managerID, f.aID}, "Aさんも確認してください。"
		_, err = f.svc.Update(f.staff, r.ID, r.Version, e)
		require.NoError(t, err)
		deliverAll(t, m.disp)
		require.Len(t, m.to(t, "hanako@example.jp"), 1)
		require.Contains(t, m.to(t, "a@example.jp")[0].Text, "Aさんも確認してください。")
	})
}
