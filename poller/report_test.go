package poller_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log destination the test reads while the poller writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// lines returns the lines written since the last call.
func (s *syncBuffer) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	text := strings.TrimSpace(s.b.String())
	s.b.Reset()
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

// An endpoint that is down is logged once when its subscription starts failing, then summed up at
// most once a minute, and once more when it delivers again: not a warning per attempt (issue 17 §6).
func TestFailingSubscriptionIsLoggedOncePerMinute(t *testing.T) {
	t.Parallel()
	var log syncBuffer
	clock := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	h := newHarness(t, harnessConfig{
		logger: slog.New(slog.NewTextHandler(&log, nil)),
		now:    func() time.Time { return clock }, // read between polls only
	})
	h.insertAppointments(1, 2, func(int) int { return 30 })
	num := h.subscribe("http://127.0.0.1:1/down", "Appointment", "", 1, "NOW() - INTERVAL 1 HOUR")
	poll := func() {
		t.Helper()
		h.pollNow(num)
		clock = clock.Add(10 * time.Second) // PollingSeconds 10
	}

	poll()
	got := log.lines()
	if len(got) != 1 || !strings.Contains(got[0], "level=WARN") || !strings.Contains(got[0], "not delivered") || !strings.Contains(got[0], "connection refused") {
		t.Fatalf("first failure logged %q, want one warning with the cause", got)
	}
	for range 5 { // attempts 2 to 6, within the first minute
		poll()
	}
	if got := log.lines(); len(got) != 0 {
		t.Fatalf("attempts within the first minute logged %d lines: %q", len(got), got)
	}
	poll() // a minute after the first
	got = log.lines()
	if len(got) != 1 || !strings.Contains(got[0], "still failing: 7 attempts since 09:00:00, last: ") || !strings.Contains(got[0], "connection refused") {
		t.Fatalf("a minute of failures logged %q, want one summary", got)
	}
	for range 3 {
		poll()
	}
	if got := log.lines(); len(got) != 0 {
		t.Fatalf("half a minute more logged %q", got)
	}
	rc := newReceiver(t, nil)
	h.exec("UPDATE apisubscription SET EndPointUrl = ? WHERE ApiSubscriptionNum = ?", rc.URL(), num)
	poll()
	got = log.lines()
	if len(got) != 2 || !strings.Contains(got[0], "delivers again after 10 failed attempts over 1m40s") || !strings.Contains(got[1], "msg=delivered") {
		t.Fatalf("recovery logged %q, want one line saying so, then the delivery", got)
	}
	// A new failure starts a new run, told at once.
	h.exec("UPDATE apisubscription SET EndPointUrl = 'http://127.0.0.1:1/down' WHERE ApiSubscriptionNum = ?", num)
	h.insertAppointments(3, 1, func(int) int { return 0 })
	h.advance(time.Second)
	poll()
	if got := log.lines(); len(got) != 1 || !strings.Contains(got[0], "not delivered") {
		t.Fatalf("a new failure logged %q, want one warning", got)
	}
}
