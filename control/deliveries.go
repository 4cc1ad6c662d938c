package control

import (
	"context"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/odsim/odsim/deliveries"
	"github.com/odsim/odsim/httpjson"
)

// Defaults of GET /odsim/v1/deliveries.
const (
	DefaultLimit   = 100
	DefaultMaxWait = 2 * time.Minute
)

// deliveryParams are the query parameters of GET /odsim/v1/deliveries.
const deliveryParams = "subscription, table, workstation, status, since, limit, wait"

// listDeliveries is GET /odsim/v1/deliveries: the delivery log's summaries, oldest first.
//
//   - subscription=N, table=Appointment (a WatchTable or UiEventType name, or a whole Event-Type),
//     workstation=W, status=ok|failed|CODE (0: no answer) select records.
//   - Without since, the newest limit (default 100) matches; with since=ID, the first limit matches
//     newer than ID, so that a reader pages forward with the lastId of its previous answer.
//   - wait=30s (or wait=30, in seconds; needs since) holds the answer until a match newer than since
//     arrives or the time is up, whichever is first: a long poll, for odsim deliveries --follow.
func (a *api) listDeliveries(w http.ResponseWriter, r *http.Request) {
	f, wait, err := a.parseDeliveryQuery(r.URL.RawQuery)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	page := a.Log.List(f)
	if len(page.Records) == 0 && wait > 0 {
		select {
		case a.longPolls <- struct{}{}:
			defer func() { <-a.longPolls }()
		default:
			a.fail(w, r, Errorf(TooMany, "%d long polls are waiting, the most odsim holds at once: retry in a second, or ask without wait.", cap(a.longPolls)))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), wait)
		defer cancel()
		for len(page.Records) == 0 && a.Log.Wait(ctx, page.LastID) {
			page = a.Log.List(f)
		}
	}
	out := DeliveryPage{Deliveries: make([]Delivery, len(page.Records)), FirstID: page.FirstID, LastID: page.LastID}
	for i, rec := range page.Records {
		out.Deliveries[i] = deliveryJSON(rec, false)
	}
	writeJSON(w, http.StatusOK, out)
}

// parseDeliveryQuery reads the query strictly: unknown or repeated parameters and bad values are
// refused with a message naming the parameter.
func (a *api) parseDeliveryQuery(raw string) (deliveries.Filter, time.Duration, error) {
	f := deliveries.Filter{Limit: DefaultLimit, Newest: true}
	var wait time.Duration
	q, err := url.ParseQuery(raw)
	if err != nil {
		return f, 0, Errorf(Invalid, "The query string is malformed: %s.", err.Error())
	}
	invalid := func(format string, args ...any) (deliveries.Filter, time.Duration, error) {
		return f, 0, Errorf(Invalid, format, args...)
	}
	names := slices.Sorted(maps.Keys(q)) // the first problem by name, the same every time
	for _, name := range names {
		values := q[name]
		if !strings.Contains(", "+deliveryParams+",", ", "+name+",") {
			return invalid("Unknown query parameter %q: the parameters are %s.", httpjson.Shorten(name), deliveryParams)
		}
		if len(values) > 1 {
			return invalid("Query parameter %s is given more than once.", name)
		}
		v := values[0]
		switch name {
		case "subscription":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return invalid("subscription must be a positive SubscriptionNum, not %q.", httpjson.Shorten(v))
			}
			f.Subscription = n
		case "table":
			t, ok := eventTypeName(v)
			if !ok {
				return invalid("table %q is not an event type: use %s.", httpjson.Shorten(v), strings.Join(eventTypeNames(), ", "))
			}
			f.EventType = t
		case "workstation":
			f.Workstation = v
		case "status":
			s, err := deliveries.ParseStatus(v)
			if err != nil {
				return invalid("%s.", err.Error())
			}
			f.Status = s
		case "since":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return invalid("since must be a delivery ID (a whole number, 0 or more), not %q.", httpjson.Shorten(v))
			}
			f.Since, f.Newest = n, false
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > a.Log.Capacity() {
				return invalid("limit must be a whole number from 1 to %d, not %q.", a.Log.Capacity(), httpjson.Shorten(v))
			}
			f.Limit = n
		case "wait":
			d, err := parseWait(v)
			if err != nil || d < 0 || d > a.maxWait {
				return invalid("wait must be a duration from 0s to %s (like 30s, or 30 for seconds), not %q.", a.maxWait, httpjson.Shorten(v))
			}
			wait = d
		}
	}
	if wait > 0 && f.Newest {
		return invalid("wait needs since: pass the lastId of your previous answer (or 0) so that no delivery slips between two requests.")
	}
	return f, wait, nil
}

// parseWait reads a duration ("30s", "1m") or a number of seconds ("30", "2.5").
func parseWait(v string) (time.Duration, error) {
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(secs) || secs < 0 || secs > 1e6 { // also keeps the conversion below in range
			return 0, fmt.Errorf("wait %q is not a number of seconds", v)
		}
		return time.Duration(secs * float64(time.Second)), nil
	}
	return time.ParseDuration(v)
}

// eventTypeName reads a table filter: a WatchTable or UiEventType name in any letter case, or a whole
// Event-Type header value, and returns the name as Open Dental spells it.
func eventTypeName(v string) (string, bool) {
	if _, name, ok := strings.Cut(v, ": "); ok {
		v = name
	}
	for _, n := range eventTypeNames() {
		if strings.EqualFold(n, strings.TrimSpace(v)) {
			return n, true
		}
	}
	return "", false
}

// getDelivery is GET /odsim/v1/deliveries/{id}: one delivery with the headers and body as sent.
func (a *api) getDelivery(w http.ResponseWriter, r *http.Request) {
	rec, ok := a.delivery(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, deliveryJSON(rec, true))
}

// delivery reads the log record the URL's {id} names, or answers the error and reports false.
func (a *api) delivery(w http.ResponseWriter, r *http.Request) (deliveries.Record, bool) {
	if err := noQuery(r); err != nil {
		a.fail(w, r, err)
		return deliveries.Record{}, false
	}
	v := r.PathValue("id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		a.fail(w, r, Errorf(Invalid, "The delivery ID in the URL must be a positive whole number, not %q.", httpjson.Shorten(v)))
		return deliveries.Record{}, false
	}
	rec, ok := a.Log.Get(id)
	if !ok {
		page := a.Log.List(deliveries.Filter{Limit: 1, Newest: true})
		a.fail(w, r, Errorf(NotFound,
			"Delivery %d is not in the log: it holds IDs %d to %d (the newest %d are kept).",
			id, page.FirstID, page.LastID, a.Log.Capacity()))
		return deliveries.Record{}, false
	}
	return rec, true
}
