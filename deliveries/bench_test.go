package deliveries_test

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"github.com/odsim/odsim/deliveries"
)

// heapInUse returns the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkLog100k adds 100,000 deliveries (3 keys each) to a log with the default bounds (10,000
// records, 64 MiB of bodies and keys) and reports the heap the log holds afterwards: it must stay near
// what 10,000 records need — or the byte budget, for large bodies — not grow with the number of
// deliveries. Run one pass with:
//
//	go test ./deliveries -run '^$' -bench Log100k -benchtime=1x
func BenchmarkLog100k(b *testing.B) {
	for _, size := range []int{1 << 10, 16 << 10} {
		b.Run(fmt.Sprintf("body=%dKiB", size>>10), func(b *testing.B) {
			a := attempt(7, "Appointment", 200, 101, 102, 103)
			a.Request.Body = bytes.Repeat([]byte("x"), size)
			for b.Loop() {
				before := heapInUse()
				l := deliveries.New(deliveries.Config{})
				var peak uint64
				for i := range 100_000 {
					l.Add(a)
					if i%10_000 == 9_999 {
						peak = max(peak, heapInUse())
					}
				}
				after := heapInUse()
				s := l.Stats()
				b.ReportMetric(float64(after-before)/(1<<20), "MiB-held")
				b.ReportMetric(float64(peak-before)/(1<<20), "MiB-peak")
				b.ReportMetric(float64(s.Records), "records")
				b.ReportMetric(float64(100_000*size)/(1<<20), "MiB-bodies-sent")
				runtime.KeepAlive(l)
			}
		})
	}
}

// TestLogStaysBounded is the same load as BenchmarkLog100k, checked by the log's own accounting (no
// timing, no heap figures, which vary by platform): 100,000 deliveries leave exactly Capacity records
// and never more than DetailBytes of bodies and keys.
func TestLogStaysBounded(t *testing.T) {
	t.Parallel()
	a := attempt(7, "Appointment", 200, 101, 102, 103)
	a.Request.Body = make([]byte, 1024)
	cfg := deliveries.Config{Capacity: 10_000, DetailBytes: 4 << 20}
	l := deliveries.New(cfg)
	for i := range 100_000 {
		l.Add(a)
		if s := l.Stats(); s.DetailBytes > cfg.DetailBytes {
			t.Fatalf("after %d deliveries the log holds %d bytes of detail, over its %d budget", i+1, s.DetailBytes, cfg.DetailBytes)
		}
	}
	s := l.Stats()
	if s.Records != cfg.Capacity {
		t.Errorf("holds %d records, want %d", s.Records, cfg.Capacity)
	}
	p := l.List(deliveries.Filter{Limit: 1})
	if p.FirstID != 90_001 || p.LastID != 100_000 {
		t.Errorf("IDs %d..%d, want 90001..100000", p.FirstID, p.LastID)
	}
	newest, _ := l.Get(100_000)
	oldest, _ := l.Get(90_001)
	if newest.Body == nil || oldest.Body != nil || !oldest.BodyTruncated {
		t.Errorf("newest keeps its body (%v), oldest released it (%v)", newest.Body != nil, oldest.Body == nil)
	}
}
