// Package mailtest is test support for code that sends mail: a real SMTP
// server (github.com/emersion/go-smtp) on 127.0.0.1 that keeps every
// message it accepts, and a decoder that reads a message as a mail client
// shows it. Only tests import it.
package mailtest

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"
)

// Options shape a Server. The zero value is a plain server without TLS or
// authentication that accepts every message.
type Options struct {
	// TLS, when set, is offered with STARTTLS, or spoken from the first
	// byte when Implicit is true.
	TLS      *tls.Config
	Implicit bool
	// User, when set, makes the server offer and require AUTH PLAIN with
	// User and Password.
	User     string
	Password string
	// RejectRcpt is the reply to RCPT TO for the addresses it lists.
	RejectRcpt map[string]*smtp.SMTPError
	// RejectData, when set, is the reply to every DATA.
	RejectData *smtp.SMTPError
}

// Message is one message a Server accepted.
type Message struct {
	From string   // envelope sender (MAIL FROM)
	To   []string // envelope recipients (RCPT TO), in order
	User string   // the authenticated user; empty without AUTH
	Data []byte   // the message as transmitted
}

// Server is a running test SMTP server. Its methods are safe for concurrent
// use.
type Server struct {
	Host string // 127.0.0.1
	Port int

	mu       sync.Mutex
	msgs     []Message
	authTry  []string
	sessions int
}

// Start starts a server on 127.0.0.1 with a free port, and stops it when t
// and its subtests are done, leaving no goroutine behind.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	srv := &Server{}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		srv.mu.Lock()
		srv.sessions++
		srv.mu.Unlock()
		return &session{srv: srv, opts: o}, nil
	}))
	s.Domain = "localhost"
	s.AllowInsecureAuth = true // AUTH PLAIN without TLS: the server is on 127.0.0.1 only
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	if o.TLS != nil {
		if o.Implicit {
			l = tls.NewListener(l, o.TLS)
		} else {
			s.TLSConfig = o.TLS
		}
	}
	addr := l.Addr().(*net.TCPAddr)
	srv.Host, srv.Port = addr.IP.String(), addr.Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(l)
	}()
	t.Cleanup(func() {
		_ = s.Close()
		// Close only closes the listeners Serve has registered; if Serve
		// has not started yet, closing l ourselves still ends it.
		_ = l.Close()
		<-done
	})
	return srv
}

// Messages returns the messages accepted so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// PasswordsTried returns every password a client sent with AUTH, in order,
// right or wrong.
func (s *Server) PasswordsTried() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.authTry...)
}

// Sessions returns how many connections the server has accepted.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

type session struct {
	srv  *Server
	opts Options
	user string
	cur  Message
}

func (ss *session) AuthMechanisms() []string {
	if ss.opts.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		ss.srv.mu.Lock()
		ss.srv.authTry = append(ss.srv.authTry, password)
		ss.srv.mu.Unlock()
		if username != ss.opts.User || password != ss.opts.Password {
			return smtp.ErrAuthFailed
		}
		ss.user = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.opts.User != "" && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.cur = Message{From: from, User: ss.user}
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.opts.RejectRcpt[to]; err != nil {
		return err
	}
	ss.cur.To = append(ss.cur.To, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.opts.RejectData != nil {
		return ss.opts.RejectData
	}
	ss.cur.Data = b
	ss.srv.mu.Lock()
	ss.srv.msgs = append(ss.srv.msgs, ss.cur)
	ss.srv.mu.Unlock()
	return nil
}

func (ss *session) Reset()        { ss.cur = Message{} }
func (ss *session) Logout() error { return nil }

// Content is a message decoded as a mail client shows it.
type Content struct {
	Header    netmail.Header
	RawHeader string // the header block as transmitted, without the blank line
	Type      string // the message's media type: text/plain, text/html or multipart/alternative
	Subject   string // RFC 2047 decoded
	From      []*netmail.Address
	To        []*netmail.Address
	ReplyTo   []*netmail.Address // nil without a Reply-To header
	Text      string             // the text/plain body, with \n line ends
	HTML      string             // the text/html body, with \n line ends
}

// Parse decodes m.Data, failing t unless it is a well-formed message whose
// body is UTF-8 text/plain, text/html, or a multipart/alternative of them.
func (m Message) Parse(t testing.TB) Content {
	t.Helper()
	head, _, ok := bytes.Cut(m.Data, []byte("\r\n\r\n"))
	require.True(t, ok, "header/body separator")
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
	require.NoError(t, err)
	c := Content{Header: msg.Header, RawHeader: string(head)}
	c.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	require.NoError(t, err)
	c.From, err = msg.Header.AddressList("From")
	require.NoError(t, err)
	c.To, err = msg.Header.AddressList("To")
	require.NoError(t, err)
	if msg.Header.Get("Reply-To") != "" {
		c.ReplyTo, err = msg.Header.AddressList("Reply-To")
		require.NoError(t, err)
	}
	media, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	require.NoError(t, err)
	c.Type = media
	if !strings.HasPrefix(media, "multipart/") {
		c.setBody(t, media, params, msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
		return c
	}
	require.Equal(t, "multipart/alternative", media)
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		media, params, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
		require.NoError(t, err)
		// multipart.Reader decodes quoted-printable itself.
		c.setBody(t, media, params, part.Header.Get("Content-Transfer-Encoding"), part)
	}
	return c
}

func (c *Content) setBody(t testing.TB, media string, params map[string]string, cte string, r io.Reader) {
	t.Helper()
	require.Equal(t, "utf-8", strings.ToLower(params["charset"]))
	switch strings.ToLower(cte) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	switch media {
	case "text/plain":
		c.Text = s
	case "text/html":
		c.HTML = s
	default:
		t.Fatalf("unexpected part %s", media)
	}
}
