package deliveries_test

import (
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

// BenchmarkLog100k adds 100,000 deliveries (each ~1 KB of body and 3 keys) to a log with the default
// bounds and reports the heap the log holds afterwards: it must stay near what 10,000 records need,
// not grow with the number of deliveries. Run with -benchtime=1x for one pass:
//
//	go test ./deliveries -run '^$' -bench Log100k -benchtime=1x
func BenchmarkLog100k(b *testing.B) {
	a := attempt(7, "Appointment", 200, 101, 102, 103)
	a.Request.Body = make([]byte, 1024)
	for i := range a.Request.Body {
		a.Request.Body[i] = 'x'
	}
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
		runtime.KeepAlive(l)
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
