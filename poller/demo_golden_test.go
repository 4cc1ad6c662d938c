package poller_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/store/demo"
	"github.com/odsim/odsim/store/storetest"
	"github.com/odsim/odsim/subscriptions"
)

// changeStamps matches the values of the columns the database stamps when the demo loads.
var changeStamps = regexp.MustCompile(`"(DateTStamp|SecDateTEdit)":"[0-9: -]{19}"`)

// TestDemoPayloadsOnBothEngines loads the demo practice into MariaDB/MySQL and into the embedded engine,
// delivers every row of every WatchTable, and compares the payloads with testdata/golden/demo/*.json
// (change stamps masked: they are the load time). Both engines must give the same bytes.
//
// With -update the files are rewritten from MariaDB and nothing is compared (see TestGoldenPayloads).
func TestDemoPayloadsOnBothEngines(t *testing.T) {
	t.Parallel()
	if *update {
		storetest.RequireServer(t)
		got := demoPayloads(t, storetest.New(t))
		for _, wt := range subscriptions.WatchTables {
			path := demoGoldenPath(wt)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got[string(wt)], 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Skip("-update: rewrote testdata/golden/demo from MariaDB; review the diff, then run without -update")
	}
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		got := demoPayloads(t, db)
		for _, wt := range subscriptions.WatchTables {
			path := demoGoldenPath(wt)
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./poller -run TestDemoPayloads -update to create it)", err)
			}
			if body := got[string(wt)]; !bytes.Equal(body, want) {
				t.Errorf("%s: demo payloads differ from %s (%d bytes, want %d)", wt, path, len(body), len(want))
			}
		}
	})
}

func demoGoldenPath(wt subscriptions.WatchTable) string {
	return filepath.Join("..", "testdata", "golden", "demo", string(wt)+".json")
}

// demoPayloads loads the demo practice into db and returns every WatchTable's POSTs, one body a line,
// change stamps masked.
func demoPayloads(t *testing.T, db *store.DB) map[string][]byte {
	t.Helper()
	h := newHarnessOn(t, db, harnessConfig{})
	if _, err := demo.Load(context.Background(), db.SQL(), demo.Options{Anchor: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatalf("load demo: %v", err)
	}
	h.waitNextSecond(h.dbNow()) // the rows' stamps must fall before the poll's T
	rc := newReceiver(t, nil)
	for _, wt := range subscriptions.WatchTables {
		h.subscribe(rc.URL()+string(wt), string(wt), "", 5, "NOW() - INTERVAL 1 HOUR")
	}
	if _, err := h.p.PollNow(h.ctx, 0); err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	for _, r := range rc.requests() {
		table := strings.TrimPrefix(r.Header.Get("Event-Type"), "WatchTable: ")
		got[table] = append(got[table], changeStamps.ReplaceAll(r.Body, []byte(`"$1":"(load time)"`))...)
		got[table] = append(got[table], '\n')
	}
	return got
}
