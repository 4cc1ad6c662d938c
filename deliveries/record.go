package deliveries

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/odsim/odsim/subscriptions"
)

// Recorder appends delivery attempts to a JSONL file (`odsim serve --record FILE.jsonl`), one JSON
// object per line, in the format `odsim listen --jsonl` writes — so that fixture replay reads what
// odsim sent and what a receiver got with one reader — plus the sender's view of the result:
//
//	{"time":"2026-11-28T10:04:05.123456789+01:00","method":"POST","path":"/apievents/",
//	 "headers":{"Authorization":["VzkmZEaUWOjnQX2z"],"Event-Type":["WatchTable: Appointment"],...},
//	 "body":"[{\"AptNum\":12,...}]","status":200,
//	 "id":7,"url":"http://127.0.0.1:2097/apievents/","subscription":3,"event_type":"WatchTable: Appointment",
//	 "workstation":"MOLLYR","batch":1,"window_start":"2026-11-28 10:04:00","window_stop":"2026-11-28 10:04:05",
//	 "elements":3,"keys":[12,15,19],"ok":true,"latency_ms":4.21,"error":""}
//
// (shown wrapped). The receiver's fields mean here: time, when the POST started; path, the URL's path
// and query; headers, the request headers as sent; body (or body_base64 when not UTF-8), the whole body
// as sent, never cut; status, the status answered, 0 when none came. The added fields are the delivery
// log's: id (the log's ID), url (credentials masked), subscription, event_type, workstation, batch and
// window (database events; batch 0 and no window for UI events), elements, keys, ok (answered 200),
// latency_ms, and error (transport failure or timeout).
type Recorder struct {
	w io.Writer
}

// NewRecorder returns a Recorder appending to w. Each attempt is written with one Write call, so that
// a file opened with O_APPEND never holds half a line from this process.
func NewRecorder(w io.Writer) *Recorder { return &Recorder{w: w} }

// recordLine is one line of the recording; its field order is the order on the line.
type recordLine struct {
	Time        time.Time   `json:"time"`
	Method      string      `json:"method"`
	Path        string      `json:"path"`
	Headers     http.Header `json:"headers"`
	Body        *string     `json:"body,omitempty"`
	BodyBase64  *string     `json:"body_base64,omitempty"`
	Status      int         `json:"status"`
	ID          int64       `json:"id"`
	URL         string      `json:"url"`
	Sub         int64       `json:"subscription"`
	EventType   string      `json:"event_type"`
	Workstation string      `json:"workstation"`
	Batch       int         `json:"batch"`
	WindowStart string      `json:"window_start,omitempty"`
	WindowStop  string      `json:"window_stop,omitempty"`
	Elements    int         `json:"elements"`
	Keys        []int64     `json:"keys"`
	OK          bool        `json:"ok"`
	LatencyMS   float64     `json:"latency_ms"`
	Error       string      `json:"error"`
}

// Write appends attempt a, logged as id, as one line.
func (r *Recorder) Write(id int64, a Attempt) error {
	line := recordLine{
		Time:        a.At,
		Method:      http.MethodPost,
		Path:        requestURI(a.Request.URL),
		Headers:     a.Result.Header,
		Status:      a.Result.Status,
		ID:          id,
		URL:         MaskURL(a.Request.URL),
		Sub:         a.Subscription.Num,
		EventType:   a.Request.EventType,
		Workstation: a.Workstation,
		Batch:       a.Batch,
		Elements:    a.Elements,
		Keys:        a.Keys,
		OK:          a.Result.OK(),
		LatencyMS:   Milliseconds(a.Result.Latency),
	}
	if line.Headers == nil {
		line.Headers = http.Header{}
	}
	if line.Keys == nil {
		line.Keys = []int64{}
	}
	if !a.WindowStop.IsZero() {
		line.WindowStart = subscriptions.FormatDateTime(a.WindowStart)
		line.WindowStop = subscriptions.FormatDateTime(a.WindowStop)
	}
	if a.Result.Err != nil {
		line.Error = a.Result.Err.Error()
	}
	if utf8.Valid(a.Request.Body) {
		s := string(a.Request.Body)
		line.Body = &s
	} else {
		s := base64.StdEncoding.EncodeToString(a.Request.Body)
		line.BodyBase64 = &s
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // as the receiver writes it: <, > and & stay readable
	if err := enc.Encode(line); err != nil {
		return fmt.Errorf("encode delivery %d: %w", id, err)
	}
	if _, err := r.w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("record delivery %d: %w", id, err)
	}
	return nil
}

// requestURI is the path and query a receiver sees for an EndPointUrl, as the receiver records it.
func requestURI(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.RequestURI()
}

// Milliseconds renders a latency as fractional milliseconds, rounded to microseconds.
func Milliseconds(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
