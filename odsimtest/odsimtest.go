// Package odsimtest runs odsim inside a Go test, in the spirit of net/http/httptest and miniredis: a
// consumer of Open Dental's API Events starts a simulated API Service on free ports, subscribes its
// own endpoint, changes rows, delivers at once and asserts on what it received, with no process,
// container or timer to wait for.
//
//	func TestMyConsumer(t *testing.T) {
//		sim := odsimtest.Start(t)                        // embedded database, free ports, stopped by t.Cleanup
//		sim.Subscribe(myConsumer.URL+"/od", "Appointment") // through Open Dental's Subscriptions API
//		sim.Exec("UPDATE appointment SET Note = 'late' WHERE AptNum = 12")
//		sim.PollNow()                                    // every due window, POSTed now
//		...
//	}
//
// The service is the one `odsim serve` runs (package apiservice): the same API, poller, UI events,
// control API and delivery log. Everything it sends is Open Dental's shape (docs/events.md).
package odsimtest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/odsim/odsim/apiservice"
	"github.com/odsim/odsim/control"
	"github.com/odsim/odsim/scenario"
	"github.com/odsim/odsim/subscriptions"
)

// TB is the part of testing.TB the kit uses, so that a *testing.T, *testing.B or *testing.F can start
// a simulator.
type TB interface {
	Helper()
	Cleanup(func())
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// KeyPair is the Authorization key pair the kit uses on Open Dental's API: Open Dental's public test
// key (DeveloperKey/CustomerKey). Deliveries carry its customer key, CustomerKey.
const (
	KeyPair     = "NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z"
	CustomerKey = "VzkmZEaUWOjnQX2z"
)

// Workstation is the machine name the simulator plays unless WithWorkstations names others.
const Workstation = "ODSIMTEST"

// Sim is a running simulator.
type Sim struct {
	// DB is the simulated office's database: change rows here and PollNow delivers the changes.
	DB *sql.DB
	// URL is the base URL of the service: the Subscriptions API is under /api/v1, the control API
	// under /odsim/v1, the OpenAPI document at /openapi.json.
	URL string
	// APIURL is Open Dental's API base, URL + "/api/v1".
	APIURL string
	// DSN names the database (the embedded one unless WithDSN), for a MySQL client of the test's own.
	DSN string

	t      TB
	svc    *apiservice.Service
	client *control.Client
}

// Option changes how Start runs the simulator.
type Option func(*apiservice.Config)

// WithDSN uses a MySQL/MariaDB database instead of the embedded one; odsim creates the Open Dental
// tables it lacks.
func WithDSN(dsn string) Option { return func(c *apiservice.Config) { c.DSN = dsn } }

// WithDemo loads odsim's demo practice (60 patients, about 300 appointments) into the embedded
// database, so that there are rows to change; without it the database starts empty.
func WithDemo() Option { return func(c *apiservice.Config) { c.Demo = true } }

// WithWorkstations sets the machine names the simulator plays (Workstation by default).
func WithWorkstations(names ...string) Option {
	return func(c *apiservice.Config) { c.Workstations = names }
}

// WithConfig changes any other setting of the service (timeout, window lag, delivery log).
func WithConfig(f func(*apiservice.Config)) Option { return Option(f) }

// Start runs a simulator on free loopback ports with the embedded database (or WithDSN's), and stops it
// in t.Cleanup. It fails t when the simulator cannot start. Start and its cleanup took 16 ms with the
// empty embedded database and 0.95 s with WithDemo (which waits for the database clock to leave the
// second the demo was loaded in) on a 2-core machine (BenchmarkStart).
func Start(t TB, opts ...Option) *Sim {
	t.Helper()
	cfg := apiservice.Config{
		Listen:       "127.0.0.1:0",
		EmbeddedAddr: "127.0.0.1:0",
		Workstations: []string{Workstation},
		DemoAnchor:   time.Now(),
		Version:      "odsimtest",
	}
	for _, o := range opts {
		o(&cfg)
	}
	svc, err := apiservice.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("odsimtest: start: %v", err)
	}
	t.Cleanup(func() {
		if err := svc.Close(); err != nil {
			t.Errorf("odsimtest: stop: %v", err)
		}
	})
	client, err := control.NewClient(svc.URL(), nil)
	if err != nil {
		t.Fatalf("odsimtest: %v", err)
	}
	if cfg.Demo && cfg.DSN == "" {
		// Subscriptions start at the database's NOW(), to the second: wait for the clock to leave the
		// second the demo was loaded in, so that a subscription sees only what changes after it.
		if err := nextSecond(svc.DB().SQL()); err != nil {
			t.Fatalf("odsimtest: %v", err)
		}
	}
	return &Sim{DB: svc.DB().SQL(), URL: svc.URL(), APIURL: svc.URL() + "/api/v1", DSN: svc.DSN(), t: t, svc: svc, client: client}
}

// nextSecond waits, at most two seconds, until the database clock has passed the current second.
func nextSecond(db *sql.DB) error {
	var mark, now string
	if err := db.QueryRow("SELECT NOW()").Scan(&mark); err != nil {
		return fmt.Errorf("read the database clock: %w", err)
	}
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err := db.QueryRow("SELECT NOW()").Scan(&now); err != nil {
			return fmt.Errorf("read the database clock: %w", err)
		}
		if now > mark {
			return nil
		}
	}
	return fmt.Errorf("the database clock stayed at %s for 2 s", mark)
}

// Exec runs SQL on the simulated office's database, failing the test on error.
func (s *Sim) Exec(query string, args ...any) sql.Result {
	s.t.Helper()
	res, err := s.DB.ExecContext(context.Background(), query, args...)
	if err != nil {
		s.t.Fatalf("odsimtest: exec %.80q: %v", query, err)
	}
	return res
}

// Subscription is a subscription as Open Dental's Subscriptions API answers it.
type Subscription = control.ODSubscription

// Subscribe subscribes endpoint to event (a WatchTable such as "Appointment", or "PatientSelected")
// through Open Dental's Subscriptions API, as a consumer would, and returns the subscription. Database
// subscriptions poll every hour, so that a test decides when changes are sent, with PollNow; use
// SubscribeWith for another interval or a workstation.
func (s *Sim) Subscribe(endpoint, event string) Subscription {
	s.t.Helper()
	req := control.NewODSubscription{EndPointUrl: endpoint}
	if event == string(subscriptions.PatientSelected) {
		req.UiEventType = event
	} else {
		req.WatchTable, req.PollingSeconds = event, 3600
	}
	return s.SubscribeWith(req)
}

// SubscribeWith creates any subscription through Open Dental's Subscriptions API.
func (s *Sim) SubscribeWith(req control.NewODSubscription) Subscription {
	s.t.Helper()
	sub, err := s.client.CreateSubscription(context.Background(), KeyPair, req)
	if err != nil {
		s.t.Fatalf("odsimtest: subscribe %s to %s%s: %v", req.EndPointUrl, req.WatchTable, req.UiEventType, err)
	}
	return sub
}

// PollNow polls every subscription now, as if each were due, and returns once every POST was
// answered, with what was sent. It first waits (up to a second) for the database clock to pass the
// second the call was made in, so that every change made before it is inside the window.
func (s *Sim) PollNow() []control.Outcome {
	s.t.Helper()
	res, err := s.client.Poll(context.Background(), 0)
	if err != nil {
		s.t.Fatalf("odsimtest: poll now: %v", err)
	}
	return res.Outcomes
}

// SelectPatient has workstation ws ("" for the only one) select patient patNum, as a user of
// OpenDental.exe would: PatientSelected goes to every matching UI subscription when the selection
// changes. It returns once every POST was answered.
func (s *Sim) SelectPatient(ws string, patNum int64) control.Selection {
	s.t.Helper()
	sel, err := s.client.SelectPatient(context.Background(), control.SelectRequest{Workstation: ws, PatNum: &patNum})
	if err != nil {
		s.t.Fatalf("odsimtest: select patient %d on %q: %v", patNum, ws, err)
	}
	return sel
}

// Filter selects deliveries from the delivery log; zero fields select everything.
type Filter = control.DeliveryQuery

// Deliveries returns the POST attempts of the delivery log that match f, oldest first, each with its
// headers and body as sent.
func (s *Sim) Deliveries(f Filter) []control.Delivery {
	s.t.Helper()
	ctx := context.Background()
	if f.Since == nil && f.Limit == 0 {
		zero := int64(0)
		f.Since = &zero // everything the log holds, not only the newest page
	}
	page, err := s.client.Deliveries(ctx, f)
	if err != nil {
		s.t.Fatalf("odsimtest: deliveries: %v", err)
	}
	out := make([]control.Delivery, 0, len(page.Deliveries))
	for _, d := range page.Deliveries {
		full, err := s.client.Delivery(ctx, d.ID)
		if err != nil {
			s.t.Fatalf("odsimtest: delivery %d: %v", d.ID, err)
		}
		out = append(out, full)
	}
	return out
}

// RunScenario runs a scenario (a built-in's name such as "clinic-day", or a scenario's YAML text) as
// fast as possible and returns when it has ended; its rows are written the way Open Dental writes
// them, and PollNow then delivers their events. Most built-ins need WithDemo.
func (s *Sim) RunScenario(nameOrYAML string) scenario.RunStatus {
	s.t.Helper()
	req := map[string]any{"speed": "max"}
	if strings.Contains(nameOrYAML, "\n") {
		req["yaml"] = nameOrYAML
	} else {
		req["name"] = nameOrYAML
	}
	var run scenario.RunStatus
	if err := s.control(http.MethodPost, "/odsim/v1/scenarios", req, &run); err != nil {
		s.t.Fatalf("odsimtest: start scenario: %v", err)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for run.State == "running" {
		if time.Now().After(deadline) {
			s.t.Fatalf("odsimtest: scenario %s still running after 5 minutes", run.Scenario)
		}
		time.Sleep(20 * time.Millisecond)
		if err := s.control(http.MethodGet, fmt.Sprintf("/odsim/v1/scenarios/%d", run.ID), nil, &run); err != nil {
			s.t.Fatalf("odsimtest: scenario %d: %v", run.ID, err)
		}
	}
	if run.State != "done" {
		s.t.Fatalf("odsimtest: scenario %s %s: %s", run.Scenario, run.State, run.Error)
	}
	return run
}

// control sends one JSON request to the control API.
func (s *Sim) control(method, path string, in, out any) error {
	var body *strings.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = strings.NewReader(string(b))
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var e struct{ Error string }
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, e.Error)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
