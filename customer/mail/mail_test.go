package mail_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/mail/mailtest"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

const subject = "「面談記録のご報告」"

var (
	taro   = mail.Address{Name: "記録 太郎", Email: "taro@kiroku.example"}
	hanako = mail.Address{Name: "田中 花子", Email: "hanako@example.jp"}
	ichiro = mail.Address{Name: "佐藤 一郎（営業部）", Email: "ichiro@example.jp"}
	desk   = mail.Address{Name: "お客様窓口", Email: "desk@kiroku.example"}
	date   = time.Date(2026, 12, 1, 9, 30, 0, 0, time.FixedZone("JST", 9*3600))
)

func newSMTP(t *testing.T, cfg mail.SMTPConfig) *mail.SMTP {
	t.Helper()
	if cfg.Clock == nil {
		cfg.Clock = func() time.Time { return date }
	}
	s, err := mail.NewSMTP(&cfg)
	require.NoError(t, err)
	return s
}

func TestSMTPSendsJapaneseMail(t *testing.T) {
	verifyNoLeaks(t)
	srv := mailtest.Start(t, mailtest.Options{User: "kiroku", Password: "s3cret-パスワード"})
	s := newSMTP(t, mail.SMTPConfig{
		Host: srv.Host, Port: srv.Port, TLS: mail.TLSNone,
		Username: "kiroku", Password: "s3cret-パスワード",
		From: taro, Timeout: 5 * time.Second,
	})
	text := "田中様\n\n本日の面談記録をお送りします。\n次回訪問：12月8日（火）10時\n\n記録 太郎\n"
	err := s.Send(context.Background(), mail.Message{
		To: []mail.Address{hanako, ichiro}, ReplyTo: desk, Subject: subject, Text: text,
	})
	require.NoError(t, err)

	got := srv.Messages()
	require.Len(t, got, 1)
	require.Equal(t, "kiroku", got[0].User, "AUTH PLAIN to localhost without TLS")
	require.Equal(t, "taro@kiroku.example", got[0].From)
	require.Equal(t, []string{"hanako@example.jp", "ichiro@example.jp"}, got[0].To)

	p := got[0].Parse(t)
	require.Equal(t, subject, p.Subject)
	require.Equal(t, []*netmail.Address{{Name: taro.Name, Address: taro.Email}}, p.From)
	require.Equal(t, []*netmail.Address{{Name: hanako.Name, Address: hanako.Email}, {Name: ichiro.Name, Address: ichiro.Email}}, p.To)
	require.Equal(t, []*netmail.Address{{Name: desk.Name, Address: desk.Email}}, p.ReplyTo)
	require.Equal(t, text, p.Text)
	require.Empty(t, p.HTML)
	require.Equal(t, date.Format(time.RFC1123Z), p.Header.Get("Date"), "dated by the injected clock")
	require.NotEmpty(t, p.Header.Get("Message-Id"))
	for i := 0; i < len(p.RawHeader); i++ {
		require.Less(t, p.RawHeader[i], byte(0x80), "headers are 7-bit (RFC 2047): %q", p.RawHeader)
	}
	require.True(t, strings.HasPrefix(p.Header.Get("Subject"), "=?UTF-8?"), "RFC 2047 encoded-word")
}

func TestSMTPSendsTextAndHTML(t *testing.T) {
	verifyNoLeaks(t)
	srv := mailtest.Start(t, mailtest.Options{})
	s := newSMTP(t, mail.SMTPConfig{Host: srv.Host, Port: srv.Port, TLS: mail.TLSNone, Timeout: 5 * time.Second})
	tests := []struct {
		name       string
		text, html string
	}{
		{"text only", "本文のみ\n", ""},
		{"html only", "", "<p>面談記録</p>\n"},
		{"both", "面談記録\n", "<p>面談<b>記録</b></p>\n"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from := mail.Address{Name: "差出人 " + tt.name, Email: "from@kiroku.example"}
			require.NoError(t, s.Send(context.Background(), mail.Message{
				From: from, To: []mail.Address{hanako}, Subject: subject, Text: tt.text, HTML: tt.html,
			}))
			got := srv.Messages()
			require.Len(t, got, i+1)
			p := got[i].Parse(t)
			require.Equal(t, tt.text, p.Text)
			require.Equal(t, tt.html, p.HTML)
			require.Equal(t, from.Name, p.From[0].Name)
			require.Nil(t, p.ReplyTo)
		})
	}
}

func TestSMTPTLSModes(t *testing.T) {
	verifyNoLeaks(t)
	cert, pool := testCert(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	trusted := &tls.Config{RootCAs: pool}
	tests := []struct {
		name    string
		server  mailtest.Options
		mode    mail.TLSMode
		client  *tls.Config
		wantErr string
	}{
		{"starttls", mailtest.Options{TLS: serverTLS, User: "u", Password: "p"}, mail.TLSStartTLS, trusted, ""},
		{"implicit", mailtest.Options{TLS: serverTLS, Implicit: true, User: "u", Password: "p"}, mail.TLSImplicit, trusted, ""},
		{"starttls not offered", mailtest.Options{User: "u", Password: "p"}, mail.TLSStartTLS, trusted, "STARTTLS"},
		{"starttls untrusted certificate", mailtest.Options{TLS: serverTLS, User: "u", Password: "p"}, mail.TLSStartTLS, nil, "certificate"},
		{"implicit untrusted certificate", mailtest.Options{TLS: serverTLS, Implicit: true, User: "u", Password: "p"}, mail.TLSImplicit, nil, "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mailtest.Start(t, tt.server)
			s := newSMTP(t, mail.SMTPConfig{
				Host: srv.Host, Port: srv.Port, TLS: tt.mode, TLSConfig: tt.client,
				Username: "u", Password: "p", From: taro, Timeout: 5 * time.Second,
			})
			err := s.Send(context.Background(), mail.Message{To: []mail.Address{hanako}, Subject: subject, Text: "本文"})
			if tt.wantErr != "" {
				t.Logf("error: %v", err)
				require.ErrorContains(t, err, tt.wantErr)
				require.Empty(t, srv.Messages())
				require.Empty(t, srv.PasswordsTried(), "no credentials before TLS")
				return
			}
			require.NoError(t, err)
			got := srv.Messages()
			require.Len(t, got, 1)
			require.Equal(t, "u", got[0].User)
			require.Equal(t, subject, got[0].Parse(t).Subject)
		})
	}
}

func TestSMTPNeverSendsPlainCredentialsToARemoteHostWithoutTLS(t *testing.T) {
	verifyNoLeaks(t)
	srv := mailtest.Start(t, mailtest.Options{User: "kiroku", Password: "s3cret"})
	s := newSMTP(t, mail.SMTPConfig{
		Host: "mail.example.jp", Port: 25, TLS: mail.TLSNone,
		Username: "kiroku", Password: "s3cret", From: taro, Timeout: 5 * time.Second,
	})
	// "mail.example.jp" is really the test server: the sender must treat
	// it as remote.
	mail.SetDial(s, func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, net.JoinHostPort(srv.Host, fmt.Sprint(srv.Port)))
	})
	err := s.Send(context.Background(), mail.Message{To: []mail.Address{hanako}, Subject: subject, Text: "本文"})
	require.Error(t, err)
	t.Logf("error: %v", err)
	require.Equal(t, 1, srv.Sessions(), "it did connect")
	require.Empty(t, srv.PasswordsTried(), "but sent no password in the clear")
	require.Empty(t, srv.Messages())
	require.NotContains(t, err.Error(), "s3cret")
}

func TestSMTPUnreachableServerFailsWithinTimeout(t *testing.T) {
	verifyNoLeaks(t)
	msg := mail.Message{To: []mail.Address{hanako}, Subject: subject, Text: "本文"}
	silentHost, silentPort := silentServer(t)
	tests := []struct {
		name    string
		port    int
		timeout time.Duration
		cancel  time.Duration // cancel ctx after this long; 0: never
		within  time.Duration
		is      error
	}{
		{"connection refused", closedPort(t), 5 * time.Second, 0, 2 * time.Second, nil},
		{"silent server, timeout", silentPort, 300 * time.Millisecond, 0, 3 * time.Second, nil},
		{"silent server, context cancelled", silentPort, time.Minute, 200 * time.Millisecond, 3 * time.Second, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSMTP(t, mail.SMTPConfig{Host: silentHost, Port: tt.port, TLS: mail.TLSNone, From: taro, Timeout: tt.timeout})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel > 0 {
				stop := time.AfterFunc(tt.cancel, cancel)
				defer stop.Stop()
			}
			start := time.Now()
			err := s.Send(ctx, msg)
			elapsed := time.Since(start)
			require.Error(t, err)
			t.Logf("after %s: %v", elapsed.Round(time.Millisecond), err)
			require.Less(t, elapsed, tt.within, "returned after %s: %v", elapsed, err)
			if tt.is != nil {
				require.ErrorIs(t, err, tt.is)
			}
			require.False(t, permanent(err), "worth retrying: %v", err)
		})
	}
}

// permanent reports whether err says retrying cannot help, as the outbox
// dispatcher checks it.
func permanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

func TestSMTPRejections(t *testing.T) {
	verifyNoLeaks(t)
	tests := []struct {
		name      string
		opts      mailtest.Options
		permanent bool
	}{
		{"550 unknown recipient", mailtest.Options{RejectRcpt: map[string]*smtp.SMTPError{
			"hanako@example.jp": {Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"},
		}}, true},
		{"554 content rejected", mailtest.Options{RejectData: &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "rejected"}}, true},
		{"451 greylisted", mailtest.Options{RejectRcpt: map[string]*smtp.SMTPError{
			"hanako@example.jp": {Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "try later"},
		}}, false},
		{"wrong password", mailtest.Options{User: "kiroku", Password: "right"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mailtest.Start(t, tt.opts)
			s := newSMTP(t, mail.SMTPConfig{
				Host: srv.Host, Port: srv.Port, TLS: mail.TLSNone, From: taro, Timeout: 5 * time.Second,
				Username: "kiroku", Password: "wrong-パスワード",
			})
			if tt.opts.User == "" {
				s = newSMTP(t, mail.SMTPConfig{Host: srv.Host, Port: srv.Port, TLS: mail.TLSNone, From: taro, Timeout: 5 * time.Second})
			}
			err := s.Send(context.Background(), mail.Message{To: []mail.Address{hanako}, Subject: subject, Text: "本文"})
			require.Error(t, err)
			t.Logf("error: %v", err)
			require.Equal(t, tt.permanent, permanent(err), "%v", err)
			require.NotContains(t, err.Error(), "wrong-パスワード")
			require.Empty(t, srv.Messages())
		})
	}
}

func TestSendValidatesBeforeConnecting(t *testing.T) {
	verifyNoLeaks(t)
	srv := mailtest.Start(t, mailtest.Options{})
	withFrom := newSMTP(t, mail.SMTPConfig{Host: srv.Host, Port: srv.Port, TLS: mail.TLSNone, From: taro})
	noFrom := newSMTP(t, mail.SMTPConfig{Host: srv.Host, Port: srv.Port, TLS: mail.TLSNone})
	many := make([]mail.Address, mail.MaxRecipients+1)
	for i := range many {
		many[i] = mail.Address{Email: fmt.Sprintf("u%d@example.jp", i)}
	}
	ok := mail.Message{To: []mail.Address{hanako}, Subject: subject, Text: "本文"}
	tests := []struct {
		name  string
		s     *mail.SMTP
		edit  func(m *mail.Message)
		field string
		code  string
	}{
		{"no recipients", withFrom, func(m *mail.Message) { m.To = nil }, "to", validation.CodeRequired},
		{"too many recipients", withFrom, func(m *mail.Message) { m.To = many }, "to", validation.CodeTooMany},
		{"no from anywhere", noFrom, func(m *mail.Message) {}, "from.email", validation.CodeRequired},
		{"recipient without address", withFrom, func(m *mail.Message) { m.To = []mail.Address{{Name: "田中"}} }, "to[0].email", validation.CodeFormat},
		{"malformed address", withFrom, func(m *mail.Message) { m.To = []mail.Address{{Email: "hanako@@example.jp"}} }, "to[0].email", validation.CodeFormat},
		{"address with display part", withFrom, func(m *mail.Message) { m.To = []mail.Address{{Email: "Hanako <hanako@example.jp>"}} }, "to[0].email", validation.CodeFormat},
		{"header injection in name", withFrom, func(m *mail.Message) {
			m.To = []mail.Address{{Name: "田中\r\nBcc: evil@example.com", Email: "hanako@example.jp"}}
		}, "to[0].name", validation.CodeFormat},
		{"header injection in subject", withFrom, func(m *mail.Message) { m.Subject = "件名\nBcc: evil@example.com" }, "subject", validation.CodeFormat},
		{"bad reply-to", withFrom, func(m *mail.Message) { m.ReplyTo = mail.Address{Name: "窓口"} }, "reply_to.email", validation.CodeFormat},
		{"no body", withFrom, func(m *mail.Message) { m.Text = "" }, "text", validation.CodeRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ok
			tt.edit(&m)
			err := tt.s.Send(context.Background(), m)
			require.ErrorIs(t, err, kerr.ErrInvalid)
			var verr *validation.Error
			require.ErrorAs(t, err, &verr)
			require.True(t, verr.Has(tt.field, tt.code), "%v", verr)
			require.True(t, permanent(err))
		})
	}
	require.Zero(t, srv.Sessions(), "invalid messages never reach the server")
}

func TestSMTPConfigDefaultsAndValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cfg      *mail.SMTPConfig
		wantPort int
		wantTLS  mail.TLSMode
		field    string // the invalid field, if any
	}{
		{"starttls by default", &mail.SMTPConfig{Host: "smtp.example.jp"}, 587, mail.TLSStartTLS, ""},
		{"implicit", &mail.SMTPConfig{Host: "smtp.example.jp", TLS: mail.TLSImplicit}, 465, mail.TLSImplicit, ""},
		{"none", &mail.SMTPConfig{Host: "smtp.example.jp", TLS: mail.TLSNone}, 25, mail.TLSNone, ""},
		{"explicit port", &mail.SMTPConfig{Host: "smtp.example.jp", Port: 2525}, 2525, mail.TLSStartTLS, ""},
		{"nil", nil, 587, mail.TLSStartTLS, "host"},
		{"no host", &mail.SMTPConfig{}, 587, mail.TLSStartTLS, "host"},
		{"bad port", &mail.SMTPConfig{Host: "h", Port: 70000}, 70000, mail.TLSStartTLS, "port"},
		{"unknown tls", &mail.SMTPConfig{Host: "h", TLS: "ssl3"}, 587, "ssl3", "tls"},
		{"negative timeout", &mail.SMTPConfig{Host: "h", Timeout: -time.Second}, 587, mail.TLSStartTLS, "timeout"},
		{"password without user", &mail.SMTPConfig{Host: "h", Password: "p"}, 587, mail.TLSStartTLS, "username"},
		{"bad from", &mail.SMTPConfig{Host: "h", From: mail.Address{Email: "nope"}}, 587, mail.TLSStartTLS, "from.email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tt.cfg.WithDefaults()
			require.Equal(t, tt.wantPort, c.Port)
			require.Equal(t, tt.wantTLS, c.TLS)
			if tt.field != "timeout" {
				require.Equal(t, mail.DefaultTimeout, c.Timeout)
			}
			require.NotNil(t, c.Clock)
			_, err := mail.NewSMTP(tt.cfg)
			if tt.field == "" {
				require.NoError(t, err)
				return
			}
			var verr *validation.Error
			require.ErrorAs(t, err, &verr)
			require.True(t, verr.Has(tt.field, ""), "%v", verr)
		})
	}
}

func TestSMTPConfigNeverShowsThePassword(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-秘密"
	cfg := mail.SMTPConfig{
		Host: "smtp.example.jp", Username: "kiroku", Password: secret, From: taro,
	}
	var jsonLog, textLog bytes.Buffer
	slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("mail configured", "smtp", cfg)
	slog.New(slog.NewTextHandler(&textLog, nil)).Info("mail configured", "smtp", &cfg)
	outputs := map[string]string{
		"%v":  fmt.Sprintf("%v", cfg),
		"%+v": fmt.Sprintf("%+v", cfg),
		"%#v": fmt.Sprintf("%#v", cfg),
		//lint:ignore S1025 the test is about what fmt prints
		"%s ptr":    fmt.Sprintf("%s", &cfg),
		"%v nested": fmt.Sprintf("%v", struct{ SMTP mail.SMTPConfig }{cfg}),
		"slog json": jsonLog.String(),
		"slog text": textLog.String(),
	}
	for name, out := range outputs {
		require.NotContains(t, out, secret, name)
		require.NotContains(t, out, "hunter2", name)
		require.Contains(t, out, "REDACTED", name)
		require.Contains(t, out, "smtp.example.jp", name)
		require.Contains(t, out, "kiroku", name)
	}
	var logged struct {
		SMTP map[string]any `json:"smtp"`
	}
	require.NoError(t, json.Unmarshal(jsonLog.Bytes(), &logged))
	require.Equal(t, "[REDACTED]", logged.SMTP["password"])
	require.Equal(t, "smtp.example.jp", logged.SMTP["host"])

	// Without a password there is nothing to redact.
	require.NotContains(t, fmt.Sprint(mail.SMTPConfig{Host: "h"}), "REDACTED")
}

func TestSenderFunc(t *testing.T) {
	t.Parallel()
	var got mail.Message
	var s mail.Sender = mail.SenderFunc(func(_ context.Context, m mail.Message) error {
		got = m
		return nil
	})
	m := mail.Message{To: []mail.Address{hanako}, Subject: subject, Text: "本文"}
	require.NoError(t, s.Send(context.Background(), m))
	require.Equal(t, m, got)
}

func TestAddressString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr mail.Address
		want string
	}{
		{mail.Address{Email: "hanako@example.jp"}, "<hanako@example.jp>"},
		{mail.Address{Name: "Hanako Tanaka", Email: "hanako@example.jp"}, `"Hanako Tanaka" <hanako@example.jp>`},
		{hanako, "=?utf-8?q?=E7=94=B0=E4=B8=AD_=E8=8A=B1=E5=AD=90?= <hanako@example.jp>"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tt.addr.String())
		back, err := netmail.ParseAddress(tt.addr.String())
		require.NoError(t, err)
		require.Equal(t, tt.addr.Name, back.Name)
		require.Equal(t, tt.addr.Email, back.Address)
	}
	require.True(t, mail.Address{}.IsZero())
	require.Empty(t, mail.Address{}.String())
	require.False(t, hanako.IsZero())
}
