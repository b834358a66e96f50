package customer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// subscribers subscribes the named subscribers to every customer event
// kind but deletions, which only "audit" wants.
type subscribers []string

func (s subscribers) Subscribers(_ uuid.UUID, kind string) []string {
	if kind == customer.EventCustomerDeleted {
		return []string{"audit"}
	}
	return s
}

// customerEvent is a stored TopicCustomerEvent message, decoded.
type customerEvent struct {
	recipient, key, kind string
	customer             uuid.UUID
}

func customerEvents(t *testing.T, f *fixture) []customerEvent {
	t.Helper()
	var rows []struct {
		Recipient string `bun:"recipient"`
		Key       string `bun:"idempotency_key"`
		Payload   string `bun:"payload"`
	}
	require.NoError(t, f.db.NewSelect().TableExpr("outbox_messages").Column("recipient", "idempotency_key", "payload").
		Where("topic = ?", customer.TopicCustomerEvent).Order("created_at", "idempotency_key", "recipient").
		Scan(context.Background(), &rows))
	var out []customerEvent
	for _, r := range rows {
		var p customer.EventPayload
		require.NoError(t, json.Unmarshal([]byte(r.Payload), &p))
		require.Equal(t, f.tenant, p.Tenant)
		require.Equal(t, fmt.Sprintf("%s:%d", p.Customer, p.Version), r.Key)
		require.False(t, p.At.IsZero())
		out = append(out, customerEvent{r.Recipient, r.Key, p.Kind, p.Customer})
	}
	return out
}

func eventCustomers(t *testing.T, f *fixture) *customer.Service {
	t.Helper()
	engine, err := permission.NewEngine(f.db)
	require.NoError(t, err)
	svc, err := customer.NewService(f.db, &customer.Config{Clock: f.clock.Now, Authorizer: engine, Events: subscribers{"care", "ramen"}})
	require.NoError(t, err)
	return svc
}

func TestCustomerEventsEnqueued(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		svc := eventCustomers(t, f)
		c, err := svc.Create(f.staff, taro())
		require.NoError(t, err)
		p := c.Profile
		p.Memo = "追記"
		c, err = svc.Update(f.staff, c.ID, c.Version, p)
		require.NoError(t, err)
		require.NoError(t, svc.Delete(f.staff, c.ID))
		require.NoError(t, svc.Restore(f.staff, c.ID))

		// A write that fails (stale version) and one rolled back with its
		// transaction announce nothing.
		_, err = svc.Update(f.staff, c.ID, c.Version, p)
		require.ErrorIs(t, err, customer.ErrConflict)
		tx, err := db.BeginTx(context.Background(), nil)
		require.NoError(t, err)
		_, err = svc.WithDB(tx).Create(f.staff, taro())
		require.NoError(t, err)
		require.NoError(t, tx.Rollback())

		id := c.ID.String()
		want := []customerEvent{
			{"care", id + ":1", customer.EventCustomerCreated, c.ID},
			{"ramen", id + ":1", customer.EventCustomerCreated, c.ID},
			{"care", id + ":2", customer.EventCustomerUpdated, c.ID},
			{"ramen", id + ":2", customer.EventCustomerUpdated, c.ID},
			{"audit", id + ":3", customer.EventCustomerDeleted, c.ID},
			{"care", id + ":4", customer.EventCustomerUpdated, c.ID},
			{"ramen", id + ":4", customer.EventCustomerUpdated, c.ID},
		}
		require.Equal(t, want, customerEvents(t, f))

		// The fixture's service has no subscribers and enqueues no event.
		_, err = f.svc.Create(f.staff, taro())
		require.NoError(t, err)
		require.Len(t, customerEvents(t, f), len(want))
	})
}

func TestCustomerEventsOfImport(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		svc := eventCustomers(t, f)
		existing, err := f.svc.Create(f.staff, taro()) // no subscribers: no event
		require.NoError(t, err)
		file := "姓,名,姓カナ,名カナ,携帯電話,備考\n" +
			"山田,太郎,ヤマダ,タロウ,09012345678,更新されたメモ\n" + // updates existing
			"木村,拓也,キムラ,タクヤ,080-0000-0000,\n" + // created
			"木村,拓也,キムラ,タクヤ,080-0000-0000,\n" // repeats the row above: skipped

		// A dry run rolls back and announces nothing.
		_, err = svc.Import(f.staff, strings.NewReader(file), customer.ImportOptions{OnDuplicate: customer.UpdateDuplicates, DryRun: true})
		require.NoError(t, err)
		require.Empty(t, customerEvents(t, f))

		rep, err := svc.Import(f.staff, strings.NewReader(file), customer.ImportOptions{OnDuplicate: customer.UpdateDuplicates})
		require.NoError(t, err)
		require.Equal(t, [3]int{1, 1, 1}, [3]int{rep.Created, rep.Updated, rep.Skipped})
		page, err := f.svc.Search(f.staff, customer.Query{Text: "木村"})
		require.NoError(t, err)
		require.Len(t, page.Customers, 1)
		kimura := page.Customers[0].ID
		got := map[customerEvent]bool{}
		for _, e := range customerEvents(t, f) {
			got[e] = true
		}
		require.Equal(t, map[customerEvent]bool{
			{"care", existing.ID.String() + ":2", customer.EventCustomerUpdated, existing.ID}:  true,
			{"ramen", existing.ID.String() + ":2", customer.EventCustomerUpdated, existing.ID}: true,
			{"care", kimura.String() + ":1", customer.EventCustomerCreated, kimura}:            true,
			{"ramen", kimura.String() + ":1", customer.EventCustomerCreated, kimura}:           true,
		}, got)
	})
}

func TestEventCustomer(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		p := taro()
		p.Assignees = []uuid.UUID{f.a, f.b}
		c, err := f.svc.Create(f.staff, p)
		require.NoError(t, err)
		_, err = db.NewUpdate().TableExpr("customers").Set("custom_fields = ?", `{"care:level":"要介護1"}`).
			Where("id = ?", c.ID).Exec(ctx)
		require.NoError(t, err)
		require.NoError(t, f.svc.Delete(f.staff, c.ID))

		sys, err := customer.NewSystem(db)
		require.NoError(t, err)
		// Deleted customers are loaded too, for the system, in their tenant.
		got, err := sys.EventCustomer(ctx, f.tenant, c.ID)
		require.NoError(t, err)
		require.Equal(t, &customer.EventCustomer{
			ID: c.ID, Name: "山田 太郎", Fields: map[string]any{"care:level": "要介護1"}, Assignees: []uuid.UUID{f.a, f.b},
		}, got)
		other, _ := permission.FromContext(f.other)
		_, err = sys.EventCustomer(ctx, other.Tenant, c.ID)
		require.ErrorIs(t, err, customer.ErrNotFound)
		require.NoError(t, f.svc.Purge(f.admin, c.ID))
		_, err = sys.EventCustomer(ctx, f.tenant, c.ID)
		require.ErrorIs(t, err, customer.ErrNotFound)
	})
}
