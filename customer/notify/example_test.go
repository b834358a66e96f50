package notify_test

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/notify"
)

// chat posts notifications to a team chat; a real one would call the chat
// service's API, passing m.Key as its idempotency key.
type chat struct{ room string }

func (c chat) Name() string { return "chat" }

func (c chat) Deliver(ctx context.Context, tenant uuid.UUID, m notify.Message) error {
	fmt.Printf("#%s @%s: %s\n%s\n", c.room, m.Name, m.Subject, m.Body)
	return nil
}

// An engine's Config lists the channels (contactlog.Config.Channels); its
// outbox handler calls Deliver once per recipient. Here the call is made
// directly.
func Example() {
	var ch notify.Channel = chat{room: "sales"}
	err := ch.Deliver(context.Background(), uuid.Nil, notify.Message{
		Recipient: uuid.MustParse("0194f1a0-0000-7000-8000-000000000002"),
		Name:      "佐藤 花子",
		Subject:   "記録の報告: 山田商店 訪問",
		Body:      "見積りを来週お送りします。",
		Key:       "0194f1a0-0000-7000-8000-000000000042",
	})
	fmt.Println(err)
	// Output:
	// #sales @佐藤 花子: 記録の報告: 山田商店 訪問
	// 見積りを来週お送りします。
	// <nil>
}
