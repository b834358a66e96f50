// Package outbox records side effects (mail, webhooks, plugin notifications,
// alert reminders) in the same transaction as the change that causes them,
// and delivers each of them once per recipient.
//
// # One outbox for every engine
//
// Every Kiroku engine writes its side effects to the one outbox table
// (customer events, contactlog's report-to mails and notifications, plugin
// events), each under topics of its own, and offers the handlers of those
// topics (contactlog's System.Handlers, the plugin host's EventHandlers).
// A program runs a single dispatcher for all of them: it merges the
// engines' handler maps (topics never clash) and passes the result to
// NewDispatcher, in one or more processes on the same database:
//
//	handlers := records.Handlers()
//	maps.Copy(handlers, host.EventHandlers(records))
//	d, err := outbox.NewDispatcher(db, handlers, nil) // db: a *bun.DB, not a transaction
//	go d.Run(ctx)                                     // until ctx ends
//
// Messages of topics missing from the map stay pending for a dispatcher
// that knows them. An application embedding Kiroku may enqueue messages of
// its own topics in its own transactions and add its handlers to the map.
//
// # Writing
//
// A writer (an engine, or the embedding application) calls Enqueue with the
// bun.IDB it is writing through, normally its transaction:
//
//	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
//		if err := saveRecord(ctx, tx, rec); err != nil {
//			return err
//		}
//		return outbox.Enqueue(ctx, tx, outbox.Message{
//			Tenant:    rec.Tenant,
//			Topic:     "record.report_to",
//			Recipient: user.String(),
//			Key:       rec.ID.String(),
//			Payload:   payload,
//		})
//	})
//
// If the transaction rolls back, so do its messages: nothing is delivered
// for a change that did not happen. A message is stored once per
// (Tenant, Topic, Recipient, Key); enqueueing the same effect again is a
// no-op (ON CONFLICT DO NOTHING), which is how "send only to newly added
// recipients" falls out of re-saving a record. The idempotency key is
// scoped by tenant so that two tenants can never suppress each other's
// messages.
//
// # Storage
//
// Messages live in the table outbox_messages (migration set "outbox", run by
// Migrate): id (UUIDv7), tenant_id, topic, recipient, idempotency_key,
// payload (jsonb on PostgreSQL, JSON text on SQLite), status
// (pending, delivered, dead), attempts, next_attempt_at, last_error,
// claimed_by and claimed_until (the lease), created_at (database clock),
// delivered_at and dead_at (dispatcher clock). Rows are never deleted by
// this package; deleting delivered rows would also forget their
// idempotency keys.
//
// # Delivering
//
// A Dispatcher, built with NewDispatcher from a database handle and one
// Handler per topic, repeats this cycle (RunOnce once, Run until its context
// ends):
//
//  1. Claim. The tenants with due messages of its topics are listed,
//     oldest due message first; then, tenant by tenant until BatchSize
//     messages are held, one statement scoped to the tenant (so on a
//     database distributed by tenant it stays within one shard) picks that
//     tenant's due messages, oldest first, and leases them: claimed_by = the
//     instance ID, claimed_until = now + Lease, attempts + 1. On
//     PostgreSQL the rows are chosen with SELECT … FOR UPDATE SKIP LOCKED,
//     so dispatchers on several servers never wait for or take each other's
//     rows; on SQLite the single writer makes the conditional UPDATE …
//     RETURNING atomic. A message is due when it is pending, its
//     next_attempt_at has passed (or is NULL) and it has no unexpired lease.
//  2. Deliver, outside any transaction, one message at a time, by calling
//     the topic's Handler with the attempt number in Message.Attempt.
//  3. Record the outcome, guarded by the lease (claimed_by and attempts must
//     still be this claim's, so a dispatcher that lost its lease cannot
//     overwrite another's outcome):
//     nil → delivered;
//     an error for which IsPermanent is true (see Permanent) → dead at once;
//     any other error → pending again at now + Backoff(attempt), or dead
//     when that was attempt MaxAttempts. The error text (truncated to
//     MaxErrorLen) is kept in last_error, and the Logger sees the message
//     ID, tenant, topic and attempt, never its payload or recipient.
//
// If a dispatcher dies after claiming, its lease expires and another
// dispatcher claims the message again (as the next attempt); when that was
// already the last attempt the message goes dead instead of being tried a
// further time. When a dispatcher's context ends, Run and RunOnce finish the
// delivery in progress, give the messages they have not started back
// (without counting an attempt) and return. A handler that panics counts as
// a failed attempt.
//
// # Guarantees
//
// At any moment at most one dispatcher holds a message. Once a handler has
// returned nil for it, it is never handed out again; until then it is
// retried as configured. The one unavoidable exception: if the dispatcher
// dies (or loses its database) between the handler's success and recording
// it, or the handler outlives the lease, the message is delivered again
// after the lease expires. Handlers that reach systems with their own idempotency
// (Message-ID, webhook delivery IDs) should pass Message.ID along. No order
// is guaranteed between messages, even for one recipient.
//
// Times that decide delivery (due, lease, retry) come from Config.Clock;
// only created_at uses the database clock, since Enqueue runs inside the
// caller's transaction without a clock of its own.
package outbox
