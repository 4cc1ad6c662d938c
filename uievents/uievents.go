// Package uievents fires Open Dental's UI events on demand. In Open Dental a UI event is sent by
// OpenDental.exe on the workstation where a user acted; odsim has no user, so the control API says
// "on workstation W, patient N was selected" and this package does what OpenDental.exe on W would do:
// when W's selected patient changes, it POSTs the PatientSelected body to every unexpired
// PatientSelected subscription that names W or no workstation.
//
// As in Open Dental (FormOpenDental.FillPatientButton → ApiEvents.FireUiEventAsynch), the event fires
// only when the selection changes — selecting the patient already selected fires nothing — and it is
// sent blindly: one POST per subscription, no retry, whatever the answer. Every attempt is reported to
// Config.Observe (the delivery log). The selection of each workstation lives in memory only, as it does
// in a running OpenDental.exe; it starts with no patient selected.
package uievents

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/odsim/odsim/subscriptions"
	"github.com/odsim/odsim/webhook"
)

// Store is what UI events need from the database.
type Store interface {
	// PatientSelectedBody returns the PatientSelected JSON object of a patient, or an error with code
	// NotFound when there is no such patient.
	PatientSelectedBody(ctx context.Context, patNum int64) ([]byte, error)
	// AllSubscriptions lists every customer key's subscriptions.
	AllSubscriptions(ctx context.Context) ([]subscriptions.Subscription, error)
	// Now is the database server's NOW(), which decides expiry as it does for database events.
	Now(ctx context.Context) (time.Time, error)
}

// Sender POSTs one event.
type Sender interface {
	Send(ctx context.Context, req webhook.Request) webhook.Result
}

// Config configures the workstations.
type Config struct {
	// Workstations are the machine names odsim plays; a selection names one of them.
	Workstations []string
	// Observe, when set, is called after every POST attempt, on the sending goroutine: it must be quick.
	Observe func(Delivery)
	// Now is the host clock, used only to timestamp attempts; time.Now when nil.
	Now func() time.Time
}

// Delivery is one POST attempt of a UI event.
type Delivery struct {
	At           time.Time // when the POST started (host clock)
	Subscription subscriptions.Subscription
	Workstation  string
	PatNum       int64
	Request      webhook.Request
	Result       webhook.Result
}

// Selection is what came of selecting a patient.
type Selection struct {
	Workstation string // the workstation's name as odsim plays it
	PatNum      int64
	Previous    int64 // the patient selected before; 0 for none
	// Fired is false when PatNum was already selected: Open Dental sends nothing then.
	Fired bool
	// Subscriptions are the PatientSelected subscriptions the event is sent to, by number.
	Subscriptions []int64
	// Deliveries are the attempts, in Subscriptions order, when the caller waited for them.
	Deliveries []Delivery
}

// Workstation is one machine odsim plays and the patient selected on it (0 for none).
type Workstation struct {
	Name   string
	PatNum int64
}

// Workstations holds the machines odsim plays, their selected patients, and the UI events in flight.
type Workstations struct {
	cfg    Config
	store  Store
	sender Sender

	// sendCtx ends at Close: UI events are not tied to the request that caused them, as Open Dental's
	// asynchronous send is not tied to the user's click.
	sendCtx context.Context
	cancel  context.CancelFunc
	sends   sync.WaitGroup

	mu       sync.Mutex
	selected map[string]int64           // by upper-cased name
	turn     map[string]*sync.Mutex     // by upper-cased name: one selection at a time per workstation
	last     map[chainKey]chan struct{} // the newest send per subscription and workstation
}

// chainKey names the event stream of one subscription from one workstation: its events are sent one
// after another, in selection order, so a receiver never sees an older patient after a newer one.
type chainKey struct {
	sub int64
	ws  string
}

// New returns the workstations of cfg, none with a patient selected.
func New(cfg Config, st Store, sender Sender) *Workstations {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Workstations{
		cfg: cfg, store: st, sender: sender, sendCtx: ctx, cancel: cancel,
		selected: map[string]int64{}, turn: map[string]*sync.Mutex{}, last: map[chainKey]chan struct{}{},
	}
	for _, name := range cfg.Workstations {
		w.turn[strings.ToUpper(name)] = &sync.Mutex{}
	}
	return w
}

// List returns every workstation odsim plays, in configuration order, with its selected patient.
func (w *Workstations) List() []Workstation {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]Workstation, len(w.cfg.Workstations))
	for i, name := range w.cfg.Workstations {
		out[i] = Workstation{Name: name, PatNum: w.selected[strings.ToUpper(name)]}
	}
	return out
}

// Resolve returns the workstation odsim plays under name, compared without regard to case (Windows
// machine names ignore it); an empty name means the only workstation when odsim plays just one. Other
// names get an Invalid error listing the valid ones.
func (w *Workstations) Resolve(name string) (string, error) {
	if strings.TrimSpace(name) == "" {
		if len(w.cfg.Workstations) == 1 {
			return w.cfg.Workstations[0], nil
		}
		return "", subscriptions.Errorf(subscriptions.Invalid,
			"workstation is required: odsim plays %s.", strings.Join(w.cfg.Workstations, ", "))
	}
	for _, ws := range w.cfg.Workstations {
		if strings.EqualFold(ws, name) {
			return ws, nil
		}
	}
	return "", subscriptions.Errorf(subscriptions.Invalid,
		"workstation %q is not one odsim plays: use %s (set them with odsim serve --workstation).",
		shorten(name), strings.Join(w.cfg.Workstations, ", "))
}

// SelectPatient selects patient patNum on workstation ws. When that changes the workstation's selected
// patient, it sends the PatientSelected event to every unexpired PatientSelected subscription that names
// ws or no workstation, and returns either at once (as Open Dental, which sends asynchronously) or, with
// wait, once every POST was answered or failed. An unknown workstation or patient is an error and
// changes nothing; so is a database failure, after which the same call can be repeated.
//
// Waiting ends early when ctx ends; the POSTs go on regardless, since they belong to the workstation,
// not to the caller.
func (w *Workstations) SelectPatient(ctx context.Context, ws string, patNum int64, wait bool) (Selection, error) {
	name, err := w.Resolve(ws)
	if err != nil {
		return Selection{}, err
	}
	if patNum <= 0 {
		return Selection{}, subscriptions.Errorf(subscriptions.Invalid,
			"patNum must be a positive whole number, not %d: Open Dental fires PatientSelected only for a patient.", patNum)
	}
	key := strings.ToUpper(name)
	turn := w.turn[key]
	turn.Lock()
	defer turn.Unlock()

	body, err := w.store.PatientSelectedBody(ctx, patNum)
	if err != nil {
		return Selection{}, err
	}
	w.mu.Lock()
	previous := w.selected[key]
	w.mu.Unlock()
	sel := Selection{Workstation: name, PatNum: patNum, Previous: previous}
	if previous == patNum {
		return sel, nil
	}
	subs, err := w.recipients(ctx, name)
	if err != nil {
		return Selection{}, err
	}

	sel.Fired = true
	done := make([]chan Delivery, len(subs))
	w.mu.Lock()
	w.selected[key] = patNum
	for i, s := range subs {
		sel.Subscriptions = append(sel.Subscriptions, s.Num)
		done[i] = make(chan Delivery, 1)
		w.send(chainKey{s.Num, key}, Delivery{
			Subscription: s,
			Workstation:  name,
			PatNum:       patNum,
			Request: webhook.Request{
				URL:         s.EndPointURL,
				CustomerKey: s.CustomerKey,
				Workstation: name,
				EventType:   s.EventType(),
				Body:        body,
			},
		}, done[i])
	}
	w.mu.Unlock()

	if !wait {
		return sel, nil
	}
	for _, ch := range done {
		select {
		case d := <-ch:
			sel.Deliveries = append(sel.Deliveries, d)
		case <-ctx.Done():
			return sel, fmt.Errorf("wait for PatientSelected deliveries: %w", ctx.Err())
		}
	}
	return sel, nil
}

// recipients lists the PatientSelected subscriptions workstation ws sends to: those naming ws or no
// workstation that have not expired by the database clock. DateTimeStart does not delay UI events:
// Open Dental documents it only as the start of database polling.
func (w *Workstations) recipients(ctx context.Context, ws string) ([]subscriptions.Subscription, error) {
	now, err := w.store.Now(ctx)
	if err != nil {
		return nil, fmt.Errorf("select patient: %w", err)
	}
	all, err := w.store.AllSubscriptions(ctx)
	if err != nil {
		return nil, fmt.Errorf("select patient: %w", err)
	}
	var out []subscriptions.Subscription
	for _, s := range all {
		if s.UiEventType == subscriptions.PatientSelected && s.FiresOn(ws) && !s.Expired(now) {
			out = append(out, s)
		}
	}
	return out, nil
}

// send starts one POST after the previous event of the same chain has been sent. Called with w.mu held.
func (w *Workstations) send(k chainKey, d Delivery, done chan<- Delivery) {
	prev := w.last[k]
	mine := make(chan struct{})
	w.last[k] = mine
	w.sends.Add(1)
	go func() {
		defer w.sends.Done()
		defer func() {
			close(mine)
			w.mu.Lock()
			if w.last[k] == mine {
				delete(w.last, k)
			}
			w.mu.Unlock()
		}()
		if prev != nil {
			<-prev
		}
		d.At = w.cfg.Now()
		d.Result = w.sender.Send(w.sendCtx, d.Request)
		if w.cfg.Observe != nil {
			w.cfg.Observe(d)
		}
		done <- d
	}()
}

// Close waits for the UI events in flight until ctx ends, then abandons the rest (their POSTs fail as
// canceled and are reported so).
func (w *Workstations) Close(ctx context.Context) {
	idle := make(chan struct{})
	go func() {
		w.sends.Wait()
		close(idle)
	}()
	select {
	case <-idle:
	case <-ctx.Done():
	}
	w.cancel()
	<-idle
}

// shorten cuts a caller's name to 64 bytes for echoing in a message.
func shorten(s string) string {
	if len(s) <= 64 {
		return s
	}
	return s[:64] + "…"
}
