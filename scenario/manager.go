package scenario

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of ManagerConfig.
const (
	// DefaultMaxRunning bounds the runs in progress at once: each holds a goroutine and, while a step
	// runs, a database connection, and a run of a scenario with a long timeline lasts for days.
	DefaultMaxRunning = 16
	// keptRuns is how many finished runs the Manager remembers.
	keptRuns = 50
)

// Speed bounds of ParseSpeed: slower than a hundredth of real time is no use to anyone, and a tiny
// factor makes a step's wait overflow time.Duration; faster than a million times is "max".
const (
	MinSpeed = 0.01
	MaxSpeed = 1e6
)

// ErrTooManyRuns is Manager.Start's answer when MaxRunning runs are in progress.
var ErrTooManyRuns = errors.New("too many scenario runs in progress")

// Manager runs scenarios in the background for odsim serve (the control API's scenario routes), one
// goroutine per run, and keeps their progress.
type Manager struct {
	db         *sql.DB
	selector   PatientSelector
	clock      Clock
	log        *slog.Logger
	maxRunning int

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	nextID int64
	runs   []*run // oldest first; forget keeps every run still in progress
}

// ManagerConfig configures a Manager.
type ManagerConfig struct {
	DB         *sql.DB
	Selector   PatientSelector // odsim's UI events, for select-patient steps
	Clock      Clock           // RealClock when nil
	Logger     *slog.Logger    // nil discards
	MaxRunning int             // DefaultMaxRunning when 0
}

// NewManager returns a Manager. Close stops its runs.
func NewManager(cfg ManagerConfig) *Manager {
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxRunning <= 0 {
		cfg.MaxRunning = DefaultMaxRunning
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{db: cfg.DB, selector: cfg.Selector, clock: cfg.Clock, log: cfg.Logger, maxRunning: cfg.MaxRunning,
		ctx: ctx, cancel: cancel}
}

// MaxRunning is how many runs may be in progress at once.
func (m *Manager) MaxRunning() int { return m.maxRunning }

// Close stops every run and waits for them.
func (m *Manager) Close() {
	m.cancel()
	m.wg.Wait()
}

// run is one scenario run started through the Manager.
type run struct {
	id     int64
	cancel context.CancelFunc

	mu     sync.Mutex
	status RunStatus
}

// RunStatus is a run's progress, as the control API shows it.
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
	Steps    []StepRecord `json:"steps"` // the step runs applied, in order (null in Runs)
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

// snapshot is the run's status now; with steps, the step runs applied too.
func (r *run) snapshot(steps bool) RunStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status
	s.Steps = nil
	if steps {
		s.Steps = append([]StepRecord{}, r.status.Steps...)
	}
	return s
}

// Start starts running sc and returns its status at once. It refuses with an *Error when the timeline
// cannot be laid out (too many step runs, or too long for opts.Speed), and with ErrTooManyRuns when
// MaxRunning runs are in progress.
func (m *Manager) Start(sc *Scenario, opts Options) (RunStatus, error) {
	if opts.Start.IsZero() {
		opts.Start = sc.StartTime(m.clock.Now())
	}
	plan, err := timeline(sc, opts.Start)
	if err != nil {
		return RunStatus{}, err
	}
	if err := fitsSpeed(sc, plan, opts.Speed); err != nil {
		return RunStatus{}, err
	}
	if c, ok := m.selector.(WorkstationChecker); ok {
		// Refused here, with the request, rather than by the run once started.
		if err := checkWorkstations(m.ctx, sc, c); err != nil {
			return RunStatus{}, err
		}
	}
	ctx, cancel := context.WithCancel(m.ctx)
	m.mu.Lock()
	if m.inProgress() >= m.maxRunning {
		m.mu.Unlock()
		cancel()
		return RunStatus{}, fmt.Errorf("%w (%d, the most odsim runs at once)", ErrTooManyRuns, m.maxRunning)
	}
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
		_, err := Run(ctx, m.db, sc, opts)
		if err != nil && !errors.Is(err, context.Canceled) {
			m.log.Info("scenario run failed", "id", r.id, "scenario", sc.Name, "error", err)
		}
	}()
	return r.snapshot(true), nil
}

// fitsSpeed refuses a timeline whose last step, at speed, would be further away than time.Duration
// can count (a wait that overflows would run the step at once).
func fitsSpeed(sc *Scenario, plan []firing, speed float64) error {
	if speed <= 0 || len(plan) == 0 {
		return nil
	}
	last := plan[len(plan)-1]
	if float64(last.offset)/speed >= math.MaxInt64 {
		return &Error{File: sc.File, Line: last.step.Line, Step: last.step,
			Err: fmt.Errorf("at speed %s this step would run %s from the start, too far away to wait for: use a higher speed", speedName(speed), last.offset)}
	}
	return nil
}

// inProgress counts the runs whose state is still running: a run counts until it reports its end, as
// its status shows. m.mu is held.
func (m *Manager) inProgress() int {
	n := 0
	for _, r := range m.runs {
		if r.snapshot(false).State == "running" {
			n++
		}
	}
	return n
}

// forget drops the oldest finished runs beyond keptRuns. m.mu is held.
func (m *Manager) forget() {
	for len(m.runs) > keptRuns {
		dropped := false
		for i, r := range m.runs {
			if r.snapshot(false).State != "running" {
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

// Runs returns the status of the runs the Manager remembers, newest first, without their steps.
func (m *Manager) Runs() []RunStatus {
	m.mu.Lock()
	runs := append([]*run(nil), m.runs...)
	m.mu.Unlock()
	out := make([]RunStatus, 0, len(runs))
	for i := len(runs) - 1; i >= 0; i-- {
		out = append(out, runs[i].snapshot(false))
	}
	return out
}

// Run returns run id's status with the step runs applied, or false when the Manager does not know it.
func (m *Manager) Run(id int64) (RunStatus, bool) {
	r := m.find(id)
	if r == nil {
		return RunStatus{}, false
	}
	return r.snapshot(true), true
}

// Stop stops run id (the step in progress completes) and returns its status, or false when the
// Manager does not know it.
func (m *Manager) Stop(id int64) (RunStatus, bool) {
	r := m.find(id)
	if r == nil {
		return RunStatus{}, false
	}
	r.cancel()
	return r.snapshot(true), true
}

func speedName(s float64) string {
	if s <= 0 {
		return "max"
	}
	return strconv.FormatFloat(s, 'f', -1, 64)
}

// ParseSpeed reads a speed as the command line and the control API take it: "max" (as fast as
// possible) or a factor from MinSpeed to MaxSpeed (1 is real time, 10 ten times faster). It returns 0
// for max.
func ParseSpeed(s string) (float64, error) {
	v := strings.TrimSpace(s)
	if strings.EqualFold(v, "max") {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f < MinSpeed || f > MaxSpeed {
		return 0, fmt.Errorf("speed %q: use max or a factor from %s to %s (1 is real time, 10 ten times faster)",
			s, speedName(MinSpeed), speedName(MaxSpeed))
	}
	return f, nil
}
