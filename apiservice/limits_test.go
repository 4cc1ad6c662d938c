package apiservice_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/odsim/odsim/apiservice"
	"github.com/odsim/odsim/control"
)

// short are limits small enough for a test to see them act; closedWithin waits up to patience for the
// server to close a connection, far longer than any of them.
var short = apiservice.HTTPLimits{
	ReadHeaderTimeout:   300 * time.Millisecond,
	BodyTimeout:         300 * time.Millisecond,
	ScenarioBodyTimeout: 300 * time.Millisecond,
	WriteTimeout:        300 * time.Millisecond,
	IdleTimeout:         300 * time.Millisecond,
}

const patience = 15 * time.Second

// closedWithin reads from c until the server closes it, and reports what it read; it fails the test
// when the connection is still open after patience.
func closedWithin(t *testing.T, c net.Conn, what string) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(patience))
	data, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: the connection was still open after %s", what, patience)
	}
	return string(data)
}

func dial(t *testing.T, s *apiservice.Service) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// A client that sends its headers and then trickles the body (here: one byte, then nothing) is cut off
// after the body timeout, on the Subscriptions API, the control API and the scenario route alike.
// Before, such connections stayed open for as long as the client liked.
func TestSlowBodyIsCutOff(t *testing.T) {
	t.Parallel()
	s := start(t, apiservice.Config{HTTP: short})
	for _, path := range []string{"/api/v1/subscriptions", "/odsim/v1/poll", "/odsim/v1/scenarios"} {
		c := dial(t, s)
		io.WriteString(c, "POST "+path+" HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ODFHIR a/b\r\n"+
			"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
		if got := closedWithin(t, c, path); got != "" && !strings.Contains(got, "Request body could not be read") {
			t.Errorf("%s: answered %q before closing", path, got)
		}
	}
}

// A client that never finishes its headers is cut off after ReadHeaderTimeout.
func TestSlowHeadersAreCutOff(t *testing.T) {
	t.Parallel()
	s := start(t, apiservice.Config{HTTP: short})
	c := dial(t, s)
	io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
	closedWithin(t, c, "half a request")
}

// A keep-alive connection left idle after its answer is closed after IdleTimeout. Before, 300 idle
// connections were all open after 120 s.
func TestIdleConnectionIsClosed(t *testing.T) {
	t.Parallel()
	s := start(t, apiservice.Config{HTTP: short})
	c := dial(t, s)
	io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("healthz: %v %v (close %v)", resp, err, resp != nil && resp.Close)
	}
	closedWithin(t, c, "an idle keep-alive connection")
}

// Past MaxConnections a new connection is answered 503 at once and closed, instead of waiting unseen;
// once a connection closes, new ones are served again.
func TestConnectionCap(t *testing.T) {
	t.Parallel()
	limits := apiservice.HTTPLimits{MaxConnections: 3, ReadHeaderTimeout: time.Minute}
	s := start(t, apiservice.Config{HTTP: limits})
	var held []net.Conn
	for range 3 {
		held = append(held, dial(t, s)) // open, silent: each holds a slot until ReadHeaderTimeout
	}
	// The listener takes connections in order: once the third is accepted, the next is refused. A
	// fourth sent before the server took all three could be served; retry until refused.
	deadline := time.Now().Add(patience)
	for {
		c := dial(t, s)
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(patience))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("the connection over the cap got no answer: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		c.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			if resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "3 connections open, the most it holds at once") {
				t.Errorf("503: %v %s", resp.Header, body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no 503 with 3 connections held: %d %s", resp.StatusCode, body)
		}
	}
	held[0].Close()
	deadline = time.Now().Add(patience)
	for {
		resp, err := http.Get(s.URL() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection served after one closed: %v %v", resp, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// At most MaxLongPolls long polls wait at once: one more is answered 429 with Retry-After; once one
// ends, long polls are taken again.
func TestLongPollCap(t *testing.T) {
	t.Parallel()
	s := start(t, apiservice.Config{HTTP: apiservice.HTTPLimits{MaxLongPolls: 2}})
	c, err := control.NewClient(s.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var zero int64
	poll := func(ctx context.Context, wait time.Duration) error {
		_, err := c.Deliveries(ctx, control.DeliveryQuery{Since: &zero, Wait: wait})
		return err
	}
	tooMany := func(err error) bool {
		var apiErr *control.APIError
		return errors.As(err, &apiErr) && apiErr.Status == http.StatusTooManyRequests
	}
	// Two long polls of a minute, each asked again while refused (the probe below may hold a slot).
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	first, firstCancel := context.WithCancel(ctx)
	ended := make(chan error, 2)
	for _, pctx := range []context.Context{first, ctx} {
		go func() {
			for {
				if err := poll(pctx, time.Minute); !tooMany(err) {
					ended <- err
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	// A short long poll is served until both wait, then refused.
	deadline := time.Now().Add(patience)
	err = poll(context.Background(), 50*time.Millisecond)
	for ; !tooMany(err); err = poll(context.Background(), 50*time.Millisecond) {
		if err != nil || time.Now().After(deadline) {
			t.Fatalf("third long poll: %v, want 429 once two wait", err)
		}
	}
	var apiErr *control.APIError
	errors.As(err, &apiErr)
	if apiErr.Code != control.TooMany || !strings.Contains(apiErr.Message, "2 long polls are waiting") {
		t.Fatalf("third long poll: %+v", apiErr)
	}
	firstCancel()
	<-ended
	deadline = time.Now().Add(patience)
	for err := poll(context.Background(), 50*time.Millisecond); err != nil; err = poll(context.Background(), 50*time.Millisecond) {
		if !tooMany(err) || time.Now().After(deadline) {
			t.Fatalf("a long poll after one ended: %v", err)
		}
	}
}

// At most MaxScenarioRuns runs are in progress: one more is answered 429.
func TestScenarioRunCap(t *testing.T) {
	t.Parallel()
	s := start(t, apiservice.Config{HTTP: apiservice.HTTPLimits{MaxScenarioRuns: 1}})
	c, err := control.NewClient(s.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	forever := control.StartRequest{YAML: "steps:\n  - at: 24h\n    update-patient: {patient: 1, HmPhone: \"1\"}\n"}
	if _, err := c.StartScenario(context.Background(), forever); err != nil {
		t.Fatal(err)
	}
	var apiErr *control.APIError
	if _, err := c.StartScenario(context.Background(), forever); !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests {
		t.Fatalf("second run with a cap of 1: %v, want 429", err)
	}
}
