package control

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/odsim/odsim/deliveries"
	"github.com/odsim/odsim/poller"
	"github.com/odsim/odsim/subscriptions"
)

// poll is POST /odsim/v1/poll: poll one subscription ({"subscription": N}) or every one (no body, or
// {}) now, whether due or not, and answer once every POST was answered, with what was sent. Cursors
// move exactly as a timed poll moves them. The poll runs to its end even if the caller hangs up, as a
// timed poll would.
//
// A window ends at the database's NOW(), exclusive, to the second, so a row changed in the very second
// of the poll waits for the next one, in Open Dental as here. Unless "settle" is false, the poll
// therefore starts only once the database clock has passed the second in which the request arrived: a
// test that changes a row and then polls always finds the row in this poll. That costs up to a second.
func (a *api) poll(w http.ResponseWriter, r *http.Request) {
	var req PollRequest
	if err := a.decodeBody(w, r, &req, []string{"subscription", "settle"}, true); err != nil {
		a.fail(w, r, err)
		return
	}
	var num int64
	if req.Subscription != nil {
		if num = *req.Subscription; num <= 0 {
			a.fail(w, r, Errorf(Invalid,
				"subscription must be a positive SubscriptionNum, not %d; leave it out to poll every subscription.", num))
			return
		}
	}
	if err := a.checkPollable(r.Context(), num); err != nil {
		a.fail(w, r, err)
		return
	}
	if req.Settle == nil || *req.Settle {
		if err := a.settle(r.Context()); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	before := a.Log.LastID()
	outcomes, err := a.Poller.PollNow(context.WithoutCancel(r.Context()), num)
	if errors.Is(err, poller.ErrNoSubscription) {
		a.fail(w, r, a.notPollable(num))
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	res := PollResult{Outcomes: make([]Outcome, len(outcomes))}
	for i, o := range outcomes {
		attempts := make([]deliveries.Attempt, len(o.Deliveries))
		for j, d := range o.Deliveries {
			attempts[j] = DatabaseAttempt(d)
		}
		res.Outcomes[i] = Outcome{
			Subscription: o.SubscriptionNum,
			Workstation:  o.Workstation,
			WindowStart:  subscriptions.FormatDateTime(o.WindowStart),
			WindowStop:   subscriptions.FormatDateTime(o.WindowStop),
			Delivered:    o.Delivered,
			Advanced:     o.Advanced,
			Deliveries:   withIDs(a.Log, before, attempts),
		}
		if o.Err != nil {
			res.Outcomes[i].Error = o.Err.Error()
		}
	}
	writeJSON(w, http.StatusOK, res)
}

// checkPollable refuses a poll of subscription num (0: every one) that the poller would refuse, before
// the poll waits for the database clock.
func (a *api) checkPollable(ctx context.Context, num int64) error {
	if num == 0 || a.Pollable == nil {
		return nil
	}
	subs, err := a.Pollable.PollableSubscriptions(ctx, false)
	if err != nil {
		return fmt.Errorf("poll: %w", err)
	}
	names := a.workstationNames()
	for _, s := range subs {
		if s.Num != num {
			continue
		}
		for _, ws := range names {
			if s.FiresOn(ws) {
				return nil
			}
		}
	}
	return a.notPollable(num)
}

func (a *api) notPollable(num int64) error {
	return Errorf(NotFound,
		"Subscription %d cannot be polled: it does not exist, has expired, is a UI event subscription, or names a workstation odsim does not play (%s).",
		num, strings.Join(a.workstationNames(), ", "))
}

func (a *api) workstationNames() []string {
	var names []string
	for _, ws := range a.Workstations.List() {
		names = append(names, ws.Name)
	}
	return names
}

// settle waits until the database clock has passed the second it shows now, checking every 50 ms for
// at most three seconds (a clock that does not move, like one pinned with SET timestamp, is not waited
// for longer).
func (a *api) settle(ctx context.Context) error {
	if a.Clock == nil {
		return nil
	}
	start, err := a.Clock.Now(ctx)
	if err != nil {
		return fmt.Errorf("poll: %w", err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		now, err := a.Clock.Now(ctx)
		if err != nil {
			return fmt.Errorf("poll: %w", err)
		}
		if now.After(start) {
			return nil
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("poll: %w", ctx.Err())
		}
	}
	return nil
}
