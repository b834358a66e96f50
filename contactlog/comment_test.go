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

func TestComments(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		e := entry(f.yamada.ID)
		e.Shared = true
		r, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)

		// Anyone on the staff who sees the record comments, as themselves.
		c1, err := f.svc.Comments().Add(f.a, r.ID, " \u3000確認しました。\n")
		require.NoError(t, err)
		require.Equal(t, "確認しました。", c1.Body)
		require.Equal(t, f.aID, c1.Author)
		require.Equal(t, r.ID, c1.Record)
		require.Equal(t, int64(1), c1.Version)
		c2, err := f.svc.Comments().Add(f.manager, r.ID, "来週フォローをお願いします。")
		require.NoError(t, err)

		// Comments are internal, and invisible records have none.
		cust := permission.WithPrincipal(context.Background(), permission.Principal{
			Tenant: f.tenant, User: uuid.New(), Kind: permission.Customer, Customer: f.yamada.ID,
		})
		_, err = f.svc.Get(cust, r.ID)
		require.NoError(t, err, "the customer sees the shared record itself")
		_, err = f.svc.Comments().Add(cust, r.ID, "ありがとうございます")
		require.ErrorIs(t, err, contactlog.ErrPermissionDenied)
		_, err = f.svc.Comments().List(cust, r.ID)
		require.ErrorIs(t, err, contactlog.ErrPermissionDenied)
		for _, ctx := range []context.Context{f.partner, f.other} {
			_, err = f.svc.Comments().Add(ctx, r.ID, "見えないはず")
			require.ErrorIs(t, err, contactlog.ErrNotFound)
			_, err = f.svc.Comments().List(ctx, r.ID)
			require.ErrorIs(t, err, contactlog.ErrNotFound)
		}

		list, err := f.svc.Comments().List(f.b, r.ID)
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, []uuid.UUID{c1.ID, c2.ID}, []uuid.UUID{list[0].ID, list[1].ID}, "oldest first")
		require.Equal(t, []uuid.UUID{f.aID, f.managerID}, []uuid.UUID{list[0].Author, list[1].Author})

		// Only the author edits, based on the current version.
		_, err = f.svc.Comments().Edit(f.staff, c1.ID, 1, "書き換え")
		require.ErrorIs(t, err, contactlog.ErrPermissionDenied, "not even the record's author")
		_, err = f.svc.Comments().Edit(f.admin, c1.ID, 1, "書き換え")
		require.ErrorIs(t, err, contactlog.ErrPermissionDenied, "nor an admin")
		_, err = f.svc.Comments().Edit(f.a, c1.ID, 2, "書き換え")
		require.ErrorIs(t, err, contactlog.ErrConflict)
		_, err = f.svc.Comments().Edit(f.a, c1.ID, 1, "  ")
		requireField(t, err, "body", validation.CodeRequired)
		ed, err := f.svc.Comments().Edit(f.a, c1.ID, 1, "確認しました。見積は明日送ります。")
		require.NoError(t, err)
		require.Equal(t, int64(2), ed.Version)
		require.Equal(t, "確認しました。見積は明日送ります。", ed.Body)
		require.True(t, ed.UpdatedAt.After(ed.CreatedAt))
		require.Equal(t, f.aID, ed.Author, "an edit keeps the author")

		// The author and admins delete; a placeholder stays.
		for _, ctx := range []context.Context{f.staff, f.manager, f.b} {
			require.ErrorIs(t, f.svc.Comments().Delete(ctx, c1.ID, 2), contactlog.ErrPermissionDenied)
		}
		require.ErrorIs(t, f.svc.Comments().Delete(f.a, c1.ID, 1), contactlog.ErrConflict)
		require.NoError(t, f.svc.Comments().Delete(f.admin, c1.ID, 2))
		require.NoError(t, f.svc.Comments().Delete(f.manager, c2.ID, 1), "the author deletes their own")
		require.ErrorIs(t, f.svc.Comments().Delete(f.a, c1.ID, 3), contactlog.ErrNotFound, "already deleted")
		_, err = f.svc.Comments().Edit(f.a, c1.ID, 3, "復活")
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		list, err = f.svc.Comments().List(f.staff, r.ID)
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.True(t, list[0].Deleted())
		require.Empty(t, list[0].Body, "the text is erased")
		require.Equal(t, f.adminID, *list[0].DeletedBy)
		require.Equal(t, f.aID, list[0].Author)
		var bodies []string
		require.NoError(t, db.NewSelect().TableExpr("contact_record_comments").Column("body").
			Where("record_id = ?", r.ID).Scan(context.Background(), &bodies))
		require.Equal(t, []string{"", ""}, bodies, "erased in the database too")

		// Audit.
		log, err := permission.AuditLog(f.admin, db, permission.AuditQuery{ObjectType: "record", Object: r.ID})
		require.NoError(t, err)
		var actions []string
		for _, a := range log {
			if strings.HasPrefix(a.Action, "comment") {
				actions = append(actions, a.Action)
				require.Contains(t, a.Detail, "comment=")
			}
		}
		require.ElementsMatch(t, []string{"comment", "comment", "comment_edit", "comment_delete", "comment_delete"}, actions)

		// Purging the record erases its comments.
		require.NoError(t, f.svc.Purge(f.admin, r.ID))
		n, err := db.NewSelect().TableExpr("contact_record_comments").Where("record_id = ?", r.ID).Count(context.Background())
		require.NoError(t, err)
		require.Zero(t, n)
	})
}

func TestCommentVisibility(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		e := entry(f.yamada.ID)
		r, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)
		c, err := f.svc.Comments().Add(f.a, r.ID, "拝見しました")
		require.NoError(t, err)

		// The record is narrowed to nobody but its people: a no longer
		// sees it, nor edits or deletes the comment they wrote on it.
		e = r.Entry
		e.Scope = permission.Scope{Kind: permission.ScopeUsers}
		r, err = f.svc.Update(f.staff, r.ID, r.Version, e)
		require.NoError(t, err)
		_, err = f.svc.Comments().Edit(f.a, c.ID, c.Version, "追記")
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		require.ErrorIs(t, f.svc.Comments().Delete(f.a, c.ID, c.Version), contactlog.ErrNotFound)
		_, err = f.svc.Comments().Add(f.a, r.ID, "もう一度")
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		_, err = f.svc.Comments().List(f.a, r.ID)
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		// The manager of the author's group still sees it, and comments.
		_, err = f.svc.Comments().Add(f.manager, r.ID, "了解")
		require.NoError(t, err)

		// A deleted record's comments are gone with it until it is
		// restored.
		require.NoError(t, f.svc.Delete(f.staff, r.ID, r.Version))
		_, err = f.svc.Comments().List(f.staff, r.ID)
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		_, err = f.svc.Comments().Add(f.staff, r.ID, "削除後")
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		require.NoError(t, f.svc.Restore(f.staff, r.ID, r.Version+1))
		list, err := f.svc.Comments().List(f.staff, r.ID)
		require.NoError(t, err)
		require.Len(t, list, 2)
	})
}

func TestCommentLimitsAndCounts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := setup(t, db)
		r1, err := f.svc.Create(f.staff, entry(f.yamada.ID))
		require.NoError(t, err)
		r2, err := f.svc.Create(f.staff, entry(f.yamada.ID))
		require.NoError(t, err)
		r3, err := f.svc.Create(f.staff, entry(f.yamada.ID))
		require.NoError(t, err)

		_, err = f.svc.Comments().Add(f.staff, r1.ID, strings.Repeat("あ", contactlog.MaxCommentLen+1))
		requireField(t, err, "body", validation.CodeTooLong)
		_, err = f.svc.Comments().Add(f.staff, r1.ID, "a\x00b")
		requireField(t, err, "body", validation.CodeFormat)
		_, err = f.svc.Comments().Add(f.staff, r1.ID, strings.Repeat("あ", contactlog.MaxCommentLen))
		require.NoError(t, err, "the limit itself is fine")

		// Counts for lists: live comments only, one query for many records.
		c, err := f.svc.Comments().Add(f.a, r2.ID, "一件目")
		require.NoError(t, err)
		_, err = f.svc.Comments().Add(f.b, r2.ID, "二件目")
		require.NoError(t, err)
		require.NoError(t, f.svc.Comments().Delete(f.a, c.ID, c.Version))
		counts, err := contactlog.CommentCounts(f.svc, ctx, f.tenant, []uuid.UUID{r1.ID, r2.ID, r3.ID})
		require.NoError(t, err)
		require.Equal(t, map[uuid.UUID]int{r1.ID: 1, r2.ID: 1}, counts)
		counts, err = contactlog.CommentCounts(f.svc, ctx, uuid.New(), []uuid.UUID{r1.ID, r2.ID})
		require.NoError(t, err)
		require.Empty(t, counts, "another tenant's records count nothing")

		// A record holds at most MaxComments comments, placeholders
		// included; Comments returns them all.
		at := f.clock.Now()
		many := make([]contactlog.Comment, contactlog.MaxComments)
		for i := range many {
			many[i] = contactlog.Comment{
				ID: uuid.Must(uuid.NewV7()), Tenant: f.tenant, Record: r3.ID, Author: f.aID, Body: "既読",
				CreatedAt: at, UpdatedAt: at, Version: 1,
			}
		}
		_, err = db.NewInsert().Model(&many).Exec(ctx)
		require.NoError(t, err)
		_, err = f.svc.Comments().Add(f.staff, r3.ID, "もう一件")
		requireField(t, err, "comments", validation.CodeTooMany)
		list, err := f.svc.Comments().List(f.staff, r3.ID)
		require.NoError(t, err)
		require.Len(t, list, contactlog.MaxComments)
		require.Equal(t, many[0].ID, list[0].ID, "same time: by ID")
	})
}
