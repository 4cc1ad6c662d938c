package poller_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/store/storetest"
	"github.com/odsim/odsim/subscriptions"
	"github.com/odsim/odsim/uievents"
	"github.com/odsim/odsim/webhook"
)

var update = flag.Bool("update", false, "rewrite the golden payload files in testdata/golden from MariaDB (no comparison in that run)")

// TestGoldenPayloads delivers the fixture rows of every WatchTable (testdata/golden/fixture.sql) to a
// loopback receiver and compares the bodies it got, byte for byte, with testdata/golden/<WatchTable>.json.
// It runs on MariaDB/MySQL and on the embedded engine: both must give the same bytes.
//
// The goldens pin odsim's output against change; what makes them right is checked elsewhere and
// independently of them: value formats by payload.TestValueKinds (expected strings written from the
// spec), key lists by store.TestPayloadKeysFollowSpec, Open Dental's two published examples by
// TestSpecExamples, and every golden against the catalogue's JSON Schema (catalogue tests). Their
// values were reviewed against the fixture rows and the spec (testdata/golden/README.md).
//
// With -update the goldens are rewritten from MariaDB and nothing is compared: a file is never
// compared with itself. Review the diff, then run again without -update.
func TestGoldenPayloads(t *testing.T) {
	t.Parallel()
	if *update {
		storetest.RequireServer(t)
		got := goldenPayloads(t, newHarnessOn(t, storetest.New(t), harnessConfig{horizon: 100 * 365 * 24 * time.Hour}))
		for _, wt := range subscriptions.WatchTables {
			path := goldenPath(wt)
			if err := os.WriteFile(path, append(got[string(wt)], '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Skip("-update: rewrote testdata/golden/<WatchTable>.json from MariaDB; review the diff against the spec, then run without -update")
	}
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		got := goldenPayloads(t, newHarnessOn(t, db, harnessConfig{horizon: 100 * 365 * 24 * time.Hour}))
		for _, wt := range subscriptions.WatchTables {
			t.Run(string(wt), func(t *testing.T) {
				path := goldenPath(wt)
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./poller -run TestGoldenPayloads -update to create it)", err)
				}
				if body := got[string(wt)]; !bytes.Equal(append(bytes.Clone(body), '\n'), want) {
					t.Errorf("%s payload differs from %s\n got: %s\nwant: %s", wt, path, body, want)
				}
			})
		}
	})
}

func goldenPath(wt subscriptions.WatchTable) string {
	return filepath.Join("..", "testdata", "golden", string(wt)+".json")
}

// goldenPayloads loads the golden fixture, subscribes to every WatchTable and returns the one body
// POSTed for each.
func goldenPayloads(t *testing.T, h *harness) map[string][]byte {
	t.Helper()
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
		if _, ok := got[string(wt)]; !ok {
			t.Fatalf("no POST for %s", wt)
		}
	}
	return got
}

// deliberate is a way odsim's output differs on purpose from an example of Open Dental's
// documentation: the example's text, odsim's, and why.
type deliberate struct {
	name, example, odsim, why string
}

// TestSpecExamples rebuilds, as database rows (testdata/spec/apievents.sql), the Appointment and
// PatientSelected examples of Open Dental's API Events page (EV-E, shared/spec/opendental-events.md §6;
// the examples are quoted in testdata/spec/apievents-*.txt), lets odsim send them through its real paths
// (the poller; a workstation selecting the patient) to a loopback receiver, and compares what arrived
// with the examples: the URL path, the three documented headers, and the body byte for byte after
// removing the example's insignificant whitespace (odsim sends compact JSON; key order and every value's
// spelling are compared as they are). Where odsim differs on purpose, the difference is listed by name.
func TestSpecExamples(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		storetest.LoadFile(t, db.SQL(), filepath.Join("..", "testdata", "spec", "apievents.sql"))
		rc := newReceiver(t, nil)
		base := strings.TrimSuffix(rc.URL(), "/apievents/")

		t.Run("Appointment", func(t *testing.T) {
			ex := readExample(t, "apievents-appointment.txt")
			// The page shows one element and elides the rest with "etc...".
			body, ok := bytes.CutSuffix(ex.body, []byte("},\netc...\n]\n"))
			if !ok {
				t.Fatalf("example body does not end with the elided elements: %q", ex.body)
			}
			ex.body = append(body, "}]"...)

			h := newHarnessOn(t, db, harnessConfig{horizon: 100 * 365 * 24 * time.Hour})
			h.subscribe(base+ex.path, "Appointment", "MOLLYR", 5, "'2021-05-03 00:00:00'")
			if _, err := h.p.PollNow(h.ctx, 0); err != nil {
				t.Fatal(err)
			}
			reqs := rc.requests()
			if len(reqs) != 1 {
				t.Fatalf("got %d POSTs, want 1", len(reqs))
			}
			compareWithExample(t, ex, reqs[0], nil)
		})

		t.Run("PatientSelected", func(t *testing.T) {
			ex := readExample(t, "apievents-patientselected.txt")
			prc := newReceiver(t, nil)
			pbase := strings.TrimSuffix(prc.URL(), "/apievents/")
			if _, err := db.SQL().Exec("INSERT INTO apisubscription (EndPointUrl, Workstation, CustomerKey, WatchTable, PollingSeconds, UiEventType, DateTimeStart, DateTimeStop, Note)"+
				" VALUES (?, '', 'VzkmZEaUWOjnQX2z', '', 0, 'PatientSelected', NOW(), '0001-01-01 00:00:00', '')", pbase+ex.path); err != nil {
				t.Fatal(err)
			}
			ws := uievents.New(uievents.Config{Workstations: []string{"MOLLYR"}}, db, webhook.NewSender(webhook.Config{Timeout: 10 * time.Second}))
			t.Cleanup(func() { ws.Close(context.Background()) })
			if _, err := ws.SelectPatient(context.Background(), "MOLLYR", 28, true); err != nil {
				t.Fatal(err)
			}
			reqs := prc.requests()
			if len(reqs) != 1 {
				t.Fatalf("got %d POSTs, want 1", len(reqs))
			}
			compareWithExample(t, ex, reqs[0], []deliberate{{
				name:    "BillingType is the definition's ItemName",
				example: `"BillingType":"StandardAccount"`,
				odsim:   `"BillingType":"Standard Account"`,
				why: "odsim reads definition.ItemName of patient.BillingType (category 4), which is \"Standard Account\" in" +
					" Open Dental's seed data and in the Patients GET example (opendental-events.md §4.4, opendental-schema.md §8)",
			}})
		})
	})
}

// example is one request of Open Dental's documentation: its URL path, headers and body.
type example struct {
	path   string
	header http.Header
	body   []byte
}

// readExample reads testdata/spec/name: "POST URL", header lines, a blank line, the body.
func readExample(t *testing.T, name string) example {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("..", "testdata", "spec", name))
	if err != nil {
		t.Fatal(err)
	}
	head, body, ok := bytes.Cut(text, []byte("\n\n"))
	if !ok {
		t.Fatalf("%s: no blank line after the headers", name)
	}
	ex := example{header: http.Header{}, body: body}
	sc := bufio.NewScanner(bytes.NewReader(head))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "POST "):
			u, err := url.Parse(strings.TrimPrefix(line, "POST "))
			if err != nil {
				t.Fatal(err)
			}
			ex.path = u.Path
		case strings.HasPrefix(line, "("): // "(there are other headers that can be ignored)"
		default:
			k, v, ok := strings.Cut(line, ": ")
			if !ok {
				t.Fatalf("%s: bad header line %q", name, line)
			}
			ex.header.Set(k, v)
		}
	}
	return ex
}

// compareWithExample compares a request odsim sent with a documentation example, after applying the
// deliberate differences to the example (each must apply exactly once, so that one that no longer
// applies is noticed).
func compareWithExample(t *testing.T, ex example, got received, diffs []deliberate) {
	t.Helper()
	if got.Path != ex.path {
		t.Errorf("path %q, example %q", got.Path, ex.path)
	}
	for _, k := range []string{"Authorization", "Workstation", "Event-Type"} {
		if got.Header.Get(k) != ex.header.Get(k) {
			t.Errorf("header %s: %q, example %q", k, got.Header.Get(k), ex.header.Get(k))
		}
	}
	var want bytes.Buffer
	if err := json.Compact(&want, ex.body); err != nil {
		t.Fatalf("example body is not JSON: %v", err)
	}
	w := want.String()
	for _, d := range diffs {
		if n := strings.Count(w, d.example); n != 1 {
			t.Fatalf("deliberate difference %q: %s occurs %d times in the example, want 1", d.name, d.example, n)
		}
		w = strings.Replace(w, d.example, d.odsim, 1)
		t.Logf("deliberate difference %q: example %s, odsim %s: %s", d.name, d.example, d.odsim, d.why)
	}
	if string(got.Body) != w {
		t.Errorf("body differs from the example\n got: %s\nwant: %s", got.Body, w)
	}
}
