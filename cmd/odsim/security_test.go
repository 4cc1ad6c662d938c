package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/odsim/odsim/store/storetest"
)

// deadAddr is a loopback address where nothing listens.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// SIGTERM while a page is in flight: odsim abandons it, leaves the cursor where it was (the rows of the
// window were not all delivered), closes its listener and exits 0.
func TestServeSIGTERMAbandonsPageInFlight(t *testing.T) {
	t.Parallel()
	dsn := storetest.NewDSN(t)
	db := storetest.Open(t, dsn)
	ctx := context.Background()
	// 1200 changed patients: two pages.
	var values []string
	for i := 1; i <= 1200; i++ {
		values = append(values, fmt.Sprintf("(%d, 'Term', 'Pat%d', NOW() - INTERVAL 10 MINUTE)", i, i))
	}
	if _, err := db.SQL().ExecContext(ctx, "INSERT INTO patient (PatNum, LName, FName, DateTStamp) VALUES "+strings.Join(values, ",")); err != nil {
		t.Fatal(err)
	}

	held := make(chan struct{})
	abandoned := make(chan bool, 1)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !strings.HasPrefix(string(body), `[{"PatNum":1001,`) {
			w.WriteHeader(http.StatusOK) // the first page (and anything else) is delivered
			return
		}
		// The second page is held until odsim gives up on it.
		close(held)
		select {
		case <-r.Context().Done():
			abandoned <- true
		case <-time.After(30 * time.Second):
			abandoned <- false
			w.WriteHeader(http.StatusOK)
		}
	}))
	t.Cleanup(rc.Close)
	var start string
	if _, err := db.SQL().ExecContext(ctx, "INSERT INTO apisubscription (EndPointUrl, Workstation, CustomerKey, WatchTable, PollingSeconds, UiEventType, DateTimeStart, DateTimeStop, Note)"+
		" VALUES (?, '', 'TermKey', 'Patient', 1, '', NOW() - INTERVAL 1 HOUR, '0001-01-01 00:00:00', '')", rc.URL+"/"); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().QueryRowContext(ctx, "SELECT DateTimeStart FROM apisubscription").Scan(&start); err != nil {
		t.Fatal(err)
	}

	p := startOdsim(t, "serve", "--dsn", dsn, "--listen", "127.0.0.1:0")
	api := p.waitFor(t, apiRE)
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatal("odsim sent no second page within 30 s")
	}
	sent := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		p.done <- err // for startOdsim's cleanup
		if err != nil {
			t.Errorf("odsim exited with %v after SIGTERM, want status 0", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("odsim did not exit within 20 s of SIGTERM")
	}
	t.Logf("odsim exited %s after SIGTERM", time.Since(sent).Round(time.Millisecond))
	if !<-abandoned {
		t.Error("the page in flight was not abandoned")
	}
	var cursor string
	if err := db.SQL().QueryRowContext(ctx, "SELECT DateTimeStart FROM apisubscription").Scan(&cursor); err != nil {
		t.Fatal(err)
	}
	if cursor != start {
		t.Errorf("cursor moved from %s to %s though the second page was never delivered", start, cursor)
	}
	host := strings.TrimPrefix(strings.TrimSuffix(api, "/api/v1"), "http://")
	if c, err := net.DialTimeout("tcp", host, time.Second); err == nil {
		c.Close()
		t.Errorf("odsim's listener %s still accepts connections after exit", host)
	}
}

// Secrets never reach odsim serve's output: not the API keys (--api-key, the Authorization header of
// an accepted or refused request), not the customer keys (a subscription's, --subscribe-key's), not the
// control token, and not the credentials in an EndPointUrl, which are masked (***) in the delivery log
// and the --record file too. The log level is debug, so that nothing is held back.
func TestServeOutputHoldsNoSecrets(t *testing.T) {
	t.Parallel()
	const (
		devKey   = "devKeyQ1x"
		custKey  = "custKeyQ1x"
		wrongKey = "wrongCustQ2x"
		subKey   = "subKeyZ7x"
		token    = "ctlTok9x"
		subPw    = "subPw5x"
		apiPw    = "apiPw6x"
		userOnly = "tokOnly8x"
	)
	secrets := []string{devKey, custKey, wrongKey, subKey, token, subPw, apiPw, userOnly}
	dsn := storetest.NewDSN(t)
	db := storetest.Open(t, dsn)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(failing.Close)
	dead := deadAddr(t)
	record := filepath.Join(t.TempDir(), "record.jsonl")

	p := startOdsim(t, "serve", "--dsn", dsn, "--listen", "127.0.0.1:0", "--log-level", "debug",
		"--api-key", devKey+"/"+custKey, "--control-token", token, "--record", record,
		"--subscribe-key", subKey, "--subscribe", "Patient=http://subuser:"+subPw+"@"+dead+"/s")
	api := p.waitFor(t, apiRE)
	base := strings.TrimSuffix(api, "/api/v1")
	post := func(auth, body string) int {
		req, _ := http.NewRequest(http.MethodPost, api+"/subscriptions", strings.NewReader(body))
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	failingURL := strings.Replace(failing.URL, "http://", "http://apiuser:"+apiPw+"@", 1) + "/a"
	if got := post("ODFHIR "+devKey+"/"+custKey, `{"EndPointUrl":"`+failingURL+`","WatchTable":"Patient","PollingSeconds":1}`); got != http.StatusCreated {
		t.Fatalf("subscribe with a listed key: %d", got)
	}
	if got := post("ODFHIR "+devKey+"/"+custKey, `{"EndPointUrl":"http://`+userOnly+`@`+dead+`/b","WatchTable":"Patient","PollingSeconds":1}`); got != http.StatusCreated {
		t.Fatalf("subscribe with a listed key: %d", got)
	}
	if got := post("ODFHIR "+devKey+"/"+wrongKey, `{"EndPointUrl":"http://127.0.0.1:1/","WatchTable":"Patient"}`); got != http.StatusUnauthorized {
		t.Fatalf("subscribe with an unlisted key: %d, want 401", got)
	}
	if _, err := db.SQL().Exec("INSERT INTO patient (PatNum, LName, FName) VALUES (1, 'Secret', 'Keeper')"); err != nil {
		t.Fatal(err)
	}

	// The control API wants the token; the CLI sends it from --control-token or ODSIM_CONTROL_TOKEN.
	poll := func(env []string, args ...string) (string, error) {
		cmd := exec.Command(odsimBinary(t), append([]string{"poll", "--url", base}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := poll(nil); err == nil || !strings.Contains(out, "Authorization: Bearer <token>") || !strings.Contains(out, "HTTP 401") {
		t.Errorf("poll without the token: %v\n%s", err, out)
	}
	if out, err := poll(nil, "--control-token", "not-it"); err == nil || !strings.Contains(out, "HTTP 401") {
		t.Errorf("poll with a wrong token: %v\n%s", err, out)
	}
	if out, err := poll(nil, "--control-token", token); err != nil {
		t.Errorf("poll with --control-token: %v\n%s", err, out)
	}
	if out, err := poll([]string{"ODSIM_CONTROL_TOKEN=" + token}); err != nil {
		t.Errorf("poll with ODSIM_CONTROL_TOKEN: %v\n%s", err, out)
	}

	// The scenario runs are control routes too.
	for _, auth := range []string{"", "Bearer not-it"} {
		req, _ := http.NewRequest(http.MethodGet, base+"/odsim/v1/scenarios", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET /odsim/v1/scenarios with %q: %d, want 401", auth, resp.StatusCode)
		}
	}

	// The delivery log, as the control API shows it, masks the credentials.
	get := func(path string) string {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	get("/odsim/v1/scenarios")
	list := get("/odsim/v1/deliveries")
	if !strings.Contains(list, "***@") {
		t.Errorf("the delivery log shows no masked URL: %s", list)
	}
	logged := list
	for id := 1; id <= 3; id++ {
		logged += get(fmt.Sprintf("/odsim/v1/deliveries/%d", id))
	}
	for _, pw := range []string{subPw, apiPw, userOnly} {
		if strings.Contains(logged, pw) {
			t.Errorf("the delivery log shows the credential %q:\n%s", pw, logged)
		}
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := <-p.done
	p.done <- err // for startOdsim's cleanup
	if err != nil {
		t.Errorf("odsim exited with %v after SIGTERM", err)
	}
	p.mu.Lock()
	out := strings.Join(p.lines, "\n")
	p.mu.Unlock()
	if !strings.Contains(out, "not delivered") {
		t.Errorf("the output shows no failed delivery, so it proves little:\n%s", out)
	}
	rec, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("odsim's output holds %q:\n%s", s, out)
		}
	}
	for _, pw := range []string{subPw, apiPw, userOnly} {
		if strings.Contains(string(rec), pw) {
			t.Errorf("the --record file holds the credential %q", pw)
		}
	}
}
