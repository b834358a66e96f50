package mail

import (
	"context"
	netmail "net/mail"
	"strconv"
	"strings"

	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// Re-exported sentinels, so that callers can match this package's errors
// without importing another Kiroku package.
var (
	// ErrInvalid is matched by errors for invalid input (a *validation.Error
	// where fields are named).
	ErrInvalid = kerr.ErrInvalid
)

// MaxRecipients caps Message.To.
const MaxRecipients = 100

// Address is a mailbox: an optional display name and an e-mail address.
type Address struct {
	// Name is the display name, e.g. "田中 花子". It may be any Unicode
	// text without line breaks; non-ASCII names are RFC 2047 encoded on the
	// wire.
	Name string
	// Email is the addr-spec, e.g. "hanako@example.jp".
	Email string
}

// String formats a as an RFC 5322 mailbox, encoding a non-ASCII name
// (`=?utf-8?q?...?= <hanako@example.jp>`). The zero Address is "".
func (a Address) String() string {
	if a.IsZero() {
		return ""
	}
	return (&netmail.Address{Name: a.Name, Address: a.Email}).String()
}

// IsZero reports whether a has neither name nor e-mail.
func (a Address) IsZero() bool { return a.Name == "" && a.Email == "" }

// Message is one e-mail.
type Message struct {
	// From is the author. Zero: the sender's default (SMTPConfig.From).
	From Address
	// To lists the recipients. At least one, at most MaxRecipients.
	To []Address
	// ReplyTo is where replies go. Zero: no Reply-To header.
	ReplyTo Address
	// Subject is the subject line, without line breaks; non-ASCII text is
	// RFC 2047 encoded on the wire.
	Subject string
	// Text is the plain-text body.
	Text string
	// HTML is the HTML body. With Text as well, the mail is
	// multipart/alternative (Text first, so clients prefer HTML).
	// At least one of Text and HTML is required.
	HTML string
}

// Sender sends mail.
//
// Send returns nil once the message has been handed over (for SMTP: the
// server accepted it after DATA). An error that implements Permanent() bool
// returning true (an invalid message, a 5xx rejection) will fail again if
// retried; other errors may be temporary. Errors match ErrInvalid when
// the message itself is at fault, and never contain credentials.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, m Message) error

// Send calls f(ctx, m).
func (f SenderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

var _ Sender = SenderFunc(nil)

// permanentError marks an error that retrying cannot fix; the outbox
// dispatcher recognises the Permanent method.
type permanentError struct{ err error }

func (e *permanentError) Error() string   { return e.err.Error() }
func (e *permanentError) Unwrap() error   { return e.err }
func (e *permanentError) Permanent() bool { return true }

// validate checks m after the default From has been applied.
func validate(m Message) error {
	var verr validation.Error
	checkAddress(&verr, "from", m.From, true)
	switch {
	case len(m.To) == 0:
		verr.Add("to", validation.CodeRequired, "")
	case len(m.To) > MaxRecipients:
		verr.Add("to", validation.CodeTooMany, strconv.Itoa(MaxRecipients))
	}
	for i, a := range m.To {
		checkAddress(&verr, "to["+strconv.Itoa(i)+"]", a, true)
	}
	checkAddress(&verr, "reply_to", m.ReplyTo, false)
	if hasLineBreak(m.Subject) {
		verr.Add("subject", validation.CodeFormat, "")
	}
	if m.Text == "" && m.HTML == "" {
		verr.Add("text", validation.CodeRequired, "")
	}
	return verr.Err()
}

func checkAddress(verr *validation.Error, field string, a Address, required bool) {
	if a.IsZero() {
		if required {
			verr.Add(field+".email", validation.CodeRequired, "")
		}
		return
	}
	if hasLineBreak(a.Name) {
		verr.Add(field+".name", validation.CodeFormat, "")
	}
	if !ValidEmail(a.Email) {
		verr.Add(field+".email", validation.CodeFormat, "")
	}
}

// ValidEmail reports whether s is a bare addr-spec ("hanako@example.jp") and nothing
// else: no display name, no angle brackets, no comments.
func ValidEmail(s string) bool {
	if s == "" || strings.ContainsAny(s, "<>()\r\n\t ") {
		return false
	}
	a, err := netmail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

func hasLineBreak(s string) bool { return strings.ContainsAny(s, "\r\n\x00") }
