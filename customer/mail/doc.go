// Package mail sends e-mail: record reports to colleagues, invitations to
// customers. Engines depend on the one-method Sender interface; SMTP is the
// implementation for real servers, and tests or embedders plug in a
// SenderFunc.
//
// # Messages
//
// A Message has a From (defaulting to the sender's configured From), one to
// MaxRecipients To addresses, an optional ReplyTo, a Subject, and a Text
// and/or HTML body (both: multipart/alternative). Every header and body is
// UTF-8. Japanese display names and subjects are RFC 2047 encoded
// ("=?UTF-8?q?...?="), so they reach any client intact; bodies use
// quoted-printable. Send validates the message first: a missing recipient, a
// malformed address, or a line break in a name or the subject (header
// injection) fails with an error matching ErrInvalid, before any
// connection is made.
//
// # SMTP
//
// NewSMTP builds a sender from an SMTPConfig: Host, Port, Username and
// Password, TLS mode, default From, Timeout. Each Send opens one connection
// (go-mail underneath), negotiates TLS, authenticates when a Username is
// set, sends, and quits. The TLS modes are:
//
//   - TLSStartTLS (default, port 587): plain connect, then STARTTLS, which
//     the server must offer;
//   - TLSImplicit (port 465): TLS from the first byte;
//   - TLSNone (port 25): never encrypted. Credentials then only go to a
//     loopback server or through a challenge-response mechanism: PLAIN and
//     LOGIN are refused over an unencrypted connection to any other host.
//
// Timeout bounds the whole exchange and ctx can end it early: an unreachable
// or silent server makes Send return an error within Timeout.
//
// # Errors and secrets
//
// Errors that retrying cannot fix — an invalid message, a 5xx rejection of
// the sender, a recipient or the content — have a method Permanent() bool
// returning true, which the outbox dispatcher understands (the message goes
// dead at once instead of being retried). Connection failures, timeouts,
// 4xx replies and authentication failures are left retryable: they are
// usually fixed by waiting or by correcting the configuration.
//
// The password never appears in errors or logs: SMTPConfig's String,
// GoString and LogValue (slog) redact it.
package mail
