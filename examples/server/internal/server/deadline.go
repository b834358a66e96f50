package server

import (
	"io"
	"net/http"
	"time"
)

// bodyDeadline bounds the time a request body may take to arrive (see
// app.Config.BodyTimeout): it sets the connection's read deadline to
// grace after the request starts and, as bytes arrive, moves it to
// grace + received/minRate after the start. Once the body has been read
// to its end, net/http clears the deadline itself (it starts its
// background read of the connection), so the work after the body
// (storing and processing an upload) is not cut short; the deadline is
// therefore never moved on the read that reaches the end. Requests
// without a body are left alone: http.Server's ReadHeaderTimeout and
// IdleTimeout cover them. Network deadlines are on the wall clock,
// whatever the App's clock.
type bodyDeadline struct {
	next    http.Handler
	grace   time.Duration
	minRate int64 // bytes per second, > 0
}

func (b *bodyDeadline) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody {
		b.next.ServeHTTP(w, r)
		return
	}
	rc := http.NewResponseController(w)
	start := time.Now()
	if err := rc.SetReadDeadline(start.Add(b.grace)); err != nil {
		// A connection without deadlines (errors.Is ErrNotSupported):
		// nothing to bound here.
		b.next.ServeHTTP(w, r)
		return
	}
	r.Body = &deadlineBody{ReadCloser: r.Body, b: b, rc: rc, start: start}
	b.next.ServeHTTP(w, r)
}

// deadlineBody moves the read deadline as the body arrives.
type deadlineBody struct {
	io.ReadCloser
	b     *bodyDeadline
	rc    *http.ResponseController
	start time.Time
	got   int64
}

func (d *deadlineBody) Read(p []byte) (int, error) {
	n, err := d.ReadCloser.Read(p)
	d.got += int64(n)
	if n > 0 && err == nil {
		earned := time.Duration(d.got * int64(time.Second) / d.b.minRate)
		_ = d.rc.SetReadDeadline(d.start.Add(d.b.grace + earned))
	}
	return n, err
}
