package deliveries

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/odsim/odsim/deliveries/jsonl"
	"github.com/odsim/odsim/subscriptions"
)

// Recorder appends delivery attempts to a JSONL file (`odsim serve --record FILE.jsonl`), one line per
// attempt in odsim's one delivery file format (package jsonl), the one `odsim listen --jsonl` writes, so
// that fixture replay reads what odsim sent and what a receiver got with one reader; each line also
// carries the sender's view (jsonl.Sent):
//
//	{"time":"2026-11-28T10:04:05.123456789+01:00","method":"POST","path":"/apievents/?type=***",
//	 "headers":{"Authorization":["VzkmZEaUWOjnQX2z"],"Event-Type":["WatchTable: Appointment"],...},
//	 "body":"[{\"AptNum\":12,...}]","status":200,
//	 "id":7,"url":"http://127.0.0.1:2097/apievents/?type=***","subscription":3,"event_type":"WatchTable: Appointment",
//	 "workstation":"MOLLYR","batch":1,"window_start":"2026-11-28 10:04:00","window_stop":"2026-11-28 10:04:05",
//	 "elements":3,"keys":[12,15,19],"ok":true,"latency_ms":4.21,"error":""}
//
// (shown wrapped). The receiver's fields mean here: time, when the POST started; path, the URL's path
// and query; headers, the request headers as sent; body (or body_base64 when not UTF-8), the whole body
// as sent, never cut; status, the status answered, 0 when none came. The added fields are the delivery
// log's: id (the log's ID), url, subscription, event_type, workstation, batch and window (database
// events; batch 0 and no window for UI events), elements, keys, ok (answered 200), latency_ms, and error
// (transport failure or timeout). In url and path, a user:password and the values of the query string
// are masked as *** (MaskURL): they are where subscribers put secrets.
type Recorder struct {
	w   io.Writer
	buf []byte
}

// NewRecorder returns a Recorder appending to w. Each attempt is written with one Write call, so that
// a file opened with O_APPEND never holds half a line from this process.
func NewRecorder(w io.Writer) *Recorder { return &Recorder{w: w} }

// Write appends attempt a, logged as id, as one line. It is not safe for concurrent use (the Log calls
// it under its lock).
func (r *Recorder) Write(id int64, a Attempt) error {
	line := jsonl.Line{
		Time:    a.At,
		Method:  http.MethodPost,
		Path:    MaskURL(requestURI(a.Request.URL)),
		Headers: a.Result.Header,
		Body:    a.Request.Body,
		Status:  a.Result.Status,
		Sent: &jsonl.Sent{
			ID:           id,
			URL:          MaskURL(a.Request.URL),
			Subscription: a.Subscription.Num,
			EventType:    a.Request.EventType,
			Workstation:  a.Workstation,
			Batch:        a.Batch,
			Elements:     a.Elements,
			Keys:         a.Keys,
			OK:           a.Result.OK(),
			LatencyMS:    Milliseconds(a.Result.Latency),
		},
	}
	if !a.WindowStop.IsZero() {
		line.Sent.WindowStart = subscriptions.FormatDateTime(a.WindowStart)
		line.Sent.WindowStop = subscriptions.FormatDateTime(a.WindowStop)
	}
	if a.Result.Err != nil {
		line.Sent.Error = a.Result.Err.Error()
	}
	var err error
	if r.buf, err = line.AppendLine(r.buf[:0]); err != nil {
		return fmt.Errorf("encode delivery %d: %w", id, err)
	}
	if _, err := r.w.Write(r.buf); err != nil {
		return fmt.Errorf("record delivery %d: %w", id, err)
	}
	if cap(r.buf) > 4<<20 {
		r.buf = nil // one huge line must not pin its buffer for the rest of the run
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
