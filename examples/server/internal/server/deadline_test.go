package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// bodyServer serves bodyDeadline (grace 400 ms, 16 KiB/s) over a handler
// that reads the whole body, then works for longer than the grace, and
// answers with what it read, or 408 when the body could not be read.
func bodyServer(t *testing.T) (addr string, results <-chan string) {
	t.Helper()
	out := make(chan string, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			out <- "read error: " + err.Error()
			w.WriteHeader(http.StatusRequestTimeout)
			return
		}
		time.Sleep(600 * time.Millisecond) // processing an upload
		if err := r.Context().Err(); err != nil {
			out <- "cancelled after the body: " + err.Error()
			return
		}
		out <- fmt.Sprintf("read %d bytes", len(b))
		fmt.Fprintf(w, "%d", len(b))
	})
	srv := httptest.NewServer(&bodyDeadline{next: h, grace: 400 * time.Millisecond, minRate: 16 << 10})
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), out
}

// send writes a POST of size bytes in chunks, pausing between them, and
// returns the status line of the answer ("" when the connection closed
// without one).
func send(t *testing.T, addr string, size, chunk int, pause time.Duration) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", size)
	require.NoError(t, err)
	part := strings.Repeat("x", chunk)
	for sent := 0; sent < size; sent += chunk {
		if _, err := io.WriteString(conn, part[:min(chunk, size-sent)]); err != nil {
			break // the server gave up on us
		}
		time.Sleep(pause)
	}
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	line, _ := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line)
}

func TestSlowBodyIsCut(t *testing.T) {
	t.Parallel()
	addr, results := bodyServer(t)
	start := time.Now()
	// 10 bytes every 100 ms: 100 B/s, far below 16 KiB/s.
	done := make(chan string, 1)
	go func() { done <- send(t, addr, 100_000, 10, 100*time.Millisecond) }()
	got := <-results
	require.Contains(t, got, "timeout", "the handler's read fails")
	require.Less(t, time.Since(start), 2*time.Second, "cut soon after the grace")
	<-done
}

func TestSteadyBodyOutlivesTheGrace(t *testing.T) {
	t.Parallel()
	addr, results := bodyServer(t)
	// 96 KiB in 4 KiB chunks every 40 ms: about 100 KiB/s for about a
	// second, more than twice the grace; the handler then works for
	// longer than the grace without being cancelled.
	status := send(t, addr, 96<<10, 4<<10, 40*time.Millisecond)
	require.Equal(t, fmt.Sprintf("read %d bytes", 96<<10), <-results)
	require.Equal(t, "HTTP/1.1 200 OK", status)
}

func TestBodylessRequestsUntouched(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&bodyDeadline{next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		require.NoError(t, r.Context().Err())
	}), grace: 100 * time.Millisecond, minRate: 1})
	t.Cleanup(srv.Close)
	res, err := http.Get(srv.URL)
	require.NoError(t, err)
	require.NoError(t, res.Body.Close())
	require.Equal(t, http.StatusOK, res.StatusCode)
}

func TestWorkAfterTheBodyIsNotCut(t *testing.T) {
	t.Parallel()
	addr, results := bodyServer(t)
	// 1 KiB at once: its deadline (grace + 1/16 s) passes while the
	// handler works, which must not cancel the request (a deadline moved
	// on the read that reached the end of the body would).
	status := send(t, addr, 1<<10, 1<<10, 0)
	require.Equal(t, "read 1024 bytes", <-results)
	require.Equal(t, "HTTP/1.1 200 OK", status)
}
