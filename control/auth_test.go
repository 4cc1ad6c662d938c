package control_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/odsim/odsim/control"
	"github.com/odsim/odsim/deliveries"
)

// controlRoutes are a request to every route of the control API (and to an unknown one under it).
var controlRoutes = []struct{ method, path, body string }{
	{"POST", "/odsim/v1/select-patient", `{"workstation":"MOLLYR","patNum":27}`},
	{"POST", "/odsim/v1/poll", `{}`},
	{"GET", "/odsim/v1/deliveries", ""},
	{"GET", "/odsim/v1/deliveries/1", ""},
	{"GET", "/odsim/v1/workstations", ""},
	{"GET", "/odsim/v1/nothing-here", ""},
}

// serveFrom sends a request to handler as if it came from remote (host:port) and returns the answer.
func serveFrom(handler http.Handler, remote, method, path, auth, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = remote
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	return rec
}

func errorOf(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var e struct{ Error string }
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("answer %d %q is not a JSON error", rec.Code, rec.Body.String())
	}
	return e.Error
}

// Without --control-token the control API serves only loopback peers: every route refuses another
// address with 403 before doing anything, even though odsim may listen on 0.0.0.0.
func TestControlAPIIsLoopbackOnlyWithoutToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, deliveries.Config{})
	rc := newReceiver(t, http.StatusOK)
	h.subscribe(rc.URL(), "", "", 0, "")
	h.subscribe(rc.URL(), "", "Patient", 1, "NOW() - INTERVAL 1 HOUR")
	mux := http.NewServeMux()
	control.Register(mux, control.Services{Poller: h.p, Workstations: h.ws, Log: h.log, Clock: h.db}, control.Options{})

	for _, remote := range []string{"192.0.2.7:40000", "[2001:db8::1]:40000", "10.0.0.1:1"} {
		for _, r := range controlRoutes {
			rec := serveFrom(mux, remote, r.method, r.path, "", r.body)
			if rec.Code != http.StatusForbidden || !strings.Contains(errorOf(t, rec), "only requests from this machine") {
				t.Errorf("%s %s from %s = %d %s, want 403", r.method, r.path, remote, rec.Code, rec.Body.String())
			}
		}
	}
	if n := len(rc.requests()); n != 0 || h.log.LastID() != 0 {
		t.Errorf("refused requests sent %d POSTs and logged %d deliveries", n, h.log.LastID())
	}
	for _, w := range h.ws.List() {
		if w.PatNum != 0 {
			t.Errorf("a refused request selected patient %d", w.PatNum)
		}
	}
	for _, remote := range []string{"127.0.0.1:40000", "[::1]:40000", "127.0.0.2:1"} {
		if rec := serveFrom(mux, remote, "GET", "/odsim/v1/workstations", "", ""); rec.Code != http.StatusOK {
			t.Errorf("GET workstations from %s = %d %s", remote, rec.Code, rec.Body.String())
		}
	}
}

// The same on a real listener on every interface: a request reaching it through the machine's own
// non-loopback address is refused, one through 127.0.0.1 is served.
func TestControlAPIOnAllInterfacesRefusesOtherAddresses(t *testing.T) {
	t.Parallel()
	ip := nonLoopbackIP(t)
	h := newHarness(t, deliveries.Config{})
	mux := http.NewServeMux()
	control.Register(mux, control.Services{Poller: h.p, Workstations: h.ws, Log: h.log, Clock: h.db}, control.Options{})
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	port := ln.Addr().(*net.TCPAddr).Port

	get := func(host string) int {
		resp, err := http.Get("http://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/odsim/v1/workstations")
		if err != nil {
			t.Fatalf("GET through %s: %v", host, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(ip.String()); got != http.StatusForbidden {
		t.Errorf("through %s: %d, want 403", ip, got)
	}
	if got := get("127.0.0.1"); got != http.StatusOK {
		t.Errorf("through 127.0.0.1: %d, want 200", got)
	}
}

// nonLoopbackIP is an address of this machine other than loopback; the test skips when there is none.
func nonLoopbackIP(t *testing.T) net.IP {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skipf("no interface addresses: %v", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil && !n.IP.IsLinkLocalUnicast() {
			return n.IP
		}
	}
	t.Skip("this machine has no non-loopback IPv4 address to call itself through")
	return nil
}

// With --control-token every control request needs "Authorization: Bearer <token>", from any address,
// loopback included; the Go client (and so the CLI) sends it when given the token.
func TestControlAPITokenIsRequiredWhenSet(t *testing.T) {
	t.Parallel()
	const token = "s3cret-control-token"
	h := newHarness(t, deliveries.Config{})
	mux := http.NewServeMux()
	control.Register(mux, control.Services{Poller: h.p, Workstations: h.ws, Log: h.log, Clock: h.db}, control.Options{Token: token})

	bad := []struct{ name, auth string }{
		{"none", ""},
		{"wrong token", "Bearer not-the-token"},
		{"token prefix", "Bearer " + token[:5]},
		{"other scheme", "Basic " + token},
		{"token alone", token},
		{"ODFHIR key pair", "ODFHIR NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z"},
	}
	for _, remote := range []string{"127.0.0.1:5000", "192.0.2.7:5000"} {
		for _, b := range bad {
			for _, r := range controlRoutes {
				rec := serveFrom(mux, remote, r.method, r.path, b.auth, r.body)
				msg := errorOf(t, rec)
				if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != `Bearer realm="odsim control"` ||
					!strings.Contains(msg, "Authorization: Bearer <token>") || strings.Contains(msg, token) {
					t.Errorf("%s: %s %s from %s = %d %q (%s)", b.name, r.method, r.path, remote, rec.Code, msg, rec.Header().Get("WWW-Authenticate"))
				}
			}
		}
		for _, auth := range []string{"Bearer " + token, "bearer " + token} {
			if rec := serveFrom(mux, remote, "GET", "/odsim/v1/workstations", auth, ""); rec.Code != http.StatusOK {
				t.Errorf("%q from %s = %d %s", auth, remote, rec.Code, rec.Body.String())
			}
		}
	}
	if h.log.LastID() != 0 {
		t.Errorf("refused requests logged %d deliveries", h.log.LastID())
	}

	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := control.NewClient(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	var apiErr *control.APIError
	if _, err := c.Workstations(context.Background()); !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized {
		t.Errorf("client without the token: %v, want 401", err)
	}
	c.SetControlToken(token)
	if _, err := c.Workstations(context.Background()); err != nil {
		t.Errorf("client with the token: %v", err)
	}
}

// Guard puts control routes of other packages (the scenario runs) under the same rule.
func TestGuard(t *testing.T) {
	t.Parallel()
	called := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called++ })
	cases := []struct {
		token, remote, auth string
		status              int
	}{
		{"", "192.0.2.7:1", "", http.StatusForbidden},
		{"", "127.0.0.1:1", "", http.StatusOK},
		{"tok", "127.0.0.1:1", "", http.StatusUnauthorized},
		{"tok", "192.0.2.7:1", "Bearer wrong", http.StatusUnauthorized},
		{"tok", "192.0.2.7:1", "Bearer tok", http.StatusOK},
	}
	for _, c := range cases {
		before := called
		rec := serveFrom(control.Guard(c.token, h), c.remote, "POST", "/odsim/v1/scenarios", c.auth, `{"scenario":"clinic-day"}`)
		if rec.Code != c.status || (called > before) != (c.status == http.StatusOK) {
			t.Errorf("token %q from %s with %q: %d (handler called: %v), want %d", c.token, c.remote, c.auth, rec.Code, called > before, c.status)
		}
	}
}
