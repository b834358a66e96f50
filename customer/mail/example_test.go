package mail_test

import (
	"context"
	"fmt"

	"github.com/kirokuhq/kiroku/customer/mail"
)

// An embedder (or a test) that delivers mail its own way plugs in a
// SenderFunc.
func ExampleSenderFunc() {
	var sender mail.Sender = mail.SenderFunc(func(_ context.Context, m mail.Message) error {
		fmt.Printf("to %s: %s\n", m.To[0].Email, m.Subject)
		return nil
	})
	_ = sender.Send(context.Background(), mail.Message{
		To:      []mail.Address{{Name: "田中 花子", Email: "hanako@example.jp"}},
		Subject: "「面談記録のご報告」",
		Text:    "本日の面談記録をお送りします。",
	})
	// Output: to hanako@example.jp: 「面談記録のご報告」
}

// Japanese display names are RFC 2047 encoded on the wire.
func ExampleAddress_String() {
	fmt.Println(mail.Address{Name: "田中 花子", Email: "hanako@example.jp"})
	// Output: =?utf-8?q?=E7=94=B0=E4=B8=AD_=E8=8A=B1=E5=AD=90?= <hanako@example.jp>
}

// The configuration can be printed and logged: the password is redacted.
func ExampleSMTPConfig_String() {
	cfg := mail.SMTPConfig{Host: "smtp.example.jp", Username: "kiroku", Password: "hunter2"}
	fmt.Println(cfg.WithDefaults())
	// Output: SMTPConfig{Host:smtp.example.jp Port:587 Username:kiroku Password:[REDACTED] TLS:starttls From: Timeout:30s}
}
