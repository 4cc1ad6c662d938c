package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/odsim/odsim/apiservice"
	"github.com/odsim/odsim/store/storetest"
)

// TestSubscribeAtStartIsIdempotent: restarting odsim serve --subscribe against the same database adds
// no duplicate subscriptions, and says which ones it found.
func TestSubscribeAtStartIsIdempotent(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	specs, err := parseSubscribeFlags([]string{"http://127.0.0.1:2097/", "Appointment,PatientSelected=http://127.0.0.1:2098/x?a=1"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	start := func() string {
		subs, err := apiservice.Subscribe(context.Background(), db, publicCustomerKey, specs)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		printSubscribed(env{stdout: &out, stderr: io.Discard}, subs)
		return out.String()
	}
	first := start()
	if strings.Contains(first, "existing") || !strings.Contains(first, "subscribed http://127.0.0.1:2098/x?a=*** to Appointment #10, PatientSelected #11") {
		t.Errorf("first start printed %q", first)
	}
	second := start()
	if strings.Count(second, "(existing)") != 11 {
		t.Errorf("second start printed %q, want all 11 subscriptions found existing", second)
	}
	var n int
	if err := db.SQL().QueryRow("SELECT COUNT(*) FROM apisubscription").Scan(&n); err != nil || n != 11 {
		t.Errorf("apisubscription holds %d rows (err %v), want 11", n, err)
	}
}

func TestServeConfigRefusesBadValues(t *testing.T) {
	t.Parallel()
	good := serveConfig{timeout: time.Second, workstations: []string{"MOLLYR"}, subscribePoll: 1,
		deliveryLog: deliveryLogConfig{size: 10, bytes: 1 << 20}}
	for name, mutate := range map[string]func(*serveConfig){
		"--timeout must be positive":            func(c *serveConfig) { c.timeout = 0 },
		"--window-lag must not be negative":     func(c *serveConfig) { c.windowLag = -time.Second },
		"--workstation needs at least one":      func(c *serveConfig) { c.workstations = nil },
		`--workstation "  ": a machine name`:    func(c *serveConfig) { c.workstations = []string{"  "} },
		"--subscribe-polling-seconds must be 1": func(c *serveConfig) { c.subscribe, c.subscribePoll = []string{"http://x/"}, 0 },
		`--api-key "nokey": expected`:           func(c *serveConfig) { c.apiKeys = []string{"nokey"} },
	} {
		c := good
		mutate(&c)
		if err := c.validate(); err == nil || !strings.HasPrefix(err.Error(), name) {
			t.Errorf("%s: validate() = %v", name, err)
		}
	}
	if err := good.validate(); err != nil {
		t.Errorf("good config refused: %v", err)
	}
}
