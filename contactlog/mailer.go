package contactlog

import (
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/outbox"
)

// SMTPConfig configures the SMTP Mailer of NewSMTPMailer: Host (required),
// Port (default by TLS mode: 587, 465 or 25), Username and Password
// (authenticate when Username is set; the password is never printed or
// logged), TLS (SMTPStartTLS by default), TLSConfig, From (the default
// author), Timeout (one send, default 30s) and Clock (the Date header).
type SMTPConfig = mail.SMTPConfig

// SMTPTLSMode is how the SMTP connection is encrypted (SMTPConfig.TLS).
type SMTPTLSMode = mail.TLSMode

// The SMTP TLS modes.
const (
	// SMTPStartTLS connects in plain text and upgrades with STARTTLS,
	// which the server must offer. The default.
	SMTPStartTLS = mail.TLSStartTLS
	// SMTPImplicitTLS speaks TLS from the first byte (port 465).
	SMTPImplicitTLS = mail.TLSImplicit
	// SMTPNoTLS never encrypts; credentials then only go to a loopback
	// server or through a challenge-response mechanism.
	SMTPNoTLS = mail.TLSNone
)

// NewSMTPMailer returns a Mailer that sends through an SMTP server, one
// connection per mail, for Config.Mailer. An invalid configuration fails
// with a *ValidationError. Its send errors that retrying cannot fix (a 5xx
// rejection, an invalid message) are permanent: the dispatcher gives such
// a mail up at once instead of retrying it.
func NewSMTPMailer(cfg SMTPConfig) (Mailer, error) {
	m, err := mail.NewSMTP(&cfg)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// MailerFunc adapts a function to Mailer: an embedder that delivers mail
// its own way (an API of a mail service, a test) plugs one in.
type MailerFunc = mail.SenderFunc

// Handler delivers the outbox messages of one topic; see Service.Handlers.
// Deliver returns nil once the effect happened (the message is then done),
// or an error to have it retried with backoff — unless the error has a
// method Permanent() bool returning true, which gives the message up.
type Handler = outbox.Handler

// HandlerFunc adapts a function to Handler.
type HandlerFunc = outbox.HandlerFunc

// OutboxMessage is one side effect for one recipient, as a Handler
// receives it.
type OutboxMessage = outbox.Message

// Dispatcher delivers outbox messages to the handlers of their topics; see
// NewDispatcher.
type Dispatcher = outbox.Dispatcher

// DispatcherConfig configures a Dispatcher: Clock, InstanceID,
// PollInterval (1s), Lease (5m), MaxAttempts (10), Backoff, BatchSize (10)
// and Logger. nil means the defaults.
type DispatcherConfig = outbox.Config

// NewDispatcher returns a dispatcher that delivers the outbox messages of
// the topics in handlers, from db, which must be a database handle and not
// a transaction. Run it with d.Run(ctx) (until ctx ends; several processes
// may each run one on the same database) or d.RunOnce(ctx) (one batch).
//
// Every Kiroku engine writes its side effects to the one outbox table, so a
// program runs a single dispatcher for all of them: merge the engines'
// handler maps (topics never clash) and pass the result here. Messages of
// topics missing from handlers stay pending for a dispatcher that knows
// them.
//
//	handlers := records.Handlers()
//	maps.Copy(handlers, otherEngine.Handlers())
//	d, err := contactlog.NewDispatcher(db, handlers, nil)
//	go d.Run(ctx)
func NewDispatcher(db bun.IDB, handlers map[string]Handler, cfg *DispatcherConfig) (*Dispatcher, error) {
	return outbox.NewDispatcher(db, handlers, cfg)
}

// Handlers returns the outbox handlers of the engine's mails, by topic:
// TopicReportTo (report-to notifications), TopicMailRecord (MailRecord)
// and TopicNotification (notifications of event subscribers, mailed with
// their own subject and text; see EnqueueNotifications), and TopicChannel
// (the same report-to and subscriber notifications through the
// Config.Channels).
// Pass them to NewDispatcher. They read through the service's database
// handle, so call Handlers on a service bound to the database, not on one
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
func (s *Service) Handlers() map[string]Handler {
	return map[string]Handler{
		TopicReportTo:     outbox.HandlerFunc(s.deliverMail),
		TopicMailRecord:   outbox.HandlerFunc(s.deliverMail),
		TopicNotification: outbox.HandlerFunc(s.deliverMail),
		TopicChannel:      outbox.HandlerFunc(s.deliverChannel),
	}
}
