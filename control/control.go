// Package control is odsim's own control API, served under /odsim/v1/ beside Open Dental's API, so
// that tests in any language can drive the simulator with plain HTTP instead of waiting for timers: poll
// now, fire UI events, read the delivery log, run scenarios. Client is the same API from Go, for the
// CLI. GET /odsim/v1/ lists every route (routes below is the one list).
//
// Answers are JSON; errors are {"error": "message", "code": "invalid"} with a 4xx whose message names the
// field (errors.go has the codes), or 500. Every route is behind the Guard (guard.go): the Host must be
// this machine, the caller loopback or holding --control-token, and a write must come from no other
// site's page and say Content-Type: application/json.
//
// Bodies are decoded strictly (package httpjson): an unknown field, a field of the wrong type, trailing
// data, U+0000 or a lone surrogate in a string, or a body over its limit is refused with 400 (413 for
// size) before anything happens.
package control

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/odsim/odsim/deliveries"
	"github.com/odsim/odsim/httpjson"
	"github.com/odsim/odsim/poller"
	"github.com/odsim/odsim/scenario"
	"github.com/odsim/odsim/subscriptions"
	"github.com/odsim/odsim/uievents"
)

// Prefix is where the control API lives on odsim's listener.
const Prefix = "/odsim/v1/"

// Defaults of Options.
const (
	// DefaultMaxBodyBytes bounds a request body: control requests are a few dozen bytes (a scenario's
	// body has its own bound, MaxScenarioBytes).
	DefaultMaxBodyBytes = 16 << 10
	// DefaultMaxLongPolls bounds the long polls (GET deliveries?wait=) held open at once; each holds a
	// connection and a goroutine for up to MaxWait.
	DefaultMaxLongPolls = 64
)

// Poller polls database events now.
type Poller interface {
	PollNow(ctx context.Context, num int64) ([]poller.Outcome, error)
}

// Pollable lists the subscriptions the poller would poll, so that a poll request naming one that does
// not exist is refused before it waits for anything (*store.DB is one).
type Pollable interface {
	PollableSubscriptions(ctx context.Context, dueOnly bool) ([]subscriptions.Subscription, error)
}

// Workstations fire UI events.
type Workstations interface {
	SelectPatient(ctx context.Context, ws string, patNum int64, wait bool) (uievents.Selection, error)
	List() []uievents.Workstation
}

// Clock is the database server's clock, NOW(), by which poll windows end.
type Clock interface {
	Now(ctx context.Context) (time.Time, error)
}

// Services are what the control API drives.
type Services struct {
	Poller       Poller
	Pollable     Pollable // nil: POST poll checks the subscription only by polling it
	Workstations Workstations
	Log          *deliveries.Log
	Clock        Clock
	Scenarios    *scenario.Manager // nil: no scenario routes
	// Database names the database odsim polls, without credentials (GET /odsim/v1/database); nil: no
	// such route.
	Database func(context.Context) (DatabaseInfo, error)
}

// Options configures the control API.
type Options struct {
	MaxBodyBytes int64 // DefaultMaxBodyBytes when 0
	// MaxWait bounds the long poll of GET deliveries?wait=; DefaultMaxWait when 0.
	MaxWait time.Duration
	// MaxLongPolls bounds the long polls waiting at once; more get 429. DefaultMaxLongPolls when 0.
	MaxLongPolls int
	// Logger receives internal errors, once each; nil discards them.
	Logger *slog.Logger
	// Token, when set, is required on every control request, from any address (see Guard).
	Token string
	// AllowedHosts are the Host names, besides loopback ones, the control API answers (see Guard).
	AllowedHosts []string
	// AllowSQL lets scenarios with sql: steps run through POST /odsim/v1/scenarios.
	AllowSQL bool
}

// api serves the control API.
type api struct {
	Services
	guard     *Guard
	maxBody   int64
	maxWait   time.Duration
	longPolls chan struct{} // one token per long poll waiting
	allowSQL  bool
	log       *slog.Logger
}

// Register adds the control API's routes to mux, or returns an error naming an AllowedHosts entry that
// is not a host. It claims everything under Prefix, so that an unknown path or method there gets a
// JSON error rather than the mux's plain text.
func Register(mux *http.ServeMux, s Services, opts Options) error {
	a := &api{Services: s, maxBody: opts.MaxBodyBytes, maxWait: opts.MaxWait, allowSQL: opts.AllowSQL, log: opts.Logger}
	if a.maxBody <= 0 {
		a.maxBody = DefaultMaxBodyBytes
	}
	if a.maxWait <= 0 {
		a.maxWait = DefaultMaxWait
	}
	if opts.MaxLongPolls <= 0 {
		opts.MaxLongPolls = DefaultMaxLongPolls
	}
	a.longPolls = make(chan struct{}, opts.MaxLongPolls)
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	g, err := NewGuard(GuardConfig{Token: opts.Token, AllowedHosts: opts.AllowedHosts, Logger: a.log})
	if err != nil {
		return err
	}
	a.guard = g
	a.register(mux)
	return nil
}

// route is one route of the control API: what GET /odsim/v1/ lists, and what the mux serves.
type route struct {
	Route
	handler http.HandlerFunc
	public  bool // the session routes: guarded, but without needing the token
}

func publicRoute(method, path, summary string, h http.HandlerFunc) route {
	r := newRoute(method, path, summary, h)
	r.public = true
	return r
}

func newRoute(method, path, summary string, h http.HandlerFunc) route {
	return route{Route: Route{Method: method, Path: Prefix + path, Summary: summary}, handler: h}
}

// routes is the one list of the control API's routes.
func (a *api) routes() []route {
	rs := []route{
		newRoute("GET", "", "this list of routes", a.index),
		newRoute("POST", "poll", `poll now, whether due or not: {} for every subscription or {"subscription":3,"settle":true}; answers what was sent`, a.poll),
		newRoute("POST", "select-patient", `a workstation selects a patient (PatientSelected): {"workstation":"MOLLYR","patNum":28,"wait":true}`, a.selectPatient),
		newRoute("GET", "deliveries", "the delivery log, oldest first: ?subscription=&table=&workstation=&status=&since=&limit=&wait=", a.listDeliveries),
		newRoute("GET", "deliveries/{id}", "one delivery with its headers and body as sent", a.getDelivery),
		newRoute("GET", "deliveries/{id}/schema", "the JSON Schema (draft 2020-12) of that delivery's body, from the event catalogue", a.getDeliverySchema),
		newRoute("GET", "workstations", "the workstations odsim plays and the patient selected on each", a.listWorkstations),
	}
	if a.Database != nil {
		rs = append(rs, newRoute("GET", "database", "the database odsim polls, named without credentials (for odsim replay and simulate)", a.getDatabase))
	}
	if a.Scenarios != nil {
		rs = append(rs,
			newRoute("GET", "scenarios", "the built-in scenarios, and the runs newest first", a.listScenarios),
			newRoute("POST", "scenarios", `start a run: {"name":"clinic-day"} or {"yaml":"steps: ..."}, with "speed" (1, 10 or "max") and "start"; 202 and its Location`, a.startScenario),
			newRoute("GET", "scenarios/{id}", "a run's progress: state, step runs applied of total, each one", a.getScenario),
			newRoute("DELETE", "scenarios/{id}", "stop a run (the step in progress completes)", a.stopScenario),
		)
	}
	return append(rs,
		publicRoute("GET", "session", "whether odsim needs the control token, and whether this request holds it", a.getSession),
		publicRoute("POST", "session", `{"token":"..."}: a browser holds the control token as an HttpOnly, SameSite=Strict cookie`, a.startSession),
		publicRoute("DELETE", "session", "drop the session cookie", a.endSession),
	)
}

// register adds every route to mux behind the guard, and a catch-all under Prefix that answers 405 on
// a known path (with Allow) and 404 elsewhere.
func (a *api) register(mux *http.ServeMux) {
	paths := http.NewServeMux() // routes by path alone, to tell 405 from 404
	allow := map[string][]string{}
	for _, rt := range a.routes() {
		pattern := rt.Path
		if pattern == Prefix {
			pattern += "{$}"
		}
		mux.Handle(rt.Method+" "+pattern, a.guarded(rt))
		if _, seen := allow[pattern]; !seen {
			paths.Handle(pattern, http.NotFoundHandler())
		}
		allow[pattern] = append(allow[pattern], rt.Method)
	}
	mux.Handle(Prefix, a.guarded(route{handler: func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := paths.Handler(r); pattern != "" {
			methods := strings.Join(allow[pattern], ", ")
			w.Header().Set("Allow", methods)
			a.fail(w, r, Errorf(MethodNotAllowed, "%s %s is not allowed: use %s.", r.Method, r.URL.Path, methods))
			return
		}
		a.fail(w, r, Errorf(NotFound, "No control API route %s %s: GET %s lists the routes.", r.Method, httpjson.Shorten(r.URL.Path), Prefix))
	}}))
}

// guarded puts rt's handler behind the guard.
func (a *api) guarded(rt route) http.Handler {
	check := a.guard.Check
	if rt.public {
		check = a.guard.checkPublic
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := check(r); err != nil {
			a.fail(w, r, err)
			return
		}
		rt.handler(w, r)
	})
}

// index is GET /odsim/v1/: every route of the control API.
func (a *api) index(w http.ResponseWriter, r *http.Request) {
	if err := noQuery(r); err != nil {
		a.fail(w, r, err)
		return
	}
	out := RouteList{}
	for _, rt := range a.routes() {
		out.Routes = append(out.Routes, rt.Route)
	}
	writeJSON(w, http.StatusOK, out)
}

// fail answers with err's status and caller-safe message. Internal errors are logged here, once; their
// detail never reaches the caller.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, a.log, err)
}

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) { httpjson.Write(w, status, v) }

// decodeBody reads r's JSON object into dst strictly (package httpjson); fields are dst's JSON keys. An
// empty body leaves dst as it is when optional, and is an error otherwise.
func (a *api) decodeBody(w http.ResponseWriter, r *http.Request, dst any, fields []string, optional bool) error {
	data, err := httpjson.ReadBody(w, r, a.maxBody)
	if err != nil {
		return err
	}
	return httpjson.Object{Fields: fields}.Decode(data, dst, optional)
}

// Names of the event types the table filter takes.
func eventTypeNames() []string {
	var out []string
	for _, t := range subscriptions.WatchTables {
		out = append(out, string(t))
	}
	for _, u := range subscriptions.UiEventTypes {
		out = append(out, string(u))
	}
	return out
}

// noQuery refuses a query string on routes that take none, rather than ignoring a misspelt filter.
func noQuery(r *http.Request) error {
	if r.URL.RawQuery != "" {
		return Errorf(Invalid, "%s takes no query parameters.", r.URL.Path)
	}
	return nil
}
