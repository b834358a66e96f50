package pdf_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/report/pdf"
)

// BenchmarkCustomerPDF measures the budget's case (DESIGN.md, issue 19):
// one customer with 20 records and 10 phone photos (12 megapixels, JPEGs
// of about 3 MB), on SQLite and, when KIROKU_TEST_POSTGRES_URL is set,
// PostgreSQL:
//
//   - pdf: the history exported with a cover, the private memos and a
//     password. Metrics: p50-ms, peak-heap-MB (the live heap's peak above
//     the heap before the run, sampled every millisecond), pdf-MB, and the
//     allocations;
//   - read/engine: what the export reads, through the engines: the
//     records page by page with their details, and the photos;
//   - read/hand: the same data by hand-written SQL (the engine's
//     visibility predicate, the records, their people and attachments)
//     and the photos straight from the blob store.
//
// The pdf run embeds the photos as stored (the default), pdf-200dpi
// scales them with Config.PhotoDPI 200.
//
// Measured 2026-12-05 on a 2-core machine (load average about 6 from
// another build), SQLite, -benchtime 5x: pdf p50 274 ms, peak heap +114
// MB, PDF 25.9 MB; pdf-200dpi p50 2 567 ms (decoding the ten 12-megapixel
// JPEGs), peak heap +69 MB, PDF 0.98 MB; read/engine 15.6 ms, read/hand
// 10.0 ms. Before the PDF went through temporary files, the peak was about
// 8 times the photos' bytes (193 MB for 25 MB of photos).
func BenchmarkCustomerPDF(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchCustomerPDF(b, dbtest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { benchCustomerPDF(b, dbtest.Postgres(b)) })
}

func benchCustomerPDF(b *testing.B, db *bun.DB) {
	f := setup(b, db)
	photo := phonePhoto()
	var stored int64
	for i := range 18 {
		r, err := f.records.Create(f.staff, contactlog.Entry{Template: "builtin:interview", Customer: f.yamada,
			ActualAt: f.clock.Now().Add(-time.Duration(i+1) * 24 * time.Hour), PublicMemo: kinsokuMemo, PrivateMemo: privateMemo,
			Channel: "visit", Result: "met", Values: map[string]any{"place": "本社応接室", "hearing": kinsokuMemo, "next_contact_on": "2026-12-10"}})
		require.NoError(b, err)
		if i < 7 { // 7 photos here and 3 in the fixture's record: 10
			as, err := f.records.Attachments().Add(f.staff, r.ID, contactlog.Upload{
				AttachmentMeta: contactlog.AttachmentMeta{Name: "手書きメモ.jpg"}, Body: bytes.NewReader(photo)})
			require.NoError(b, err)
			stored += as[0].Size
		}
	}
	b.ReportMetric(float64(len(photo))/(1<<20), "upload-MB")
	b.ReportMetric(float64(stored)/7/(1<<20), "stored-photo-MB")

	for _, mode := range []struct {
		name string
		dpi  int
	}{{"pdf", 0}, {"pdf-200dpi", 200}} {
		exp := f.newExporter(&pdf.Config{PhotoDPI: mode.dpi})
		b.Run(mode.name, func(b *testing.B) { benchExport(b, exp, f) })
	}

	engineRead := func() (records, photos int, err error) {
		q := contactlog.Query{Customer: f.yamada, Sort: contactlog.SortActual, Asc: true, Limit: 100, WithDetails: true}
		for {
			page, err := f.records.Search(f.staff, q)
			if err != nil {
				return 0, 0, err
			}
			for _, r := range page.Records {
				for _, a := range r.Attachments {
					if a.Kind != contactlog.AttachmentImage {
						continue
					}
					rc, _, err := f.records.Attachments().Open(f.staff, a.ID, false)
					if err != nil {
						return 0, 0, err
					}
					_, err = io.Copy(io.Discard, rc)
					rc.Close()
					if err != nil {
						return 0, 0, err
					}
					photos++
				}
			}
			records += len(page.Records)
			if page.Next == "" {
				return records, photos, nil
			}
			q.After = page.Next
		}
	}
	p, _ := permission.FromContext(f.staff)
	pred, err := f.engine.Predicate(context.Background(), p, &permission.RecordTable{
		Alias: "r", ID: "id", Tenant: "tenant_id", Author: "author_id", Customer: "customer_id",
		ScopeKind: "scope_kind", Confidential: "confidential", Shared: "shared",
		PeopleTable: "contact_record_people", ScopeTable: "contact_record_scope",
	})
	require.NoError(b, err)
	handRead := func() (records, photos int, err error) {
		ctx := context.Background()
		var recs []struct {
			ID          uuid.UUID      `bun:"id"`
			Template    string         `bun:"template_key"`
			Version     int            `bun:"template_version"`
			ActualAt    time.Time      `bun:"actual_at,nullzero"`
			PlannedAt   time.Time      `bun:"planned_at,nullzero"`
			Channel     string         `bun:"channel"`
			Result      string         `bun:"result"`
			PublicMemo  string         `bun:"public_memo"`
			PrivateMemo string         `bun:"private_memo"`
			Values      map[string]any `bun:"fields,type:jsonb"`
		}
		err = db.NewSelect().TableExpr("contact_records AS r").
			Column("r.id", "r.template_key", "r.template_version", "r.actual_at", "r.planned_at", "r.channel", "r.result",
				"r.public_memo", "r.private_memo", "r.fields").
			Where(pred.SQL, pred.Args...).Where("r.tenant_id = ? AND r.customer_id = ? AND r.deleted_at IS NULL", p.Tenant, f.yamada).
			OrderExpr("r.occurred_at, r.id").Scan(ctx, &recs)
		if err != nil {
			return 0, 0, err
		}
		ids := make([]uuid.UUID, len(recs))
		for i, r := range recs {
			ids[i] = r.ID
		}
		var people []struct {
			Record uuid.UUID `bun:"record_id"`
			User   uuid.UUID `bun:"user_id"`
			Role   string    `bun:"role"`
		}
		if err := db.NewSelect().TableExpr("contact_record_people").Column("record_id", "user_id", "role").
			Where("tenant_id = ? AND record_id IN (?)", p.Tenant, bun.List(ids)).Scan(ctx, &people); err != nil {
			return 0, 0, err
		}
		var files []struct {
			ID     uuid.UUID `bun:"id"`
			Record uuid.UUID `bun:"record_id"`
			Name   string    `bun:"name"`
			Kind   string    `bun:"kind"`
			Size   int64     `bun:"size"`
		}
		if err := db.NewSelect().TableExpr("contact_attachments").Column("id", "record_id", "name", "kind", "size").
			Where("tenant_id = ? AND record_id IN (?)", p.Tenant, bun.List(ids)).OrderExpr("record_id, id").Scan(ctx, &files); err != nil {
			return 0, 0, err
		}
		for _, a := range files {
			if a.Kind != string(contactlog.AttachmentImage) {
				continue
			}
			rc, err := f.store.Get(ctx, fmt.Sprintf("t/%s/a/%s/%s", p.Tenant, a.Record, a.ID))
			if err != nil {
				return 0, 0, err
			}
			_, err = io.Copy(io.Discard, rc)
			rc.Close()
			if err != nil {
				return 0, 0, err
			}
			photos++
		}
		return len(recs), photos, nil
	}
	// Same data.
	er, ep, err := engineRead()
	require.NoError(b, err)
	hr, hp, err := handRead()
	require.NoError(b, err)
	require.Equal(b, [2]int{20, 10}, [2]int{er, ep})
	require.Equal(b, [2]int{er, ep}, [2]int{hr, hp})
	for name, read := range map[string]func() (int, int, error){"engine": engineRead, "hand": handRead} {
		b.Run("read/"+name, func(b *testing.B) {
			var times []time.Duration
			for b.Loop() {
				start := time.Now()
				if _, _, err := read(); err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(start))
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
		})
	}
}

type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// phonePhoto is a JPEG like a phone's photo of a page: 4032×3024 pixels
// (12 megapixels), a gradient with fine noise, about 3 MB at quality 85.
var phonePhoto = sync.OnceValue(func() []byte {
	const w, h, noise = 4032, 3024, 14
	rng := rand.New(rand.NewPCG(1, 2))
	m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		for x := range w {
			m.Y[y*m.YStride+x] = uint8(min(255, max(0, 60+140*(x+y)/(w+h)+rng.IntN(2*noise+1)-noise)))
		}
	}
	for y := range (h + 1) / 2 {
		for x := range (w + 1) / 2 {
			m.Cb[y*m.CStride+x], m.Cr[y*m.CStride+x] = uint8(100+50*x/w), uint8(140-40*y/h)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 85}); err != nil {
		panic(err)
	}
	return buf.Bytes()
})

// benchExport exports f's customer with a cover, the private memos and a
// password, reporting p50-ms, peak-heap-MB and pdf-MB.
func benchExport(b *testing.B, exp *pdf.Exporter, f *fixture) {
	opt := pdf.Options{Cover: true, Password: password, IncludePrivateMemo: true}
	runtime.GC()
	base := heapBytes()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
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
	})
	var times []time.Duration
	var size int
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		cw := &countingWriter{}
		require.NoError(b, exp.Customer(f.staff, cw, f.yamada, opt))
		times = append(times, time.Since(start))
		size = cw.n
	}
	close(stop)
	wg.Wait()
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(peak.Load()-min(base, peak.Load()))/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(size)/(1<<20), "pdf-MB")
}
