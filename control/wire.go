package control

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/odsim/odsim/deliveries"
	"github.com/odsim/odsim/deliveries/jsonl"
	"github.com/odsim/odsim/poller"
	"github.com/odsim/odsim/scenario"
	"github.com/odsim/odsim/subscriptions"
	"github.com/odsim/odsim/uievents"
)

// The JSON shapes of the control API, shared by the handlers and Client. Keys are lowerCamelCase;
// Open Dental's own API keeps its PascalCase.

// Delivery is one POST attempt from the delivery log.
type Delivery struct {
	ID            int64     `json:"id"` // 0 when the log has already dropped it
	At            time.Time `json:"at"` // when the POST started (host clock, RFC 3339)
	Subscription  int64     `json:"subscription"`
	URL           string    `json:"url"` // EndPointUrl, user:password and query values masked as ***
	EventType     string    `json:"eventType"`
	Workstation   string    `json:"workstation"`
	Batch         int       `json:"batch"`                 // database events: 1 for the window's first page; 0 for UI events
	WindowStart   string    `json:"windowStart,omitempty"` // database events: the window, database clock
	WindowStop    string    `json:"windowStop,omitempty"`
	Elements      int       `json:"elements"`
	Keys          []int64   `json:"keys"` // the elements' primary keys (PatNum for PatientSelected)
	KeysTruncated bool      `json:"keysTruncated"`
	Status        int       `json:"status"` // 0 when no answer came
	OK            bool      `json:"ok"`     // answered 200: delivered, as Open Dental counts it
	LatencyMS     float64   `json:"latencyMs"`
	Error         string    `json:"error"` // transport failure or timeout
	BodySize      int       `json:"bodySize"`
	BodyTruncated bool      `json:"bodyTruncated"` // the log kept less than bodySize bytes
	// Only in GET /odsim/v1/deliveries/{id}:
	Headers    http.Header `json:"headers,omitempty"`    // as sent
	Body       *string     `json:"body,omitempty"`       // as sent (or its kept part), when UTF-8 (jsonl.EncodeBody)
	BodyBase64 *string     `json:"bodyBase64,omitempty"` // otherwise, in standard base64
}

// DeliveryPage is the answer of GET /odsim/v1/deliveries.
type DeliveryPage struct {
	Deliveries []Delivery `json:"deliveries"` // oldest first
	FirstID    int64      `json:"firstId"`    // the oldest ID the log still holds
	LastID     int64      `json:"lastId"`     // the newest ID so far: pass it as since to see only newer ones
}

// Outcome is what came of polling one subscription on one workstation.
type Outcome struct {
	Subscription int64      `json:"subscription"`
	Workstation  string     `json:"workstation"`
	WindowStart  string     `json:"windowStart"` // the window [windowStart, windowStop), database clock
	WindowStop   string     `json:"windowStop"`
	Delivered    int        `json:"delivered"` // elements delivered with 200
	Advanced     bool       `json:"advanced"`  // DateTimeStart moved to windowStop
	Error        string     `json:"error"`     // what stopped the subscription this time
	Deliveries   []Delivery `json:"deliveries"`
}

// PollResult is the answer of POST /odsim/v1/poll.
type PollResult struct {
	Outcomes []Outcome `json:"outcomes"`
}

// PollRequest is the body of POST /odsim/v1/poll.
type PollRequest struct {
	Subscription *int64 `json:"subscription,omitempty"` // leave out to poll every subscription
	// Settle (true when left out) first waits for the database clock to pass the second in which the
	// request arrived, so that every change committed before it falls inside the window.
	Settle *bool `json:"settle,omitempty"`
}

// SelectRequest is the body of POST /odsim/v1/select-patient.
type SelectRequest struct {
	Workstation string `json:"workstation,omitempty"` // may be left out when odsim plays one workstation
	PatNum      *int64 `json:"patNum"`
	Wait        *bool  `json:"wait,omitempty"` // true when left out: answer once every POST was answered
}

// Selection is the answer of POST /odsim/v1/select-patient.
type Selection struct {
	Workstation   string     `json:"workstation"`
	PatNum        int64      `json:"patNum"`
	Previous      int64      `json:"previousPatNum"`
	Fired         bool       `json:"fired"` // false: the patient was already selected, nothing was sent
	Subscriptions []int64    `json:"subscriptions"`
	Waited        bool       `json:"waited"`
	Deliveries    []Delivery `json:"deliveries"` // when waited
}

// Workstation is one machine odsim plays and its selected patient (0 for none).
type Workstation struct {
	Name   string `json:"name"`
	PatNum int64  `json:"patNum"`
}

// WorkstationList is the answer of GET /odsim/v1/workstations.
type WorkstationList struct {
	Workstations []Workstation `json:"workstations"`
}

// StartRequest is the body of POST /odsim/v1/scenarios: name or yaml, and optionally speed and start.
type StartRequest struct {
	Name string `json:"name,omitempty"` // a built-in scenario
	YAML string `json:"yaml,omitempty"` // a scenario file's text
	// Speed is "max" or a factor (1: real time, the default); a JSON number or a string.
	Speed json.RawMessage `json:"speed,omitempty"`
	// Start is the scenario clock at the start, "2026-12-02 07:30:00" (default: now, or today at the
	// scenario's start:).
	Start string `json:"start,omitempty"`
}

// ScenarioList is the answer of GET /odsim/v1/scenarios.
type ScenarioList struct {
	Builtin    []BuiltinScenario    `json:"builtin"`
	Runs       []scenario.RunStatus `json:"runs"` // newest first, without their steps
	MaxRunning int                  `json:"maxRunning"`
}

// BuiltinScenario is one scenario shipped with odsim.
type BuiltinScenario struct {
	Name    string `json:"name"`
	Summary string `json:"summary"`
}

// Session is the answer of the /odsim/v1/session routes.
type Session struct {
	TokenRequired bool `json:"tokenRequired"` // odsim serve runs with --control-token
	Authenticated bool `json:"authenticated"` // this request may use the control API
}

// SessionRequest is the body of POST /odsim/v1/session.
type SessionRequest struct {
	Token string `json:"token"`
}

// Route is one route of the control API.
type Route struct {
	Method  string `json:"method"`
	Path    string `json:"path"` // {id} stands for a number
	Summary string `json:"summary"`
}

// RouteList is the answer of GET /odsim/v1/.
type RouteList struct {
	Routes []Route `json:"routes"`
}

// DatabaseAttempt is a poller's POST attempt as the delivery log takes it.
func DatabaseAttempt(d poller.Delivery) deliveries.Attempt {
	return deliveries.Attempt{
		At:           d.At,
		Subscription: d.Subscription,
		Workstation:  d.Workstation,
		Batch:        d.Batch,
		WindowStart:  d.WindowStart,
		WindowStop:   d.WindowStop,
		Request:      d.Request,
		Elements:     d.Elements,
		Keys:         d.Keys,
		Result:       d.Result,
	}
}

// UIAttempt is a UI event's POST attempt as the delivery log takes it: one element, keyed by PatNum.
func UIAttempt(d uievents.Delivery) deliveries.Attempt {
	return deliveries.Attempt{
		At:           d.At,
		Subscription: d.Subscription,
		Workstation:  d.Workstation,
		Request:      d.Request,
		Elements:     1,
		Keys:         []int64{d.PatNum},
		Result:       d.Result,
	}
}

// deliveryJSON renders a log record; with full, its headers and body too.
func deliveryJSON(r deliveries.Record, full bool) Delivery {
	d := Delivery{
		ID:            r.ID,
		At:            r.At,
		Subscription:  r.SubscriptionNum,
		URL:           r.URL,
		EventType:     r.EventType,
		Workstation:   r.Workstation,
		Batch:         r.Batch,
		Elements:      r.Elements,
		Keys:          r.Keys,
		KeysTruncated: r.KeysTruncated,
		Status:        r.Status,
		OK:            r.OK,
		LatencyMS:     deliveries.Milliseconds(r.Latency),
		Error:         r.Error,
		BodySize:      r.BodySize,
		BodyTruncated: r.BodyTruncated,
	}
	if d.Keys == nil {
		d.Keys = []int64{}
	}
	if !r.WindowStop.IsZero() {
		d.WindowStart = subscriptions.FormatDateTime(r.WindowStart)
		d.WindowStop = subscriptions.FormatDateTime(r.WindowStop)
	}
	if full {
		d.Headers = r.Header
		if d.Headers == nil {
			d.Headers = http.Header{}
		}
		d.Body, d.BodyBase64 = jsonl.EncodeBody(r.Body)
	}
	return d
}

// attemptKey identifies an attempt in the log: one subscription's poll (or UI event) on one workstation
// runs one POST at a time, so the start time, the batch and those two tell attempts apart.
type attemptKey struct {
	sub   int64
	ws    string
	batch int
	at    int64
}

func keyOf(r deliveries.Record) attemptKey {
	return attemptKey{r.SubscriptionNum, r.Workstation, r.Batch, r.At.UnixNano()}
}

// withIDs renders attempts made since the log's ID after, giving each the ID the log gave it (0 when
// the log has already dropped it).
func withIDs(log *deliveries.Log, after int64, attempts []deliveries.Attempt) []Delivery {
	ids := map[attemptKey]int64{}
	if len(attempts) > 0 {
		for _, r := range log.List(deliveries.Filter{Since: after}).Records {
			ids[keyOf(r)] = r.ID
		}
	}
	out := make([]Delivery, len(attempts))
	for i, a := range attempts {
		r := deliveries.Summary(a)
		r.ID = ids[keyOf(r)]
		out[i] = deliveryJSON(r, false)
	}
	return out
}
