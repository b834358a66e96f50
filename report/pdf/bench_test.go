package pdf_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/report/pdf"
)

// BenchmarkCustomerPDF measures the budget's case: one customer with 20
// records and 10 photos of about 3 MB each, exported with a cover and a
// password. It reports the median time (p50-ms), the peak heap above the
// heap before the run (peak-heap-MB) and the PDF's size. On PostgreSQL
// when KIROKU_TEST_POSTGRES_URL is set, else SQLite.
func BenchmarkCustomerPDF(b *testing.B) {
	var db *bun.DB
	if os.Getenv(dbtest.EnvPostgres) != "" {
		db = dbtest.Postgres(b)
	} else {
		db = dbtest.SQLite(b)
	}
	f := setup(b, db)
	photo := noisyJPEG(b, 3<<20)
	var stored int64
	for i := range 18 {
		r, err := f.records.Create(f.staff, contactlog.Entry{Template: "builtin:interview", Customer: f.yamada,
			ActualAt: f.clock.Now().Add(-time.Duration(i+1) * 24 * time.Hour), PublicMemo: kinsokuMemo, PrivateMemo: privateMemo,
			Values: map[string]any{"place": "本社応接室", "hearing": kinsokuMemo, "next_contact_on": "2026-12-10"}})
		require.NoError(b, err)
		if i < 7 { // 7 photos here and 3 in the fixture's record: 10
			as, err := f.records.Attachments().Add(f.staff, r.ID, contactlog.Upload{
				AttachmentMeta: contactlog.AttachmentMeta{Name: "手書きメモ.jpg"}, Body: bytes.NewReader(photo)})
			require.NoError(b, err)
			stored += as[0].Size
		}
	}

	opt := pdf.Options{Cover: true, Password: password, IncludePrivateMemo: true}
	runtime.GC()
	base := heapBytes()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if h := heapBytes(); h > peak.Load() {
					peak.Store(h)
				}
			}
		}
	}()
	var times []time.Duration
	var size int
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		cw := &countingWriter{}
		require.NoError(b, f.exp.Customer(f.staff, cw, f.yamada, opt))
		times = append(times, time.Since(start))
		size = cw.n
	}
	b.StopTimer()
	close(stop)
	<-done
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(peak.Load()-min(base, peak.Load()))/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(size)/(1<<20), "pdf-MB")
	b.ReportMetric(float64(len(photo))/(1<<20), "upload-MB")
	b.ReportMetric(float64(stored)/7/(1<<20), "stored-photo-MB")
}

type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)

func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// noisyJPEG is a JPEG of about size bytes: random noise compresses badly,
// as a phone's photo of paper does at a high quality.
func noisyJPEG(tb testing.TB, size int) []byte {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	w := 1200
	for {
		h := w * 3 / 4
		m := image.NewRGBA(image.Rect(0, 0, w, h))
		for i := range m.Pix {
			m.Pix[i] = uint8(rng.IntN(256))
		}
		var buf bytes.Buffer
		require.NoError(tb, jpeg.Encode(&buf, m, &jpeg.Options{Quality: 85}))
		if buf.Len() >= size {
			return buf.Bytes()
		}
		w = w * 21 / 20
	}
}
