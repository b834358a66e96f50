package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	gomail "github.com/wneessen/go-mail"

	"github.com/kirokuhq/kiroku/customer/mail"
)

// newMailer returns the SMTP mailer of the configuration or, without an SMTP
// host, one that writes each mail as an .eml file to DataDir/mail, so that an
// evaluation install shows what would have been sent, dated by clock.
func newMailer(cfg Config, clock func() time.Time) (mail.Sender, error) {
	if cfg.SMTPHost != "" {
		return mail.NewSMTP(&mail.SMTPConfig{
			Host: cfg.SMTPHost, Port: cfg.SMTPPort, Username: cfg.SMTPUser, Password: cfg.SMTPPassword,
			TLS: mail.TLSMode(cfg.SMTPTLS), From: mail.Address{Email: cfg.MailFrom},
		})
	}
	dir := filepath.Join(cfg.DataDir, "mail")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	return mail.SenderFunc(func(_ context.Context, m mail.Message) error {
		return writeEML(dir, m, clock())
	}), nil
}

// writeEML writes m, sent at now, as a MIME file named after that time and
// a random ID.
func writeEML(dir string, m mail.Message, now time.Time) error {
	msg := gomail.NewMsg()
	if err := msg.FromFormat(m.From.Name, m.From.Email); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	for _, to := range m.To {
		if err := msg.AddToFormat(to.Name, to.Email); err != nil {
			return fmt.Errorf("mail to: %w", err)
		}
	}
	if m.ReplyTo.Email != "" {
		if err := msg.ReplyToFormat(m.ReplyTo.Name, m.ReplyTo.Email); err != nil {
			return fmt.Errorf("mail reply-to: %w", err)
		}
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(now)
	if m.Text != "" {
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		if m.HTML != "" {
			msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
		}
	} else {
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	}
	name := now.UTC().Format("20060102T150405") + "-" + uuid.NewString() + ".eml"
	return msg.WriteToFile(filepath.Join(dir, name))
}
