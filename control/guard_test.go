package control_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/odsim/odsim/control"
	"github.com/odsim/odsim/deliveries"
)

// controlRoutes are a request to every route of the control API (and to an unknown one under it).
var controlRoutes = []struct{ method, path, body string }{
	{"GET", "/odsim/v1/", ""},
	{"POST", "/odsim/v1/select-patient", `{"workstation":"MOLLYR","patNum":27}`},
	{"POST", "/odsim/v1/poll", `{}`},
	{"GET", "/odsim/v1/deliveries", ""},
	{"GET", "/odsim/v1/deliveries/1", ""},
	{"GET", "/odsim/v1/workstations", ""},
	{"GET", "/odsim/v1/nothing-here", ""},
}

// request is one request to a handler, as it would arrive on odsim's listener.
type request struct {
	remote, host, method, path, body string
	header                           http.Header
}

// serve sends r to handler and returns the answer. Unless set, the peer is 127.0.0.1, the Host is
// 127.0.0.1:30223 ("-" sends none) and a body is JSON.
func serve(handler http.Handler, r request) *httptest.ResponseRecorder {
	req := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
	req.RemoteAddr = r.remote
	if req.RemoteAddr == "" {
		req.RemoteAddr = "127.0.0.1:40000"
	}
	switch r.host {
	case "":
		req.Host = "127.0.0.1:30223"
	case "-":
		req.Host = ""
	default:
		req.Host = r.host
	}
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	return rec
}

func errorOf(t *testing.T, rec *httptest.ResponseRecorder) control.ErrorBody {
	t.Helper()
	var e control.ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
		t.Fatalf("answer %d %q is not a JSON error", rec.Code, rec.Body.String())
	}
	return e
}

// guardedAPI is the control API over a fresh database, with a receiver subscribed to PatientSelected
// and to Patient changes, so that a request let through would leave a trace: a POST, a logged
// delivery, a selected patient.
type guardedAPI struct {
	h   *harness
	rc  *receiver
	mux *http.ServeMux
}

func newGuardedAPI(t *testing.T, opts control.Options) *guardedAPI {
	t.Helper()
	h := newHarness(t, deliveries.Config{})
	rc := newReceiver(t, http.StatusOK)
	h.subscribe(rc.URL(), "", "", 0, "")
	h.subscribe(rc.URL(), "", "Patient", 1, "NOW() - INTERVAL 1 HOUR")
	g := &guardedAPI{h: h, rc: rc}
	g.mux = g.with(t, opts)
	return g
}

// with is the same control API (same database, log and workstations) with other options.
func (g *guardedAPI) with(t *testing.T, opts control.Options) *http.ServeMux {
	t.Helper()
	mux := http.NewServeMux()
	if err := control.Register(mux, control.Services{Poller: g.h.p, Workstations: g.h.ws, Log: g.h.log, Clock: g.h.db}, opts); err != nil {
		t.Fatal(err)
	}
	return mux
}

// untouched fails the test if a refused request left a trace.
func (g *guardedAPI) untouched(t *testing.T) {
	t.Helper()
	if n := len(g.rc.requests()); n != 0 || g.h.log.LastID() != 0 {
		t.Errorf("refused requests sent %d POSTs and logged %d deliveries", n, g.h.log.LastID())
	}
	for _, w := range g.h.ws.List() {
		if w.PatNum != 0 {
			t.Errorf("a refused request selected patient %d", w.PatNum)
		}
	}
}

// Without --control-token the control API serves only loopback peers: every route refuses another
// address with 403 before doing anything, even though odsim may listen on 0.0.0.0.
func TestControlAPIIsLoopbackOnlyWithoutToken(t *testing.T) {
	t.Parallel()
	g := newGuardedAPI(t, control.Options{})
	for _, remote := range []string{"192.0.2.7:40000", "[2001:db8::1]:40000", "10.0.0.1:1"} {
		for _, r := range controlRoutes {
			rec := serve(g.mux, request{remote: remote, method: r.method, path: r.path, body: r.body})
			if e := errorOf(t, rec); rec.Code != http.StatusForbidden || e.Code != control.Forbidden || !strings.Contains(e.Error, "only requests from this machine") {
				t.Errorf("%s %s from %s = %d %s, want 403", r.method, r.path, remote, rec.Code, rec.Body.String())
			}
		}
	}
	g.untouched(t)
	for _, remote := range []string{"127.0.0.1:40000", "[::1]:40000", "127.0.0.2:1"} {
		if rec := serve(g.mux, request{remote: remote, method: "GET", path: "/odsim/v1/workstations"}); rec.Code != http.StatusOK {
			t.Errorf("GET workstations from %s = %d %s", remote, rec.Code, rec.Body.String())
		}
	}
}

// The Host header must name this machine, whatever the peer and even with the token: a page on a
// DNS-rebinding domain reaches 127.0.0.1 as a same-origin request, and only its Host gives it away.
func TestControlAPIRefusesHostsThatAreNotThisMachine(t *testing.T) {
	t.Parallel()
	const token = "s3cret"
	g := newGuardedAPI(t, control.Options{})
	for _, opts := range []control.Options{{AllowedHosts: []string{"odsim.test", "192.0.2.2"}}, {Token: token, AllowedHosts: []string{"odsim.test", "192.0.2.2"}}} {
		mux := g.with(t, opts)
		auth := http.Header{"Authorization": {"Bearer " + token}}
		refused := []string{"attacker.example:30223", "attacker.example", "localhost.attacker.example", "127.0.0.1.nip.io:30223",
			"192.0.2.7:30223", "[2001:db8::1]:30223", "odsim.test.attacker.example", "-", "xn--odsim-test:30223", "0.0.0.0:30223"}
		for _, host := range refused {
			for _, r := range append(controlRoutes, struct{ method, path, body string }{"GET", "/odsim/v1/session", ""}) {
				rec := serve(mux, request{host: host, method: r.method, path: r.path, body: r.body, header: auth})
				if e := errorOf(t, rec); rec.Code != http.StatusForbidden || !strings.Contains(e.Error, "is not this machine") {
					t.Errorf("token %v: %s %s with Host %q = %d %s, want 403", opts.Token != "", r.method, r.path, host, rec.Code, rec.Body.String())
				}
			}
		}
		g.untouched(t)
		allowed := []string{"127.0.0.1:30223", "127.0.0.1", "127.1.2.3:30223", "localhost:30223", "LOCALHOST.:30223", "web.localhost:30223",
			"[::1]:30223", "[::ffff:127.0.0.1]:30223", "odsim.test:30223", "ODSIM.TEST", "192.0.2.2:30223"}
		for _, host := range allowed {
			if rec := serve(mux, request{host: host, method: "GET", path: "/odsim/v1/workstations", header: auth}); rec.Code != http.StatusOK {
				t.Errorf("token %v: GET workstations with Host %q = %d %s", opts.Token != "", host, rec.Code, rec.Body.String())
			}
		}
	}
}

// A request that came through a proxy (it carries a forwarding header) is not trusted as local without
// the token: behind a proxy on the same machine every client's peer is loopback. With the token it is
// served.
func TestControlAPIRefusesProxiedRequestsWithoutToken(t *testing.T) {
	t.Parallel()
	g := newGuardedAPI(t, control.Options{})
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Forwarded-Host", "X-Real-Ip", "Via"} {
		for _, r := range controlRoutes {
			rec := serve(g.mux, request{method: r.method, path: r.path, body: r.body, header: http.Header{h: {"203.0.113.5"}}})
			if e := errorOf(t, rec); rec.Code != http.StatusForbidden || !strings.Contains(e.Error, "came through a proxy (it has a "+h+" header)") {
				t.Errorf("%s %s with %s = %d %s, want 403", r.method, r.path, h, rec.Code, rec.Body.String())
			}
		}
	}
	g.untouched(t)

	const token = "s3cret"
	rec := serve(g.with(t, control.Options{Token: token}), request{method: "GET", path: "/odsim/v1/workstations",
		header: http.Header{"X-Forwarded-For": {"203.0.113.5"}, "Authorization": {"Bearer " + token}}})
	if rec.Code != http.StatusOK {
		t.Errorf("proxied with the token: %d %s", rec.Code, rec.Body.String())
	}
}

// A state-changing request must come from no other site's page: http.CrossOriginProtection refuses a
// browser's cross-site request (Sec-Fetch-Site, or an Origin that is not the Host), and a POST must
// say Content-Type: application/json, which a page cannot send across sites without a preflight — an
// empty-body POST /odsim/v1/poll included (a "simple" request, accepted before).
func TestControlAPIRefusesCrossSiteWrites(t *testing.T) {
	t.Parallel()
	g := newGuardedAPI(t, control.Options{})
	cases := []struct {
		name   string
		r      request
		status int
		code   string
	}{
		{"empty-body poll, no content type", request{method: "POST", path: "/odsim/v1/poll"}, 415, control.NotJSON},
		{"form post", request{method: "POST", path: "/odsim/v1/select-patient", body: "workstation=MOLLYR&patNum=27",
			header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}}, 415, control.NotJSON},
		{"text/plain post", request{method: "POST", path: "/odsim/v1/poll", body: "{}", header: http.Header{"Content-Type": {"text/plain"}}}, 415, control.NotJSON},
		{"cross-site fetch", request{method: "POST", path: "/odsim/v1/poll", body: "{}",
			header: http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://attacker.example"}}}, 403, control.Forbidden},
		{"same-site other port", request{method: "POST", path: "/odsim/v1/select-patient", body: `{"workstation":"MOLLYR","patNum":27}`,
			header: http.Header{"Sec-Fetch-Site": {"same-site"}, "Origin": {"http://127.0.0.1:8080"}}}, 403, control.Forbidden},
		{"old browser, other origin", request{method: "POST", path: "/odsim/v1/poll", body: "{}",
			header: http.Header{"Origin": {"http://attacker.example"}}}, 403, control.Forbidden},
		{"null origin", request{method: "POST", path: "/odsim/v1/poll", body: "{}", header: http.Header{"Origin": {"null"}}}, 403, control.Forbidden},
		{"cross-site session", request{method: "POST", path: "/odsim/v1/session", body: `{"token":"x"}`,
			header: http.Header{"Sec-Fetch-Site": {"cross-site"}}}, 403, control.Forbidden},
	}
	for _, c := range cases {
		rec := serve(g.mux, c.r)
		if e := errorOf(t, rec); rec.Code != c.status || e.Code != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, rec.Code, rec.Body.String(), c.status, c.code)
		}
	}
	g.untouched(t)
	// The same requests from this origin, and from tools that send no Origin, are served.
	for _, h := range []http.Header{{"Sec-Fetch-Site": {"same-origin"}, "Origin": {"http://127.0.0.1:30223"}}, {"Origin": {"http://127.0.0.1:30223"}}, {}} {
		rec := serve(g.mux, request{method: "POST", path: "/odsim/v1/select-patient", body: `{"workstation":"MOLLYR","patNum":27}`, header: h})
		if rec.Code != http.StatusOK {
			t.Errorf("same-origin select with %v: %d %s", h, rec.Code, rec.Body.String())
		}
	}
}

// With --control-token every control request needs the token, from any address, loopback included;
// the Go client (and so the CLI) sends it when given it.
func TestControlAPITokenIsRequiredWhenSet(t *testing.T) {
	t.Parallel()
	const token = "s3cret-control-token"
	g := newGuardedAPI(t, control.Options{Token: token})
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
				rec := serve(g.mux, request{remote: remote, method: r.method, path: r.path, body: r.body, header: http.Header{"Authorization": {b.auth}}})
				e := errorOf(t, rec)
				if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != `Bearer realm="odsim control"` ||
					!strings.Contains(e.Error, "Authorization: Bearer <token>") || strings.Contains(e.Error, token) || e.Code != control.Unauthorized {
					t.Errorf("%s: %s %s from %s = %d %q (%s)", b.name, r.method, r.path, remote, rec.Code, e.Error, rec.Header().Get("WWW-Authenticate"))
				}
			}
		}
		for _, auth := range []string{"Bearer " + token, "bearer " + token} {
			if rec := serve(g.mux, request{remote: remote, method: "GET", path: "/odsim/v1/workstations", header: http.Header{"Authorization": {auth}}}); rec.Code != http.StatusOK {
				t.Errorf("%q from %s = %d %s", auth, remote, rec.Code, rec.Body.String())
			}
		}
	}
	g.untouched(t)

	srv := httptest.NewServer(g.mux)
	t.Cleanup(srv.Close)
	c, err := control.NewClient(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	var apiErr *control.APIError
	if _, err := c.Workstations(context.Background()); !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized || apiErr.Code != control.Unauthorized {
		t.Errorf("client without the token: %v, want 401", err)
	}
	c.SetControlToken(token)
	if _, err := c.Workstations(context.Background()); err != nil {
		t.Errorf("client with the token: %v", err)
	}
}

// A browser holds the token as the session cookie: POST /odsim/v1/session with the token sets it
// (HttpOnly, SameSite=Strict, not the token itself), the cookie then stands for the token, a
// cross-site write carrying it is still refused, and DELETE drops it.
func TestControlAPISessionCookie(t *testing.T) {
	t.Parallel()
	const token = "s3cret-control-token"
	g := newGuardedAPI(t, control.Options{Token: token})
	session := func(rec *httptest.ResponseRecorder) control.Session {
		t.Helper()
		var s control.Session
		if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
			t.Fatalf("%d %s", rec.Code, rec.Body.String())
		}
		return s
	}
	if rec := serve(g.mux, request{method: "GET", path: "/odsim/v1/session"}); rec.Code != 200 || session(rec) != (control.Session{TokenRequired: true}) {
		t.Errorf("GET session without the cookie: %d %s", rec.Code, rec.Body.String())
	}
	rec := serve(g.mux, request{method: "POST", path: "/odsim/v1/session", body: `{"token":"wrong"}`})
	if e := errorOf(t, rec); rec.Code != http.StatusUnauthorized || len(rec.Result().Cookies()) != 0 {
		t.Errorf("wrong token: %d %v %v", rec.Code, e, rec.Result().Cookies())
	}
	rec = serve(g.mux, request{method: "POST", path: "/odsim/v1/session", body: `{"token":"` + token + `"}`})
	cookies := rec.Result().Cookies()
	if rec.Code != 200 || len(cookies) != 1 {
		t.Fatalf("right token: %d %s %v", rec.Code, rec.Body.String(), cookies)
	}
	c := cookies[0]
	if c.Name != control.SessionCookie || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Value == "" ||
		strings.Contains(c.Value, token) || c.MaxAge <= 0 {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/, not the token", c)
	}
	withCookie := http.Header{"Cookie": {c.Name + "=" + c.Value}}
	if rec := serve(g.mux, request{method: "GET", path: "/odsim/v1/workstations", header: withCookie}); rec.Code != 200 {
		t.Errorf("GET with the cookie: %d %s", rec.Code, rec.Body.String())
	}
	if rec := serve(g.mux, request{method: "GET", path: "/odsim/v1/session", header: withCookie}); session(rec) != (control.Session{TokenRequired: true, Authenticated: true}) {
		t.Errorf("GET session with the cookie: %s", rec.Body.String())
	}
	crossSite := http.Header{"Cookie": withCookie["Cookie"], "Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://attacker.example"}}
	if rec := serve(g.mux, request{method: "POST", path: "/odsim/v1/select-patient", body: `{"workstation":"MOLLYR","patNum":27}`, header: crossSite}); rec.Code != http.StatusForbidden {
		t.Errorf("cross-site POST with the cookie: %d %s", rec.Code, rec.Body.String())
	}
	if rec := serve(g.mux, request{method: "GET", path: "/odsim/v1/workstations", header: http.Header{"Cookie": {c.Name + "=" + token}}}); rec.Code != http.StatusUnauthorized {
		t.Errorf("the token itself as the cookie: %d, want 401", rec.Code)
	}
	g.untouched(t)
	rec = serve(g.mux, request{method: "DELETE", path: "/odsim/v1/session", header: withCookie})
	if out := rec.Result().Cookies(); rec.Code != 200 || len(out) != 1 || out[0].MaxAge >= 0 || session(rec).Authenticated {
		t.Errorf("DELETE session: %d %s %v", rec.Code, rec.Body.String(), out)
	}

	// Without a token there is nothing to hold: the session says so, and sets no cookie.
	rec = serve(g.with(t, control.Options{}), request{method: "POST", path: "/odsim/v1/session", body: `{"token":"anything"}`})
	if rec.Code != 200 || len(rec.Result().Cookies()) != 0 || session(rec) != (control.Session{Authenticated: true}) {
		t.Errorf("session without a token: %d %s %v", rec.Code, rec.Body.String(), rec.Result().Cookies())
	}
}

// --allowed-host takes host names and addresses, and refuses what is not one with a message naming it.
func TestNormalizeHost(t *testing.T) {
	t.Parallel()
	good := map[string]string{"odsim.test": "odsim.test", "ODSIM.Test.": "odsim.test", "192.0.2.2": "192.0.2.2",
		"[2001:db8::1]": "2001:db8::1", "2001:DB8:0::1": "2001:db8::1", "my-host_1": "my-host_1"}
	for in, want := range good {
		if got, err := control.NormalizeHost(in); err != nil || got != want {
			t.Errorf("NormalizeHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := map[string]string{"": "give a host name", "http://odsim.test": "not a URL", "odsim.test/x": "not a URL",
		"odsim.test:30223": "without a port", "*.test": "not a pattern", "a..b": "is not a host name", "a b": "is not a host name"}
	for in, want := range bad {
		if _, err := control.NormalizeHost(in); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--allowed-host") {
			t.Errorf("NormalizeHost(%q) = %v, want an error with %q", in, err, want)
		}
	}
	if err := control.Register(http.NewServeMux(), control.Services{}, control.Options{AllowedHosts: []string{"http://x"}}); err == nil {
		t.Error("Register took a URL as an allowed host")
	}
}

// GET /odsim/v1/ lists every route of the control API, scenarios and session included.
func TestControlAPIIndexListsEveryRoute(t *testing.T) {
	t.Parallel()
	s := newScenarioAPI(t, control.Options{}, 0, withoutDemo)
	resp, err := http.Get(s.srv.URL + "/odsim/v1/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list control.RouteList
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, err)
	}
	var got []string
	for _, r := range list.Routes {
		if r.Summary == "" {
			t.Errorf("%s %s has no summary", r.Method, r.Path)
		}
		got = append(got, r.Method+" "+r.Path)
	}
	want := []string{"GET /odsim/v1/", "POST /odsim/v1/poll", "POST /odsim/v1/select-patient", "GET /odsim/v1/deliveries",
		"GET /odsim/v1/deliveries/{id}", "GET /odsim/v1/deliveries/{id}/schema", "GET /odsim/v1/workstations", "GET /odsim/v1/scenarios", "POST /odsim/v1/scenarios",
		"GET /odsim/v1/scenarios/{id}", "DELETE /odsim/v1/scenarios/{id}", "GET /odsim/v1/session", "POST /odsim/v1/session",
		"DELETE /odsim/v1/session"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("routes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// The same on a real listener on every interface: a request reaching it through the machine's own
// non-loopback address is refused, one through 127.0.0.1 is served. The Host is an allowed one either
// way, so that only the peer decides.
func TestControlAPIOnAllInterfacesRefusesOtherAddresses(t *testing.T) {
	t.Parallel()
	ip := nonLoopbackIP(t)
	g := newGuardedAPI(t, control.Options{AllowedHosts: []string{ip.String()}})
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: g.mux}
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

// nonLoopbackIP is an address of this machine other than loopback. Without one the test skips, except
// in CI (ODSIM_REQUIRE_MYSQL=1), which provides one (.ci/run adds one to lo when the machine has none).
func nonLoopbackIP(t *testing.T) net.IP {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil && !n.IP.IsLinkLocalUnicast() {
				return n.IP
			}
		}
	}
	msg := "this machine has no non-loopback IPv4 address to call itself through (add one: ip addr add 192.0.2.1/32 dev lo)"
	if os.Getenv("ODSIM_REQUIRE_MYSQL") != "" {
		t.Fatal(msg + "; CI must provide one")
	}
	t.Skip(msg)
	return nil
}
