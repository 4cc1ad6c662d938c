package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/odsim/odsim/deliveries"
	"github.com/odsim/odsim/metrics"
	"github.com/odsim/odsim/webhook"
)

func TestObserveAndServe(t *testing.T) {
	m := metrics.New()
	ok := deliveries.Attempt{Request: webhook.Request{EventType: "WatchTable: Appointment"}, Elements: 1000,
		Result: webhook.Result{Status: 200, Latency: 20 * time.Millisecond}}
	failed := ok
	failed.Result = webhook.Result{Status: 500, Latency: time.Second}
	m.Observe(ok)
	m.Observe(ok)
	m.Observe(failed)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`odsim_delivery_attempts_total{event_type="WatchTable: Appointment",outcome="delivered",status="200"} 2`,
		`odsim_delivery_attempts_total{event_type="WatchTable: Appointment",outcome="failed",status="500"} 1`,
		`odsim_delivered_elements_total{event_type="WatchTable: Appointment"} 2000`,
		`odsim_delivery_seconds_count{event_type="WatchTable: Appointment"} 3`,
		`go_goroutines `,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
