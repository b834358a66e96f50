package contactlog

import (
	"github.com/kirokuhq/kiroku/customer/outbox"
)

// Handlers returns the outbox handlers of the engine's mails, by topic:
// TopicReportTo (report-to notifications), TopicMailRecord (MailRecord)
// and TopicNotification (notifications of event subscribers, mailed with
// their own subject and text; see EnqueueNotifications), and TopicChannel
// (the same report-to and subscriber notifications through the
// Config.Channels).
// Pass them (merged with the other engines' handlers) to
// outbox.NewDispatcher. They read through the service's database
// handle, so call Handlers on a handle bound to the database, not on one
// bound to a transaction with WithDB.
//
// Each record handler loads the record as the recipient would see it now: a
// recipient who can no longer see the record (scope changed, record
// deleted) or who is no longer active staff gets nothing and the message is
// done. Otherwise it mails the record (see MailRecord for the content) to
// the recipient's directory e-mail address through Config.Mailer. Without
// a Mailer the delivery fails and is retried with backoff, so mails wait
// until one is configured (up to the dispatcher's MaxAttempts); a recipient
// without an e-mail address is a permanent failure.
//
// The TopicCollectOrphans handler runs a scheduled orphan-file collection
// (ScheduleOrphanCollection).
func (s *System) Handlers() map[string]outbox.Handler {
	return map[string]outbox.Handler{
		TopicReportTo:     outbox.HandlerFunc(s.svc.deliverMail),
		TopicMailRecord:   outbox.HandlerFunc(s.svc.deliverMail),
		TopicNotification: outbox.HandlerFunc(s.svc.deliverMail),
		TopicChannel:      outbox.HandlerFunc(s.svc.deliverChannel),

		TopicCollectOrphans: outbox.HandlerFunc(s.collectOrphans),
	}
}
