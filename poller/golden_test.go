package poller_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/store/storetest"
	"github.com/odsim/odsim/subscriptions"
)

var update = flag.Bool("update", false, "rewrite the golden payload files in testdata/golden")

// TestGoldenPayloads delivers the fixture rows of every WatchTable to a loopback receiver and compares
// the bodies it got, byte for byte, with testdata/golden/<WatchTable>.json, which were checked against
// the field tables of the spec: key set, order and formats. It runs on MariaDB/MySQL and on the
// embedded engine: both must give the same bytes.
func TestGoldenPayloads(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		testGoldenPayloads(t, newHarnessOn(t, db, harnessConfig{horizon: 100 * 365 * 24 * time.Hour}))
	})
}

func testGoldenPayloads(t *testing.T, h *harness) {
	storetest.LoadFile(t, h.db.SQL(), filepath.Join("..", "testdata", "golden", "fixture.sql"))
	rc := newReceiver(t, nil)
	for _, wt := range subscriptions.WatchTables {
		h.subscribe(rc.URL()+string(wt), string(wt), "", 5, "'2026-11-01 00:00:00'")
	}
	if _, err := h.p.PollNow(h.ctx, 0); err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	for _, r := range rc.requests() {
		table := strings.TrimPrefix(r.Header.Get("Event-Type"), "WatchTable: ")
		if _, dup := got[table]; dup {
			t.Errorf("%s: more than one POST", table)
		}
		got[table] = r.Body
	}
	for _, wt := range subscriptions.WatchTables {
		t.Run(string(wt), func(t *testing.T) {
			path := filepath.Join("..", "testdata", "golden", string(wt)+".json")
			body, ok := got[string(wt)]
			if !ok {
				t.Fatalf("no POST for %s", wt)
			}
			if *update && strings.HasSuffix(t.Name(), "/mysql/"+string(wt)) {
				if err := os.WriteFile(path, append(bytes.Clone(body), '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./poller -run TestGoldenPayloads -update to create it)", err)
			}
			if !bytes.Equal(append(bytes.Clone(body), '\n'), want) {
				t.Errorf("%s payload differs from %s\n got: %s\nwant: %s", wt, path, body, want)
			}
		})
	}
}
