// Command bench measures the example server as a real child process: the
// memory of concurrent large uploads, and the requests per second of the
// top page.
//
// Uploads (the default): the server runs on SQLite in a temporary data
// directory; the bench logs in as the bootstrap administrator, creates a
// draft record through the engine on the same database, then sends -n
// concurrent uploads of -size bytes each (a PDF: "%PDF-1.7" and padding,
// which the content sniffer accepts and which is stored as uploaded) to
// POST /records/{id}/files (multipart, "_csrf" first, then "files"),
// while sampling the child's VmRSS and VmHWM from /proc/<pid>/status every
// 10 ms. It reports the baseline, the peak, the growth and whether the
// peak stays within -limit-mb.
//
//	go run ./examples/server/bench                       # 50 × 30 MB, limit 200 MB
//	go run ./examples/server/bench -n 10 -size 5000000   # quicker
//	go run ./examples/server/bench -server ./kiroku-server   # a binary built elsewhere
//
// -api uploads through the JSON API instead (POST
// /api/v1/records/{id}/attachments with a token the bench creates); -path
// changes the upload route ({id} is the record) and -bearer sends a given
// API token instead of the session cookie and CSRF field.
//
// Top page (-top): the server starts with -demo (internal/gendata's Small
// set: 200 customers, 1 000 records; on PostgreSQL with -postgres DSN, on
// SQLite otherwise); -c logged-in clients request GET / for -d and the
// bench reports requests per second and the p50/p95 latency (-c 1,8,32
// measures each count in turn on the same server).
//
//	go run ./examples/server/bench -top -c 1,8,32 -d 10s
//	go run ./examples/server/bench -top -postgres 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable&search_path=bench'
//
// With -postgres the schema named by search_path must exist and is used as
// is (data loads only into a tenant without customers; reuse a loaded
// schema to skip loading).
//
// -dataset standard (PostgreSQL only) loads the big tenant of the standard
// data set (internal/gendata: 200 staff, 100 000 customers, and the first
// -records of its 1 000 000 records) through the engines before the server
// starts — minutes, not seconds; internal/benchdb's loaders take a
// testing.B and bypass the engines with COPY, so they are not used here:
//
//	psql "$DSN" -c 'CREATE SCHEMA kbench'
//	go run ./examples/server/bench -top -dataset standard -records 100000 \
//	    -postgres "$DSN&search_path=kbench" -c 8 -d 20s
//
// -dataset smallbusiness (SQLite only) loads gendata.SmallBusiness (10 000
// customers, the first -records of its 100 000 records — or more, its
// tenant writing on, for a bigger -records — 30 staff) through
// the engines into the SQLite file of the data directory -data, once: a
// later run finds the customers and loads nothing. With -top the server
// runs on that directory; with -table the bench prints, without a server,
// the cases of issue 21 through the engines (as a staff member) beside
// hand-written SQL on the same file (p50 / p95 over -d each), single
// creates per second on a fresh file, and the file's pages in use per
// record; -plans adds SQLite's EXPLAIN QUERY PLAN of every query:
//
//	go run ./examples/server/bench -table -dataset smallbusiness -data /tmp/sb -records 20000 -d 3s
//
// Requests go to the top page as the bootstrap administrator (who sees
// every record of the tenant). Afterwards the bench times the page's record
// query alone (contactlog Search, 20 records with details) on the same
// database, to tell the engine's share from the page's. The hand-written SQL top-page query of the
// contactlog benchmarks is not exposed outside its test package, so no
// comparison with it is made here.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/api"
	"github.com/kirokuhq/kiroku/examples/server/internal/app"
	"github.com/kirokuhq/kiroku/examples/server/internal/web"
	"github.com/kirokuhq/kiroku/internal/gendata"
)

const (
	admin    = "admin@example.com"
	password = "kiroku bench password 記録"
)

type options struct {
	server, postgres, path, bearer string
	n                              int
	clients                        []int
	size                           int64
	limitMB                        float64
	top, api, table, plans         bool
	dataset, data                  string
	records                        int
	duration                       time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.server, "server", "", "server binary (default: go build ./examples/server)")
	flag.StringVar(&o.postgres, "postgres", "", "PostgreSQL DSN for -top (default SQLite)")
	flag.StringVar(&o.path, "path", "/records/{id}/files", "upload route; {id} is the record")
	flag.StringVar(&o.bearer, "bearer", "", "API token instead of session cookie and CSRF field")
	flag.BoolVar(&o.api, "api", false, "upload through the JSON API (a token made here) instead of the form")
	flag.IntVar(&o.n, "n", 50, "concurrent uploads")
	flag.Int64Var(&o.size, "size", 30_000_000, "bytes per upload")
	flag.Float64Var(&o.limitMB, "limit-mb", 200, "peak RSS limit in MB (10^6 bytes)")
	flag.BoolVar(&o.top, "top", false, "measure GET / instead of uploads")
	flag.BoolVar(&o.table, "table", false, "load -dataset smallbusiness into -data and print the SQLite table")
	flag.BoolVar(&o.plans, "plans", false, "with -table, print EXPLAIN QUERY PLAN of every query of each case")
	flag.Func("c", "concurrent clients for -top, or several counts measured one after the other (1,8,32; default 8)", func(v string) error {
		for f := range strings.SplitSeq(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return fmt.Errorf("-c %q: positive client counts separated by commas", v)
			}
			o.clients = append(o.clients, n)
		}
		return nil
	})
	flag.DurationVar(&o.duration, "d", 10*time.Second, "duration of -top")
	flag.StringVar(&o.dataset, "dataset", "small", "-top data: small (the server's -demo), standard (PostgreSQL only) or smallbusiness (SQLite only)")
	flag.IntVar(&o.records, "records", 100_000, "records of the data set's tenant to load (-1: all; with -dataset smallbusiness, more than its 100 000 grow the tenant's records, its customers unchanged)")
	flag.StringVar(&o.data, "data", "", "data directory kept between runs (-dataset smallbusiness loads into it once)")
	flag.Parse()
	if len(o.clients) == 0 {
		o.clients = []int{8}
	}
	run := uploads
	switch {
	case o.top:
		run = topPage
	case o.table:
		run = sqliteTable
	}
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// child is the server process.
type child struct {
	cmd       *exec.Cmd
	base, dir string
	session   string
}

// start builds (unless -server) and starts the server, waits for /healthz
// and logs in as the administrator.
func start(ctx context.Context, o options, args ...string) (*child, func(), error) {
	tmp, err := os.MkdirTemp("", "kiroku-bench-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { _ = os.RemoveAll(tmp) }
	bin := o.server
	if bin == "" {
		bin = filepath.Join(tmp, "kiroku-server")
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./examples/server").CombinedOutput(); err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("go build (run from the repository root): %v\n%s", err, out)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	c := &child{base: "http://" + addr, dir: filepath.Join(tmp, "data")}
	if o.data != "" {
		c.dir = o.data
	}
	c.cmd = exec.Command(bin, append([]string{"-addr", addr, "-data", c.dir}, args...)...)
	c.cmd.Env = append(os.Environ(), app.EnvAdminPassword+"="+password, app.EnvAdminEmail+"="+admin,
		app.EnvPostgres+"="+o.postgres)
	c.cmd.Stderr = os.Stderr
	c.cmd.Stdout = os.Stderr
	if err := c.cmd.Start(); err != nil {
		cleanup()
		return nil, nil, err
	}
	stop := func() {
		_ = c.cmd.Process.Signal(os.Interrupt)
		_ = c.cmd.Wait()
		cleanup()
	}
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if res, err := http.Get(c.base + "/healthz"); err == nil {
			_ = res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			stop()
			return nil, nil, errors.New("the server did not start")
		}
	}
	if c.session, err = login(c.base); err != nil {
		stop()
		return nil, nil, err
	}
	return c, stop, nil
}

// login logs in as the administrator and returns the session token.
func login(base string) (string, error) {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.PostForm(base+"/login", url.Values{"email": {admin}, "password": {password}})
	if err != nil {
		return "", err
	}
	_ = res.Body.Close()
	for _, ck := range res.Cookies() {
		if ck.Name == web.SessionCookie {
			return ck.Value, nil
		}
	}
	return "", fmt.Errorf("login: status %d, no session", res.StatusCode)
}

// memory reads VmRSS and VmHWM of pid in bytes.
func memory(pid int) (rss, hwm int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, _ := strings.Cut(s.Text(), ":")
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			hwm = kb << 10
		}
	}
	return rss, hwm, s.Err()
}

func mb(b int64) float64 { return float64(b) / 1e6 }

// uploads runs the upload memory benchmark.
func uploads(ctx context.Context, o options) error {
	c, stop, err := start(ctx, o)
	if err != nil {
		return err
	}
	defer stop()
	// The record and the CSRF token, through the engines on the same
	// database (SQLite in WAL mode takes a second process).
	a, err := app.Open(ctx, app.Config{DataDir: c.dir, Postgres: o.postgres, AdminEmail: admin},
		app.Options{NoDispatcher: true})
	if err != nil {
		return err
	}
	sess, err := a.Auth.Session(ctx, c.session)
	if err != nil {
		a.Close()
		return err
	}
	p, err := a.Principal(ctx, sess.TenantID, sess.UserID)
	if err != nil {
		a.Close()
		return err
	}
	rec, err := a.Records.Create(permission.WithPrincipal(ctx, p),
		contactlog.Entry{Template: "builtin:interview", PublicMemo: "アップロード計測"})
	if err == nil && o.api {
		o.path = api.Prefix + "/records/{id}/attachments"
		_, o.bearer, err = a.Tokens.Create(ctx, sess.TenantID, sess.UserID, "bench", time.Hour)
	}
	a.Close()
	if err != nil {
		return err
	}
	pid := c.cmd.Process.Pid
	time.Sleep(500 * time.Millisecond)
	base, _, err := memory(pid)
	if err != nil {
		return err
	}
	var peak atomic.Int64
	done := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for {
			if rss, _, err := memory(pid); err == nil && rss > peak.Load() {
				peak.Store(rss)
			}
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
	target := c.base + strings.ReplaceAll(o.path, "{id}", rec.ID.String())
	began := time.Now()
	var wg sync.WaitGroup
	statuses := make([]int, o.n)
	errs := make([]error, o.n)
	for i := range o.n {
		wg.Go(func() { statuses[i], errs[i] = upload(target, c.session, sess.CSRF, o, i) })
	}
	wg.Wait()
	elapsed := time.Since(began)
	time.Sleep(200 * time.Millisecond)
	close(done)
	sampler.Wait()
	_, hwm, err := memory(pid)
	if err != nil {
		return err
	}
	ok := 0
	for i, s := range statuses {
		if errs[i] == nil && s < 400 {
			ok++
		} else if errs[i] != nil {
			fmt.Fprintf(os.Stderr, "upload %d: %v\n", i, errs[i])
		} else {
			fmt.Fprintf(os.Stderr, "upload %d: status %d\n", i, s)
		}
	}
	// Count what the engine stored, not what the responses said.
	if a, err = app.Open(ctx, app.Config{DataDir: c.dir, Postgres: o.postgres, AdminEmail: admin},
		app.Options{NoDispatcher: true}); err != nil {
		return err
	}
	stored, err := a.Records.Attachments().List(permission.WithPrincipal(ctx, p), rec.ID)
	a.Close()
	if err != nil {
		return err
	}
	ok = min(ok, len(stored))
	top := max(peak.Load(), hwm)
	fmt.Printf("uploads: %d × %.1f MB concurrently to %s: %d succeeded in %s (%.0f MB/s)\n",
		o.n, mb(o.size), o.path, ok, elapsed.Round(time.Millisecond), mb(int64(ok)*o.size)/elapsed.Seconds())
	fmt.Printf("server RSS: baseline %.1f MB, peak %.1f MB (VmHWM %.1f MB), growth %.1f MB\n",
		mb(base), mb(peak.Load()), mb(hwm), mb(top-base))
	verdict := "PASS"
	if mb(top) > o.limitMB || ok != o.n {
		verdict = "FAIL"
	}
	fmt.Printf("%s: peak %.1f MB vs limit %.0f MB; %d/%d uploads stored\n", verdict, mb(top), o.limitMB, ok, o.n)
	if verdict == "FAIL" {
		return errors.New("over the limit or uploads failed")
	}
	return nil
}

// upload streams one multipart upload of a PDF-like file: "_csrf" first,
// then "files".
func upload(target, session, csrf string, o options, i int) (int, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			if o.bearer == "" {
				if err := mw.WriteField("_csrf", csrf); err != nil {
					return err
				}
			}
			fw, err := mw.CreateFormFile("files", fmt.Sprintf("bench-%02d.pdf", i))
			if err != nil {
				return err
			}
			head := []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
			tail := []byte("\n%%EOF\n")
			if _, err := fw.Write(head); err != nil {
				return err
			}
			pad := make([]byte, 64<<10)
			for j := range pad {
				pad[j] = byte('0' + j%10)
			}
			left := o.size - int64(len(head)+len(tail))
			for left > 0 {
				n := min(left, int64(len(pad)))
				if _, err := fw.Write(pad[:n]); err != nil {
					return err
				}
				left -= n
			}
			if _, err := fw.Write(tail); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest(http.MethodPost, target, pr)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if o.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+o.bearer)
	} else {
		req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: session})
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout: 10 * time.Minute}
	res, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res.StatusCode, nil
}

// loadDataset loads the tenant of a data set (its first o.records records)
// through the engines into the bootstrap tenant: the big tenant of the
// standard data set into PostgreSQL, or the small business's
// (gendata.SmallBusiness, its records grown to o.records where that is
// more) into the SQLite file of the data directory o.data.
func loadDataset(ctx context.Context, o options) error {
	cfg, dataDir := gendata.Standard(), os.TempDir()
	switch {
	case o.dataset == "standard" && o.postgres == "":
		return errors.New("-dataset standard needs -postgres")
	case o.dataset == "smallbusiness" && (o.postgres != "" || o.data == ""):
		return errors.New("-dataset smallbusiness runs on SQLite: it needs -data and no -postgres")
	case o.dataset == "smallbusiness":
		cfg, dataDir = gendata.SmallBusiness(), o.data
		// A point of the curve beyond the small business's 100 000
		// records: the same tenant writing more, its customers unchanged.
		cfg.Tenants[0].Records = max(cfg.Tenants[0].Records, o.records)
	}
	a, err := app.Open(ctx, app.Config{DataDir: dataDir, Postgres: o.postgres, AdminEmail: admin,
		AdminPassword: password}, app.Options{NoDispatcher: true})
	if err != nil {
		return err
	}
	defer a.Close()
	boot, err := a.Bootstrap(ctx)
	if err != nil {
		return err
	}
	began := time.Now()
	res, err := a.LoadGendata(ctx, boot.Tenant, cfg, 0, o.records)
	if err != nil {
		return err
	}
	if !res.Loaded {
		fmt.Printf("%s data set: the tenant has customers already, nothing loaded\n", o.dataset)
		return nil
	}
	fmt.Printf("%s data set: %d staff, %d customers, %d records loaded in %s\n",
		o.dataset, res.Users, res.Customers, res.Records, time.Since(began).Round(time.Second))
	return nil
}

// topPage runs the top page benchmark.
func topPage(ctx context.Context, o options) error {
	loadStart := time.Now()
	var args []string
	switch o.dataset {
	case "small":
		args = append(args, "-demo")
	case "standard", "smallbusiness":
		if err := loadDataset(ctx, o); err != nil {
			return err
		}
	default:
		return fmt.Errorf("-dataset %q: small, standard or smallbusiness", o.dataset)
	}
	c, stop, err := start(ctx, o, args...)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Printf("server with %s data ready in %s\n", o.dataset, time.Since(loadStart).Round(time.Millisecond))
	for _, n := range o.clients {
		if err := topRun(ctx, o, c, n); err != nil {
			return err
		}
	}
	return engineSearch(ctx, o, c)
}

// topRun has n clients request GET / for -d and prints requests per
// second and the latency.
func topRun(ctx context.Context, o options, c *child, n int) error {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func() (time.Duration, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/", nil)
		req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: c.session})
		t0 := time.Now()
		res, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("GET /: status %d", res.StatusCode)
		}
		return time.Since(t0), nil
	}
	if _, err := get(); err != nil {
		return err
	}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		firstErr  error
		wg        sync.WaitGroup
	)
	end := time.Now().Add(o.duration)
	began := time.Now()
	for range n {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(end) {
				d, err := get()
				if err != nil {
					mu.Lock()
					firstErr = firstOf(firstErr, err)
					mu.Unlock()
					return
				}
				mine = append(mine, d)
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	elapsed := time.Since(began)
	st := percentiles(latencies)
	db := "SQLite"
	if o.postgres != "" {
		db = "PostgreSQL"
	}
	fmt.Printf("GET / (%s, %s data, admin): %d requests by %d clients in %s: %.0f req/s, p50 %s, p95 %s\n",
		db, o.dataset, len(latencies), n, elapsed.Round(time.Millisecond), float64(len(latencies))/elapsed.Seconds(),
		st.p50.Round(10*time.Microsecond), st.p95.Round(10*time.Microsecond))
	return nil
}

// engineSearch times the top page's record query alone (contactlog Search,
// 20 records with details, as the administrator), one call at a time for
// three seconds, on the server's database.
func engineSearch(ctx context.Context, o options, c *child) error {
	a, err := app.Open(ctx, app.Config{DataDir: c.dir, Postgres: o.postgres, AdminEmail: admin},
		app.Options{NoDispatcher: true})
	if err != nil {
		return err
	}
	defer a.Close()
	sess, err := a.Auth.Session(ctx, c.session)
	if err != nil {
		return err
	}
	pctx, err := principal(ctx, a, sess.TenantID, sess.UserID)
	if err != nil {
		return err
	}
	st, err := latency(3*time.Second, func() error {
		_, err := a.Records.Search(pctx, contactlog.Query{Limit: 20, WithDetails: true})
		return err
	})
	if err != nil {
		return err
	}
	fmt.Printf("engine Search alone (20 records with details, admin, sequential): %d calls, p50 %s, p95 %s\n",
		st.n, st.p50.Round(10*time.Microsecond), st.p95.Round(10*time.Microsecond))
	return nil
}

func firstOf(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
