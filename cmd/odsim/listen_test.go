package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/odsim/odsim/receiver"
)

// listenOutput is a buffer that the running subcommand writes to while the test reads it.
type listenOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *listenOutput) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *listenOutput) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// listenEnv is a getenv over a fixed map.
func listenEnv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// waitForListen polls cond for up to five seconds.
func waitForListen(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestListenReceivesPrintsAndRecords(t *testing.T) {
	t.Parallel()
	jsonl := filepath.Join(t.TempDir(), "deliveries.jsonl")
	var stdout, stderr listenOutput
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	args := []string{"listen", "--addr", "127.0.0.1:0", "--jsonl", jsonl, "--fail-every", "2"}
	// --fail-status comes from the environment, as in a container.
	getenv := listenEnv(map[string]string{"ODSIM_FAIL_STATUS": "503"})
	go func() { done <- run(ctx, args, getenv, strings.NewReader(""), &stdout, &stderr) }()

	urlRE := regexp.MustCompile(`receiving webhook deliveries on (http://127\.0\.0\.1:\d+/), answering 200, every 2nd delivery 503\.`)
	waitForListen(t, "the banner", func() bool { return urlRE.MatchString(stderr.String()) })
	url := urlRE.FindStringSubmatch(stderr.String())[1]
	for _, want := range []string{
		"Appending every delivery to " + jsonl + ".\n",
		"curl -X POST http://127.0.0.1:30223/api/v1/subscriptions \\\n",
		"-H 'Authorization: ODFHIR NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z'",
		`-d '{"EndPointUrl":"` + url + `","WatchTable":"Appointment","PollingSeconds":5}'`,
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("banner\n%s\nmissing %q", stderr.String(), want)
		}
	}

	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)
	body := []byte("[{\"AptNum\":12,\"Note\":\"Zoë  \\u00e9\"} ,{\"AptNum\":15}]")
	for i, want := range []int{200, 503} {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Event-Type", "WatchTable: Appointment")
		req.Header.Set("Workstation", "MOLLYR")
		req.Header.Set("Authorization", "VzkmZEaUWOjnQX2z")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("POST %d: %v", i+1, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("POST %d: status %d, want %d", i+1, resp.StatusCode, want)
		}
	}

	lineRE := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{3}  WatchTable: Appointment  ws=MOLLYR  2 elements  AptNum 12,15  -> (.*)$`)
	got := lineRE.FindAllStringSubmatch(stdout.String(), -1)
	if len(got) != 2 || got[0][1] != "200" || got[1][1] != "503 (fail-every 2: request 2)" {
		t.Errorf("stdout\n%s\nwant two delivery lines answering 200 then 503", stdout.String())
	}

	cancel() // as Ctrl-C does: one line saying what was received, exit status 130
	select {
	case err := <-done:
		var ee exitError
		if !errors.As(err, &ee) || ee.code != 130 {
			t.Errorf("run after cancel: %v, want exit status 130", err)
		}
		if !strings.HasSuffix(stderr.String(), "\nodsim listen: interrupted after receiving 2 deliveries\n") {
			t.Errorf("stderr after cancel ends %q", stderr.String()[max(0, len(stderr.String())-200):])
		}
	case <-time.After(5 * time.Second):
		t.Fatal("listen did not stop after its context was cancelled")
	}

	f, err := os.Open(jsonl)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ds, err := receiver.ReadJSONL(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || !bytes.Equal(ds[0].Body, body) || ds[1].Status != 503 || ds[0].Headers.Get("Workstation") != "MOLLYR" {
		t.Errorf("recorded %+v", ds)
	}
}

func TestListenBadInput(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { taken.Close() })
	missingDir := filepath.Join(t.TempDir(), "no", "such", "dir", "d.jsonl")

	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{name: "port taken", args: []string{"--addr", taken.Addr().String()}, wantErr: "listen on " + taken.Addr().String() + ": address already in use"},
		{name: "bad address", args: []string{"--addr", "nonsense"}, wantErr: "listen on nonsense: "},
		{name: "percent too big", args: []string{"--fail-percent", "150"}, wantErr: "--fail-percent 150: must be between 0 and 100"},
		{name: "percent from env", env: map[string]string{"ODSIM_FAIL_PERCENT": "150"}, wantErr: "ODSIM_FAIL_PERCENT=150: must be between 0 and 100"},
		{name: "negative delay", args: []string{"--delay", "-2s"}, wantErr: "--delay -2s: must not be negative"},
		{name: "unparsable delay", args: []string{"--delay", "soon"}, wantErr: `invalid argument "soon" for "--delay" flag`},
		{name: "status too small", args: []string{"--status", "99"}, wantErr: "--status 99: must be an HTTP status from 200 to 599"},
		{name: "status too big", args: []string{"--status", "600"}, wantErr: "--status 600: must be an HTTP status from 200 to 599"},
		{name: "fail status", args: []string{"--fail-status", "42"}, wantErr: "--fail-status 42: must be an HTTP status from 200 to 599"},
		{name: "negative fail-every", args: []string{"--fail-every", "-3"}, wantErr: "--fail-every -3: must be 0 (off) or a positive count"},
		{name: "bad env value", env: map[string]string{"ODSIM_FAIL_EVERY": "often"}, wantErr: "bad environment variable ODSIM_FAIL_EVERY"},
		{name: "jsonl in a missing directory", args: []string{"--jsonl", missingDir}, wantErr: "open jsonl file: "},
		{name: "stray argument", args: []string{"extra"}, wantErr: `unexpected argument "extra": odsim listen takes none`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr listenOutput
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			args := append([]string{"listen"}, tt.args...)
			err := run(ctx, args, listenEnv(tt.env), strings.NewReader(""), &stdout, &stderr)
			if err == nil {
				t.Fatalf("odsim %s: no error", strings.Join(args, " "))
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantErr) || strings.Contains(msg, "\n") {
				t.Errorf("error %q, want one line containing %q", msg, tt.wantErr)
			}
			if stdout.String() != "" || strings.Contains(stderr.String(), "goroutine") {
				t.Errorf("printed stdout %q, stderr %q", stdout.String(), stderr.String())
			}
		})
	}
}

func TestListenHelpExplainsEveryFlag(t *testing.T) {
	t.Parallel()
	var stdout, stderr listenOutput
	if err := run(context.Background(), []string{"listen", "--help"}, listenEnv(nil), strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	help := strings.Join(strings.Fields(stdout.String()), " ") // flag help is wrapped
	for _, want := range []string{
		"--addr host:port", "(default \"127.0.0.1:2097\")",
		"-v, --verbose", "--jsonl file", "e.g. --jsonl deliveries.jsonl",
		"--status status", "--delay duration", "--fail-every N", "--fail-percent percentage", "--fail-status status",
		"ODSIM_JSONL", "odsim listen --fail-every 3",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("help is missing %q:\n%s", want, help)
		}
	}
}
