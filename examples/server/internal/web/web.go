// Package web is the example server's browser UI: Japanese, mobile-first,
// rendered on the server with html/template, working without JavaScript.
//
// Every page handler runs behind the session middleware: a request without a
// live session is sent to the login page; every POST must carry the session's
// CSRF token (field "_csrf") and pass net/http's cross-origin protection.
// Handlers return errors; ErrNotFound, ErrPermissionDenied and ErrConflict
// become the matching Japanese error pages, anything else a generic 500 page
// (the detail goes to the log, never to the browser). Forms that fail
// validation are shown again with each problem next to its field and
// everything the user typed kept.
package web

import (
	"bytes"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"text/template/parse"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/app"
	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/jpdate"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

//go:embed all:templates static
var files embed.FS

// Request size limits.
const (
	// MaxUploadRequest bounds a multipart request: the 30 MiB of files one
	// upload may carry plus the form's fields.
	MaxUploadRequest = 31 << 20
	// MultipartMemory is how much of a multipart request's files is kept
	// in memory; the rest is spooled to temporary files.
	MultipartMemory = 64 << 10
	// MaxFormRequest bounds an urlencoded form.
	MaxFormRequest = 1 << 20
)

// Cookie names.
const (
	SessionCookie = "kiroku_session"
	flashCookie   = "kiroku_flash"
)

// UI serves the web pages.
type UI struct {
	app   *app.App
	pages map[string]*template.Template
	log   *slog.Logger
	// serving counts the page requests in flight (see beside).
	serving atomic.Int32
}

// New parses the templates and returns the UI of a.
func New(a *app.App) (*UI, error) {
	u := &UI{app: a, log: a.Logger}
	if err := u.parse(); err != nil {
		return nil, err
	}
	return u, nil
}

// Handler returns the UI's routes.
func (u *UI) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(files, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	u.authRoutes(mux)
	for _, register := range []func(*http.ServeMux){
		u.recordRoutes, u.customerRoutes, u.pdfRoutes, u.csvRoutes, u.managerRoutes, u.adminRoutes, u.tokenRoutes, u.calendarRoutes, u.requestRoutes, u.portalStaffRoutes, u.portalRoutes,
		u.salesRoutes,
		u.alertRoutes, u.noticeRoutes,
		u.accountRoutes,
	} {
		register(mux)
	}
	return mux
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// beside starts f, reads a page needs besides its main query, and returns
// the function that waits for f and returns its error. f runs on a
// goroutine of its own (a connection of its own, at the same time as the
// caller's query) while every page request in flight could have two
// processors; otherwise at once, in line, since under load a goroutine and
// a second connection would only take from the other requests. f must not
// touch what the caller uses before the wait. A panic of f on its own
// goroutine is returned as an error.
func (u *UI) beside(f func() error) (wait func() error) {
	if 2*int(u.serving.Load()) > runtime.GOMAXPROCS(0) {
		err := f()
		return func() error { return err }
	}
	done := make(chan error, 1)
	go func() {
		// A panic here would end the process, not just the request: it
		// comes back as the page's error instead.
		defer func() {
			if v := recover(); v != nil {
				done <- fmt.Errorf("web: side read panicked: %v", v)
			}
		}()
		done <- f()
	}()
	return func() error { return <-done }
}

// Request is what a page handler gets besides the response writer: the
// request with the principal in its context, the session and the user.
type Request struct {
	*http.Request
	Session   *auth.Session
	Principal permission.Principal
	User      *permission.User
}

// handlerFunc is a page handler; a returned error becomes an error page.
type handlerFunc func(w http.ResponseWriter, r *Request) error

// page wraps h with the session middleware (see the package doc). Roles,
// when given, restrict the page to principals with one of them.
func (u *UI) page(h handlerFunc, roles ...permission.Role) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		u.serving.Add(1)
		defer u.serving.Add(-1)
		r, err := u.authenticate(hr)
		if errors.Is(err, auth.ErrNoSession) || errors.Is(err, kerr.ErrUnauthenticated) {
			if hr.Method == http.MethodGet {
				http.Redirect(w, hr, "/login?next="+url.QueryEscape(hr.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			u.fail(w, hr, nil, err)
			return
		}
		if err != nil {
			u.fail(w, hr, nil, err)
			return
		}
		if len(roles) > 0 && !hasAny(r.Principal, roles) {
			u.fail(w, hr, r, kerr.ErrPermissionDenied)
			return
		}
		if hr.Method != http.MethodGet && hr.Method != http.MethodHead {
			if strings.HasPrefix(hr.Header.Get("Content-Type"), "multipart/form-data") {
				// Files over MultipartMemory are spooled to temporary files,
				// never held whole in memory; they are removed after h.
				r.Body = http.MaxBytesReader(w, r.Body, MaxUploadRequest)
				if err := r.ParseMultipartForm(MultipartMemory); err != nil {
					u.fail(w, hr, r, multipartError(err))
					return
				}
				defer func() { _ = r.MultipartForm.RemoveAll() }()
			} else {
				r.Body = http.MaxBytesReader(w, r.Body, MaxFormRequest)
			}
			if err := u.checkCSRF(r); err != nil {
				u.fail(w, hr, r, err)
				return
			}
		}
		if err := h(w, r); err != nil {
			u.fail(w, hr, r, err)
		}
	})
}

func hasAny(p permission.Principal, roles []permission.Role) bool {
	for _, role := range roles {
		if p.Has(role) {
			return true
		}
	}
	return false
}

// errBadUpload is a multipart body that cannot be read, such as a file
// name with a control character in its part header.
var errBadUpload = errors.New("web: malformed multipart body")

// multipartError classifies a ParseMultipartForm error: a body over the
// limit stays a *http.MaxBytesError (413), anything else is the client's
// malformed upload (400), never a server error.
func multipartError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return fmt.Errorf("%w: %w", errBadUpload, err)
}

// errCSRF is a POST without the session's token.
var errCSRF = errors.New("web: missing or wrong CSRF token")

func (u *UI) checkCSRF(r *Request) error {
	token := r.Header.Get("X-CSRF-Token")
	if token == "" {
		token = r.PostFormValue("_csrf")
	}
	if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(r.Session.CSRF)) != 1 {
		return errCSRF
	}
	return nil
}

func (u *UI) authenticate(hr *http.Request) (*Request, error) {
	c, err := hr.Cookie(SessionCookie)
	if err != nil {
		return nil, auth.ErrNoSession
	}
	s, err := u.app.Auth.Session(hr.Context(), c.Value)
	if err != nil {
		return nil, err
	}
	p, user, err := u.app.Staff.Lookup(hr.Context(), s.TenantID, s.UserID)
	if err != nil {
		return nil, err
	}
	ctx := permission.WithPrincipal(hr.Context(), p)
	return &Request{Request: hr.WithContext(ctx), Session: s, Principal: p, User: user}, nil
}

// fail renders the error page for err (r may be nil before login).
func (u *UI) fail(w http.ResponseWriter, hr *http.Request, r *Request, err error) {
	status, key := http.StatusInternalServerError, "error.internal"
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, kerr.ErrNotFound):
		status, key = http.StatusNotFound, "error.not_found"
	case errors.Is(err, kerr.ErrPermissionDenied):
		status, key = http.StatusForbidden, "error.forbidden"
	case errors.Is(err, kerr.ErrConflict):
		status, key = http.StatusConflict, "error.conflict"
	case errors.Is(err, errBadUpload):
		status, key = http.StatusBadRequest, "error.bad_upload"
	case errors.Is(err, errCSRF):
		status, key = http.StatusForbidden, "error.csrf"
	case errors.Is(err, kerr.ErrUnavailable):
		status, key = http.StatusServiceUnavailable, "error.unavailable"
	case errors.As(err, &mbe):
		status, key = http.StatusRequestEntityTooLarge, "error.too_large"
	case errors.Is(err, auth.ErrNoSession), errors.Is(err, kerr.ErrUnauthenticated):
		status, key = http.StatusUnauthorized, "error.csrf"
	case errors.Is(err, kerr.ErrInvalid):
		status, key = http.StatusBadRequest, "error.bad_request"
	default:
		u.log.Error("request failed", "method", hr.Method, "path", hr.URL.Path, "err", err)
	}
	u.render(w, hr, r, status, "error", map[string]any{"Message": msg.T(key)})
}

// view is what every template gets: the page's own data plus the frame.
type view struct {
	User  *permission.User
	P     permission.Principal
	CSRF  string
	Flash string
	Data  any
}

// render writes page name with data. r may be nil (pages before login).
func (u *UI) render(w http.ResponseWriter, hr *http.Request, r *Request, status int, name string, data any) {
	t, ok := u.pages[name]
	if !ok {
		u.log.Error("unknown page template", "page", name)
		http.Error(w, msg.T("error.internal"), http.StatusInternalServerError)
		return
	}
	v := view{Data: data, Flash: takeFlash(w, hr)}
	if r != nil {
		v.User, v.P, v.CSRF = r.User, r.Principal, r.Session.CSRF
	}
	b := pageBuffers.Get().(*bytes.Buffer)
	b.Reset()
	defer func() {
		if b.Cap() <= maxPooledPage {
			pageBuffers.Put(b)
		}
	}()
	if err := t.ExecuteTemplate(b, "layout", v); err != nil {
		u.log.Error("render failed", "page", name, "err", err)
		http.Error(w, msg.T("error.internal"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// pageBuffers hold what render writes before the response: a page fails
// whole (an error page, not half a page), and the buffers are reused
// rather than grown anew for every request.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledPage is the largest buffer pageBuffers keeps: a rare big page
// does not stay in memory.
const maxPooledPage = 1 << 20

// redirect answers a successful POST: see other, with a flash message key.
func redirect(w http.ResponseWriter, hr *http.Request, to, flashKey string) {
	if flashKey != "" {
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: flashKey, Path: "/", HttpOnly: true,
			SameSite: http.SameSiteLaxMode, MaxAge: 60})
	}
	http.Redirect(w, hr, to, http.StatusSeeOther)
}

// takeFlash returns and clears the flash message (only catalog keys are
// accepted, so a forged cookie cannot inject text).
func takeFlash(w http.ResponseWriter, hr *http.Request) string {
	c, err := hr.Cookie(flashCookie)
	if err != nil || !msg.Has(c.Value) {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1})
	return msg.T(c.Value)
}

func (u *UI) parse() error {
	base := template.New("").Funcs(funcs())
	base, err := base.ParseFS(files, "templates/_*.html")
	if err != nil {
		return err
	}
	foldMessages(base)
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return err
	}
	u.pages = map[string]*template.Template{}
	for _, n := range names {
		file := path.Base(n)
		if strings.HasPrefix(file, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(files, n)
		if err != nil {
			return err
		}
		foldMessages(t)
		u.pages[strings.TrimSuffix(file, ".html")] = t
	}
	return nil
}

// foldMessages replaces every action of t's templates that prints a
// message by a constant key ({{t "key"}}) by the message's text, where
// escaping would not change it (constantMessage): the catalog does not
// change while the server runs, and each action costs two reflective calls
// per execution (the function and its escaper; a page has dozens). It runs
// before the first execution, when html/template escapes.
func foldMessages(t *template.Template) {
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			foldList(tt.Tree.Root)
		}
	}
}

func foldList(l *parse.ListNode) {
	if l == nil {
		return
	}
	for i, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			if text, ok := constantMessage(n.Pipe); ok {
				l.Nodes[i] = &parse.TextNode{NodeType: parse.NodeText, Pos: n.Pos, Text: []byte(text)}
			}
		case *parse.IfNode:
			foldList(n.List)
			foldList(n.ElseList)
		case *parse.RangeNode:
			foldList(n.List)
			foldList(n.ElseList)
		case *parse.WithNode:
			foldList(n.List)
			foldList(n.ElseList)
		case *parse.ListNode:
			foldList(n)
		}
	}
}

// constantMessage returns msg.T(key) when p is {{t "key"}} and the text
// is the same escaped or not in every context a template may print it in
// (no markup, quote, entity, backslash, backquote or plus sign): a message
// that needs escaping keeps its action, so the folding never depends on
// where a template prints it.
func constantMessage(p *parse.PipeNode) (string, bool) {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 2 {
		return "", false
	}
	fn, ok := p.Cmds[0].Args[0].(*parse.IdentifierNode)
	key, ok2 := p.Cmds[0].Args[1].(*parse.StringNode)
	if !ok || !ok2 || fn.Ident != "t" {
		return "", false
	}
	text := msg.T(key.Text)
	if strings.ContainsAny(text, "<>&'\"\\`+\x00") {
		return "", false
	}
	return text, true
}

// funcs are the template helpers.
func funcs() template.FuncMap {
	return template.FuncMap{
		"t": msg.T,
		"date": func(t time.Time, loc *time.Location) string {
			if t.IsZero() {
				return ""
			}
			return inZone(t, loc).Format("2006/01/02") + "(" + weekday(inZone(t, loc)) + ")"
		},
		"datetime": formatDateTime,
		"clock":    func(t time.Time, loc *time.Location) string { return inZone(t, loc).Format("15:04") },
		"has":      func(p permission.Principal, role string) bool { return p.Has(permission.Role(role)) },
		"query": func(kv ...string) template.URL {
			v := url.Values{}
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i+1] != "" {
					v.Set(kv[i], kv[i+1])
				}
			}
			return template.URL(v.Encode())
		},
		"bytes": humanBytes,
		// Markup written in Go (markup.go).
		"csrfField":    csrfField,
		"portalMark":   portalMark,
		"deleteButton": deleteButton,
		"options":      options,
		// dict builds a map from key, value pairs (arguments of a
		// sub-template); list a slice of its arguments.
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				if k, ok := kv[i].(string); ok {
					m[k] = kv[i+1]
				}
			}
			return m
		},
		"list": func(xs ...string) []string { return xs },
		// nonzero tells whether an ID is set (a uuid.UUID is an array,
		// always true to if).
		"nonzero": func(id uuid.UUID) bool { return id != uuid.Nil },
		"deref": func(t *time.Time) time.Time {
			if t == nil {
				return time.Time{}
			}
			return *t
		},
	}
}

func inZone(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = jpdate.Tokyo()
	}
	return t.In(loc)
}

// formatDateTime is t in loc (Tokyo when nil) as 2006/01/02(月) 15:04, or
// "" for the zero time.
func formatDateTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	lt := inZone(t, loc)
	return lt.Format("2006/01/02") + "(" + weekday(lt) + ") " + lt.Format("15:04")
}

var weekdays = [...]string{"日", "月", "火", "水", "木", "金", "土"}

func weekday(t time.Time) string { return weekdays[t.Weekday()] }

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// Form holds a submitted form's values and its problems per field, so a
// failed submission renders again with what the user typed.
type Form struct {
	Values url.Values
	Errors map[string][]string
	// Message is a problem of the whole form.
	Message string
}

// NewForm returns a form holding values (nil = empty).
func NewForm(values url.Values) *Form {
	if values == nil {
		values = url.Values{}
	}
	return &Form{Values: values, Errors: map[string][]string{}}
}

// Get returns the field's value.
func (f *Form) Get(name string) string { return f.Values.Get(name) }

// Has tells whether the field has the value (checkboxes, multi-selects).
func (f *Form) Has(name, value string) bool {
	for _, v := range f.Values[name] {
		if v == value {
			return true
		}
	}
	return false
}

// Err returns the field's problems joined, or "".
func (f *Form) Err(name string) string { return strings.Join(f.Errors[name], " ") }

// Add records a problem with a field.
func (f *Form) Add(field, message string) { f.Errors[field] = append(f.Errors[field], message) }

// Valid tells whether no problem was recorded.
func (f *Form) Valid() bool { return len(f.Errors) == 0 && f.Message == "" }

// AddError records err on the form when it is a validation error (each
// field problem, renamed by rename when the engine's field name differs
// from the form's) and reports whether it was one; other errors are left to
// the caller.
func (f *Form) AddError(err error, rename map[string]string) bool {
	var ve *validation.Error
	if !errors.As(err, &ve) {
		return false
	}
	for _, fe := range ve.Fields {
		field := fe.Field
		if to, ok := rename[field]; ok {
			field = to
		}
		f.Add(field, msg.Field(fe))
	}
	f.Message = msg.T("common.form_errors")
	return true
}

// pathID parses the {id} path value; a malformed one is not found.
func pathID(r *Request) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return uuid.Nil, kerr.ErrNotFound
	}
	return id, nil
}
