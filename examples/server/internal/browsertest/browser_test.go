package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// stepTimeout bounds one browser step (a navigation, a form submission).
const stepTimeout = 15 * time.Second

// chromiumPath finds the browser binary, or "" when there is none.
func chromiumPath() string {
	if p := os.Getenv("KIROKU_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser is one headless Chromium with one tab, logged to t.
type browser struct {
	t    *testing.T
	ctx  context.Context // the tab
	base string          // the server's URL
	dir  string          // screenshots and page dumps
	n    int             // screenshots taken

	mu       sync.Mutex
	problems []string // console errors (CSP violations, scripts) not yet reported
}

// newBrowser starts Chromium for t (closed on cleanup) with a 390×844 mobile
// viewport, pointed at the server base.
func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("KIROKU_REQUIRE_BROWSER") != "" {
			t.Fatal("KIROKU_REQUIRE_BROWSER is set but no Chromium was found (set KIROKU_CHROMIUM or install chromium)")
		}
		t.Skip("no Chromium found (install chromium or set KIROKU_CHROMIUM); set KIROKU_REQUIRE_BROWSER=1 to fail instead")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.WindowSize(390, 844),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("lang", "ja-JP"),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to sandbox as root
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first Run starts the browser: no timeout on this context.
	err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	require.NoError(t, err, "start %s", path)

	dir := ""
	if root := os.Getenv("KIROKU_SCREENSHOTS"); root != "" {
		dir = filepath.Join(root, regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_"))
		require.NoError(t, os.RemoveAll(dir)) // no stale shots from an earlier run
		require.NoError(t, os.MkdirAll(dir, 0o755))
	} else {
		dir = t.ArtifactDir()
	}
	b := &browser{t: t, ctx: ctx, base: base, dir: dir}
	b.watchConsole()
	return b
}

// watchConsole collects the page's console errors: a CSP violation (an
// inline style or script), a script error, a refused resource. Network
// errors are left out: HTTP statuses are the steps' business (a 401 or 422
// page is logged as a failed load).
func (b *browser) watchConsole() {
	b.t.Helper()
	err := chromedp.Listen(b.ctx, func(ev any) {
		var p string
		switch ev := ev.(type) {
		case *cdplog.EventEntryAdded:
			e := ev.Entry
			if e.Level != cdplog.EntryLevelError || e.Source == cdplog.EntrySourceNetwork {
				return
			}
			p = fmt.Sprintf("%s: %s (%s)", e.Source, e.Text, strings.TrimPrefix(e.URL, b.base))
		case *runtime.EventExceptionThrown:
			p = fmt.Sprintf("exception: %s (%s:%d)", ev.ExceptionDetails.Text, ev.ExceptionDetails.URL, ev.ExceptionDetails.LineNumber)
		default:
			return
		}
		b.mu.Lock()
		b.problems = append(b.problems, p)
		b.mu.Unlock()
	})
	require.NoError(b.t, err)
	_, err = chromedp.Run(b.ctx, func(ctx context.Context, t *chromedp.Target) (cdp.Empty, error) {
		return cdp.Call(ctx, t, cdplog.Enable, cdp.Empty{})
	})
	require.NoError(b.t, err)
	b.t.Cleanup(func() { b.consoleClean("the last page") })
}

// consoleClean reports (without stopping the test) the console errors since
// the last check, naming page.
func (b *browser) consoleClean(page string) {
	b.t.Helper()
	b.mu.Lock()
	ps := b.problems
	b.problems = nil
	b.mu.Unlock()
	for _, p := range ps {
		b.t.Errorf("console error on %s: %s", page, p)
	}
}

// step runs fn with a timeout; when it fails, it saves a screenshot and the
// page's HTML and stops the test.
func (b *browser) step(name string, fn func(ctx context.Context) error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	start := time.Now()
	if err := fn(ctx); err != nil {
		b.fail(name, err)
	}
	if d := time.Since(start); d > slowStep {
		b.t.Logf("slow step %q: %v", name, d.Round(time.Millisecond))
	}
}

// slowStep is logged: the suite must stay fast.
const slowStep = 2 * time.Second

// fail saves what the browser shows and stops the test.
func (b *browser) fail(name string, err error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	b.save(ctx, "FAILED-"+name)
	if html, herr := chromedp.Run(ctx, chromedp.Evaluate[string]("document.documentElement.outerHTML")); herr == nil {
		p := filepath.Join(b.dir, fmt.Sprintf("%02d-FAILED-%s.html", b.n, safe(name)))
		if werr := os.WriteFile(p, []byte(html), 0o644); werr == nil {
			b.t.Logf("page HTML: %s", p)
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("nothing happened within %v (a missing element, or a page that never loaded): %w", stepTimeout, err)
	}
	b.t.Fatalf("step %q failed at %s: %v", name, loc, err)
}

// shot saves a screenshot of the whole page as the next numbered PNG.
func (b *browser) shot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if p := b.save(ctx, name); p == "" {
		b.t.Fatalf("screenshot %q failed", name)
	}
	b.consoleClean(name)
}

func (b *browser) save(ctx context.Context, name string) string {
	b.n++
	// From the top, so that the sticky header is where it belongs.
	_, err := chromedp.Run(ctx, chromedp.Evaluate[any]("window.scrollTo(0, 0)"))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	p := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.n, safe(name)))
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	b.t.Logf("screenshot: %s", p)
	return p
}

func safe(name string) string {
	return regexp.MustCompile(`[^\p{L}\p{N}_.-]+`).ReplaceAllString(name, "_")
}

// open navigates to path and requires a 200 response.
func (b *browser) open(path string) {
	b.t.Helper()
	b.step("open "+path, func(ctx context.Context) error {
		res, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.base+path))
		return status(res, err, 200)
	})
}

// submit clicks sel (a submit button) and waits for the next page, which
// must answer want.
func (b *browser) submit(name, sel string, want int64) {
	b.t.Helper()
	b.step(name, func(ctx context.Context) error {
		res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
		return status(res, err, want)
	})
}

// follow clicks the link sel and waits for a 200 page.
func (b *browser) follow(name, sel string) {
	b.t.Helper()
	b.submit(name, sel, 200)
}

func status(res *network.Response, err error, want int64) error {
	if err != nil {
		return err
	}
	if res == nil {
		return fmt.Errorf("no response")
	}
	if res.Status != want {
		return fmt.Errorf("%s answered %d, want %d", res.URL, res.Status, want)
	}
	return nil
}

// fill sets form fields by name (the page's first match of [name=...]).
func (b *browser) fill(fields ...string) {
	b.t.Helper()
	for i := 0; i+1 < len(fields); i += 2 {
		name, v := fields[i], fields[i+1]
		b.step("fill "+name, func(ctx context.Context) error {
			return chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(fmt.Sprintf("[name=%q]", name)), v))
		})
	}
}

// upload sets the files of the file input sel.
func (b *browser) upload(sel string, files ...string) {
	b.t.Helper()
	b.step("upload "+sel, func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS(sel), files))
	})
}

// location is the current URL's path and query.
func (b *browser) location() string {
	b.t.Helper()
	var loc string
	b.step("location", func(ctx context.Context) (err error) {
		loc, err = chromedp.Run(ctx, chromedp.Location())
		return err
	})
	return strings.TrimPrefix(loc, b.base)
}

// text is the visible text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	var s string
	b.step("text of "+sel, func(ctx context.Context) (err error) {
		s, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
		return err
	})
	return s
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	var v T
	b.step("eval "+expr, func(ctx context.Context) (err error) {
		v, err = chromedp.Run(ctx, chromedp.Evaluate[T](expr))
		return err
	})
	return v
}

// count is the number of elements matching the CSS selector sel.
func (b *browser) count(sel string) int {
	b.t.Helper()
	return eval[int](b, fmt.Sprintf("document.querySelectorAll(%q).length", sel))
}

// require fails the test (with a screenshot and the page) unless ok.
func (b *browser) require(ok bool, format string, args ...any) {
	b.t.Helper()
	if !ok {
		b.fail("check", fmt.Errorf(format, args...))
	}
}

// login signs in as email through the login form, starting at path (which
// redirects to the form), and requires landing back on path.
func (b *browser) login(email, password, path string) {
	b.t.Helper()
	b.step("open "+path, func(ctx context.Context) error {
		_, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.base+path))
		return err
	})
	b.require(strings.HasPrefix(b.location(), "/login"), "%s without a session shows the login form, not %s", path, b.location())
	b.fill("email", email, "password", password)
	b.shot("login")
	b.step("log in", func(ctx context.Context) error {
		_, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))
		return err
	})
	b.require(b.location() == path, "after login the browser is at %s, want %s", b.location(), path)
}

// fitsWidth reports (without stopping the test) a page wider than the
// viewport: at 390 px nothing may need sideways scrolling.
func (b *browser) fitsWidth(page string) {
	b.t.Helper()
	w := eval[int](b, "document.documentElement.scrollWidth")
	vw := eval[int](b, "window.innerWidth")
	if w > vw {
		b.t.Errorf("%s is %d px wide in a %d px viewport (sideways scrolling on a phone)", page, w, vw)
	}
}
