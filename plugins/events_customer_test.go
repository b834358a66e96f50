package plugins

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// testBin is the SDK's test plugin (testplugin.Opts), which answers
// customer.created with a notification to the customer's assignees; built
// on first use.
var testBin = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(binDir, "test", FilePrefix+"test")
	out, err := exec.Command("go", "build", "-o", bin, "./internal/testplugin/cmd/kiroku-plugin-test").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%w: %s", err, out)
	}
	return bin, nil
})

func TestCustomerEventNotifiesOnce(t *testing.T) {
	t.Parallel()
	bin, err := testBin()
	require.NoError(t, err)
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		w := newEventWorld(t, db, bin)
		require.Equal(t, []string{"test"}, w.h.Subscribers(tenantOf(w.staff), customer.EventCustomerCreated))
		require.Empty(t, w.h.Subscribers(tenantOf(w.staff), customer.EventCustomerUpdated))
		profile := customer.Profile{FamilyName: "佐藤", GivenName: "トメ", FamilyKana: "サトウ", GivenKana: "トメ", Assignees: w.users}

		// A create rolled back with its transaction announces nothing.
		tx, err := db.BeginTx(context.Background(), nil)
		require.NoError(t, err)
		_, err = w.customers.WithDB(tx).Create(w.staff, profile)
		require.NoError(t, err)
		require.NoError(t, tx.Rollback())
		require.Empty(t, w.statuses(t, customer.TopicCustomerEvent))

		// The create reaches the plugin once, which notifies both carers.
		c, err := w.customers.Create(w.staff, profile)
		require.NoError(t, err)
		require.Equal(t, 3, w.deliver(t)) // the event, two mails
		require.Equal(t, map[string]int{"delivered": 1}, w.statuses(t, customer.TopicCustomerEvent))
		subject := "佐藤 トメ様が登録されました"
		want := map[string][]string{"hanako@example.jp": {subject}, "jiro@example.jp": {subject}}
		require.Equal(t, want, w.mails(t))
		var body string
		for _, m := range w.srv.Messages() {
			body = m.Parse(t).Text
		}
		require.Contains(t, body, "顧客 "+c.ID.String())

		// An update is not an event the plugin wants: nothing is enqueued.
		_, err = w.customers.Update(w.staff, c.ID, c.Version, profile)
		require.NoError(t, err)
		require.Equal(t, 0, w.deliver(t))

		// The event delivered again (at least once) asks for the same
		// notification: no second mail.
		_, err = db.NewUpdate().TableExpr("outbox_messages").Set("status = 'pending'").Set("next_attempt_at = NULL").
			Where("topic = ?", customer.TopicCustomerEvent).Exec(context.Background())
		require.NoError(t, err)
		require.Equal(t, 1, w.deliver(t))
		require.Equal(t, want, w.mails(t))
		require.Equal(t, map[string]int{"delivered": 2}, w.statuses(t, contactlog.TopicNotification))

		// A purged customer's event is dropped.
		_, err = db.NewUpdate().TableExpr("outbox_messages").Set("status = 'pending'").Set("next_attempt_at = NULL").
			Where("topic = ?", customer.TopicCustomerEvent).Exec(context.Background())
		require.NoError(t, err)
		_, err = db.NewDelete().TableExpr("customers").Where("id = ?", c.ID).Exec(context.Background())
		require.NoError(t, err)
		require.Equal(t, 1, w.deliver(t))
		require.Equal(t, map[string]int{"delivered": 1}, w.statuses(t, customer.TopicCustomerEvent))
		require.Equal(t, want, w.mails(t))
	})
}
