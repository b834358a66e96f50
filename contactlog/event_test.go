package contactlog_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// subscribers subscribes the named subscribers to every record event kind
// but deletions, which only "audit" wants.
type subscribers []string

func (s subscribers) Subscribers(_ uuid.UUID, kind string) []string {
	if kind == contactlog.EventRecordDeleted {
		return []string{"audit"}
	}
	return s
}

// eventMessage is a stored TopicRecordEvent message.
type eventMessage struct {
	Recipient string `bun:"recipient"`
	Key       string `bun:"idempotency_key"`
	Payload   string `bun:"payload"`
}

func eventMessages(t *testing.T, db bun.IDB) []eventMessage {
	t.Helper()
	var rows []eventMessage
	require.NoError(t, db.NewSelect().TableExpr("outbox_messages").Column("recipient", "idempotency_key", "payload").
		Where("topic = ?", contactlog.TopicRecordEvent).Order("idempotency_key", "recipient").Scan(context.Background(), &rows))
	return rows
}

func eventService(t *testing.T, f *fixture) *contactlog.Service {
	t.Helper()
	engine, err := permission.NewEngine(f.db)
	require.NoError(t, err)
	svc, err := contactlog.NewService(f.db, withDeps(t, f.db, contactlog.Config{
		Authorizer: engine, Clock: f.clock.Now, Events: subscribers{"careservice", "ramenshop"},
	}))
	require.NoError(t, err)
	return svc
}

func TestRecordEventsEnqueued(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		svc := eventService(t, f)
		r, err := svc.Create(f.staff, entry(f.yamada.ID))
		require.NoError(t, err)
		e := r.Entry
		e.PublicMemo = "追記"
		r, err = svc.Update(f.staff, r.ID, r.Version, e)
		require.NoError(t, err)
		require.NoError(t, svc.Delete(f.staff, r.ID, r.Version))
		require.NoError(t, svc.Restore(f.staff, r.ID, r.Version+1))

		// A write that fails (stale version) and one rolled back with its
		// transaction announce nothing.
		_, err = svc.Update(f.staff, r.ID, r.Version, e)
		require.ErrorIs(t, err, contactlog.ErrConflict)
		tx, err := db.BeginTx(context.Background(), nil)
		require.NoError(t, err)
		_, err = svc.WithDB(tx).Create(f.staff, entry(f.yamada.ID))
		require.NoError(t, err)
		require.NoError(t, tx.Rollback())

		id := r.ID.String()
		msgs := eventMessages(t, db)
		type want struct{ recipient, key, kind string }
		var got []want
		for _, m := range msgs {
			var p contactlog.RecordEventPayload
			require.NoError(t, json.Unmarshal([]byte(m.Payload), &p))
			require.Equal(t, r.ID, p.Record)
			require.Equal(t, f.tenant, p.Tenant)
			require.Equal(t, m.Key, id+":"+jsonInt(p.Version))
			require.False(t, p.At.IsZero())
			got = append(got, want{m.Recipient, m.Key, p.Kind})
		}
		require.Equal(t, []want{
			{"careservice", id + ":1", contactlog.EventRecordCreated},
			{"ramenshop", id + ":1", contactlog.EventRecordCreated},
			{"careservice", id + ":2", contactlog.EventRecordUpdated},
			{"ramenshop", id + ":2", contactlog.EventRecordUpdated},
			{"audit", id + ":3", contactlog.EventRecordDeleted},
			{"careservice", id + ":4", contactlog.EventRecordUpdated},
			{"ramenshop", id + ":4", contactlog.EventRecordUpdated},
		}, got)

		// The fixture's service has no subscribers and enqueues no event.
		_, err = f.svc.Create(f.staff, entry(f.yamada.ID))
		require.NoError(t, err)
		require.Len(t, eventMessages(t, db), len(msgs))
	})
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestRecordEventData(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		_, err := db.NewUpdate().TableExpr("customers").Set("custom_fields = ?", `{"careservice:care_level":"要介護1"}`).
			Where("id = ?", f.yamada.ID).Exec(ctx)
		require.NoError(t, err)
		at := func(d string) contactlog.Entry {
			e := entry(f.yamada.ID)
			tm, err := time.Parse(time.RFC3339, d)
			require.NoError(t, err)
			e.ActualAt = tm
			return e
		}
		// The tenant's zone is Asia/Tokyo: 10/31 23:30 JST is still October,
		// 9/30 15:30 UTC is already October.
		oct, err := f.svc.Create(f.staff, at("2026-10-31T14:30:00Z"))
		require.NoError(t, err)
		nov1, err := f.svc.Create(f.staff, at("2026-10-31T15:30:00Z"))
		require.NoError(t, err)
		nov2, err := f.svc.Create(f.staff, at("2026-11-20T01:00:00Z"))
		require.NoError(t, err)
		_, err = f.svc.Create(f.staff, at("2026-09-30T15:30:00Z"))
		require.NoError(t, err)
		other := at("2026-11-21T01:00:00Z")
		other.Template = "builtin:sales"
		_, err = f.svc.Create(f.staff, other)
		require.NoError(t, err)
		gone, err := f.svc.Create(f.staff, at("2026-11-21T01:00:00Z"))
		require.NoError(t, err)
		require.NoError(t, f.svc.Delete(f.staff, gone.ID, gone.Version))

		d, err := f.sys.RecordEvent(ctx, f.tenant, nov2.ID)
		require.NoError(t, err)
		require.Equal(t, nov2.ID, d.Record.ID)
		require.Equal(t, &contactlog.EventCustomer{
			ID: f.yamada.ID, Name: "山田 太郎", Fields: map[string]any{"careservice:care_level": "要介護1"},
			Assignees: []uuid.UUID{f.staffID},
		}, d.Customer)
		var ids []uuid.UUID
		for _, r := range d.MonthRecords {
			ids = append(ids, r.ID)
		}
		require.Equal(t, []uuid.UUID{nov1.ID, nov2.ID}, ids)

		// A deleted record is still there for its record.deleted event;
		// another tenant's is not.
		d, err = f.sys.RecordEvent(ctx, f.tenant, gone.ID)
		require.NoError(t, err)
		require.NotNil(t, d.Record.DeletedAt)
		require.Len(t, d.MonthRecords, 2)
		_, err = f.sys.RecordEvent(ctx, uuid.Must(uuid.NewV7()), oct.ID)
		require.ErrorIs(t, err, contactlog.ErrNotFound)
	})
}

func TestNotificationMailedOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		m := newMailer(t, f)
		ctx := context.Background()
		n := contactlog.Notification{
			Recipients: []uuid.UUID{f.staffID, f.aID}, Subject: "【区分支給限度基準額 90%】\n山田様", Body: "確認してください。", Key: "limit:2026-11:90",
		}
		for range 2 {
			require.NoError(t, m.sys.EnqueueNotifications(ctx, f.tenant, "careservice", []contactlog.Notification{n}))
			deliverAll(t, m.disp)
		}
		require.Equal(t, 2, m.count())
		got := m.to(t, "ichiro@example.jp")
		require.Len(t, got, 1)
		require.Equal(t, "【区分支給限度基準額 90%】 山田様", got[0].Subject)
		require.Contains(t, got[0].Text, "確認してください。")
		require.Len(t, m.to(t, "a@example.jp"), 1)

		n.Key = ""
		require.ErrorIs(t, m.sys.EnqueueNotifications(ctx, f.tenant, "careservice", []contactlog.Notification{n}), contactlog.ErrInvalid)
	})
}
