package mail_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// TestMain fails the package when any goroutine outlives the tests.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// verifyNoLeaks checks, once t and its subtests are done and cleaned up,
// that no goroutine they started is left. Tests using it are not parallel:
// parallel top-level tests are held back while they run.
func verifyNoLeaks(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// received is one message accepted by the test server.
type received struct {
	From string
	To   []string
	Data []byte
	User string // the authenticated user, if any
}

// serverOptions shape the test server.
type serverOptions struct {
	tls       *tls.Config // offered with STARTTLS, or from the first byte when implicit
	implicit  bool
	user      string // when set, AUTH PLAIN is offered and required
	password  string
	rejectTo  map[string]*smtp.SMTPError // RCPT replies by address
	rejectAll *smtp.SMTPError            // DATA reply
}

// server is a real SMTP server (github.com/emersion/go-smtp) on
// 127.0.0.1:0 that records what it accepts.
type server struct {
	host string
	port int

	mu       sync.Mutex
	msgs     []received
	authTry  []string // passwords tried with AUTH
	sessions int
}

func startServer(t *testing.T, o serverOptions) *server {
	t.Helper()
	srv := &server{}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		srv.mu.Lock()
		srv.sessions++
		srv.mu.Unlock()
		return &session{srv: srv, opts: o}, nil
	})
	s := smtp.NewServer(be)
	s.Domain = "localhost"
	s.AllowInsecureAuth = true // AUTH PLAIN without TLS: test server on 127.0.0.1 only
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	s.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	if o.tls != nil {
		if o.implicit {
			l = tls.NewListener(l, o.tls)
		} else {
			s.TLSConfig = o.tls
		}
	}
	addr := l.Addr().(*net.TCPAddr)
	srv.host, srv.port = addr.IP.String(), addr.Port
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

func (s *server) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

func (s *server) passwordsTried() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.authTry...)
}

func (s *server) sessionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

type session struct {
	srv  *server
	opts serverOptions
	user string
	cur  received
}

func (ss *session) AuthMechanisms() []string {
	if ss.opts.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		ss.srv.mu.Lock()
		ss.srv.authTry = append(ss.srv.authTry, password)
		ss.srv.mu.Unlock()
		if username != ss.opts.user || password != ss.opts.password {
			return smtp.ErrAuthFailed
		}
		ss.user = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.opts.user != "" && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.cur = received{From: from, User: ss.user}
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.opts.rejectTo[to]; err != nil {
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
	if ss.opts.rejectAll != nil {
		return ss.opts.rejectAll
	}
	ss.cur.Data = b
	ss.srv.mu.Lock()
	ss.srv.msgs = append(ss.srv.msgs, ss.cur)
	ss.srv.mu.Unlock()
	return nil
}

func (ss *session) Reset()        { ss.cur = received{} }
func (ss *session) Logout() error { return nil }

// silentServer accepts connections and never says a word: a hung server.
func silentServer(t *testing.T) (host string, port int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	a := l.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

// closedPort returns a local port nobody listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

// testCert is a self-signed certificate for 127.0.0.1 and localhost, with
// a pool that trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kiroku test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
