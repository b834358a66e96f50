package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/app"
	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
	"github.com/kirokuhq/kiroku/examples/server/internal/web"
	"github.com/kirokuhq/kiroku/internal/dbopen"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

const (
	procAdmin    = "admin@example.com"
	procPassword = "process test password 記録"
)

// proc is a server process started by the test.
type proc struct {
	base string
	data string
	cmd  *exec.Cmd
	out  *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// buildServer builds this command into a temporary directory.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kiroku-server")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// startServer starts the binary on the PostgreSQL DSN with its own data
// directory and waits until it answers /healthz.
func startServer(t *testing.T, bin, dsn string) *proc {
	t.Helper()
	addr := freeAddr(t)
	p := &proc{base: "http://" + addr, data: t.TempDir(), out: &lockedBuffer{}}
	p.cmd = exec.Command(bin, "-addr", addr, "-data", p.data)
	p.cmd.Env = append(os.Environ(), app.EnvPostgres+"="+dsn, app.EnvAdminPassword+"="+procPassword,
		app.EnvAdminEmail+"="+procAdmin)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	require.NoError(t, p.cmd.Start())
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("server %s output:\n%s", addr, p.out.String())
		}
	})
	require.Eventually(t, func() bool {
		res, err := http.Get(p.base + "/healthz")
		if err != nil {
			return false
		}
		_ = res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 60*time.Second, 100*time.Millisecond, "server did not start:\n%s", p.out)
	return p
}

// mails counts the .eml files the process wrote.
func (p *proc) mails(t *testing.T) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(p.data, "mail", "*.eml"))
	require.NoError(t, err)
	return len(files)
}

// freshSchema creates a schema for the test and returns the DSN bound to it.
func freshSchema(t *testing.T) string {
	t.Helper()
	base := os.Getenv(dbtest.EnvPostgres)
	if base == "" {
		t.Skip(dbtest.EnvPostgres + " is not set")
	}
	adminDSN, err := dbopen.PostgresDSN(base, "")
	require.NoError(t, err)
	admin, err := dbopen.OpenPostgres(adminDSN)
	require.NoError(t, err)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "kiroku_proc_" + hex.EncodeToString(b[:])
	_, err = admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		_ = admin.Close()
	})
	dsn, err := dbopen.PostgresDSN(base, schema)
	require.NoError(t, err)
	return dsn
}

// TestTwoProcessesShareState starts two real server processes on one
// PostgreSQL schema: a session opened on one is honoured by the other, and
// outbox mails enqueued while both run are delivered exactly once between
// their dispatchers.
func TestTwoProcessesShareState(t *testing.T) {
	t.Parallel()
	dsn := freshSchema(t)
	ctx := context.Background()

	// A direct handle on the same schema (no dispatcher) migrates it and
	// arranges data, like a third process would.
	direct, err := app.Open(ctx, app.Config{Postgres: dsn, DataDir: t.TempDir(), AdminEmail: procAdmin,
		AdminPassword: procPassword}, app.Options{NoDispatcher: true})
	require.NoError(t, err)
	t.Cleanup(direct.Close)
	boot, err := direct.Bootstrap(ctx)
	require.NoError(t, err)

	bin := buildServer(t)
	a := startServer(t, bin, dsn)
	b := startServer(t, bin, dsn)

	// Sessions: log in on A, use the cookie on B.
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	client := &http.Client{CheckRedirect: noRedirect, Timeout: 30 * time.Second}
	res, err := client.PostForm(a.base+"/login", url.Values{"email": {procAdmin}, "password": {procPassword}})
	require.NoError(t, err)
	_ = res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	var token string
	for _, c := range res.Cookies() {
		if c.Name == web.SessionCookie {
			token = c.Value
		}
	}
	require.NotEmpty(t, token)
	sess, err := direct.Auth.Session(ctx, token)
	require.NoError(t, err)

	logout := func(base, cookie string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, base+"/logout",
			strings.NewReader(url.Values{"_csrf": {sess.CSRF}}.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: cookie})
		res, err := client.Do(req)
		require.NoError(t, err)
		_ = res.Body.Close()
		return res
	}
	// An unknown session on B changes nothing; A's session on B logs out.
	logout(b.base, "not-a-session")
	_, err = direct.Auth.Session(ctx, token)
	require.NoError(t, err, "the session survives a request without it")
	res = logout(b.base, token)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	_, err = direct.Auth.Session(ctx, token)
	require.ErrorIs(t, err, auth.ErrNoSession, "process B ended the session process A opened")

	// Outbox: report-to mails enqueued in waves while both processes poll.
	staff, err := direct.Dir.SaveUser(ctx, permission.User{Tenant: boot.Tenant, Name: "報告 先子",
		Kana: "ホウコク サキコ", Email: "report@example.com", Roles: []permission.Role{permission.RoleStaff}, Active: true})
	require.NoError(t, err)
	p, err := direct.Principal(ctx, boot.Tenant, boot.Admin)
	require.NoError(t, err)
	actx := permission.WithPrincipal(ctx, p)
	cust, err := direct.Customers.Create(actx, customerProfile())
	require.NoError(t, err)
	const waves, perWave = 12, 5
	for w := range waves {
		for i := range perWave {
			_, err := direct.Records.Create(actx, contactlog.Entry{Template: "builtin:interview", Customer: cust.ID,
				PublicMemo: fmt.Sprintf("報告 %d-%d", w, i), ReportTo: []uuid.UUID{staff.ID}})
			require.NoError(t, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	const n = waves * perWave
	require.Eventually(t, func() bool { return a.mails(t)+b.mails(t) >= n }, 60*time.Second, 100*time.Millisecond)
	time.Sleep(2 * time.Second) // a duplicate delivery would show up now
	ma, mb := a.mails(t), b.mails(t)
	t.Logf("mails delivered: A %d, B %d", ma, mb)
	require.Equal(t, n, ma+mb, "each mail exactly once")
	require.Positive(t, ma, "process A's dispatcher delivered")
	require.Positive(t, mb, "process B's dispatcher delivered")
	var pending int
	require.NoError(t, direct.DB.NewSelect().TableExpr("outbox_messages").ColumnExpr("count(*)").
		Where("status <> 'delivered'").Scan(ctx, &pending))
	require.Zero(t, pending)
}

func customerProfile() customer.Profile {
	return customer.Profile{Kind: customer.Individual, FamilyName: "山田", GivenName: "花子", FamilyKana: "ヤマダ",
		GivenKana: "ハナコ"}
}
