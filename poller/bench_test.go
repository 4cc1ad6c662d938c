package poller_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/odsim/odsim/poller"
	"github.com/odsim/odsim/store/storetest"
	"github.com/odsim/odsim/webhook"
)

// BenchmarkPollCycle10kAppointments measures one full poll of a window holding 10,000 changed
// appointments (ten POSTs of 1000), as odsim serve's timer runs it, to a loopback receiver that reads and discards each body: as
// `go test` runs it alone ("bare"), and with an observer that keeps a copy of every body and its keys
// as odsim serve's delivery log does ("observed"). It reports rows/s and allocations; compare runs
// with benchstat, never assert on it. bench/ measures the same path end to end at larger sizes.
func BenchmarkPollCycle10kAppointments(b *testing.B) {
	db := storetest.New(b)
	var posts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		posts.Add(1)
	}))
	b.Cleanup(srv.Close)
	exec := func(q string, args ...any) {
		if _, err := db.SQL().Exec(q, args...); err != nil {
			b.Fatal(err)
		}
	}
	for done := 0; done < 10000; done += 1000 {
		var q strings.Builder
		q.WriteString("INSERT INTO appointment (AptNum, PatNum, AptStatus, Pattern, Confirmed, Op, ProvNum, AptDateTime, ProcDescript, Note, DateTStamp) VALUES ")
		for i := done; i < done+1000; i++ {
			if i > done {
				q.WriteString(",")
			}
			q.WriteString("(" + strconv.Itoa(i+1) + ", " + strconv.Itoa(1+i%500) + ", 1, '//XXXX//', 21, 1, 1, '2026-12-01 09:00:00', 'PerEx, Pro, 4BW', 'Patient prefers mornings', NOW() - INTERVAL " + strconv.Itoa(10+i%3000) + " SECOND)")
		}
		exec(q.String())
	}
	exec("INSERT INTO apisubscription (EndPointUrl, Workstation, CustomerKey, WatchTable, PollingSeconds, UiEventType, DateTimeStart, DateTimeStop, Note) VALUES (?, '', 'k', 'Appointment', 5, '', NOW() - INTERVAL 2 HOUR, '0001-01-01 00:00:00', '')", srv.URL)
	sender := webhook.NewSender(webhook.Config{})

	for _, bc := range []struct {
		name    string
		observe func(poller.Delivery)
	}{
		{"bare", nil},
		{"observed", func(d poller.Delivery) {
			kept := append([]byte(nil), d.Request.Body...)
			keys := append([]int64(nil), d.Keys...)
			_, _ = kept, keys
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := poller.New(poller.Config{Workstations: []string{"BENCH"}, Observe: bc.observe}, db, sender)
			var rows int
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				exec("UPDATE apisubscription SET DateTimeStart = NOW() - INTERVAL 2 HOUR")
				b.StartTimer()
				before := posts.Load()
				p.Tick(b.Context()) // the timed path of odsim serve: the subscription is due
				p.Wait()
				if n := posts.Load() - before; n != 10 {
					b.Fatalf("poll cycle made %d POSTs, want 10", n)
				}
				rows += 10000
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
