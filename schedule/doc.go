// Package schedule is Kiroku's schedule engine: appointments on staff
// calendars, calendars that read appointments and contact records
// together, the plan → meet → next plan cycle, secret iCalendar feeds,
// requests and tasks (依頼・課題), recurring alerts (MASPO アラート) and
// notices (お知らせ).
//
// # Wiring
//
//	if err := schedule.Migrate(ctx, db); err != nil { … } // also migrates contactlog and what it needs
//	cfg := &schedule.Config{Authorizer: rules, Directory: dir, // dir: permission.NewDirectory(db, nil)
//		Records: records, Customers: customers, Mailer: mailer} // the engines appointments and the cycle need
//	svc, err := schedule.NewService(db, cfg)
//	sys, err := schedule.NewSystem(db, cfg) // wiring code only
//	go sys.RunReminders(ctx, time.Minute)                            // in every process
//	// and pass sys.Handlers() to the outbox dispatcher with the other engines' handlers.
//
// Every Service call acts as the principal of its ctx
// (permission.WithPrincipal; ErrUnauthenticated without one). Writes are
// for staff (a customer principal gets ErrPermissionDenied) and are
// written to the audit log in their transaction; svc.WithDB(tx) binds the
// engine to a transaction shared with other engines: its queries, the
// authorizer's, the directory's and those of Config.Records and
// Config.Customers. System is the trusted
// handle: its reminder scan and outbox handlers act for no principal.
// Never hand it to request handlers.
//
// # Appointments
//
// An appointment (AppointmentInput) has a title, a time range or whole
// days (AllDay, in the tenant's zone), a place, one or more staff, an
// optional customer with its contact persons, a channel (the 対応形態
// master of contactlog), a memo, a 直行・直帰 mark (Direct) and a
// visibility scope with the same rules as a contact record's: the
// permission engine's RecordTable predicate over schedule_appointments,
// its staff being the people who always see it. Outside that scope an
// appointment does not exist (ErrNotFound); its author, staff, the
// managers of the author's groups and admins may change it, others who
// see it get ErrPermissionDenied. Changes take the Version (ErrConflict
// when stale); DeleteAppointment moves it to the trash, RestoreAppointment
// brings it back. CustomerAppointments lists a customer's upcoming ones,
// CustomerPastAppointments the past ones, NextAppointments the 次回予定 of a
// record.
//
// # Calendar
//
// Calendar reads the calendars of some staff, a group's members or the
// principal alone, for From–To (at most MaxCalendarDays; View.Range gives a
// day, a Sunday-to-Saturday week or a month, Period.Range the quick
// ranges), in one query: the appointments of those staff, and the contact
// records they responded to or whose customer they are assigned to, dated
// by the actual time, else the planned time. A staff member's records are
// found from index ranges of their own: their responder rows
// (contact_record_people) and the rows that put each live record under each
// assignee of its customer (contact_record_assignees, which contactlog's
// triggers keep), each read once for every calendar it is on. Appointments
// and records pass the principal's visibility predicate in SQL; a customer
// the principal does not see stays unnamed. Each entry names the calendar
// it is on, so a record shows once per responder and assignee.
// CalendarQuery.PerDay keeps the first entries of each staff member's day,
// and Calendar.More counts the rest (「他N件」) among what the principal sees;
// the customers' names are read after the limit, once per customer of the
// listed entries (not by joining every customer of the tenant). Day
// boundaries are the tenant's (an appointment at 23:30 JST on the 30th
// belongs to that day). Holidays lists the Japanese public holidays with
// Japanese names (github.com/rickar/cal/v2/jp; 振替休日 and 国民の休日 included).
//
// The calendar's statement, like the top page's notices and open requests,
// can be sent with its IDs and times bound as parameters, so that every
// user, day and week sends one text: on PostgreSQL with
// Config.StatementCache set, when the driver prepares it once per
// connection, and parsing and planning it (as long as running it, for a
// week) is not paid on every call; on SQLite always, where it is prepared
// once it has run twice and kept.
//
// # Plan → meet → next plan
//
// RecordFromAppointment writes the contact record of an appointment
// (customer, contact persons, channel, staff as responders, scope and
// time carried) and links the appointment to it; PlanNext creates the
// next appointment of a record (次回予定) and LinkNext links an existing
// one; CreateRecordWithCustomer registers a new customer (name and
// reading required) and its record in one transaction, for a calendar
// slot whose visitor is not a customer yet. They write records through
// Config.Records bound to the same transaction.
//
// # Feeds
//
// CreateFeed gives a staff member a secret iCalendar feed of their own
// calendar (a random token, stored hashed, shown once; a new one replaces
// the old, RevokeFeed ends it). WriteFeed serves it without a principal:
// the token is the credential, and the feed shows what its owner would see
// on the web, without memos.
//
// # Requests
//
// CreateRequest sends a request (依頼) to colleagues or, without
// recipients, notes a task (課題) for oneself, optionally about a record;
// each recipient but the author is told once through the outbox
// (TopicRequest, and the channels). Its author and recipients see it,
// reply (ReplyToRequest) and move its status (未対応 → 対応中 → 完了);
// Requests lists the received or sent ones, open ones for the top page.
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
