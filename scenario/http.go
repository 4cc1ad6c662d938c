package scenario

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The control API's scenario routes, under odsim's /odsim/v1/:
//
//	GET    /odsim/v1/scenarios        the built-in scenarios and the runs (newest first)
//	POST   /odsim/v1/scenarios        start a run: {"name":"clinic-day"} or {"yaml":"steps: ..."},
//	                                  with "speed": 10 or "max" (default 1, real time) and
//	                                  "start": "2026-12-02 07:30:00" (default: now, or today at the
//	                                  scenario's start:); answers 202 with the run's status
//	GET    /odsim/v1/scenarios/{id}   a run's progress: state, step runs applied of total, each one
//	DELETE /odsim/v1/scenarios/{id}   stop a run (the step in progress completes)

// MaxRequestBytes bounds a POST body: an inline scenario is a few kilobytes.
const MaxRequestBytes = 1 << 20

// keptRuns is how many finished runs the Manager remembers.
const keptRuns = 50

// Manager runs scenarios for the control API, one goroutine per run, and keeps their progress.
type Manager struct {
	db       *sql.DB
	selector PatientSelector
	clock    Clock
	log      *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	nextID int64
	runs   []*run // oldest first
}

// ManagerConfig configures a Manager.
type ManagerConfig struct {
	DB       *sql.DB
	Selector PatientSelector // odsim's UI events, for select-patient steps
	Clock    Clock           // RealClock when nil
	Logger   *slog.Logger    // nil discards
}

// NewManager returns a Manager. Close stops its runs.
func NewManager(cfg ManagerConfig) *Manager {
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{db: cfg.DB, selector: cfg.Selector, clock: cfg.Clock, log: cfg.Logger, ctx: ctx, cancel: cancel}
}

// Close stops every run and waits for them.
func (m *Manager) Close() {
	m.cancel()
	m.wg.Wait()
}

// run is one scenario run started through the API.
type run struct {
	id     int64
	cancel context.CancelFunc

	mu     sync.Mutex
	status RunStatus
}

// RunStatus is a run's progress as the API shows it.
type RunStatus struct {
	ID       int64        `json:"id"`
	Scenario string       `json:"scenario"`
	State    string       `json:"state"` // running, done, failed, stopped
	Speed    string       `json:"speed"`
	Start    string       `json:"start"` // the scenario clock at the start
	Total    int          `json:"total"` // step runs on the timeline
	Applied  int          `json:"applied"`
	Error    string       `json:"error,omitempty"`
	Failed   *StepRef     `json:"failedStep,omitempty"`
	Steps    []StepRecord `json:"steps"` // the step runs applied, in order
}

// StepRef names a step of a scenario file.
type StepRef struct {
	Index int    `json:"index"`
	Name  string `json:"name,omitempty"`
	Op    string `json:"op"`
	Line  int    `json:"line"`
}

// StepRecord is one step run applied.
type StepRecord struct {
	StepRef
	Run    int    `json:"run"`
	At     string `json:"at"`
	Table  string `json:"table,omitempty"`
	Num    int64  `json:"num,omitempty"`
	Detail string `json:"detail"`
}

func refOf(s *Step) StepRef { return StepRef{Index: s.Index, Name: s.Name, Op: s.Op, Line: s.Line} }

// Begin records the timeline: a run is its own Progress, keeping its status up to date.
func (r *run) Begin(rep *Report) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status.Total = rep.Total
	r.status.Start = rep.Start.Format(time.DateTime)
}

// Applied records one step run.
func (r *run) Applied(_ *Report, s StepResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status.Applied++
	r.status.Steps = append(r.status.Steps, StepRecord{StepRef: refOf(s.Step), Run: s.Run,
		At: s.At.Format(time.DateTime), Table: s.Table, Num: s.Num, Detail: s.Detail})
}

// End records how the run ended.
func (r *run) End(rep *Report, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case err == nil:
		r.status.State = "done"
	case errors.Is(err, context.Canceled):
		r.status.State, r.status.Error = "stopped", err.Error()
	default:
		r.status.State, r.status.Error = "failed", err.Error()
		if rep.Failed != nil {
			ref := refOf(rep.Failed)
			r.status.Failed = &ref
		}
	}
}

func (r *run) snapshot() RunStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status
	s.Steps = append([]StepRecord{}, r.status.Steps...)
	return s
}

// Start starts running sc and returns its status at once, or an *Error when its timeline cannot be
// laid out (too many step runs).
func (m *Manager) Start(sc *Scenario, opts Options) (RunStatus, error) {
	if opts.Start.IsZero() {
		opts.Start = sc.StartTime(m.clock.Now())
	}
	plan, err := timeline(sc, opts.Start)
	if err != nil {
		return RunStatus{}, err
	}
	ctx, cancel := context.WithCancel(m.ctx)
	m.mu.Lock()
	m.nextID++
	r := &run{id: m.nextID, cancel: cancel, status: RunStatus{ID: m.nextID, Scenario: sc.Name, State: "running",
		Speed: speedName(opts.Speed), Start: opts.Start.Format(time.DateTime), Total: len(plan), Steps: []StepRecord{}}}
	m.runs = append(m.runs, r)
	m.forget()
	m.mu.Unlock()

	opts.Clock, opts.Selector, opts.Progress = m.clock, m.selector, r
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer cancel()
		if _, err := Run(ctx, m.db, sc, opts); err != nil && !errors.Is(err, context.Canceled) {
			m.log.Info("scenario run failed", "id", r.id, "scenario", sc.Name, "error", err)
		}
	}()
	return r.snapshot(), nil
}

// forget drops the oldest finished runs beyond keptRuns. m.mu is held.
func (m *Manager) forget() {
	for len(m.runs) > keptRuns {
		dropped := false
		for i, r := range m.runs {
			if r.snapshot().State != "running" {
				m.runs = append(m.runs[:i], m.runs[i+1:]...)
				dropped = true
				break
			}
		}
		if !dropped {
			return
		}
	}
}

func (m *Manager) find(id int64) *run {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.runs {
		if r.id == id {
			return r
		}
	}
	return nil
}

func speedName(s float64) string {
	if s <= 0 {
		return "max"
	}
	return strconv.FormatFloat(s, 'f', -1, 64)
}

// ParseSpeed reads a speed as the command line and the API take it: "max" (as fast as possible) or a
// positive factor (1 is real time, 10 ten times faster). It returns 0 for max.
func ParseSpeed(s string) (float64, error) {
	if strings.EqualFold(strings.TrimSpace(s), "max") {
		return 0, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f <= 0 || f > 1e6 {
		return 0, fmt.Errorf("speed %q: use max or a positive factor such as 1 (real time) or 10", s)
	}
	return f, nil
}

// Register adds the scenario routes of the control API to mux.
func Register(mux *http.ServeMux, m *Manager) {
	mux.HandleFunc("GET /odsim/v1/scenarios", m.list)
	mux.HandleFunc("POST /odsim/v1/scenarios", m.start)
	mux.HandleFunc("GET /odsim/v1/scenarios/{id}", m.get)
	mux.HandleFunc("DELETE /odsim/v1/scenarios/{id}", m.stop)
}

type builtinJSON struct {
	Name    string `json:"name"`
	Summary string `json:"summary"`
}

type listJSON struct {
	Builtin []builtinJSON `json:"builtin"`
	Runs    []RunStatus   `json:"runs"`
}

func (m *Manager) list(w http.ResponseWriter, r *http.Request) {
	out := listJSON{Runs: []RunStatus{}}
	for _, b := range builtins {
		out.Builtin = append(out.Builtin, builtinJSON{b.Name, b.Summary})
	}
	m.mu.Lock()
	runs := append([]*run(nil), m.runs...)
	m.mu.Unlock()
	for i := len(runs) - 1; i >= 0; i-- {
		s := runs[i].snapshot()
		s.Steps = nil // the list shows progress; GET /scenarios/{id} shows the steps
		out.Runs = append(out.Runs, s)
	}
	writeJSON(w, http.StatusOK, out)
}

// startRequest is the body of POST /odsim/v1/scenarios.
type startRequest struct {
	Name  string          `json:"name"`
	YAML  string          `json:"yaml"`
	Speed json.RawMessage `json:"speed"`
	Start string          `json:"start"`
}

func (m *Manager) start(w http.ResponseWriter, r *http.Request) {
	var req startRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var sc *Scenario
	var err error
	switch {
	case req.Name != "" && req.YAML != "":
		err = errors.New("give name (a built-in scenario) or yaml (a scenario file's text), not both")
	case req.Name != "":
		sc, err = LoadBuiltin(req.Name)
	case req.YAML != "":
		sc, err = Parse("request.yaml", []byte(req.YAML))
	default:
		err = errors.New("give name (a built-in scenario, e.g. \"clinic-day\") or yaml (a scenario file's text)")
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	opts := Options{Speed: 1}
	if len(req.Speed) > 0 {
		s := strings.Trim(string(req.Speed), `"`)
		if opts.Speed, err = ParseSpeed(s); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	if req.Start != "" {
		t, perr := time.ParseInLocation(time.DateTime, req.Start, time.Local)
		if perr != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("start %q: use yyyy-mm-dd hh:mm:ss", req.Start))
			return
		}
		opts.Start = t
	}
	st, err := m.Start(sc, opts)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	w.Header().Set("Location", "/odsim/v1/scenarios/"+strconv.FormatInt(st.ID, 10))
	writeJSON(w, http.StatusAccepted, st)
}

func (m *Manager) lookup(w http.ResponseWriter, r *http.Request) *run {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("run id %q is not a number", r.PathValue("id")))
		return nil
	}
	run := m.find(id)
	if run == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no scenario run %d", id))
	}
	return run
}

func (m *Manager) get(w http.ResponseWriter, r *http.Request) {
	if run := m.lookup(w, r); run != nil {
		writeJSON(w, http.StatusOK, run.snapshot())
	}
}

func (m *Manager) stop(w http.ResponseWriter, r *http.Request) {
	run := m.lookup(w, r)
	if run == nil {
		return
	}
	run.cancel()
	writeJSON(w, http.StatusOK, run.snapshot())
}

// decodeJSON reads r's body strictly: JSON only, known fields, one object, bounded size.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return errors.New("Content-Type must be application/json")
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
	if err != nil {
		return fmt.Errorf("request body could not be read (at most %d bytes)", MaxRequestBytes)
	}
	if err := strictObject(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("request body: %v (the fields are name, yaml, speed, start)", err)
	}
	if dec.More() {
		return errors.New("request body must hold one JSON object")
	}
	return nil
}

// startFields are the keys of a start request, exactly as spelled.
var startFields = []string{"name", "yaml", "speed", "start"}

// strictObject refuses what encoding/json lets through: invalid UTF-8 (which it turns into U+FFFD), a
// key in another letter case (which it matches anyway) and a key given twice (where the last wins).
func strictObject(data []byte) error {
	if !utf8.Valid(data) {
		return errors.New("request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil // not an object: the decoder says what is wrong
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		if !slices.Contains(startFields, key) {
			return fmt.Errorf("request body: unknown field %q (the fields are name, yaml, speed, start)", key)
		}
		if seen[key] {
			return fmt.Errorf("request body: %s is given more than once", key)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil
		}
	}
	return nil
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, struct {
		Error string `json:"error"`
	}{msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"error":"internal error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // an error means the client went away
}
