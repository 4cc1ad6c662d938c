package control

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/odsim/odsim/httpjson"
	"github.com/odsim/odsim/scenario"
)

// MaxScenarioBytes bounds a POST /odsim/v1/scenarios body: an inline scenario is a few kilobytes.
const MaxScenarioBytes = 1 << 20

// startFields are the keys of a POST /odsim/v1/scenarios body.
var startFields = httpjson.Object{Fields: []string{"name", "yaml", "speed", "start"}}

// listScenarios is GET /odsim/v1/scenarios: the built-in scenarios, and the runs newest first.
func (a *api) listScenarios(w http.ResponseWriter, r *http.Request) {
	if err := noQuery(r); err != nil {
		a.fail(w, r, err)
		return
	}
	out := ScenarioList{Builtin: []BuiltinScenario{}, Runs: a.Scenarios.Runs(), MaxRunning: a.Scenarios.MaxRunning()}
	for _, b := range scenario.Builtins() {
		out.Builtin = append(out.Builtin, BuiltinScenario{b.Name, b.Summary})
	}
	writeJSON(w, http.StatusOK, out)
}

// startScenario is POST /odsim/v1/scenarios: start a run of a built-in scenario or of the YAML given,
// and answer 202 with its status at once (GET its Location for progress). A scenario with an sql: step
// is refused (403, code sql_not_allowed) unless odsim serve runs with --allow-sql: raw SQL through HTTP
// would let anyone who can reach the control API read or change every database the user can.
func (a *api) startScenario(w http.ResponseWriter, r *http.Request) {
	sc, opts, err := a.readStart(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	st, err := a.Scenarios.Start(sc, opts)
	if errors.Is(err, scenario.ErrTooManyRuns) {
		a.fail(w, r, Errorf(TooMany, "%d scenario runs are in progress, the most odsim runs at once: stop one (DELETE %sscenarios/{id}) or wait for one to end.",
			a.Scenarios.MaxRunning(), Prefix))
		return
	}
	if err != nil {
		a.fail(w, r, scenarioError(err))
		return
	}
	w.Header().Set("Location", Prefix+"scenarios/"+strconv.FormatInt(st.ID, 10))
	writeJSON(w, http.StatusAccepted, st)
}

// readStart reads and checks a start request: everything it refuses, it refuses before anything runs.
func (a *api) readStart(w http.ResponseWriter, r *http.Request) (*scenario.Scenario, scenario.Options, error) {
	var req StartRequest
	opts := scenario.Options{Speed: 1}
	data, err := httpjson.ReadBody(w, r, MaxScenarioBytes)
	if err != nil {
		return nil, opts, err
	}
	if err := startFields.Decode(data, &req, false); err != nil {
		return nil, opts, err
	}
	var sc *scenario.Scenario
	switch {
	case req.Name != "" && req.YAML != "":
		return nil, opts, Errorf(Invalid, "Give name (a built-in scenario) or yaml (a scenario file's text), not both.")
	case req.Name != "":
		if !isBuiltin(req.Name) {
			return nil, opts, Errorf(Invalid, "No built-in scenario %q: the built-ins are %s.", httpjson.Shorten(req.Name), builtinNames())
		}
		sc, err = scenario.LoadBuiltin(req.Name)
	case req.YAML != "":
		sc, err = scenario.Parse("request.yaml", []byte(req.YAML))
	default:
		return nil, opts, Errorf(Invalid, `Give name (a built-in scenario, e.g. "clinic-day") or yaml (a scenario file's text).`)
	}
	if err != nil {
		return nil, opts, scenarioError(err)
	}
	if len(req.Speed) > 0 {
		var s string
		if json.Unmarshal(req.Speed, &s) != nil {
			s = string(req.Speed) // a number
		}
		if opts.Speed, err = scenario.ParseSpeed(s); err != nil {
			return nil, opts, Errorf(Invalid, "%s.", httpjson.Shorten(err.Error()))
		}
	}
	if req.Start != "" {
		t, err := time.ParseInLocation(time.DateTime, req.Start, time.Local)
		if err != nil {
			return nil, opts, Errorf(Invalid, "start %q: use yyyy-mm-dd hh:mm:ss.", httpjson.Shorten(req.Start))
		}
		opts.Start = t
	}
	if !a.allowSQL {
		if s := sqlStep(sc); s != nil {
			return nil, opts, Errorf(SQLNotAllowed,
				"%s:%d: %s runs raw SQL, which the control API refuses unless odsim serve runs with --allow-sql. Run the scenario from the command line against the database instead (odsim replay FILE --dsn ...), or restart odsim serve with --allow-sql (on a non-loopback --listen it also needs --control-token).",
				sc.File, s.Line, s.Describe())
		}
	}
	return sc, opts, nil
}

// sqlStep is the first step of sc that runs raw SQL, or nil.
func sqlStep(sc *scenario.Scenario) *scenario.Step {
	for _, s := range sc.Steps {
		if s.Op == "sql" {
			return s
		}
	}
	return nil
}

// scenarioError makes a scenario's problems (a file's errors, a timeline that cannot be laid out) the
// caller's; anything else is odsim's.
func scenarioError(err error) error {
	var list scenario.ErrorList
	var se *scenario.Error
	if errors.As(err, &list) || errors.As(err, &se) {
		return &Error{Code: Invalid, Message: err.Error()}
	}
	return err
}

func isBuiltin(name string) bool {
	for _, b := range scenario.Builtins() {
		if b.Name == name {
			return true
		}
	}
	return false
}

func builtinNames() string {
	var names []string
	for _, b := range scenario.Builtins() {
		names = append(names, b.Name)
	}
	return strings.Join(names, ", ")
}

// getScenario is GET /odsim/v1/scenarios/{id}: a run's progress, with every step run applied.
func (a *api) getScenario(w http.ResponseWriter, r *http.Request) {
	id, err := a.runID(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	st, ok := a.Scenarios.Run(id)
	if !ok {
		a.fail(w, r, a.noRun(id))
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// stopScenario is DELETE /odsim/v1/scenarios/{id}: stop a run; the step in progress completes.
func (a *api) stopScenario(w http.ResponseWriter, r *http.Request) {
	id, err := a.runID(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	st, ok := a.Scenarios.Stop(id)
	if !ok {
		a.fail(w, r, a.noRun(id))
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (a *api) runID(r *http.Request) (int64, error) {
	if err := noQuery(r); err != nil {
		return 0, err
	}
	v := r.PathValue("id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, Errorf(Invalid, "The run ID in the URL must be a positive whole number, not %q.", httpjson.Shorten(v))
	}
	return id, nil
}

func (a *api) noRun(id int64) error {
	return Errorf(NotFound, "No scenario run %d: GET %sscenarios lists the runs odsim remembers.", id, Prefix)
}
