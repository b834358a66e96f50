package app

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Environment variables read by Parse. A flag given on the command line wins
// over its variable.
const (
	EnvAddr              = "KIROKU_ADDR"
	EnvData              = "KIROKU_DATA"
	EnvPostgres          = "KIROKU_POSTGRES_URL"
	EnvPluginDir         = "KIROKU_PLUGIN_DIR"
	EnvBaseURL           = "KIROKU_BASE_URL"
	EnvAdminEmail        = "KIROKU_ADMIN_EMAIL"
	EnvAdminPassword     = "KIROKU_ADMIN_PASSWORD" // environment only: flags show in ps
	EnvSMTPHost          = "KIROKU_SMTP_HOST"
	EnvSMTPPort          = "KIROKU_SMTP_PORT"
	EnvSMTPUser          = "KIROKU_SMTP_USER"
	EnvSMTPPassword      = "KIROKU_SMTP_PASSWORD" // environment only
	EnvSMTPTLS           = "KIROKU_SMTP_TLS"
	EnvMailFrom          = "KIROKU_MAIL_FROM"
	EnvEncryptionKey     = "KIROKU_ENCRYPTION_KEY" // environment only; 32 bytes, hex or base64
	EnvMetricsToken      = "KIROKU_METRICS_TOKEN"  // environment only
	EnvLoginAddressLimit = "KIROKU_LOGIN_ADDRESS_LIMIT"
	EnvPortalSMSPlugin   = "KIROKU_PORTAL_SMS_PLUGIN"
	EnvPDFPhotoDPI       = "KIROKU_PDF_PHOTO_DPI"

	EnvReadHeaderTimeout = "KIROKU_READ_HEADER_TIMEOUT"
	EnvBodyTimeout       = "KIROKU_BODY_TIMEOUT"
	EnvBodyMinRate       = "KIROKU_BODY_MIN_RATE"

	// The standard OpenTelemetry variables: either turns trace export on.
	EnvOTLPEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvOTLPTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
)

// Defaults of the slow-client limits in Config.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultBodyTimeout       = 30 * time.Second
	DefaultBodyMinRate       = 8 << 10 // bytes per second: 64 kbit/s
)

// Config is the server's configuration.
type Config struct {
	// Addr is the listen address. Default 127.0.0.1:8080.
	Addr string
	// DataDir holds the SQLite database, attachments, plugins and mails
	// written without SMTP. Default ./kiroku-data.
	DataDir string
	// Postgres is a PostgreSQL DSN; empty means SQLite in DataDir.
	Postgres string
	// PluginDir is searched for kiroku-plugin-* executables. Default
	// DataDir/plugins (when it exists).
	PluginDir string
	// BaseURL is the server's public URL, used in links in mails and in
	// the first start's setup link. Default http://<Addr>.
	BaseURL string
	// AdminEmail is the login of the administrator the first start creates.
	// Default admin@example.com.
	AdminEmail string
	// AdminPassword, when set, is the first administrator's password;
	// otherwise the first start prints a single-use setup link.
	AdminPassword string
	// SMTP settings; without SMTPHost mails are written as .eml files to
	// DataDir/mail.
	SMTPHost     string
	SMTPPort     int
	SMTPUser     string
	SMTPPassword string
	SMTPTLS      string
	MailFrom     string
	// EncryptionKey, when set (32 bytes), encrypts attachments at rest.
	EncryptionKey []byte
	// Demo loads the demo data set into the first tenant when it has no
	// customers yet.
	Demo bool
	// SecureCookies marks cookies Secure. Default: when BaseURL is https.
	SecureCookies bool
	// MetricsToken, when set, serves /metrics (Prometheus) to requests
	// carrying "Authorization: Bearer <MetricsToken>". Default: /metrics
	// is not served.
	MetricsToken string
	// ReadHeaderTimeout is how long a client has to send a request's
	// headers. Default DefaultReadHeaderTimeout (10 s).
	ReadHeaderTimeout time.Duration
	// BodyTimeout and BodyMinRate bound how long a client may take to send
	// a request body: the body must be complete within BodyTimeout plus
	// one second per BodyMinRate bytes received, that is, after the first
	// BodyTimeout it must have arrived at BodyMinRate bytes per second on
	// average. A client that falls behind has its connection closed, so a
	// trickling upload or JSON body (slow loris) holds a connection for
	// BodyTimeout at most unless it keeps paying the rate in bandwidth,
	// while a phone on a slow line still sends 30 MB: at the defaults
	// (30 s, 8 KiB/s = 64 kbit/s, far below a mobile uplink) the body may
	// take up to about an hour. The time after the body is read (image
	// processing, the response) is not limited.
	BodyTimeout time.Duration
	BodyMinRate int64
	// LoginAddressLimit failed logins from one client address within 15
	// minutes lock that address's logins for 15 minutes: staff logins and
	// customer-portal logins, counted apart (auth.Config.AddressFailures).
	// Default 20.
	LoginAddressLimit int
	// PDFPhotoDPI, when positive, scales the photos of exported PDFs down
	// to this resolution at their size on the page (pdf.Config.PhotoDPI):
	// far smaller files, for mail, but slower exports. Default 0: photos
	// as stored.
	PDFPhotoDPI int
	// PortalSMSPlugin names the notification plugin that sends the
	// customer portal's SMS invitations (a plugin with a Notifier that
	// texts the mobile number it is given); tenants that installed it can
	// invite by SMS. Default: none, and SMS invitations are refused.
	PortalSMSPlugin string
	// Traces exports the engines' spans over OTLP/HTTP to the endpoint of
	// the OTEL_EXPORTER_OTLP_* variables. Default: when one of
	// EnvOTLPEndpoint and EnvOTLPTracesEndpoint is set.
	Traces bool
}

// Parse reads the command line (without the program name) and the
// environment (getenv) into a Config. -h prints the usage to out.
func Parse(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("kiroku-server", flag.ContinueOnError)
	fs.SetOutput(out)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.Addr, "addr", env(EnvAddr, "127.0.0.1:8080"), "listen address ("+EnvAddr+")")
	fs.StringVar(&c.DataDir, "data", env(EnvData, "kiroku-data"), "data directory: SQLite database, files, plugins ("+EnvData+")")
	fs.StringVar(&c.Postgres, "postgres", env(EnvPostgres, ""), "PostgreSQL DSN; empty = SQLite in the data directory ("+EnvPostgres+")")
	fs.StringVar(&c.PluginDir, "plugins", env(EnvPluginDir, ""), "plugin directory (default <data>/plugins) ("+EnvPluginDir+")")
	fs.StringVar(&c.BaseURL, "base-url", env(EnvBaseURL, ""), "public URL for links in mails (default http://<addr>) ("+EnvBaseURL+")")
	fs.StringVar(&c.AdminEmail, "admin-email", env(EnvAdminEmail, "admin@example.com"), "login of the first administrator ("+EnvAdminEmail+")")
	fs.StringVar(&c.SMTPHost, "smtp-host", env(EnvSMTPHost, ""), "SMTP server; empty = write mails to <data>/mail ("+EnvSMTPHost+")")
	port := fs.String("smtp-port", env(EnvSMTPPort, ""), "SMTP port (default by TLS mode) ("+EnvSMTPPort+")")
	fs.StringVar(&c.SMTPUser, "smtp-user", env(EnvSMTPUser, ""), "SMTP user; the password comes from "+EnvSMTPPassword+" ("+EnvSMTPUser+")")
	fs.StringVar(&c.SMTPTLS, "smtp-tls", env(EnvSMTPTLS, "starttls"), "SMTP TLS mode: starttls, implicit or none ("+EnvSMTPTLS+")")
	fs.StringVar(&c.MailFrom, "mail-from", env(EnvMailFrom, ""), "author address of mails ("+EnvMailFrom+")")
	fs.DurationVar(&c.ReadHeaderTimeout, "read-header-timeout", 0, "time a client has to send request headers (default 10s) ("+EnvReadHeaderTimeout+")")
	fs.DurationVar(&c.BodyTimeout, "body-timeout", 0, "time a request body has before -body-min-rate applies (default 30s) ("+EnvBodyTimeout+")")
	fs.Int64Var(&c.BodyMinRate, "body-min-rate", 0, "bytes per second a request body must average after -body-timeout (default 8192) ("+EnvBodyMinRate+")")
	fs.StringVar(&c.PortalSMSPlugin, "portal-sms-plugin", env(EnvPortalSMSPlugin, ""), "notification plugin that sends the portal's SMS invitations ("+EnvPortalSMSPlugin+")")
	fs.IntVar(&c.LoginAddressLimit, "login-address-limit", 0, "failed logins from one client address in 15 minutes that lock it for 15 minutes, staff and customer portal counted apart (default 20) ("+EnvLoginAddressLimit+")")
	fs.IntVar(&c.PDFPhotoDPI, "pdf-photo-dpi", 0, "scale PDF photos down to this resolution, e.g. 200: smaller files, slower exports (default 0: as stored) ("+EnvPDFPhotoDPI+")")
	fs.BoolVar(&c.Demo, "demo", false, "load the demo data set on first start")
	fs.BoolVar(&c.SecureCookies, "secure-cookies", false, "mark cookies Secure (default: when the base URL is https)")
	if err := envDefaults(&c, getenv); err != nil {
		return Config{}, err
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.AdminPassword = getenv(EnvAdminPassword)
	c.SMTPPassword = getenv(EnvSMTPPassword)
	c.MetricsToken = getenv(EnvMetricsToken)
	c.Traces = getenv(EnvOTLPEndpoint) != "" || getenv(EnvOTLPTracesEndpoint) != ""
	if *port != "" {
		p, err := strconv.Atoi(*port)
		if err != nil || p <= 0 || p > 65535 {
			return Config{}, fmt.Errorf("-smtp-port: %q is not a port number", *port)
		}
		c.SMTPPort = p
	}
	if k := getenv(EnvEncryptionKey); k != "" {
		k = strings.TrimSpace(k)
		key, err := hex.DecodeString(k)
		if err != nil {
			key, err = base64.StdEncoding.DecodeString(k)
		}
		if err != nil || len(key) != 32 {
			return Config{}, errors.New(EnvEncryptionKey + " must be 32 random bytes in hex or base64 (openssl rand -hex 32)")
		}
		c.EncryptionKey = key
	}
	return c, c.complete()
}

// envDefaults reads the slow-client and login limits from the environment; the
// flags, parsed afterwards, override them.
func envDefaults(c *Config, getenv func(string) string) error {
	for _, d := range []struct {
		name string
		to   *time.Duration
	}{{EnvReadHeaderTimeout, &c.ReadHeaderTimeout}, {EnvBodyTimeout, &c.BodyTimeout}} {
		if v := getenv(d.name); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%s: %q is not a duration (30s, 2m)", d.name, v)
			}
			*d.to = t
		}
	}
	if v := getenv(EnvBodyMinRate); v != "" {
		r, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("%s: %q is not a number of bytes per second", EnvBodyMinRate, v)
		}
		c.BodyMinRate = r
	}
	if err := intEnv(getenv, EnvLoginAddressLimit, "number of failed logins", &c.LoginAddressLimit); err != nil {
		return err
	}
	return intEnv(getenv, EnvPDFPhotoDPI, "resolution in dpi", &c.PDFPhotoDPI)
}

// intEnv sets *dst from the environment variable name when it is set; what
// names the value in the error for one that is not a whole number.
func intEnv(getenv func(string) string, name, what string, dst *int) error {
	v := getenv(name)
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("%s: %q is not a %s", name, v, what)
	}
	*dst = n
	return nil
}

// complete fills the defaults that depend on other settings and checks them.
func (c *Config) complete() error {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.DataDir == "" {
		c.DataDir = "kiroku-data"
	}
	if c.PluginDir == "" {
		c.PluginDir = filepath.Join(c.DataDir, "plugins")
	}
	if c.AdminEmail == "" {
		c.AdminEmail = "admin@example.com"
	}
	if c.BaseURL == "" {
		host := c.Addr
		if strings.HasPrefix(host, ":") {
			host = "localhost" + host
		}
		c.BaseURL = "http://" + host
	}
	if c.ReadHeaderTimeout == 0 {
		c.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if c.BodyTimeout == 0 {
		c.BodyTimeout = DefaultBodyTimeout
	}
	if c.BodyMinRate == 0 {
		c.BodyMinRate = DefaultBodyMinRate
	}
	switch {
	case c.ReadHeaderTimeout < 0:
		return fmt.Errorf("-read-header-timeout: %s is negative", c.ReadHeaderTimeout)
	case c.BodyTimeout < 0:
		return fmt.Errorf("-body-timeout: %s is negative", c.BodyTimeout)
	case c.BodyMinRate < 0:
		return fmt.Errorf("-body-min-rate: %d is negative", c.BodyMinRate)
	case c.LoginAddressLimit < 0:
		return fmt.Errorf("-login-address-limit: %d is negative", c.LoginAddressLimit)
	case c.PDFPhotoDPI < 0:
		return fmt.Errorf("-pdf-photo-dpi: %d is negative", c.PDFPhotoDPI)
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-base-url: %q is not an http(s) URL", c.BaseURL)
	}
	c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
	if u.Scheme == "https" {
		c.SecureCookies = true
	}
	switch c.SMTPTLS {
	case "", "starttls", "implicit", "none":
	default:
		return fmt.Errorf("-smtp-tls: %q is not starttls, implicit or none", c.SMTPTLS)
	}
	if _, err := os.Stat(c.PluginDir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("plugin directory: %w", err)
	}
	return nil
}
