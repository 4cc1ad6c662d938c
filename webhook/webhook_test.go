package webhook_test

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/odsim/odsim/webhook"
)

func TestSendHeadersAndSuccessRule(t *testing.T) {
	t.Parallel()
	var got http.Header
	var gotBody string
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	s := webhook.NewSender(webhook.Config{UserAgent: "odsim/test"})
	req := webhook.Request{URL: srv.URL + "/x?y=1", CustomerKey: "VzkmZEaUWOjnQX2z", Workstation: "MOLLYR", EventType: "WatchTable: Patient", Body: []byte(`[{"PatNum":1}]`)}

	res := s.Send(context.Background(), req)
	if !res.OK() || res.Status != 200 {
		t.Fatalf("result %+v, want 200 OK", res)
	}
	want := map[string]string{
		"Authorization": "VzkmZEaUWOjnQX2z",
		"Workstation":   "MOLLYR",
		"Event-Type":    "WatchTable: Patient",
		"Content-Type":  "application/json",
		"User-Agent":    "odsim/test",
		"Accept":        "",
	}
	if got.Get("Accept-Encoding") != "" {
		t.Errorf("received Accept-Encoding %q; Open Dental sends none", got.Get("Accept-Encoding"))
	}
	for k, v := range want {
		if got.Get(k) != v {
			t.Errorf("received %s = %q, want %q", k, got.Get(k), v)
		}
		if res.Header.Get(k) != v {
			t.Errorf("reported as sent %s = %q, want %q", k, res.Header.Get(k), v)
		}
	}
	if gotBody != `[{"PatNum":1}]` {
		t.Errorf("body %q", gotBody)
	}

	for _, code := range []int{201, 204, 301, 302, 400, 500, 503} {
		status = code
		res := s.Send(context.Background(), req)
		if res.OK() || res.Status != code || res.Err != nil {
			t.Errorf("HTTP %d: result %+v, want a failed delivery with status %d", code, res, code)
		}
	}
}

func TestSendTimeoutAndConnectionError(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	s := webhook.NewSender(webhook.Config{Timeout: 100 * time.Millisecond})
	res := s.Send(context.Background(), webhook.Request{URL: srv.URL, Body: []byte("[]")})
	if res.OK() || res.Err == nil || !strings.Contains(res.Err.Error(), "timeout") {
		t.Errorf("slow receiver: %+v, want a timeout", res)
	}
	if !errors.Is(res.Err, context.DeadlineExceeded) && !isTimeout(res.Err) {
		t.Errorf("slow receiver: the cause is not in the chain: %#v", res.Err)
	}
	res = s.Send(context.Background(), webhook.Request{URL: "http://127.0.0.1:1/hook?token=s3cret", Body: []byte("[]")})
	if res.OK() || res.Err == nil || res.Status != 0 {
		t.Errorf("nothing listening: %+v, want a connection error", res)
	}
	// The message names the failure without the URL (which may hold secrets); the chain keeps the cause.
	if !errors.Is(res.Err, syscall.ECONNREFUSED) || strings.Contains(res.Err.Error(), "s3cret") || strings.Contains(res.Err.Error(), "Post ") {
		t.Errorf("nothing listening: %q (%#v), want connection refused in the chain and no URL", res.Err, res.Err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Reachable costs nothing while an endpoint takes connections, and one connection attempt once it has
// refused one: it reports the refusal again while the endpoint is down, and nil once it listens again.
func TestReachable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A port nothing listens on, that this test listens on again later; should another process take
	// it meanwhile, the test starts over with another port.
	for try := 1; ; try++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens at addr now
		url := "http://" + addr + "/hook"
		s := webhook.NewSender(webhook.Config{Timeout: 5 * time.Second})
		if err := s.Reachable(ctx, url); err != nil {
			t.Fatalf("before any attempt: %v, want nil (nothing known)", err)
		}
		if res := s.Send(ctx, webhook.Request{URL: url, Body: []byte("[]")}); !errors.Is(res.Err, syscall.ECONNREFUSED) {
			t.Fatalf("POST to a closed port: %v", res.Err)
		}
		if err := s.Reachable(ctx, url); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("after a refused POST: %v, want connection refused", err)
		}
		ln, err = net.Listen("tcp", addr)
		if err != nil {
			if try == 5 {
				t.Fatalf("could not listen again on a port five times: %v", err)
			}
			continue
		}
		t.Cleanup(func() { ln.Close() })
		if err := s.Reachable(ctx, url); err != nil {
			t.Fatalf("once it listens again: %v, want nil", err)
		}
		if err := s.Reachable(ctx, "http://"+addr+"/other"); err != nil {
			t.Fatalf("the port takes connections: %v", err)
		}
		break
	}
	// Through a Config.Client the Sender sees no connections, and answers nil.
	own := webhook.NewSender(webhook.Config{Client: &http.Client{}})
	own.Send(ctx, webhook.Request{URL: "http://127.0.0.1:1/", Body: []byte("[]")})
	if err := own.Reachable(ctx, "http://127.0.0.1:1/"); err != nil {
		t.Errorf("with a Config.Client: %v", err)
	}
}

// TestSendHTTPSWithRootCAs: an https EndPointUrl whose certificate a CA of RootCAs signed is delivered;
// without that CA the POST fails verification (a failed delivery, not a crash).
func TestSendHTTPSWithRootCAs(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	req := webhook.Request{URL: srv.URL + "/apievents/", CustomerKey: "k", Workstation: "MOLLYR", EventType: "WatchTable: Patient", Body: []byte(`[]`)}

	if res := webhook.NewSender(webhook.Config{RootCAs: pool}).Send(context.Background(), req); !res.OK() {
		t.Errorf("with the CA: %+v, want 200 OK", res)
	}
	res := webhook.NewSender(webhook.Config{}).Send(context.Background(), req)
	if res.OK() || res.Err == nil || !strings.Contains(res.Err.Error(), "certificate") {
		t.Errorf("without the CA: %+v, want a certificate error", res)
	}
}
