package media

import (
	"bytes"
	"encoding/binary"
	"image"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// photo returns a w×h baseline 4:2:0 JPEG with Orientation 6 and
// photo-like noise, so that its encoded size is realistic.
func photo(b *testing.B, w, h int) []byte {
	b.Helper()
	m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range m.Y {
		m.Y[i] = uint8(i%w/32*8) + uint8(r.IntN(24))
	}
	for i := range m.Cb {
		m.Cb[i], m.Cr[i] = 110+uint8(r.IntN(8)), 140+uint8(r.IntN(8))
	}
	return withJPEGSegments(encodeJPEG(b, m), jpegSegment(0xE1, cat("Exif\x00\x00", orientationExif(binary.BigEndian, 6))))
}

// BenchmarkProcessImage measures a 12 MP and a 24 MP phone photo held
// upright (Orientation 6). B/op is what ProcessImage allocates; peak-MB is
// the largest live heap seen, which the package documentation's budget
// describes.
func BenchmarkProcessImage(b *testing.B) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"12MP", 4000, 3000}, {"24MP", 6000, 4000}} {
		b.Run(size.name, func(b *testing.B) {
			data := photo(b, size.w, size.h)
			b.ReportAllocs()
			var peak, stored uint64
			for b.Loop() {
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				var p uint64
				stop := sampleHeap(&p)
				out, err := ProcessImage(bytes.NewReader(data), 0)
				if err != nil {
					b.Fatal(err)
				}
				stop()
				peak = max(peak, p-min(p, before.HeapAlloc))
				stored = uint64(len(out.Data))
			}
			b.ReportMetric(float64(len(data))/1e6, "upload-MB")
			b.ReportMetric(float64(stored)/1e6, "stored-MB")
			b.ReportMetric(float64(peak)/1e6, "peak-MB")
		})
	}
}

// sampleHeap records the largest HeapAlloc seen every millisecond until
// stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var ms runtime.MemStats
		for {
			select {
			case <-done:
				return
			default:
			}
			runtime.ReadMemStats(&ms)
			*peak = max(*peak, ms.HeapAlloc)
			time.Sleep(time.Millisecond)
		}
	}()
	return func() { close(done); <-finished }
}
