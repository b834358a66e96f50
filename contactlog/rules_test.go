package contactlog_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestPrivateMemoWithheldFromPartners follows one record with a private
// memo through every read path: partners see the record but never its
// private memo (nor find it by the memo's words); staff do.
func TestPrivateMemoWithheldFromPartners(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		m := newMailer(t, f)
		e := partnerEntry(f.partnerCo.ID)
		e.PublicMemo, e.PrivateMemo = "定期点検に伺った。", "仕入値は八掛け、値引き交渉に注意"
		e.Participants = []uuid.UUID{f.partnerID}
		older, err := f.svc.Create(f.admin, e)
		require.NoError(t, err)
		rec, err := f.svc.Create(f.admin, e)
		require.NoError(t, err)

		hidden := func(about string, r contactlog.Record) {
			t.Helper()
			require.Empty(t, r.PrivateMemo, about)
			require.True(t, r.PrivateMemoWithheld, about)
		}
		got, err := f.svc.Get(f.partner, rec.ID)
		require.NoError(t, err)
		hidden("Get", *got)
		require.Equal(t, e.PublicMemo, got.PublicMemo)
		page, err := f.svc.Search(f.partner, contactlog.Query{Customer: f.partnerCo.ID})
		require.NoError(t, err)
		require.Len(t, page.Records, 2)
		for _, r := range page.Records {
			hidden("Search", r)
		}
		tl, err := f.svc.Timeline(f.partner, contactlog.TimelineQuery{Customer: f.partnerCo.ID})
		require.NoError(t, err)
		require.Len(t, tl.Records, 2)
		for _, r := range tl.Records {
			hidden("Timeline", r)
		}
		hist, err := f.svc.History(f.partner, rec.ID, 0)
		require.NoError(t, err)
		require.Len(t, hist, 1)
		hidden("History", hist[0])
		n, err := f.svc.Export(f.partner, contactlog.Query{}, func([]contactlog.Record) error { return nil })
		require.ErrorIs(t, err, contactlog.ErrPermissionDenied, "partners export nothing")
		require.Zero(t, n)

		// Words only in the private memo find nothing for the partner —
		// two characters (the bigram index alone) or more — and the
		// record for staff.
		for _, text := range []string{"八掛", "仕入値", "値引き 交渉", "点検 八掛"} {
			require.Empty(t, search(t, f.partner, f.svc, contactlog.Query{Text: text}), text)
			require.Equal(t, []uuid.UUID{rec.ID, older.ID}, search(t, f.admin, f.svc, contactlog.Query{Text: text}), text)
		}
		require.Equal(t, []uuid.UUID{rec.ID, older.ID}, search(t, f.partner, f.svc, contactlog.Query{Text: "点検"}))

		got, err = f.svc.Get(f.admin, rec.ID)
		require.NoError(t, err)
		require.Equal(t, e.PrivateMemo, got.PrivateMemo)
		require.False(t, got.PrivateMemoWithheld)

		// A partner writes no private memo; their edit keeps the stored one.
		_, err = f.svc.Create(f.partner, entry(f.partnerCo.ID))
		requireField(t, err, "private_memo", validation.CodeNotAllowed)
		edit := got.Entry
		edit.PrivateMemo = "書き換え"
		_, err = f.svc.Update(f.partner, rec.ID, got.Version, edit)
		requireField(t, err, "private_memo", validation.CodeNotAllowed)
		edit.PrivateMemo, edit.PublicMemo = "", "点検済み"
		updated, err := f.svc.Update(f.partner, rec.ID, got.Version, edit)
		require.NoError(t, err)
		hidden("Update", *updated)
		got, err = f.svc.Get(f.admin, rec.ID)
		require.NoError(t, err)
		require.Equal(t, "点検済み", got.PublicMemo)
		require.Equal(t, e.PrivateMemo, got.PrivateMemo, "the partner's edit keeps the private memo")

		// Mails carry the private memo to staff only.
		require.NoError(t, m.svc.MailRecord(f.admin, rec.ID, []uuid.UUID{f.partnerID, f.staffID}, ""))
		deliverAll(t, m.disp)
		for email, shown := range map[string]bool{"c@partner.example": false, "ichiro@example.jp": true} {
			mails := m.to(t, email)
			require.Len(t, mails, 1, email)
			require.Equal(t, shown, strings.Contains(mails[0].Text, "仕入値"), email)
		}
	})
}

// TestRecordsFollowCustomerVisibility: with VisibilityAssigned, a record
// about a customer hidden from a staff member is hidden from them, whatever
// its scope, unless they are named on it or manage its author.
func TestRecordsFollowCustomerVisibility(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		as := f.assigned(t)
		staff, b, manager := as(f.staffID), as(f.bID), as(f.managerID)

		// yamada is assigned to staff only; b does not see the customer.
		mk := func(ctx context.Context, change func(*contactlog.Entry)) uuid.UUID {
			e := entry(f.yamada.ID)
			change(&e)
			r, err := f.svc.Create(ctx, e)
			require.NoError(t, err)
			return r.ID
		}
		company := mk(staff, func(*contactlog.Entry) {})
		scopedToB := mk(staff, func(e *contactlog.Entry) {
			e.Scope = permission.Scope{Kind: permission.ScopeUsers, Targets: []uuid.UUID{f.bID}}
		})
		groupScope := mk(staff, func(e *contactlog.Entry) {
			e.Scope = permission.Scope{Kind: permission.ScopeGroups, Targets: []uuid.UUID{f.group}}
		})
		bResponds := mk(staff, func(e *contactlog.Entry) { e.Responders = []uuid.UUID{f.bID} })
		bReportTo := mk(staff, func(e *contactlog.Entry) { e.ReportTo = []uuid.UUID{f.bID} })
		draft, err := f.svc.Create(staff, contactlog.Entry{Template: template.KeyInterview,
			Scope: permission.Scope{Kind: permission.ScopeUsers, Targets: []uuid.UUID{f.bID}}})
		require.NoError(t, err)

		for _, c := range []struct {
			who  string
			ctx  context.Context
			want []uuid.UUID
		}{
			{"b, named on two", b, []uuid.UUID{draft.ID, bReportTo, bResponds}},
			{"the assignee", staff, []uuid.UUID{draft.ID, bReportTo, bResponds, groupScope, scopedToB, company}},
			{"the author's manager", manager, []uuid.UUID{draft.ID, bReportTo, bResponds, groupScope, scopedToB, company}},
		} {
			require.Equal(t, c.want, search(t, c.ctx, f.svc, contactlog.Query{}), c.who)
			page, err := f.svc.Search(c.ctx, contactlog.Query{WithTotal: true})
			require.NoError(t, err)
			require.Equal(t, len(c.want), page.Total, c.who)
		}
		for _, id := range []uuid.UUID{company, scopedToB, groupScope} {
			_, err := f.svc.Get(b, id)
			require.ErrorIs(t, err, contactlog.ErrNotFound)
		}
		// Once b is assigned the customer, the scope shows b the rest.
		require.NoError(t, f.customer.SetAssignees(f.admin, f.yamada.ID, []uuid.UUID{f.staffID, f.bID}))
		require.Equal(t, []uuid.UUID{draft.ID, bReportTo, bResponds, groupScope, scopedToB, company},
			search(t, b, f.svc, contactlog.Query{}))
	})
}

// TestDemotedPartnerLosesConfidentialRecords: a staff member demoted to
// partner no longer sees the confidential (商談) records they wrote; their
// other records stay theirs.
func TestDemotedPartnerLosesConfidentialRecords(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		sales := partnerEntry(f.partnerCo.ID)
		sales.Template = template.KeySales
		deal, err := f.svc.Create(f.a, sales)
		require.NoError(t, err)
		visit, err := f.svc.Create(f.a, partnerEntry(f.partnerCo.ID))
		require.NoError(t, err)

		u, err := f.dir.User(context.Background(), f.tenant, f.aID)
		require.NoError(t, err)
		u.Roles = []permission.Role{permission.RolePartner}
		_, err = f.dir.SaveUser(context.Background(), *u)
		require.NoError(t, err)
		p, err := f.dir.Principal(context.Background(), f.tenant, f.aID)
		require.NoError(t, err)
		demoted := permission.WithPrincipal(context.Background(), p)

		_, err = f.svc.Get(demoted, deal.ID)
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		require.Equal(t, []uuid.UUID{visit.ID}, search(t, demoted, f.svc, contactlog.Query{Mine: true}))
		_, err = f.svc.Update(demoted, deal.ID, deal.Version, sales)
		require.ErrorIs(t, err, contactlog.ErrNotFound)
	})
}

// TestExportAudited: a record export checks ActionExport and is audited
// with its filter and row count; the keywords stay out of the log.
func TestExportAudited(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		for range 3 {
			_, err := f.svc.Create(f.staff, entry(f.yamada.ID))
			require.NoError(t, err)
		}
		var pages [][]uuid.UUID
		n, err := f.svc.Export(f.staff, contactlog.Query{Text: "山田 新商品", Customer: f.yamada.ID, Limit: 1},
			func(rs []contactlog.Record) error {
				var ids []uuid.UUID
				for _, r := range rs {
					require.Equal(t, "決裁者は奥様。", r.PrivateMemo)
					ids = append(ids, r.ID)
				}
				pages = append(pages, ids)
				return nil
			})
		require.NoError(t, err)
		require.Equal(t, 3, n)
		require.Len(t, pages, 1, "one page of up to ExportPageSize, whatever the query's Limit")

		_, err = f.svc.Export(f.partner, contactlog.Query{}, func([]contactlog.Record) error { return nil })
		require.ErrorIs(t, err, contactlog.ErrPermissionDenied)
		_, err = f.svc.Export(customerCtx(f, f.yamada.ID), contactlog.Query{}, func([]contactlog.Record) error { return nil })
		require.ErrorIs(t, err, contactlog.ErrPermissionDenied)

		log, err := permission.AuditLog(f.admin, db, permission.AuditQuery{ObjectType: "record"})
		require.NoError(t, err)
		var exports []permission.AuditEntry
		for _, l := range log {
			if l.Action == string(permission.ActionExport) {
				exports = append(exports, l)
			}
		}
		require.Len(t, exports, 1, "refused exports read nothing")
		require.Equal(t, f.staffID, exports[0].Actor)
		require.Contains(t, exports[0].Detail, "rows=3 terms=2 ")
		require.Contains(t, exports[0].Detail, f.yamada.ID.String())
		require.NotContains(t, exports[0].Detail, "山田")
	})
}

// TestInvalidTextRefused: a NUL byte, invalid UTF-8 or a control character
// in any text input is refused with ErrInvalid naming the field (format),
// before it reaches the database; tabs and line breaks pass in memos.
func TestInvalidTextRefused(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		rec, err := f.svc.Create(f.staff, entry(f.yamada.ID))
		require.NoError(t, err)
		for _, bad := range []string{"a\x00b", "a\xffb", "a\x1bb"} {
			for _, c := range []struct {
				field string
				q     contactlog.Query
			}{
				{"text", contactlog.Query{Text: "山田" + bad}},
				{"templates[0]", contactlog.Query{Templates: []string{bad}}},
				{"progress[1]", contactlog.Query{Progress: []string{"won", bad}}},
				{"customer_ranks[0]", contactlog.Query{CustomerRanks: []string{bad}}},
			} {
				_, err := f.svc.Search(f.staff, c.q)
				requireField(t, err, c.field, validation.CodeFormat)
			}
			for _, c := range []struct {
				field string
				edit  func(*contactlog.Entry)
			}{
				{"public_memo", func(e *contactlog.Entry) { e.PublicMemo = bad }},
				{"private_memo", func(e *contactlog.Entry) { e.PrivateMemo = bad }},
				{"summary_text", func(e *contactlog.Entry) { e.SummaryText = bad }},
				{"department", func(e *contactlog.Entry) { e.Department = bad }},
				{"contact_persons[0]", func(e *contactlog.Entry) { e.ContactPersons = []string{bad} }},
				{"customer_participants[0]", func(e *contactlog.Entry) { e.CustomerParticipants = []string{bad} }},
				{"fields.place", func(e *contactlog.Entry) { e.Values = map[string]any{"place": bad} }},
			} {
				e := entry(f.yamada.ID)
				c.edit(&e)
				_, err := f.svc.Create(f.staff, e)
				requireField(t, err, c.field, validation.CodeFormat)
				_, err = f.svc.Update(f.staff, rec.ID, rec.Version, e)
				requireField(t, err, c.field, validation.CodeFormat)
			}
			_, err := f.svc.Comments().Add(f.staff, rec.ID, bad)
			requireField(t, err, "body", validation.CodeFormat)
			err = f.svc.Masters().Set(f.admin, contactlog.MasterChannel, []contactlog.MasterItem{{Code: "visit", Label: bad}})
			requireField(t, err, "items[0].label", validation.CodeFormat)
		}
		// Line breaks and tabs belong in memos, not in one-line names.
		e := entry(f.yamada.ID)
		e.PublicMemo, e.PrivateMemo = "一行目\n\t二行目", "メモ\r\nです"
		_, err = f.svc.Create(f.staff, e)
		require.NoError(t, err)
		e.ContactPersons = []string{"佐々木\x0b一郎"}
		_, err = f.svc.Create(f.staff, e)
		requireField(t, err, "contact_persons[0]", validation.CodeFormat)
	})
}
