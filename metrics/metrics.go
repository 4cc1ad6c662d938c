// Package metrics exposes odsim's delivery counters in Prometheus's format at /metrics: attempts by
// event type and outcome, elements delivered, and how long subscribers took to answer.
package metrics

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/odsim/odsim/deliveries"
)

// Metrics holds odsim's collectors in a registry of their own (no global state).
type Metrics struct {
	registry  *prometheus.Registry
	attempts  *prometheus.CounterVec
	elements  *prometheus.CounterVec
	latencies *prometheus.HistogramVec
}

// New returns the collectors, registered with Go runtime and process metrics.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "odsim_delivery_attempts_total",
			Help: "Event POSTs attempted, by Event-Type, outcome (delivered: HTTP 200; failed: anything else) and HTTP status (0: no answer).",
		}, []string{"event_type", "outcome", "status"}),
		elements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "odsim_delivered_elements_total",
			Help: "Rows (or UI event objects) in POSTs that were answered with 200, by Event-Type.",
		}, []string{"event_type"}),
		latencies: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "odsim_delivery_seconds",
			Help:    "Time from sending a POST to the end of the subscriber's answer (or the failure).",
			Buckets: []float64{.001, .005, .01, .05, .1, .5, 1, 5, 15, 60},
		}, []string{"event_type"}),
	}
	m.registry.MustRegister(m.attempts, m.elements, m.latencies,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observe counts one delivery attempt.
func (m *Metrics) Observe(a deliveries.Attempt) {
	et := a.Request.EventType
	outcome := "failed"
	if a.Result.OK() {
		outcome = "delivered"
		m.elements.WithLabelValues(et).Add(float64(a.Elements))
	}
	m.attempts.WithLabelValues(et, outcome, strconv.Itoa(a.Result.Status)).Inc()
	m.latencies.WithLabelValues(et).Observe(a.Result.Latency.Seconds())
}

// Handler serves the metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
