package outbox_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite"

	"github.com/kirokuhq/kiroku/customer/outbox"
)

// A change and its side effect commit together; the dispatcher delivers the
// effect once, even when it was enqueued twice.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "kiroku-outbox-example")
	defer os.RemoveAll(dir)
	// The program opens the database; Kiroku imports no driver.
	sqldb, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "kiroku.db")+
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		panic(err)
	}
	db := bun.NewDB(sqldb, sqlitedialect.New())
	defer db.Close()
	if err := outbox.Migrate(ctx, db); err != nil {
		panic(err)
	}

	tenant := uuid.MustParse("0194f1a0-0000-7000-8000-000000000001")
	report := outbox.Message{
		Tenant:    tenant,
		Topic:     "record.report_to",
		Recipient: "hanako@example.jp",
		Key:       "record-42",
		Payload:   json.RawMessage(`{"record":"42","note":"ご確認ください"}`),
	}
	for range 2 { // the record is saved twice; the report is stored once
		err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			// … save the record through tx …
			return outbox.Enqueue(ctx, tx, report)
		})
		if err != nil {
			panic(err)
		}
	}

	d, err := outbox.NewDispatcher(db, map[string]outbox.Handler{
		"record.report_to": outbox.HandlerFunc(func(ctx context.Context, m outbox.Message) error {
			var p struct{ Record, Note string }
			if err := json.Unmarshal(m.Payload, &p); err != nil {
				return outbox.Permanent(err) // retrying cannot fix a bad payload
			}
			fmt.Printf("report record %s to %s (attempt %d): %s\n", p.Record, m.Recipient, m.Attempt, p.Note)
			return nil
		}),
	}, nil)
	if err != nil {
		panic(err)
	}
	for {
		n, err := d.RunOnce(ctx) // a server calls d.Run(ctx) instead
		if err != nil {
			panic(err)
		}
		if n == 0 {
			break
		}
	}
	// Output: report record 42 to hanako@example.jp (attempt 1): ご確認ください
}
