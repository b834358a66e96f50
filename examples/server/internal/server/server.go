// Package server puts the example server together: the web UI at /, the
// JSON API at /api/, the secret calendar feeds at /feeds/, the Prometheus metrics at /metrics (only with
// Config.MetricsToken, and only for requests bearing it), security headers
// and cross-origin protection on everything, request size limits, and a
// deadline on request bodies that follows their progress (slow clients:
// app.Config.BodyTimeout and BodyMinRate).
package server

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/api"
	"github.com/kirokuhq/kiroku/examples/server/internal/app"
	"github.com/kirokuhq/kiroku/examples/server/internal/web"
	"github.com/kirokuhq/kiroku/schedule"
)

// Handler returns the whole server's handler over a.
func Handler(a *app.App) (http.Handler, error) {
	ui, err := web.New(a)
	if err != nil {
		return nil, err
	}
	jsonAPI, err := api.New(a)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", ui.Handler())
	mux.Handle(api.Mount+"/", jsonAPI)
	mux.HandleFunc("GET "+FeedPath+"{token}", feed(a))
	if a.Config.MetricsToken != "" {
		mux.Handle("GET /metrics", bearer(a.Config.MetricsToken, a.Metrics))
	}
	return &bodyDeadline{next: secure(versionMemo(mux)), grace: a.Config.BodyTimeout, minRate: a.Config.BodyMinRate}, nil
}

// versionMemo gives every request a memo of its tenant's version
// (permission.WithVersionMemo): the principal, the staff names, the masters,
// ranks and templates a page reads from the engines' caches cost one
// version read together, not one each.
func versionMemo(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(permission.WithVersionMemo(r.Context())))
	})
}

// HTTPServer returns the http.Server that serves h for a: headers must
// arrive within Config.ReadHeaderTimeout, idle keep-alive connections
// close after two minutes, and the server's own errors go to the App's
// logger. Request bodies are bounded by Handler.
func HTTPServer(a *app.App, h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: a.Config.ReadHeaderTimeout, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(a.Logger.Handler(), slog.LevelWarn)}
}

// FeedPath is where the secret iCalendar feeds are served:
// FeedPath + "<token>.ics", the token being the credential (calendar apps
// send no other). webcal:// URLs point here.
const FeedPath = "/feeds/"

// feed serves a calendar feed; an unknown or revoked token is a 404.
func feed(a *app.App) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		if err := a.Schedule.WriteFeed(r.Context(), strings.TrimSuffix(r.PathValue("token"), ".ics"), &b); err != nil {
			if !errors.Is(err, schedule.ErrUnauthenticated) {
				a.Logger.ErrorContext(r.Context(), "calendar feed failed", "err", err)
			}
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
		w.Header().Set("Cache-Control", "private, no-store")
		_, _ = w.Write(b.Bytes())
	}
}

// bearer serves h only to requests with "Authorization: Bearer <token>"
// (what Prometheus sends with authorization.credentials), 401 otherwise.
func bearer(token string, h http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kiroku metrics"`)
			http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// secure adds the security headers every response carries and refuses
// cross-origin state-changing browser requests (Sec-Fetch-Site / Origin).
func secure(h http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	return cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "+
			"script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
		h.ServeHTTP(w, r)
	}))
}
