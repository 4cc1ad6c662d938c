package poller_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/odsim/odsim/poller"
	"github.com/odsim/odsim/subscriptions"
	"github.com/odsim/odsim/webhook"
)

// elements decodes a DB event body into its elements' keys (first field) and the given field.
func elements(t *testing.T, body []byte, keyField, field string) (keys []int64, values []string) {
	t.Helper()
	var elems []map[string]any
	if err := json.Unmarshal(body, &elems); err != nil {
		t.Fatalf("body is not a JSON array of objects: %v\n%s", err, body)
	}
	for _, e := range elems {
		k, _ := e[keyField].(float64)
		keys = append(keys, int64(k))
		if field != "" {
			values = append(values, e[field].(string))
		}
	}
	return keys, values
}

func TestBatchesOf1000InWatchColumnOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	rc := newReceiver(t, nil)
	// AptNum order is the reverse of DateTStamp order, so the test sees which one the pages follow.
	h.insertAppointments(1, 2500, func(i int) int { return 10 + i })
	num := h.subscribe(rc.URL(), "Appointment", "", 5, "NOW() - INTERVAL 1 HOUR")

	out := h.pollNow(num)
	if len(out) != 1 || out[0].Err != nil || !out[0].Advanced || out[0].Delivered != 2500 {
		t.Fatalf("outcome = %+v, want 2500 delivered and the cursor advanced", out)
	}
	reqs := rc.requests()
	var sizes []int
	var all []int64
	var stamps []string
	for _, r := range reqs {
		keys, ts := elements(t, r.Body, "AptNum", "DateTStamp")
		sizes = append(sizes, len(keys))
		all = append(all, keys...)
		stamps = append(stamps, ts...)
	}
	if !slices.Equal(sizes, []int{1000, 1000, 500}) {
		t.Fatalf("batch sizes = %v, want [1000 1000 500]", sizes)
	}
	if !slices.IsSorted(stamps) {
		t.Errorf("elements are not in DateTStamp order")
	}
	want := make([]int64, 2500)
	for i := range want {
		want[i] = int64(2500 - i)
	}
	if !slices.Equal(all, want) {
		t.Errorf("elements arrived in AptNum order %v..., want each row once, oldest change first", all[:5])
	}
	if got, want := h.cursor(num), out[0].WindowStop.Format("2006-01-02 15:04:05"); got != want {
		t.Errorf("DateTimeStart = %s, want the poll's T %s", got, want)
	}
}

func TestHeadersAndURL(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	rc := newReceiver(t, nil)
	h.insertAppointments(1, 1, func(int) int { return 5 })
	num := h.subscribe(rc.URL()+"?type=appointmentevent", "Appointment", "MOLLYR", 5, "NOW() - INTERVAL 1 HOUR")
	h.pollNow(num)
	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Path != "/apievents/?type=appointmentevent" {
		t.Errorf("path = %q, want the EndPointUrl's path and query exactly", r.Path)
	}
	for name, want := range map[string]string{
		"Authorization": "VzkmZEaUWOjnQX2z",
		"Workstation":   "MOLLYR",
		"Event-Type":    "WatchTable: Appointment",
		"Content-Type":  "application/json",
	} {
		if got := r.Header.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
}

func TestFailedDeliveryIsSentAgain(t *testing.T) {
	t.Parallel()
	for _, status := range []int{500, 201, 204, 302, 404} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessConfig{batchSize: 2})
			// The first POST succeeds, the second fails once: batch 1 is sent again (a duplicate, as in
			// Open Dental) and nothing is lost.
			rc := newReceiver(t, func(n int, _ *http.Request) int {
				if n == 2 {
					return status
				}
				return http.StatusOK
			})
			h.insertAppointments(1, 3, func(i int) int { return 30 - i })
			num := h.subscribe(rc.URL(), "Appointment", "", 5, "NOW() - INTERVAL 1 HOUR")
			before := h.cursor(num)

			out := h.pollNow(num)
			if out[0].Err == nil || out[0].Advanced {
				t.Fatalf("outcome = %+v, want a failure that leaves the cursor", out[0])
			}
			if got := h.cursor(num); got != before {
				t.Fatalf("DateTimeStart moved to %s after a %d; want it left at %s", got, status, before)
			}
			out = h.pollNow(num)
			if out[0].Err != nil || !out[0].Advanced {
				t.Fatalf("second poll = %+v, want delivered", out[0])
			}
			var got []int64
			for _, r := range rc.requests() {
				k, _ := elements(t, r.Body, "AptNum", "")
				got = append(got, k...)
			}
			// POST 1: [1 2] ok, POST 2: [3] fails, POST 3: [1 2] again, POST 4: [3].
			if want := []int64{1, 2, 3, 1, 2, 3}; !slices.Equal(got, want) {
				t.Errorf("elements received = %v, want %v", got, want)
			}
		})
	}
}

func TestSlowReceiverTimesOutAndIsSentAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{timeout: 300 * time.Millisecond})
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	rc := newReceiver(t, func(n int, r *http.Request) int {
		if n == 1 {
			select { // slower than the delivery timeout
			case <-r.Context().Done():
			case <-release:
			}
		}
		return http.StatusOK
	})
	h.insertAppointments(1, 2, func(i int) int { return 10 - i })
	num := h.subscribe(rc.URL(), "Appointment", "", 5, "NOW() - INTERVAL 1 HOUR")
	before := h.cursor(num)

	out := h.pollNow(num)
	if out[0].Err == nil {
		t.Fatalf("outcome = %+v, want a timeout", out[0])
	}
	if got := h.cursor(num); got != before {
		t.Fatalf("DateTimeStart moved after a timeout: %s, want %s", got, before)
	}
	out = h.pollNow(num)
	if out[0].Err != nil || out[0].Delivered != 2 {
		t.Fatalf("second poll = %+v, want 2 delivered", out[0])
	}
}

func TestReceiverDownThenUp(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	rc := newReceiver(t, nil)
	h.insertAppointments(1, 3, func(i int) int { return 10 - i })
	// Nothing listens on this address: a connection error.
	num := h.subscribe("http://127.0.0.1:1/down", "Appointment", "", 5, "NOW() - INTERVAL 1 HOUR")
	before := h.cursor(num)
	if out := h.pollNow(num); out[0].Err == nil {
		t.Fatalf("outcome = %+v, want a connection error", out[0])
	}
	if got := h.cursor(num); got != before {
		t.Fatalf("cursor moved after a connection error")
	}
	h.exec("UPDATE apisubscription SET EndPointUrl = ? WHERE ApiSubscriptionNum = ?", rc.URL(), num)
	if out := h.pollNow(num); out[0].Err != nil || out[0].Delivered != 3 {
		t.Fatalf("after the receiver came up: %+v, want 3 delivered", out[0])
	}
}

func TestWorkstations(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{workstations: []string{"MOLLYR"}})
	rc := newReceiver(t, nil)
	h.insertAppointments(1, 1, func(int) int { return 5 })
	own := h.subscribe(rc.URL()+"own", "Appointment", "MOLLYR", 5, "NOW() - INTERVAL 1 HOUR")
	lower := h.subscribe(rc.URL()+"lower", "Appointment", "mollyr", 5, "NOW() - INTERVAL 1 HOUR")
	blank := h.subscribe(rc.URL()+"blank", "Appointment", "", 5, "NOW() - INTERVAL 1 HOUR")
	other := h.subscribe(rc.URL()+"other", "Appointment", "BETTYC", 5, "NOW() - INTERVAL 1 HOUR")
	otherBefore := h.cursor(other)

	out, err := h.p.PollNow(h.ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var polled []int64
	for _, o := range out {
		polled = append(polled, o.SubscriptionNum)
		if o.Workstation != "MOLLYR" {
			t.Errorf("subscription %d sent as %q, want MOLLYR", o.SubscriptionNum, o.Workstation)
		}
	}
	slices.Sort(polled)
	if want := []int64{own, lower, blank}; !slices.Equal(polled, want) {
		t.Errorf("polled %v, want %v (own name in any case, and blank; not BETTYC's)", polled, want)
	}
	for _, r := range rc.requests() {
		if r.Path == "/apievents/other" {
			t.Errorf("BETTYC's subscription was sent by MOLLYR")
		}
	}
	if got := h.cursor(other); got != otherBefore {
		t.Errorf("BETTYC's cursor moved")
	}
	if _, err := h.p.PollNow(h.ctx, other); err == nil {
		t.Errorf("PollNow of another machine's subscription = nil error, want ErrNoSubscription")
	}
}

func TestSeveralWorkstationsEachSendBlankSubscriptions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{workstations: []string{"MOLLYR", "BETTYC"}})
	rc := newReceiver(t, nil)
	h.insertAppointments(1, 1, func(int) int { return 5 })
	h.subscribe(rc.URL(), "Appointment", "", 5, "NOW() - INTERVAL 1 HOUR")
	h.subscribe(rc.URL(), "Appointment", "BETTYC", 5, "NOW() - INTERVAL 1 HOUR")
	if _, err := h.p.PollNow(h.ctx, 0); err != nil {
		t.Fatal(err)
	}
	var from []string
	for _, r := range rc.requests() {
		from = append(from, r.Header.Get("Workstation"))
	}
	slices.Sort(from)
	// The blank subscription is sent by both machines (Open Dental's duplicate), BETTYC's by BETTYC.
	if want := []string{"BETTYC", "BETTYC", "MOLLYR"}; !slices.Equal(from, want) {
		t.Errorf("senders = %v, want %v", from, want)
	}
}

func TestExpiredAndFutureSubscriptions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	rc := newReceiver(t, nil)
	h.insertAppointments(1, 1, func(int) int { return 5 })
	expired := h.subscribe(rc.URL(), "Appointment", "", 5, "NOW() - INTERVAL 1 HOUR")
	h.exec("UPDATE apisubscription SET DateTimeStop = NOW() - INTERVAL 1 MINUTE WHERE ApiSubscriptionNum = ?", expired)
	stopsLater := h.subscribe(rc.URL(), "Appointment", "", 5, "NOW() - INTERVAL 1 HOUR")
	h.exec("UPDATE apisubscription SET DateTimeStop = NOW() + INTERVAL 1 DAY WHERE ApiSubscriptionNum = ?", stopsLater)
	future := h.subscribe(rc.URL(), "Appointment", "", 5, "NOW() + INTERVAL 1 HOUR")
	futureBefore := h.cursor(future)

	if _, err := h.p.PollNow(h.ctx, expired); err == nil {
		t.Errorf("an expired subscription was polled")
	}
	if out := h.pollNow(stopsLater); out[0].Delivered != 1 {
		t.Errorf("a subscription that stops tomorrow delivered %d, want 1", out[0].Delivered)
	}
	if out := h.pollNow(future); out[0].Delivered != 0 || out[0].Advanced {
		t.Errorf("a future DateTimeStart: %+v, want nothing sent and the cursor kept", out[0])
	}
	if got := h.cursor(future); got != futureBefore {
		t.Errorf("future DateTimeStart moved from %s to %s", futureBefore, got)
	}
	if n := len(rc.requests()); n != 1 {
		t.Errorf("receiver got %d requests, want 1", n)
	}
}

func TestDueByPollingSeconds(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	rc := newReceiver(t, nil)
	h.insertAppointments(1, 1, func(int) int { return 5 })
	due := h.subscribe(rc.URL()+"due", "Appointment", "", 5, "NOW() - INTERVAL 10 SECOND")
	notDue := h.subscribe(rc.URL()+"notdue", "Appointment", "", 3600, "NOW() - INTERVAL 10 SECOND")
	notDueBefore := h.cursor(notDue)

	h.p.Tick(h.ctx)
	h.p.Wait()
	reqs := rc.requests()
	if len(reqs) != 1 || reqs[0].Path != "/apievents/due" {
		t.Fatalf("a tick sent %d requests (%v), want only the due subscription's", len(reqs), reqs)
	}
	if h.cursor(due) == "" || h.cursor(notDue) != notDueBefore {
		t.Errorf("the subscription that is not due moved its cursor")
	}
	// Just delivered: not due again for PollingSeconds.
	h.p.Tick(h.ctx)
	h.p.Wait()
	if n := len(rc.requests()); n != 1 {
		t.Errorf("a second tick right away sent again (%d requests)", n)
	}
}

// A tick finishes idle subscriptions itself, asking once per WatchTable and DateTimeStart whether the
// window holds a row and moving the empty ones' cursors together; only windows with changes are polled.
// Every window of the tick ends at the same T.
func TestTickMovesEmptyWindowsAndPollsChangedOnes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	rc := newReceiver(t, nil)
	h.insertAppointments(1, 3, func(int) int { return 60 })
	start := "'" + h.dbNow() + "' - INTERVAL 1 HOUR"
	changed := h.subscribe(rc.URL()+"appointment", "Appointment", "", 1, start)
	idle := []int64{
		h.subscribe(rc.URL()+"patient", "Patient", "", 1, start),
		h.subscribe(rc.URL()+"patient2", "Patient", "", 1, start),
		h.subscribe(rc.URL()+"provider", "Provider", "", 1, start),
	}
	before := h.cursor(changed)

	h.p.Tick(h.ctx)
	h.p.Wait()
	reqs := rc.requests()
	if len(reqs) != 1 || reqs[0].Path != "/apievents/appointment" {
		t.Fatalf("a tick sent %d requests (%v), want only the changed window's", len(reqs), reqs)
	}
	if keys, _ := elements(t, reqs[0].Body, "AptNum", "DateTStamp"); len(keys) != 3 {
		t.Errorf("the changed window sent %d elements, want 3", len(keys))
	}
	stop := h.cursor(changed)
	if stop == before {
		t.Fatalf("the delivered subscription's cursor stayed at %s", stop)
	}
	for _, num := range idle {
		if got := h.cursor(num); got != stop {
			t.Errorf("idle subscription %d: DateTimeStart = %s, want the tick's T %s", num, got, stop)
		}
	}
}

// listHook is the database with a hook run after PollableSubscriptions has read the list, while
// armed: it lets a test end a poll between a tick's reading of the list and its claiming of the polls.
type listHook struct {
	poller.Store
	armed atomic.Bool
	hook  func()
}

func (l *listHook) PollableSubscriptions(ctx context.Context, dueOnly bool) ([]subscriptions.Subscription, error) {
	subs, err := l.Store.PollableSubscriptions(ctx, dueOnly)
	if l.armed.CompareAndSwap(true, false) {
		l.hook()
	}
	return subs, err
}

// A tick that read the list of subscriptions while a poll was running, and claims the subscription
// after that poll ended, has the DateTimeStart the poll has since moved: it must leave the
// subscription to the next tick instead of sending the whole window again.
func TestTickSkipsSubscriptionWhosePollEndedAfterListing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	release := make(chan struct{})
	rc := newReceiver(t, func(n int, r *http.Request) int {
		if n == 1 {
			<-release // the first POST waits until the second tick has read the list
		}
		return http.StatusOK
	})
	h.insertAppointments(1, 3, func(int) int { return 60 })
	h.subscribe(rc.URL(), "Appointment", "", 1, "NOW() - INTERVAL 1 HOUR")
	db := &listHook{Store: h.db}
	p := poller.New(poller.Config{Workstations: []string{"MOLLYR"}}, db, webhook.NewSender(webhook.Config{}))
	db.hook = func() {
		close(release)
		p.Wait() // the first poll ends: its cursor moves and its lock is free again
	}

	p.Tick(h.ctx) // starts the poll, whose POST waits
	db.armed.Store(true)
	p.Tick(h.ctx) // reads the list with the old DateTimeStart, then the first poll ends
	p.Wait()
	if n := len(rc.requests()); n != 1 {
		t.Errorf("the window was POSTed %d times, want once", n)
	}
}

func TestChangeDuringPollArrivesInNextWindow(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	var rc *receiver
	rc = newReceiver(t, func(n int, _ *http.Request) int {
		if n == 1 { // a user edits appointment 1 while its event is being delivered
			if _, err := h.db.SQL().ExecContext(h.ctx, "UPDATE appointment SET Note = 'changed during poll' WHERE AptNum = 1"); err != nil {
				rc.fail(err)
			}
		}
		return http.StatusOK
	})
	h.insertAppointments(1, 2, func(i int) int { return 10 - i })
	num := h.subscribe(rc.URL(), "Appointment", "", 1, "NOW() - INTERVAL 1 HOUR")
	if out := h.pollNow(num); out[0].Delivered != 2 {
		t.Fatalf("first poll: %+v", out[0])
	}
	// The change is stamped with the first poll's T, where the next window begins: it arrives once
	// the database clock has moved on.
	h.advance(time.Second)
	out := h.pollNow(num)
	if out[0].Delivered != 1 {
		t.Fatalf("next poll delivered %d, want the row changed during the first poll", out[0].Delivered)
	}
	reqs := rc.requests()
	keys, notes := elements(t, reqs[len(reqs)-1].Body, "AptNum", "Note")
	if !slices.Equal(keys, []int64{1}) || notes[0] != "changed during poll" {
		t.Errorf("next window carried %v %v, want appointment 1 with its new note", keys, notes)
	}
}

func TestUpdateThatChangesNothingFiresNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	rc := newReceiver(t, nil)
	h.insertAppointments(1, 1, func(int) int { return 7200 }) // changed before the window
	num := h.subscribe(rc.URL(), "Appointment", "", 1, "NOW() - INTERVAL 1 HOUR")
	if n := h.exec("UPDATE appointment SET Confirmed = 19 WHERE AptNum = 1"); n != 0 {
		t.Fatalf("same-value UPDATE changed %d rows", n)
	}
	h.advance(time.Second)
	if out := h.pollNow(num); out[0].Delivered != 0 {
		t.Fatalf("an UPDATE that changed nothing fired %d elements", out[0].Delivered)
	}
	// A real change does fire, so the assertion above could have failed.
	h.exec("UPDATE appointment SET Confirmed = 21 WHERE AptNum = 1")
	h.advance(time.Second)
	if out := h.pollNow(num); out[0].Delivered != 1 {
		t.Fatalf("a real change fired %d elements, want 1", out[0].Delivered)
	}
}

func TestThreeDayHorizon(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	rc := newReceiver(t, nil)
	h.insertAppointments(1, 1, func(int) int { return 4 * 24 * 3600 }) // four days ago
	h.insertAppointments(2, 1, func(int) int { return 2 * 24 * 3600 }) // two days ago
	num := h.subscribe(rc.URL(), "Appointment", "", 5, "NOW() - INTERVAL 10 DAY")
	out := h.pollNow(num)
	if out[0].Delivered != 1 {
		t.Fatalf("delivered %d, want only the change from the last three days", out[0].Delivered)
	}
	if got := out[0].WindowStop.Sub(out[0].WindowStart); got != 72*time.Hour {
		t.Errorf("window = %v, want 72h", got)
	}
}
