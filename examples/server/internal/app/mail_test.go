package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/customer/mail"
)

// Without SMTP, mails are written to DataDir/mail as .eml files named and
// dated by the application's clock, not the wall clock.
func TestMailSpoolFollowsClock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	at := time.Date(2031, 4, 1, 9, 30, 15, 0, time.FixedZone("JST", 9*3600))
	sender, err := newMailer(Config{DataDir: dir}, func() time.Time { return at })
	require.NoError(t, err)
	require.NoError(t, sender.Send(context.Background(), mail.Message{
		From: mail.Address{Email: "kiroku@example.jp"}, To: []mail.Address{{Name: "山田 花子", Email: "hanako@example.jp"}},
		Subject: "面談のご報告", Text: "本日はありがとうございました。",
	}))
	files, err := filepath.Glob(filepath.Join(dir, "mail", "*.eml"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	require.Regexp(t, `/20310401T003015-[0-9a-f-]{36}\.eml$`, files[0])
	raw, err := os.ReadFile(files[0])
	require.NoError(t, err)
	require.Contains(t, string(raw), "Date: Tue, 01 Apr 2031 09:30:15 +0900")
}
