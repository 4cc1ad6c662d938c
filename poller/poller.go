// Package poller produces Open Dental's database events: every second it finds the subscriptions that
// are due, reads the rows changed in each one's window [DateTimeStart, T) — T being the database
// server's NOW(), held back before any write still in flight (see windowStop) — in pages of at most
// 1000, POSTs each page, and only after every page was answered with 200 moves DateTimeStart to T. Any
// other answer leaves DateTimeStart alone, so the same rows are sent again on a later cycle: at least
// once, never lost.
package poller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/odsim/odsim/payload"
	"github.com/odsim/odsim/subscriptions"
	"github.com/odsim/odsim/webhook"
)

// Open Dental's constants.
const (
	DefaultBatchSize = 1000           // elements per POST since 23.2.1
	DefaultHorizon   = 72 * time.Hour // a window never reaches further back than three days
)

// Store is what the poller needs from the database.
type Store interface {
	// PollableSubscriptions lists unexpired database-event subscriptions; with dueOnly, only those due
	// by the database clock.
	PollableSubscriptions(ctx context.Context, dueOnly bool) ([]subscriptions.Subscription, error)
	// Now is the database server's NOW().
	Now(ctx context.Context) (time.Time, error)
	// Horizon reads the database's NOW() and, on the same clock, the start of the oldest write still
	// in flight (zero when none is), whose rows may yet appear with a stamp before NOW(). unseen is ""
	// when every writer is visible, or else says what is not.
	Horizon(ctx context.Context) (now, oldest time.Time, unseen string, err error)
	// Window reads the pages of table t's window [start, stop), in order, at most limit elements each,
	// encoded; a page with no elements ends it.
	Window(t subscriptions.WatchTable, start, stop time.Time, limit int) payload.Pages
	// AdvanceCursor moves DateTimeStart from from to to, unless it changed meanwhile.
	AdvanceCursor(ctx context.Context, num int64, from, to time.Time) (bool, error)
	// Changed reports whether table t has a row in the window [start, stop).
	Changed(ctx context.Context, t subscriptions.WatchTable, start, stop time.Time) (bool, error)
	// AdvanceCursors moves DateTimeStart from from to to for each of nums whose DateTimeStart is
	// still from.
	AdvanceCursors(ctx context.Context, nums []int64, from, to time.Time) error
}

// Sender POSTs one event.
type Sender interface {
	Send(ctx context.Context, req webhook.Request) webhook.Result
}

// reachability is a Sender that can tell, at the cost of one connection attempt, that an endpoint
// which refused its last connection still refuses (*webhook.Sender is one).
type reachability interface {
	Reachable(ctx context.Context, url string) error
}

// Config configures a Poller.
type Config struct {
	// Workstations are the machine names odsim plays. A subscription is polled once for every one of
	// them it names (its own name, or blank for all), as every Open Dental process on those machines
	// would poll it.
	Workstations []string
	BatchSize    int           // DefaultBatchSize when 0
	Horizon      time.Duration // DefaultHorizon when 0
	// WindowLag, when positive, ends each window at least that long before the database's NOW(). By
	// default a window already ends before every write still in flight (see windowStop), so this only
	// adds latency; it is kept for setups that want a fixed delay, and it replaces DefaultUnseenLag
	// when odsim cannot see every writer. With Reproduce's InFlightGap it is the only allowance, as
	// before the horizon existed.
	WindowLag time.Duration
	// Reproduce lists Open Dental failure modes to reproduce instead of avoiding (none by default).
	Reproduce Failures
	Logger    *slog.Logger
	// Observe, when set, is called after every POST attempt (delivery log, recording, metrics), on the
	// polling goroutine: it must be quick. The poller never reuses a Delivery's body, so it may be kept.
	Observe func(Delivery)
	// Now is the host clock, used only to timestamp attempts; time.Now when nil.
	Now func() time.Time
}

// Delivery is one POST attempt of a database event batch.
type Delivery struct {
	At           time.Time // when the POST started (host clock)
	Subscription subscriptions.Subscription
	Workstation  string
	Batch        int       // 1 for the first page of the window
	WindowStart  time.Time // the window [WindowStart, WindowStop) on the database clock
	WindowStop   time.Time
	Request      webhook.Request
	Elements     int
	Keys         []int64
	Result       webhook.Result
}

// Outcome is what came of polling one subscription on one workstation.
type Outcome struct {
	SubscriptionNum int64
	Workstation     string
	WindowStart     time.Time
	WindowStop      time.Time
	Deliveries      []Delivery // the POST attempts, in order (filled by PollNow)
	Delivered       int        // elements delivered with 200
	Advanced        bool       // DateTimeStart moved to WindowStop
	Err             error      // what stopped the subscription this cycle, nil when all went well
}

// Poller runs the polling cycle.
type Poller struct {
	cfg    Config
	store  Store
	sender Sender
	log    *slog.Logger

	mu     sync.Mutex
	locks  map[lockKey]*pollLock // one per subscription and workstation: never two polls at once
	pruned time.Time             // when locks of subscriptions no longer pollable were last dropped (host clock)
	wg     sync.WaitGroup

	dbDown bool // the last tick could not list subscriptions (guarded by mu)
}

// pollLock is held while a subscription is polled on a workstation.
type pollLock struct {
	sync.Mutex
	// ended is when the last poll ended (host clock; written under the lock). A subscription listed
	// before then was listed with the DateTimeStart that poll has since moved: polling it again with
	// that value would send the whole window a second time.
	ended time.Time
	// failing is the run of failed polls the log is told about (written under the lock).
	failing failures
	// refs counts who holds this lock or is about to take it (guarded by Poller.mu): a lock in use is
	// never dropped from Poller.locks, so that there is only ever one per subscription and workstation.
	refs int
}

// release marks the end of a poll and unlocks.
func (l *pollLock) release(now time.Time) {
	l.ended = now
	l.Unlock()
}

type lockKey struct {
	num int64
	ws  string
}

// New returns a Poller.
func New(cfg Config, st Store, sender Sender) *Poller {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.Horizon <= 0 {
		cfg.Horizon = DefaultHorizon
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Poller{cfg: cfg, store: st, sender: sender, log: log, locks: map[lockKey]*pollLock{}}
}

// Run ticks every second, as Open Dental's API worker thread does, until ctx ends; then it waits for
// the polls in flight, whose POSTs ctx's end abandons without moving any cursor.
func (p *Poller) Run(ctx context.Context) error {
	p.announce(ctx)
	c := cron.New(cron.WithSeconds(), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	if _, err := c.AddFunc("* * * * * *", func() { p.Tick(ctx) }); err != nil {
		return fmt.Errorf("schedule poller: %w", err)
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	p.wg.Wait()
	return nil
}

// Tick starts a poll of every due subscription that is not being polled already, and returns without
// waiting for them: a slow receiver holds up only its own subscription. Every poll the tick starts
// ends its window at the same T, the database's NOW() read once.
func (p *Poller) Tick(ctx context.Context) {
	listed := p.cfg.Now()
	subs, err := p.store.PollableSubscriptions(ctx, true)
	p.noteDatabase(ctx, err)
	if err != nil {
		return
	}
	var claimed []job
	for _, s := range subs {
		for _, ws := range p.cfg.Workstations {
			if !s.FiresOn(ws) {
				continue
			}
			lock := p.lock(s.Num, ws)
			if !lock.TryLock() {
				p.drop(lock)
				continue // still polling it
			}
			if lock.ended.After(listed) {
				lock.Unlock() // its poll ended after the list was read: the next tick reads its new cursor
				p.drop(lock)
				continue
			}
			claimed = append(claimed, job{s, ws, lock})
		}
	}
	p.pruneLocks(ctx)
	if len(claimed) == 0 {
		return
	}
	t, err := p.windowStop(ctx)
	p.noteDatabase(ctx, err)
	if err != nil {
		for _, j := range claimed {
			j.lock.Unlock()
			p.drop(j.lock)
		}
		return
	}
	for _, j := range p.closeUnchanged(ctx, claimed, t) {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			o := p.poll(ctx, j.s, j.ws, t, false)
			p.finish(j.lock, o)
		}()
	}
}

// finish reports the outcome of a poll whose lock is held, and releases the lock.
func (p *Poller) finish(l *pollLock, o Outcome) {
	now := p.cfg.Now()
	p.report(o, &l.failing, now)
	l.release(now)
	p.drop(l)
}

// job is one subscription to poll on one workstation, whose lock the poller holds.
type job struct {
	s    subscriptions.Subscription
	ws   string
	lock *pollLock
}

// closeUnchanged finishes the claimed polls whose window holds no change without polling them one
// by one: it asks the database once per WatchTable and DateTimeStart whether the window [DateTimeStart,
// T) holds a row and, when it holds none, moves those subscriptions' cursors to T in one UPDATE — what
// each poll would have done, since an empty window POSTs nothing. It returns the polls still to run.
// Subscriptions polled in the same tick share their DateTimeStart (the T of their last poll), so a
// thousand idle subscriptions cost a few queries a second instead of three each.
func (p *Poller) closeUnchanged(ctx context.Context, claimed []job, t time.Time) []job {
	type window struct {
		table subscriptions.WatchTable
		from  time.Time // the subscriptions' DateTimeStart
	}
	groups := map[window][]job{}
	var order []window
	for _, j := range claimed {
		w := window{j.s.WatchTable, j.s.DateTimeStart}
		if _, ok := groups[w]; !ok {
			order = append(order, w)
		}
		groups[w] = append(groups[w], j)
	}
	var poll []job
	for _, w := range order {
		jobs := groups[w]
		start := p.windowStart(w.from, t)
		if start.Before(t) {
			changed, err := p.store.Changed(ctx, w.table, start, t)
			if err != nil || changed {
				poll = append(poll, jobs...) // the polls read the window, or report the error
				continue
			}
			nums := make([]int64, len(jobs))
			for i, j := range jobs {
				nums[i] = j.s.Num
			}
			if err := p.store.AdvanceCursors(ctx, nums, w.from, t); err != nil {
				p.log.Warn("cursors of empty windows not moved; they are read again next cycle",
					"watch_table", w.table, "subscriptions", len(nums), "error", err)
			}
		} // else DateTimeStart is in the future: nothing to read yet, and the cursor stays
		ended := p.cfg.Now()
		for _, j := range jobs {
			j.lock.release(ended)
			p.drop(j.lock)
		}
	}
	return poll
}

// windowStop is T, where the windows of a poll end.
//
// By default T is the database's NOW() held back to the start of the oldest write still in flight
// (store's Horizon): a statement stamps its rows with the second it began but shows them only when it
// ends, or when its transaction commits, so a window that ended after that second would read it
// without them and the cursor would move past their stamps for good. T is therefore at most the second
// the oldest such write began — its rows, stamped with that second or later, fall in the next window —
// and, with no write in flight, NOW() itself: the common case waits for nothing. When odsim cannot see
// every writer (no PROCESS privilege), T is also at least WindowLag, or DefaultUnseenLag, before NOW():
// a write that runs longer than that can still be missed, and the log said so at start.
//
// With Reproduce's InFlightGap, T is NOW() less WindowLag, as Open Dental computes it.
func (p *Poller) windowStop(ctx context.Context) (time.Time, error) {
	if p.cfg.Reproduce.Has(InFlightGap) {
		t, err := p.store.Now(ctx)
		return t.Add(-p.cfg.WindowLag), err
	}
	now, oldest, unseen, err := p.store.Horizon(ctx)
	if err != nil {
		return time.Time{}, err
	}
	t := now.Add(-p.unseenLag(unseen))
	if !oldest.IsZero() && oldest.Before(t) {
		t = oldest
	}
	return t.Truncate(time.Second), nil
}

// DefaultUnseenLag is how long before NOW() windows end when odsim cannot see every write in flight
// and no WindowLag is set: writes that take longer may be missed.
const DefaultUnseenLag = 5 * time.Second

// unseenLag is how far before NOW() windows end when unseen says what odsim cannot see.
func (p *Poller) unseenLag(unseen string) time.Duration {
	if unseen != "" && p.cfg.WindowLag == 0 {
		return DefaultUnseenLag
	}
	return p.cfg.WindowLag
}

// announce logs, once at start, where windows end and why.
func (p *Poller) announce(ctx context.Context) {
	if p.cfg.Reproduce.Has(InFlightGap) {
		p.log.Warn("reproducing Open Dental's in-flight gap (--reproduce in-flight-gap): windows end at the database's NOW()" +
			lagNote(p.cfg.WindowLag) + ", so rows of writes still running at a poll are never sent")
		return
	}
	_, _, unseen, err := p.store.Horizon(ctx)
	switch {
	case err != nil:
		p.log.Warn("cannot tell which writes are in flight yet; each poll asks again", "error", err)
	case unseen != "":
		p.log.Warn("poll windows cannot wait for every write in flight: "+unseen+
			"; they end a fixed lag before NOW() instead, and rows of a write that runs longer are missed"+
			" (grant the user PROCESS, or set --window-lag)", "lag", p.unseenLag(unseen))
	default:
		p.log.Info("poll windows end before the oldest write still in flight" + lagNote(p.cfg.WindowLag) +
			", so no row of a long statement or open transaction is skipped")
	}
}

// lagNote is how announce mentions a window lag.
func lagNote(lag time.Duration) string {
	if lag == 0 {
		return ""
	}
	return fmt.Sprintf(" (and at least --window-lag %s before NOW())", lag)
}

// windowStart is where a window from DateTimeStart from ends at t begins: never further back than the
// horizon.
func (p *Poller) windowStart(from, t time.Time) time.Time {
	if h := t.Add(-p.cfg.Horizon); from.Before(h) {
		return h
	}
	return from
}

// Wait waits for the polls that Tick started.
func (p *Poller) Wait() { p.wg.Wait() }

// ErrNoSubscription is returned by PollNow for a subscription that does not exist, has expired, is
// not a database-event subscription, or names none of odsim's workstations.
var ErrNoSubscription = errors.New("no pollable subscription")

// PollNow polls now, whether due or not, the subscription num (every pollable one when num is 0), on
// every workstation it fires on, and returns when all POSTs are answered. The cursor moves exactly as
// a timed poll would move it. A poll of the same subscription in flight is waited for first.
func (p *Poller) PollNow(ctx context.Context, num int64) ([]Outcome, error) {
	listed := p.cfg.Now()
	subs, err := p.store.PollableSubscriptions(ctx, false)
	if err != nil {
		return nil, err
	}
	var jobs []job
	for _, s := range subs {
		if num != 0 && s.Num != num {
			continue
		}
		for _, ws := range p.cfg.Workstations {
			if s.FiresOn(ws) {
				jobs = append(jobs, job{s, ws, p.lock(s.Num, ws)})
			}
		}
	}
	if num != 0 && len(jobs) == 0 {
		return nil, fmt.Errorf("subscription %d: %w", num, ErrNoSubscription)
	}
	if len(jobs) == 0 {
		return nil, nil
	}
	// One T for every poll, as a tick has: read once, before any waits for a poll in flight.
	t, err := p.windowStop(ctx)
	if err != nil {
		for _, j := range jobs {
			p.drop(j.lock)
		}
		return nil, err
	}
	out := make([]Outcome, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j.lock.Lock()
			out[i] = p.pollNow(ctx, j, listed, t)
			p.finish(j.lock, out[i])
		}()
	}
	wg.Wait()
	return out, nil
}

// pollNow polls j (whose lock is held) for PollNow, up to t, with its current DateTimeStart if a poll
// ended after it was listed (a window that poll already delivered up to t or beyond is left alone).
func (p *Poller) pollNow(ctx context.Context, j job, listed, t time.Time) Outcome {
	if j.lock.ended.After(listed) {
		subs, err := p.store.PollableSubscriptions(ctx, false)
		if err != nil {
			return Outcome{SubscriptionNum: j.s.Num, Workstation: j.ws, Err: err}
		}
		i := slices.IndexFunc(subs, func(s subscriptions.Subscription) bool { return s.Num == j.s.Num })
		if i < 0 {
			return Outcome{SubscriptionNum: j.s.Num, Workstation: j.ws, Err: fmt.Errorf("subscription %d: %w", j.s.Num, ErrNoSubscription)}
		}
		j.s = subs[i]
	}
	return p.poll(ctx, j.s, j.ws, t, true)
}

// lock returns the lock of subscription num on workstation ws, in use until drop.
func (p *Poller) lock(num int64, ws string) *pollLock {
	k := lockKey{num, strings.ToUpper(ws)}
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.locks[k]
	if !ok {
		l = &pollLock{}
		p.locks[k] = l
	}
	l.refs++
	return l
}

// drop ends a use of l begun by lock.
func (p *Poller) drop(l *pollLock) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l.refs--
}

// pruneEvery is how often a tick drops the locks of subscriptions that can no longer be polled.
const pruneEvery = time.Minute

// pruneLocks drops, at most every pruneEvery, the locks of subscriptions that are not pollable on their
// workstation any more (deleted, expired, moved to another machine) and that nobody uses, so that the
// poller's memory follows the subscriptions that exist.
func (p *Poller) pruneLocks(ctx context.Context) {
	now := p.cfg.Now()
	p.mu.Lock()
	due := now.Sub(p.pruned) >= pruneEvery
	p.mu.Unlock()
	if !due {
		return
	}
	subs, err := p.store.PollableSubscriptions(ctx, false)
	if err != nil {
		return // the tick's own listing reports database trouble
	}
	keep := map[lockKey]bool{}
	for _, s := range subs {
		for _, ws := range p.cfg.Workstations {
			if s.FiresOn(ws) {
				keep[lockKey{s.Num, strings.ToUpper(ws)}] = true
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pruned = now
	for k, l := range p.locks {
		if !keep[k] && l.refs == 0 {
			delete(p.locks, k)
		}
	}
}

// poll runs Open Dental's send flow for one subscription on one workstation, for the window that ends
// at t (the database's NOW()): the window's pages are
// POSTed one at a time, in order; the first answer other than 200 stops the subscription for this
// cycle with its cursor unchanged; the cursor moves only after the last page got 200.
//
// While page n is in flight, page n+1 is read and encoded, so that the database and the subscriber
// work at the same time; if page n fails, page n+1 is discarded unsent.
func (p *Poller) poll(ctx context.Context, s subscriptions.Subscription, ws string, t time.Time, collect bool) Outcome {
	o := Outcome{SubscriptionNum: s.Num, Workstation: ws}
	start := p.windowStart(s.DateTimeStart, t)
	o.WindowStart, o.WindowStop = start, t
	if !start.Before(t) {
		return o // DateTimeStart is in the future: nothing to read yet, and the cursor stays
	}
	if r, ok := p.sender.(reachability); ok {
		// An endpoint that refused its last connection and refuses this one too fails this attempt
		// as its POST would, without the window being read and encoded for nothing.
		if err := r.Reachable(ctx, s.EndPointURL); err != nil {
			d := Delivery{At: p.cfg.Now(), Subscription: s, Workstation: ws, Batch: 1, WindowStart: start, WindowStop: t,
				Request: webhook.Request{URL: s.EndPointURL, CustomerKey: s.CustomerKey, Workstation: ws, EventType: s.EventType()},
				Result:  webhook.Result{Err: fmt.Errorf("%w (nothing sent; the window is read again once the endpoint takes connections)", err)}}
			if p.cfg.Observe != nil {
				p.cfg.Observe(d)
			}
			if collect {
				o.Deliveries = append(o.Deliveries, d)
			}
			o.Err = fmt.Errorf("batch 1: %s", d.Result.Describe())
			return o
		}
	}
	// Bodies and keys go back into the next read only when nobody keeps them: an observer, or
	// PollNow's outcome, gets memory that is never written again.
	recycle := !collect && p.cfg.Observe == nil
	pages := p.store.Window(s.WatchTable, start, t, p.cfg.BatchSize)
	next := readAhead(ctx, pages, payload.Page{})
	defer func() {
		if next != nil {
			<-next // a read ahead whose page is not sent: wait for it, so that no query outlives the poll
		}
	}()
	var spare payload.Page
	for batch := 1; ; batch++ {
		res := <-next
		next = nil
		if res.err != nil {
			o.Err = res.err
			return o
		}
		page := res.page
		if page.Count == 0 {
			break
		}
		// Read the next page while this one is POSTed (at the window's end, the reader answers at once).
		if !recycle {
			// A fresh body the size of this one, so that it is filled without growing.
			spare = payload.Page{Body: make([]byte, 0, len(page.Body)+len(page.Body)/8)}
		}
		next = readAhead(ctx, pages, spare)
		d := Delivery{
			At:           p.cfg.Now(),
			Subscription: s,
			Workstation:  ws,
			Batch:        batch,
			WindowStart:  start,
			WindowStop:   t,
			Request: webhook.Request{
				URL:         s.EndPointURL,
				CustomerKey: s.CustomerKey,
				Workstation: ws,
				EventType:   s.EventType(),
				Body:        page.Body,
			},
			Elements: page.Count,
			Keys:     page.Keys,
		}
		d.Result = p.sender.Send(ctx, d.Request)
		if p.cfg.Observe != nil {
			p.cfg.Observe(d)
		}
		if collect {
			o.Deliveries = append(o.Deliveries, d)
		}
		if !d.Result.OK() {
			o.Err = fmt.Errorf("batch %d: %s", batch, d.Result.Describe())
			return o
		}
		o.Delivered += page.Count
		if recycle {
			spare = page // POSTed and seen by nobody else: the page after next is read into it
		}
	}
	o.Advanced, o.Err = p.store.AdvanceCursor(ctx, s.Num, s.DateTimeStart, t)
	return o
}

type pageResult struct {
	page payload.Page
	err  error
}

// readAhead starts reading the next page into reuse's memory on its own goroutine, so that the caller
// can POST the page before meanwhile; the result arrives on the channel.
func readAhead(ctx context.Context, pages payload.Pages, reuse payload.Page) <-chan pageResult {
	ch := make(chan pageResult, 1)
	go func() {
		page, err := pages.Next(ctx, reuse)
		ch <- pageResult{page, err}
	}()
	return ch
}

// failureSummaryEvery is how often, at most, the log says that a subscription is still failing.
const failureSummaryEvery = time.Minute

// failures is a run of failed polls of one subscription on one workstation, as the log was told of it.
type failures struct {
	since    time.Time // the first failure of the run (host clock); zero while the subscription delivers
	attempts int       // failed polls in the run
	last     error     // the latest failure
	told     time.Time // when the log last said so
}

// report logs one outcome: deliveries at info; failures at warn, each subscription's run of them in
// one line when it starts, a summary at most every failureSummaryEvery while it lasts, and a line when
// the subscription delivers again — not a line per second for an endpoint that is down. f is the
// subscription's run of failures, whose lock is held.
func (p *Poller) report(o Outcome, f *failures, now time.Time) {
	attrs := []any{"subscription", o.SubscriptionNum, "workstation", o.Workstation}
	if o.Err != nil {
		f.attempts++
		f.last = o.Err
		switch {
		case f.since.IsZero():
			f.since, f.told = now, now
			p.log.Warn("subscription not delivered; its window is sent again every cycle until it is",
				append(attrs, "window_start", o.WindowStart.Format(subscriptions.DateTimeLayout), "error", o.Err)...)
		case now.Sub(f.told) >= failureSummaryEvery:
			f.told = now
			p.log.Warn(fmt.Sprintf("subscription still failing: %d attempts since %s, last: %v",
				f.attempts, f.since.Format(time.TimeOnly), o.Err), attrs...)
		}
		return
	}
	if !f.since.IsZero() {
		p.log.Info(fmt.Sprintf("subscription delivers again after %d failed attempts over %s",
			f.attempts, now.Sub(f.since).Round(time.Second)), attrs...)
		*f = failures{}
	}
	if o.Delivered > 0 {
		p.log.Info("delivered", append(attrs, "elements", o.Delivered,
			"window_stop", o.WindowStop.Format(subscriptions.DateTimeLayout))...)
	}
}

// noteDatabase logs when listing subscriptions starts or stops failing, once per change.
func (p *Poller) noteDatabase(ctx context.Context, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case err != nil && !p.dbDown && ctx.Err() == nil:
		p.dbDown = true
		p.log.Error("cannot read subscriptions; polling paused until the database answers", "error", err)
	case err == nil && p.dbDown:
		p.dbDown = false
		p.log.Info("database answers again; polling resumed")
	}
}
