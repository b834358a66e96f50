package plugins

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"go.uber.org/goleak"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// binDir holds the host's test plugin (testplugin.Misbehaving) built once:
// kiroku-plugin-visit, and the same binary as kiroku-plugin-vone (the
// previous protocol version, 1). careBin and ramenBin are the care-service and ramen-shop
// plugins, built outside binDir (which TestDiscoveryAndClose lists).
var binDir, careBin, ramenBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kiroku-plugins-")
	if err != nil {
		panic(err)
	}
	visit := filepath.Join(dir, FilePrefix+"visit")
	if out, err := exec.Command("go", "build", "-o", visit, "./internal/testplugin/cmd/kiroku-plugin-misbehave").CombinedOutput(); err != nil {
		panic(string(out))
	}
	if out, err := exec.Command("cp", visit, filepath.Join(dir, FilePrefix+"vone")).CombinedOutput(); err != nil {
		panic(string(out))
	}
	// The template-version tests' plugin tv, and its upgrade, outside dir
	// itself, which TestDiscoveryAndClose reads.
	for _, sub := range []string{"tv", "upgraded"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			panic(err)
		}
		if out, err := exec.Command("cp", visit, filepath.Join(dir, sub, FilePrefix+"tv")).CombinedOutput(); err != nil {
			panic(string(out))
		}
	}
	careBin = filepath.Join(dir, "care", FilePrefix+"careservice")
	if out, err := exec.Command("go", "build", "-o", careBin, "./careservice/cmd/kiroku-plugin-careservice").CombinedOutput(); err != nil {
		panic(string(out))
	}
	ramenBin = filepath.Join(dir, "ramen", FilePrefix+"ramenshop")
	if out, err := exec.Command("go", "build", "-o", ramenBin, "./ramenshop/cmd/kiroku-plugin-ramenshop").CombinedOutput(); err != nil {
		panic(string(out))
	}
	binDir = dir
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		_ = os.RemoveAll(dir)
		os.Exit(code)
	}))
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newHost starts a host of the named test plugins with short timeouts,
// logging to cfg.Logger or nowhere.
func newHost(t testing.TB, cfg Config, names ...string) *Host {
	t.Helper()
	for _, n := range names {
		cfg.Plugins = append(cfg.Plugins, Spec{Path: filepath.Join(binDir, FilePrefix+n)})
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet()
	}
	if cfg.RestartBackoff == 0 {
		cfg.RestartBackoff = time.Millisecond
	}
	if cfg.StartTimeout == 0 {
		// Generous: the package's tests start many plugin processes at once,
		// often while other packages build and test on the same cores.
		cfg.StartTimeout = time.Minute
	}
	h, err := New(&cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, h.Close()) })
	require.NoError(t, h.Start(context.Background()))
	return h
}

func statusOf(t *testing.T, h *Host, name string) Status {
	t.Helper()
	for _, s := range h.Status() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no status of %s", name)
	return Status{}
}

// pids returns the process IDs of the running plugins.
func pids(h *Host) []int {
	var out []int
	for _, p := range h.procs {
		p.mu.Lock()
		if p.pid != 0 && p.client != nil {
			out = append(out, p.pid)
		}
		p.mu.Unlock()
	}
	return out
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// world is a migrated database with a tenant, a staff principal, and a
// record engine wired to a host of the visit plugin.
type world struct {
	h     *Host
	svc   *contactlog.Service
	staff context.Context
}

func setup(t *testing.T, db *bun.DB, cfg Config) *world {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, Migrate(ctx, db))
	st, err := template.NewStore(db, nil)
	require.NoError(t, err)
	cfg.Templates, cfg.DB = template.NewRegistry(st), db
	h := newHost(t, cfg, "visit")
	dir, err := permission.NewDirectory(db, nil)
	require.NoError(t, err)
	svc, err := contactlog.NewService(db, &contactlog.Config{Authorizer: permission.Unrestricted(), Directory: dir, Templates: cfg.Templates, Plugins: h})
	require.NoError(t, err)
	staff := newStaff(t, db)
	installIn(t, db, tenantOf(staff), "visit")
	return &world{h: h, svc: svc, staff: staff}
}

// installIn marks the plugins called names installed in tenant, as
// Host.Install does after contributing their masters and fields.
func installIn(t testing.TB, db bun.IDB, tenant uuid.UUID, names ...string) {
	t.Helper()
	for _, n := range names {
		_, err := db.NewInsert().Model(&installationRow{Tenant: tenant, Plugin: n, InstalledAt: time.Now()}).Exec(context.Background())
		require.NoError(t, err)
	}
}

func tenantOf(ctx context.Context) uuid.UUID {
	pr, _ := permission.FromContext(ctx)
	return pr.Tenant
}

// installedHost starts a host of the named test plugins (as newHost)
// keeping its installations in a migrated SQLite database, where a tenant
// installed them, and returns it with the tenant.
func installedHost(t testing.TB, cfg Config, names ...string) (*Host, uuid.UUID) {
	t.Helper()
	db := dbtest.SQLite(t)
	require.NoError(t, Migrate(context.Background(), db))
	cfg.DB = db
	h := newHost(t, cfg, names...)
	tenant := tenantOf(newStaff(t, db))
	installIn(t, db, tenant, names...)
	return h, tenant
}

// newStaff creates a tenant with a staff user and returns the staff's
// principal as a context.
func newStaff(t testing.TB, db *bun.DB) context.Context {
	t.Helper()
	ctx := context.Background()
	dir, err := permission.NewDirectory(db, time.Now)
	require.NoError(t, err)
	tenant, err := dir.CreateTenant(ctx, permission.Tenant{Name: "訪問介護ひまわり"})
	require.NoError(t, err)
	u, err := dir.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: "介護 花子", Email: "hanako@example.jp", Roles: []permission.Role{permission.RoleStaff}, Active: true})
	require.NoError(t, err)
	p, err := dir.Principal(ctx, tenant.ID, u.ID)
	require.NoError(t, err)
	return permission.WithPrincipal(ctx, p)
}

func logEntry(minutes int, note string) contactlog.Entry {
	return contactlog.Entry{Template: "visit:log", Values: map[string]any{"minutes": minutes, "note": note}}
}

// count returns how many records of the visit template the staff sees.
func (w *world) count(t *testing.T) int {
	t.Helper()
	page, err := w.svc.Search(w.staff, contactlog.Query{Templates: []string{"visit:log"}})
	require.NoError(t, err)
	return len(page.Records)
}

func TestCreateThroughPlugin(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		w := setup(t, db, Config{})

		r, err := w.svc.Create(w.staff, contactlog.Entry{Template: "visit:log", Values: map[string]any{"minutes": "1時間半", "units": 99}})
		require.NoError(t, err)
		require.EqualValues(t, 90, r.Values["minutes"])
		require.EqualValues(t, 3, r.Values["units"], "computed by the plugin; what the user entered is dropped")
		got, err := w.svc.Get(w.staff, r.ID)
		require.NoError(t, err)
		require.EqualValues(t, 3, got.Values["units"])

		_, err = w.svc.Create(w.staff, logEntry(300, ""))
		var verr *contactlog.ValidationError
		require.ErrorAs(t, err, &verr)
		require.True(t, verr.Has("fields.minutes", "out_of_range"), "%v", verr)

		s := statusOf(t, w.h, "visit")
		require.Equal(t, StateRunning, s.State)
		require.Equal(t, "1.2.3", s.Version)
		require.EqualValues(t, 2, s.Calls, "one call per write (validate and compute together)")
		require.Positive(t, s.P95Latency)
		require.Equal(t, 1, w.count(t))

		// The plugin goes away: its records stay readable, writes fail
		// naming it.
		require.NoError(t, w.h.Close())
		got, err = w.svc.Get(w.staff, r.ID)
		require.NoError(t, err)
		require.EqualValues(t, 3, got.Values["units"])
		_, err = w.svc.Create(w.staff, logEntry(30, ""))
		require.ErrorIs(t, err, contactlog.ErrUnavailable)
		require.ErrorContains(t, err, "visit")
	})
}

func TestPluginKilledMidCall(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		w := setup(t, db, Config{})
		before := pids(w.h)
		require.Len(t, before, 1)

		_, err := w.svc.Create(w.staff, logEntry(30, "crash"))
		require.ErrorIs(t, err, contactlog.ErrUnavailable)
		require.ErrorContains(t, err, "visit")
		require.Zero(t, w.count(t), "nothing written")

		r, err := w.svc.Create(w.staff, logEntry(30, "")) // waits for the restart
		require.NoError(t, err)
		require.EqualValues(t, 1, r.Values["units"])
		require.Equal(t, 1, w.count(t))
		s := statusOf(t, w.h, "visit")
		require.Equal(t, StateRunning, s.State)
		require.EqualValues(t, 1, s.Failures)
		require.Contains(t, s.LastError, "died")
		require.NotEqual(t, before, pids(w.h))
	})
}

func TestPluginKeepsCrashing(t *testing.T) {
	t.Parallel()
	h, tenant := installedHost(t, Config{MaxFailures: 2}, "visit")
	crash := []contactlog.PluginRecord{{Tenant: tenant, Template: "visit:log", Values: map[string]any{"minutes": 30.0, "note": "crash"}}}
	for range 2 {
		_, err := h.CheckRecords(context.Background(), "visit", crash)
		require.ErrorIs(t, err, ErrUnavailable)
	}
	_, err := h.CheckRecords(context.Background(), "visit", crash[:0])
	require.ErrorIs(t, err, ErrUnavailable)
	require.ErrorContains(t, err, "plugin visit is unavailable")
	require.Equal(t, StateUnavailable, statusOf(t, h, "visit").State)
	require.Empty(t, pids(h))
}

func TestHangingPlugin(t *testing.T) {
	t.Parallel()
	h, tenant := installedHost(t, Config{CallTimeout: 100 * time.Millisecond}, "visit")
	hang := []contactlog.PluginRecord{{Tenant: tenant, Template: "visit:log", Values: map[string]any{"minutes": 30.0, "note": "hang"}}}
	require.Equal(t, StateRunning, statusOf(t, h, "visit").State, "%+v", statusOf(t, h, "visit"))
	_, err := h.CheckRecords(context.Background(), "visit", hang)
	require.ErrorIs(t, err, ErrUnavailable)
	require.ErrorContains(t, err, "visit: check: no answer within 100ms")

	// A shorter ctx deadline wins, and is the caller's, not a failure.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err = h.CheckRecords(ctx, "visit", hang)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorIs(t, err, ErrUnavailable)
	// Cancelled before the installation check: the same classes of error
	// (under the race detector the 10 ms above can also run out there).
	done, stop := context.WithCancel(context.Background())
	stop()
	_, err = h.CheckRecords(done, "visit", hang)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, ErrUnavailable)
	s := statusOf(t, h, "visit")
	require.EqualValues(t, 1, s.Failures)
	require.Equal(t, StateRunning, s.State)
}

func TestProtocolVersionMismatch(t *testing.T) {
	t.Parallel()
	h := newHost(t, Config{}, "vone")
	s := statusOf(t, h, "vone")
	require.Equal(t, StateUnavailable, s.State)
	require.Contains(t, s.LastError, "plugins: vone speaks plugin protocol version 1, this Kiroku version 2: rebuild the plugin with the current plugin SDK")
	_, err := h.CheckRecords(context.Background(), "vone", nil)
	require.ErrorIs(t, err, ErrUnavailable)
	require.ErrorContains(t, err, "vone")
	require.Empty(t, pids(h))
}

func TestChecksumPinning(t *testing.T) {
	t.Parallel()
	path := filepath.Join(binDir, FilePrefix+"visit")
	h, err := New(&Config{Logger: quiet(), Plugins: []Spec{{Path: path, SHA256: strings.Repeat("0", 64)}}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, h.Close()) })
	require.NoError(t, h.Start(context.Background()))
	s := statusOf(t, h, "visit")
	require.Equal(t, StateUnavailable, s.State)
	require.Contains(t, s.LastError, "does not match the pinned")
	require.Zero(t, h.procs[0].pid, "never started")

	sum := sha256File(t, path)
	good := newHost(t, Config{Plugins: []Spec{{Path: path, SHA256: sum}}})
	require.Equal(t, StateRunning, statusOf(t, good, "visit").State)

	_, err = New(&Config{Plugins: []Spec{{Path: path, SHA256: "abc"}}})
	require.ErrorIs(t, err, ErrInvalid)
}

func TestNonsenseIsNotStored(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		w := setup(t, db, Config{})
		for _, note := range []string{"short", "bogus"} {
			_, err := w.svc.Create(w.staff, logEntry(30, note))
			require.ErrorIs(t, err, contactlog.ErrUnavailable, note)
			require.ErrorContains(t, err, "visit", note)
		}
		require.Zero(t, w.count(t))
		_, err := w.svc.Create(w.staff, logEntry(30, ""))
		require.NoError(t, err, "nonsense answers do not stop the plugin")
	})
}

func TestEnvironmentNotInherited(t *testing.T) {
	t.Setenv("KIROKU_SECRET_DSN", "postgres://secret")
	h := newHost(t, Config{}, "visit")
	p := h.procs[0]
	p.mu.Lock()
	rpc := p.rpc
	p.mu.Unlock()
	m, _, err := rpc.Manifest(context.Background(), "")
	require.NoError(t, err)
	env := m.Description // the test plugin's environment
	require.NotContains(t, env, "KIROKU_SECRET_DSN")
	require.NotContains(t, env, "PATH=")
	require.Contains(t, env, "KIROKU_PLUGIN=", "go-plugin's handshake variables only")
}

func TestDiscoveryAndClose(t *testing.T) {
	t.Parallel()
	h, err := New(&Config{Dir: binDir, Logger: quiet()})
	require.NoError(t, err)
	require.NoError(t, h.Start(context.Background()))
	st := h.Status()
	require.Len(t, st, 2)
	require.Equal(t, "visit", st[0].Name)
	require.Equal(t, StateRunning, st[0].State)
	require.Equal(t, "vone", st[1].Name)
	running := pids(h)
	require.Len(t, running, 1)
	require.True(t, alive(running[0]))
	require.NoError(t, h.Close())
	require.False(t, alive(running[0]), "no process left")
	require.Equal(t, StateStopped, h.Status()[0].State)

	_, err = New(&Config{Dir: binDir, Plugins: []Spec{{Path: filepath.Join(binDir, FilePrefix+"visit")}}})
	require.ErrorIs(t, err, ErrInvalid, "a name twice")
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestComputeFailureWithFieldErrors: an entry the engine finds problems
// with is only validated by the plugin, so a computer that would fail on
// it cannot hide what the user must fix; a plugin that cannot answer at
// all leaves those problems as the answer. ErrUnavailable is for an entry
// with nothing else wrong.
func TestComputeFailureWithFieldErrors(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		w := setup(t, db, Config{})
		_, err := w.svc.Create(w.staff, logEntry(30, "uncomputable"))
		require.ErrorIs(t, err, contactlog.ErrUnavailable, "nothing else is wrong")

		future := func(minutes int, note string) contactlog.Entry {
			e := logEntry(minutes, note)
			e.ActualAt = time.Now().AddDate(1, 0, 0)
			return e
		}
		_, err = w.svc.Create(w.staff, future(300, "uncomputable"))
		var verr *contactlog.ValidationError
		require.ErrorAs(t, err, &verr)
		require.True(t, verr.Has("actual_at", "out_of_range"), "%v", verr)
		require.True(t, verr.Has("fields.minutes", "out_of_range"), "the plugin's problems too: %v", verr)
		require.NotErrorIs(t, err, contactlog.ErrUnavailable)

		require.NoError(t, w.h.Close())
		_, err = w.svc.Create(w.staff, future(30, ""))
		require.ErrorAs(t, err, &verr)
		require.True(t, verr.Has("actual_at", "out_of_range"), "%v", verr)
		require.NotErrorIs(t, err, contactlog.ErrUnavailable)
		_, err = w.svc.Create(w.staff, logEntry(30, ""))
		require.ErrorIs(t, err, contactlog.ErrUnavailable)
		require.Zero(t, w.count(t))
	})
}
