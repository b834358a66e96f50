// Package schedule is Kiroku's schedule engine. This first slice holds
// recurring alerts (MASPO アラート) and notices (お知らせ); appointments,
// the calendar and requests come later.
//
// # Wiring
//
//	if err := schedule.Migrate(ctx, db); err != nil { … } // also migrates contactlog and what it needs
//	svc, err := schedule.NewService(db, &schedule.Config{Authorizer: rules})
//	sys, err := schedule.NewSystem(db, &schedule.Config{Mailer: mailer}) // wiring code only
//	go sys.RunReminders(ctx, time.Minute)                            // in every process
//	// and pass sys.Handlers() to the outbox dispatcher with the other engines' handlers.
//
// Every Service call acts as the principal of its ctx
// (permission.WithPrincipal; ErrUnauthenticated without one). Writes are
// for staff (a customer principal gets ErrPermissionDenied) and are
// written to the audit log in their transaction; svc.WithDB(tx) binds the
// engine to a transaction shared with other engines. System is the trusted
// handle: its reminder scan and outbox handlers act for no principal.
// Never hand it to request handlers.
//
// # Alerts
//
// An alert (AlertInput) reminds the staff in charge of a customer of
// something to do on a schedule: a title, a start day, a count (the first
// included) and a frequency, every N days, weeks or months. Occurrence k
// (1..Count) falls on Start + (k−1)·N units; monthly steps keep the
// start's day of month and clamp it to the month's end, each computed from
// the start (Jan 31 → Feb 28 or 29 → Mar 31): see OccurrenceDate. The
// manual's example, 2022-03-29 every 4 months 4 times, falls on 03-29,
// 07-29, 11-29 and 2023-03-29, labelled 季節ごと定期ハガキ(1/4) … (4/4)
// (Occurrence.Label).
//
// An alert, its occurrences and their memos are visible exactly when its
// customer is (the Authorizer's customer predicate, in SQL): to anyone
// else they do not exist (ErrNotFound, absent from lists). Staff who see
// the customer may create, edit and delete its alerts and mark occurrences
// done (SetDone: 完了 → 済, undoable, with who and when) or write their memo
// (SetMemo). Every mutable object has a Version: a change with a stale
// version fails with ErrConflict and overwrites nothing.
//
// UpdateAlert regenerates the future: occurrences done, already reminded
// or due before today (tenant zone) are kept with their memos; the others
// are replaced by the new definition's occurrences from today on. DeleteAlert erases the alert
// with its occurrences.
//
// Occurrences lists occurrences by due day in keyset pages, filtered by
// period (From–To, or a quick Period: 先週・今週・来週・先月・今月・来月,
// computed in the tenant's zone by Period.Range, weeks Sunday to
// Saturday), Status, done state, customer (the customer's アラート tab,
// Newest first) and assignee. ExportOccurrences writes the same selection
// as CSV (UTF-8 with BOM or Shift_JIS), audited like the customer export.
//
// # Reminders
//
// Each occurrence due today or later when it is generated gets a reminder
// time: its due day at Config.ReminderHour (default 9:00) in the tenant's
// zone. System.EnqueueDueReminders (RunReminders calls it periodically)
// finds the occurrences whose time has come, not done and not yet
// reminded, marks each reminded (通知済: Occurrence.NotifiedAt) and, in the
// same transaction, enqueues one outbox message per current assignee of
// the customer: a mail (TopicReminder) and one per Config.Channels entry
// (TopicReminderChannel). The claim and the outbox's idempotency keys make
// each assignee reminded once per occurrence however many processes scan
// and dispatch. An occurrence marked done before its time is never
// reminded; one done or deleted between the scan and the delivery sends
// nothing either. Status filters on this: 未通知 (StatusPending) is not yet
// reminded, 通知済 (StatusNotified) reminded; whether staff have done the
// follow-up is OccurrenceQuery.Done.
//
// # Notices
//
// A notice (NoticeInput) has a title, a body, a display period, a hidden
// flag and an audience: the whole tenant, a group (one the author belongs
// to; any group for admins), or the author alone (a memo to oneself).
// TopNotices returns what the top page shows the principal: notices of
// their audience, not hidden, whose period includes today, newest first.
// Their author and admins edit and delete them (ManagedNotices lists
// those); others in the audience get ErrPermissionDenied, everyone else
// ErrNotFound.
//
// # Errors
//
// Bad input is reported as a *ValidationError listing every field problem
// with a stable code (customer/validation); errors wrap the sentinels
// re-exported here (ErrNotFound, ErrConflict, ErrInvalid,
// ErrPermissionDenied, ErrUnauthenticated).
package schedule
