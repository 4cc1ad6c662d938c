package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/odsim/odsim/control"
)

// TestSubscriptionUpdateAndDelete: the PUT and DELETE of the Subscriptions API from the shell; only the
// fields given change, and bad input changes nothing.
func TestSubscriptionUpdateAndDelete(t *testing.T) {
	t.Parallel()
	h := newRemoteHarness(t)
	url := h.recv.URL + "/"
	h.mustOdsim("subscribe", url, "--table", "Appointment", "--polling-seconds", "5", "--note", "first")
	h.mustOdsim("subscribe", url, "--ui", "PatientSelected")
	list := func() []control.ODSubscription {
		var l []control.ODSubscription
		if err := json.Unmarshal([]byte(h.mustOdsim("subscriptions", "--json")), &l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	before := list()

	out := h.mustOdsim("subscription", "update", "1", "--polling-seconds", "30", "--note", "Decreased polling rate.")
	if !strings.HasPrefix(out, "Updated subscription 1: WatchTable Appointment every 30s from every workstation to "+url+", customer key VzkmZEaUWOjnQX2z") {
		t.Errorf("update printed %q", out)
	}
	after := list()
	want := before[0]
	want.PollingSeconds, want.Note = 30, "Decreased polling rate."
	if after[0] != want || after[1] != before[1] {
		t.Errorf("after update:\n%+v\nwant\n%+v", after, []control.ODSubscription{want, before[1]})
	}
	var js control.ODSubscription
	if err := json.Unmarshal([]byte(h.mustOdsim("subscription", "update", "1", "--workstation", "FRONTDESK", "--json")), &js); err != nil ||
		js.Workstation != "FRONTDESK" || js.Note != "Decreased polling rate." {
		t.Errorf("update --json: %+v %v", js, err)
	}
	if out := h.mustOdsim("subscription", "update", "1", "--workstation", "", "--note", ""); !strings.Contains(out, "from every workstation") {
		t.Errorf("clearing Workstation and Note printed %q", out)
	}
	if got := list()[0]; got.Workstation != "" || got.Note != "" {
		t.Errorf("after clearing: %+v", got)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"subscription", "update", "1"}, "give what to change: --endpoint-url, --workstation, --polling-seconds, --start, --stop or --note"},
		{[]string{"subscription", "update", "x", "--note", "n"}, `N must be a positive whole number, not "x"`},
		{[]string{"subscription", "update", "99", "--note", "n"}, "(HTTP 404)"},
		{[]string{"subscription", "update", "2", "--polling-seconds", "5"}, "PollingSeconds"},
		{[]string{"subscription", "update", "1", "--endpoint-url", "not a url"}, "EndPointUrl"},
		{[]string{"subscription", "update", "1", "--note", "n", "--key", "other/key"}, "(HTTP 404)"},
		{[]string{"unsubscribe", "0"}, `N must be a positive whole number, not "0"`},
		{[]string{"unsubscribe", "99"}, "(HTTP 404)"},
		{[]string{"unsubscribe", "1", "--key", "other/key"}, "(HTTP 404)"},
	} {
		if out, err := h.odsim(tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("odsim %s: %v %q, want an error with %q", strings.Join(tt.args, " "), err, out, tt.want)
		}
	}
	if got := list(); len(got) != 2 || got[0].PollingSeconds != 30 || got[0].EndPointUrl != url {
		t.Errorf("refused commands changed subscriptions: %+v", got)
	}

	if out := h.mustOdsim("unsubscribe", "1"); out != "Deleted subscription 1.\n" {
		t.Errorf("unsubscribe printed %q", out)
	}
	if out := h.mustOdsim("subscription", "delete", "2", "--json"); out != `{"deleted":2}`+"\n" {
		t.Errorf("subscription delete --json printed %q", out)
	}
	if got := list(); len(got) != 0 {
		t.Errorf("after deleting both: %+v", got)
	}
}

// TestSubscribeWarnsAboutUnplayedWorkstation: a subscription for a machine the target odsim does not
// play is created (as Open Dental would) with a warning that it never fires there.
func TestSubscribeWarnsAboutUnplayedWorkstation(t *testing.T) {
	t.Parallel()
	h := newRemoteHarness(t) // plays MOLLYR and FRONTDESK
	url := h.recv.URL + "/"
	warning := "warning: the odsim at " + h.addr + " plays MOLLYR, FRONTDESK, not BOB: this subscription never fires there (start odsim serve with --workstation BOB to play it)\n"
	for _, tt := range []struct {
		args []string
		warn bool
	}{
		{[]string{"subscribe", url, "--ui", "PatientSelected", "--workstation", "BOB"}, true},
		{[]string{"subscribe", url, "--table", "Patient", "--polling-seconds", "5", "--workstation", "BOB"}, true},
		{[]string{"subscribe", url, "--ui", "PatientSelected", "--workstation", "mollyr"}, false},
		{[]string{"subscribe", url, "--table", "Patient", "--polling-seconds", "5"}, false},
		{[]string{"subscription", "update", "4", "--workstation", "BOB"}, true},
		{[]string{"subscription", "update", "4", "--workstation", "FRONTDESK"}, false},
	} {
		out := h.mustOdsim(tt.args...)
		if got := strings.Contains(out, warning); got != tt.warn || (!tt.warn && strings.Contains(out, "warning")) {
			t.Errorf("odsim %s printed %q; warning wanted: %v", strings.Join(tt.args, " "), out, tt.warn)
		}
	}
	if n := strings.Count(h.mustOdsim("subscriptions"), "BOB"); n != 2 {
		t.Errorf("%d subscriptions for BOB, want 2: the warning does not stop Open Dental's behaviour", n)
	}
}

// TestEnvironmentDoesNotFilterDeliveries reproduces the issue: a variable meant for odsim serve or odsim
// listen (ODSIM_WORKSTATION, ODSIM_STATUS) made odsim deliveries filter silently.
func TestEnvironmentDoesNotFilterDeliveries(t *testing.T) {
	t.Parallel()
	h := newRemoteHarness(t)
	h.mustOdsim("subscribe", h.recv.URL+"/", "--ui", "PatientSelected")
	h.mustOdsim("select-patient", "27", "--workstation", "FRONTDESK")
	vars := map[string]string{"ODSIM_WORKSTATION": "MOLLYR", "ODSIM_STATUS": "500", "ODSIM_TABLE": "Appointment", "ODSIM_LIMIT": "0"}
	out, err := h.odsimEnv(context.Background(), vars, "deliveries")
	if err != nil || !strings.Contains(out, "#1  ") || !strings.Contains(out, "FRONTDESK  UiEventType: PatientSelected") {
		t.Errorf("deliveries with %v: %v\n%s", vars, err, out)
	}
	// The workstation of select-patient is an argument too.
	if _, err := h.odsimEnv(context.Background(), map[string]string{"ODSIM_WORKSTATION": "MOLLYR"}, "select-patient", "28"); err == nil ||
		!strings.Contains(err.Error(), "workstation is required") {
		t.Errorf("select-patient took its workstation from ODSIM_WORKSTATION: %v", err)
	}
}

// TestServeSecretsFromFiles: odsim serve takes its control token and API keys from files, and the
// client commands their token from a file or the environment.
func TestServeSecretsFromFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tokenFile, keysFile := filepath.Join(dir, "token"), filepath.Join(dir, "keys")
	if err := os.WriteFile(tokenFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keysFile, []byte("dev1/cust1\ndev2/cust2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newRemoteHarness(t, "--control-token-file", tokenFile, "--api-key-file", keysFile)
	ctx := context.Background()
	if _, err := h.odsim("poll"); err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("poll without the token: %v", err)
	}
	if out, err := h.odsim("poll", "--control-token-file", tokenFile); err != nil {
		t.Errorf("poll --control-token-file: %v %s", err, out)
	}
	if out, err := h.odsimEnv(ctx, map[string]string{"ODSIM_CONTROL_TOKEN": "s3cret"}, "poll"); err != nil {
		t.Errorf("poll with ODSIM_CONTROL_TOKEN: %v %s", err, out)
	}
	if out, err := h.odsimEnv(ctx, map[string]string{"ODSIM_CONTROL_TOKEN_FILE": tokenFile}, "poll"); err != nil {
		t.Errorf("poll with ODSIM_CONTROL_TOKEN_FILE: %v %s", err, out)
	}
	if out, err := h.odsim("subscriptions", "--key", "dev2/cust2"); err != nil {
		t.Errorf("subscriptions with a key of the file: %v %s", err, out)
	}
	if _, err := h.odsim("subscriptions"); err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("subscriptions with a key not in the file: %v", err)
	}
}

// TestInterruptedRequest: Ctrl-C while a client command waits for odsim ends it with one
// "interrupted" line and status 130, not "context canceled".
func TestInterruptedRequest(t *testing.T) {
	t.Parallel()
	h := newRemoteHarness(t)
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	h.mustOdsim("subscribe", slow.URL+"/", "--ui", "PatientSelected")

	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr listenOutput
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"select-patient", "27", "--workstation", "MOLLYR"}, listenEnv(map[string]string{"ODSIM_URL": h.addr}),
			strings.NewReader(""), &stdout, &stderr)
	}()
	<-arrived // select-patient waits for the receiver's answer
	cancel()
	var ee exitError
	if err := <-done; !errors.As(err, &ee) || ee.code != 130 || stderr.String() != "odsim select-patient: interrupted\n" {
		t.Errorf("select-patient interrupted: %v, stderr %q", err, stderr.String())
	}
}
