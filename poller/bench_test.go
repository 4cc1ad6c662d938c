package poller_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/odsim/odsim/poller"
	"github.com/odsim/odsim/store/storetest"
	"github.com/odsim/odsim/webhook"
)

// BenchmarkPollCycle10kAppointments measures one full poll of a window holding 10,000 changed
// appointments (ten POSTs of 1000) to a loopback receiver that reads and discards each body.
// It reports rows/s; compare runs with benchstat, never assert on it.
func BenchmarkPollCycle10kAppointments(b *testing.B) {
	db := storetest.New(b)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	b.Cleanup(srv.Close)
	p := poller.New(poller.Config{Workstations: []string{"BENCH"}}, db, webhook.NewSender(webhook.Config{}))
	exec := func(q string, args ...any) {
		if _, err := db.SQL().Exec(q, args...); err != nil {
			b.Fatal(err)
		}
	}
	for done := 0; done < 10000; done += 1000 {
		q := "INSERT INTO appointment (AptNum, PatNum, AptStatus, Pattern, Confirmed, Op, ProvNum, AptDateTime, ProcDescript, Note, DateTStamp) VALUES "
		for i := done; i < done+1000; i++ {
			if i > done {
				q += ","
			}
			q += "(" + strconv.Itoa(i+1) + ", " + strconv.Itoa(1+i%500) + ", 1, '//XXXX//', 21, 1, 1, '2026-12-01 09:00:00', 'PerEx, Pro, 4BW', 'Patient prefers mornings', NOW() - INTERVAL " + strconv.Itoa(10+i%3000) + " SECOND)"
		}
		exec(q)
	}
	exec("INSERT INTO apisubscription (EndPointUrl, Workstation, CustomerKey, WatchTable, PollingSeconds, UiEventType, DateTimeStart, DateTimeStop, Note) VALUES (?, '', 'k', 'Appointment', 5, '', NOW() - INTERVAL 2 HOUR, '0001-01-01 00:00:00', '')", srv.URL)
	b.ResetTimer()
	var rows int
	for b.Loop() {
		b.StopTimer()
		exec("UPDATE apisubscription SET DateTimeStart = NOW() - INTERVAL 2 HOUR")
		b.StartTimer()
		out, err := p.PollNow(b.Context(), 0)
		if err != nil || out[0].Err != nil || out[0].Delivered != 10000 {
			b.Fatalf("poll: %v %+v", err, out)
		}
		rows += out[0].Delivered
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
