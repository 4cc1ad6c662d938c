package webhook_test

import (
	"context"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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
	res = s.Send(context.Background(), webhook.Request{URL: "http://127.0.0.1:1/", Body: []byte("[]")})
	if res.OK() || res.Err == nil || res.Status != 0 {
		t.Errorf("nothing listening: %+v, want a connection error", res)
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
