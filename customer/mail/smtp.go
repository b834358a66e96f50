package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/kirokuhq/kiroku/customer/validation"
)

// TLSMode is how the SMTP connection is encrypted.
type TLSMode string

// The TLS modes.
const (
	// TLSStartTLS connects in plain text and upgrades with STARTTLS; a
	// server that does not offer STARTTLS is an error. The default.
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (SMTPS, RFC 8314).
	TLSImplicit TLSMode = "implicit"
	// TLSNone never encrypts. Credentials are then only sent to a server
	// on the loopback interface (localhost, 127.0.0.1, ::1), or with
	// challenge-response mechanisms (SCRAM, CRAM-MD5).
	TLSNone TLSMode = "none"
)

// Default ports per TLS mode, and the default timeout.
const (
	DefaultPortStartTLS = 587
	DefaultPortImplicit = 465
	DefaultPortNone     = 25
	DefaultTimeout      = 30 * time.Second
)

// redacted replaces secrets in String and LogValue.
const redacted = "[REDACTED]"

// SMTPConfig configures an SMTP sender. Print or log it freely: String,
// GoString and LogValue never show the password.
type SMTPConfig struct {
	// Host is the server's host name or IP address. Required.
	Host string
	// Port is the server's TCP port. Default: 587 for STARTTLS, 465 for
	// implicit TLS, 25 without TLS.
	Port int
	// Username, when not empty, makes Send authenticate, with the
	// strongest mechanism both sides support (SCRAM-SHA-256, SCRAM-SHA-1,
	// CRAM-MD5, then PLAIN or LOGIN, which only go over TLS or to
	// localhost). Default: no authentication.
	Username string
	// Password goes with Username. It is never printed or logged.
	Password string
	// TLS is the encryption mode. Default: TLSStartTLS.
	TLS TLSMode
	// TLSConfig customizes TLS (for example a private CA in RootCAs).
	// Default: the system roots, ServerName = Host, TLS 1.2 or later.
	TLSConfig *tls.Config
	// From is the author of messages that do not set their own.
	From Address
	// Timeout bounds one Send, from connecting to QUIT. Default: 30s.
	Timeout time.Duration
	// Clock dates the messages (the Date header). Default: time.Now.
	Clock func() time.Time
}

// WithDefaults returns a copy of c (which may be nil) with every zero field
// set to its default.
func (c *SMTPConfig) WithDefaults() SMTPConfig {
	var out SMTPConfig
	if c != nil {
		out = *c
	}
	if out.TLS == "" {
		out.TLS = TLSStartTLS
	}
	if out.Port == 0 {
		switch out.TLS {
		case TLSImplicit:
			out.Port = DefaultPortImplicit
		case TLSNone:
			out.Port = DefaultPortNone
		default:
			out.Port = DefaultPortStartTLS
		}
	}
	if out.Timeout == 0 {
		out.Timeout = DefaultTimeout
	}
	if out.Clock == nil {
		out.Clock = time.Now
	}
	return out
}

// validate checks a config that went through WithDefaults.
func (c *SMTPConfig) validate() error {
	var verr validation.Error
	if c.Host == "" {
		verr.Add("host", validation.CodeRequired, "")
	} else if hasLineBreak(c.Host) {
		verr.Add("host", validation.CodeFormat, "")
	}
	if c.Port < 1 || c.Port > 65535 {
		verr.Add("port", validation.CodeOutOfRange, "1..65535")
	}
	switch c.TLS {
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		verr.Add("tls", validation.CodeUnknown, string(c.TLS))
	}
	if c.Timeout < 0 {
		verr.Add("timeout", validation.CodeOutOfRange, "> 0")
	}
	if c.Password != "" && c.Username == "" {
		verr.Add("username", validation.CodeRequired, "")
	}
	checkAddress(&verr, "from", c.From, false)
	return verr.Err()
}

// String describes the config with the password redacted.
func (c SMTPConfig) String() string {
	pw := ""
	if c.Password != "" {
		pw = redacted
	}
	return fmt.Sprintf("SMTPConfig{Host:%s Port:%d Username:%s Password:%s TLS:%s From:%s Timeout:%s}",
		c.Host, c.Port, c.Username, pw, c.TLS, c.From, c.Timeout)
}

// GoString is String, so that %#v does not show the password either.
func (c SMTPConfig) GoString() string { return c.String() }

// LogValue makes slog log the config with the password redacted.
func (c SMTPConfig) LogValue() slog.Value {
	pw := ""
	if c.Password != "" {
		pw = redacted
	}
	return slog.GroupValue(
		slog.String("host", c.Host), slog.Int("port", c.Port),
		slog.String("username", c.Username), slog.String("password", pw),
		slog.String("tls", string(c.TLS)), slog.String("from", c.From.String()),
		slog.Duration("timeout", c.Timeout),
	)
}

var _ slog.LogValuer = SMTPConfig{}

// SMTP sends mail through an SMTP server, one connection per Send. It is
// safe for concurrent use.
type SMTP struct {
	cfg  SMTPConfig
	tls  *tls.Config
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

var _ Sender = (*SMTP)(nil)

// NewSMTP returns an SMTP sender. A nil cfg fails validation, since Host
// is required.
func NewSMTP(cfg *SMTPConfig) (*SMTP, error) {
	c := cfg.WithDefaults()
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("mail: smtp config: %w", err)
	}
	var tc *tls.Config
	if c.TLSConfig != nil {
		tc = c.TLSConfig.Clone()
	} else {
		tc = &tls.Config{}
	}
	if tc.ServerName == "" {
		tc.ServerName = c.Host
	}
	if tc.MinVersion == 0 {
		tc.MinVersion = tls.VersionTLS12
	}
	var d net.Dialer
	return &SMTP{cfg: c, tls: tc, dial: d.DialContext}, nil
}

// Send delivers m. It connects, negotiates TLS and authenticates as
// configured, sends, and disconnects, all within Timeout; it also gives up
// when ctx ends. See Sender for the errors.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if m.From.IsZero() {
		m.From = s.cfg.From
	}
	if err := validate(m); err != nil {
		return &permanentError{fmt.Errorf("mail: send: %w", err)}
	}
	msg := s.build(m)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()

	// go-mail honours the context only while dialling; closing the
	// connection when ctx ends bounds the rest of the exchange too.
	stop := func() bool { return false }
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := s.dial(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		if s.cfg.TLS == TLSImplicit {
			tc := tls.Client(conn, s.tls)
			if err := tc.HandshakeContext(dctx); err != nil {
				_ = conn.Close()
				return nil, err
			}
			conn = tc
		}
		stop = context.AfterFunc(ctx, func() { _ = conn.Close() })
		return conn, nil
	}
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.cfg.Timeout),
		gomail.WithDialContextFunc(dial),
		gomail.WithTLSConfig(s.tls),
	}
	if s.cfg.TLS == TLSStartTLS {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	} else {
		// Implicit TLS is done by dial above; go-mail must not STARTTLS.
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.Username != "" {
		opts = append(opts,
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password),
			// PLAIN and LOGIN (not the -NOENC variants) refuse to send
			// credentials over an unencrypted connection except to
			// localhost.
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
				gomail.SMTPAuthCramMD5, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin))
	}
	client, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("mail: send: %w", err)
	}
	err = client.DialAndSendWithContext(ctx, msg)
	stop()
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("mail: send to %s: %w (%w)", s.addr(), cerr, err)
	}
	err = fmt.Errorf("mail: send to %s: %w", s.addr(), err)
	if rejected(err) {
		return &permanentError{err}
	}
	return err
}

func (s *SMTP) addr() string { return net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port)) }

// rejected reports whether the server refused the message with a 5xx reply
// to MAIL, RCPT or DATA: sending it again will not help.
func rejected(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) || se.IsTemp() {
		return false
	}
	switch se.Reason {
	case gomail.ErrSMTPMailFrom, gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
		code := se.ErrorCode()
		return code >= 500 && code < 600
	}
	return false
}

// build turns m into a go-mail message.
func (s *SMTP) build(m Message) *gomail.Msg {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(netAddress(m.From))
	to := make([]*netmail.Address, len(m.To))
	for i, a := range m.To {
		to[i] = netAddress(a)
	}
	msg.ToMailAddress(to...)
	if !m.ReplyTo.IsZero() {
		msg.ReplyToMailAddress(netAddress(m.ReplyTo))
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(s.cfg.Clock())
	msg.SetMessageID()
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.HTML != "":
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	}
	return msg
}

func netAddress(a Address) *netmail.Address { return &netmail.Address{Name: a.Name, Address: a.Email} }
