package app

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		EnvPostgres:      "postgres://u@db/kiroku",
		EnvSMTPPassword:  "s3cret",
		EnvEncryptionKey: strings.Repeat("ab", 32),
		EnvAddr:          "0.0.0.0:9000",
	}
	c, err := Parse([]string{"-addr", "127.0.0.1:9999", "-smtp-port", "2525", "-demo"}, func(k string) string { return env[k] }, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9999", c.Addr, "a flag wins over its variable")
	require.Equal(t, "postgres://u@db/kiroku", c.Postgres)
	require.Equal(t, "s3cret", c.SMTPPassword)
	require.Equal(t, 2525, c.SMTPPort)
	require.Len(t, c.EncryptionKey, 32)
	require.True(t, c.Demo)
	require.Equal(t, "http://127.0.0.1:9999", c.BaseURL)
	require.Equal(t, "kiroku-data/plugins", c.PluginDir)
	require.False(t, c.SecureCookies)

	require.Equal(t, DefaultReadHeaderTimeout, c.ReadHeaderTimeout)
	require.Equal(t, DefaultBodyTimeout, c.BodyTimeout)
	require.Equal(t, int64(DefaultBodyMinRate), c.BodyMinRate)

	slow := map[string]string{EnvBodyTimeout: "1m", EnvBodyMinRate: "4096", EnvReadHeaderTimeout: "5s", EnvLoginAddressLimit: "50", EnvPDFPhotoDPI: "200"}
	c, err = Parse([]string{"-body-min-rate", "2048"}, func(k string) string { return slow[k] }, io.Discard)
	require.NoError(t, err)
	require.Equal(t, time.Minute, c.BodyTimeout)
	require.Equal(t, int64(2048), c.BodyMinRate, "a flag wins over its variable")
	require.Equal(t, 5*time.Second, c.ReadHeaderTimeout)
	require.Equal(t, 50, c.LoginAddressLimit)
	require.Equal(t, 200, c.PDFPhotoDPI)

	c, err = Parse([]string{"-base-url", "https://crm.example.jp/"}, func(string) string { return "" }, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "https://crm.example.jp", c.BaseURL)
	require.True(t, c.SecureCookies, "https implies Secure cookies")

	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-smtp-port", "x"}, nil, "smtp-port"},
		{[]string{"-smtp-tls", "ssl"}, nil, "smtp-tls"},
		{[]string{"-base-url", "ftp://x"}, nil, "base-url"},
		{[]string{"extra"}, nil, "unexpected argument"},
		{nil, map[string]string{EnvEncryptionKey: "short"}, EnvEncryptionKey},
		{nil, map[string]string{EnvBodyTimeout: "30"}, EnvBodyTimeout},
		{nil, map[string]string{EnvBodyMinRate: "8k"}, EnvBodyMinRate},
		{[]string{"-body-min-rate", "-1"}, nil, "body-min-rate"},
		{[]string{"-read-header-timeout", "-1s"}, nil, "read-header-timeout"},
		{nil, map[string]string{EnvLoginAddressLimit: "many"}, EnvLoginAddressLimit},
		{[]string{"-login-address-limit", "-1"}, nil, "login-address-limit"},
		{nil, map[string]string{EnvPDFPhotoDPI: "high"}, EnvPDFPhotoDPI},
		{[]string{"-pdf-photo-dpi", "-1"}, nil, "pdf-photo-dpi"},
	} {
		_, err := Parse(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
		require.ErrorContains(t, err, tc.want, tc.args)
	}
}
