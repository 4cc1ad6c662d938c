package apiservice_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/odsim/odsim/apiservice"
	"github.com/odsim/odsim/control"
	"github.com/odsim/odsim/store/storetest"
	"github.com/odsim/odsim/subscriptions"
)

// start runs a Service on a free port against a fresh test database and closes it when the test ends.
func start(t *testing.T, cfg apiservice.Config) *apiservice.Service {
	t.Helper()
	if cfg.DSN == "" {
		cfg.DSN = storetest.NewDSN(t)
	}
	cfg.Listen = "127.0.0.1:0"
	s, err := apiservice.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestServiceDeliversAndCloses: a started Service answers health, creates its --subscribe
// subscriptions, delivers a change through the control API's poll now, and Close ends Wait with nil.
func TestServiceDeliversAndCloses(t *testing.T) {
	t.Parallel()
	var posts atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		io.Copy(io.Discard, r.Body)
	}))
	t.Cleanup(recv.Close)
	s := start(t, apiservice.Config{
		Workstations: []string{"MOLLYR"},
		Subscribe:    []subscriptions.Spec{{EndPointURL: recv.URL + "/", WatchTable: subscriptions.Appointment, PollingSeconds: 3600}},
		SubscribeKey: "VzkmZEaUWOjnQX2z",
	})
	if got := s.Subscribed(); len(got) != 1 || got[0].Existing || got[0].Subscription.WatchTable != subscriptions.Appointment {
		t.Fatalf("Subscribed() = %+v", got)
	}
	res, err := http.Get(s.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %s", res.Status)
	}
	// One appointment, inside the window once the cursor is an hour back; poll now delivers it.
	if _, err := s.DB().SQL().Exec("INSERT INTO appointment (AptNum, PatNum) VALUES (1, 1)"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().SQL().Exec("UPDATE apisubscription SET DateTimeStart = DateTimeStart - INTERVAL 1 HOUR"); err != nil {
		t.Fatal(err)
	}
	c, err := control.NewClient(s.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	res2, err := c.Poll(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(res2.Outcomes) != 1 || posts.Load() != 1 {
		t.Fatalf("poll now: %d outcomes, receiver got %d POSTs; want 1 and 1", len(res2.Outcomes), posts.Load())
	}

	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Wait after Close: %v", err)
	}
	if _, err := http.Get(s.URL() + "/healthz"); err == nil {
		t.Fatal("the listener still answers after Close")
	}
}

// TestStartFailsCleanly: a port in use is refused with a message that says what to do, and nothing is
// left running (the embedded database's port is free again).
func TestStartFailsCleanly(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	_, err = apiservice.Start(context.Background(), apiservice.Config{Listen: busy.Addr().String(), EmbeddedAddr: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), "--listen") {
		t.Fatalf("Start on a busy port: %v", err)
	}

	// The database is opened after the listener: a bad DSN closes the listener again.
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := free.Addr().String()
	free.Close()
	_, err = apiservice.Start(context.Background(), apiservice.Config{Listen: addr, DSN: "root@tcp(127.0.0.1:1)/opendental"})
	if err == nil {
		t.Fatal("Start with an unreachable database succeeded")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the API port is still taken after a failed Start: %v", err)
	}
	ln.Close()
}
