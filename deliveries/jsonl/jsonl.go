// Package jsonl is odsim's one delivery file format: one JSON object per line for each POST, written
// by `odsim listen --jsonl` for what a receiver got and by `odsim serve --record` for what odsim sent,
// and read back by `odsim replay --deliveries` and by tests. A receiver's line:
//
//	{"time":"2026-11-28T10:04:05.123456789+01:00","method":"POST","path":"/apievents/?type=appt",
//	 "headers":{"Authorization":["VzkmZEaUWOjnQX2z"],"Event-Type":["WatchTable: Appointment"],...},
//	 "body":"[{\"AptNum\":12,...}]","status":200}
//
// (shown wrapped). A sender's line carries the same fields, then what the sender knows (Sent). The body
// is a JSON string when it is valid UTF-8, so that the file stays readable and greppable, and otherwise
// body_base64 in standard base64, because a JSON string cannot carry invalid UTF-8: decoding gives back
// the exact bytes either way. The control API's deliveries use the same body codec (EncodeBody).
package jsonl

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf8"
)

// Line is one delivery: one POST, as received or as sent.
type Line struct {
	Time    time.Time // received: arrival; sent: when the POST started
	Method  string
	Path    string // the path and query, as the receiver saw them
	Headers http.Header
	Body    []byte // exactly the bytes of the body
	Status  int    // the status answered; 0 when none came
	// Sent is what the sender adds (odsim serve --record); nil in what a receiver records.
	Sent *Sent
}

// Sent is what odsim knows of a POST it sent, beyond what a receiver sees.
type Sent struct {
	ID           int64   `json:"id"`  // the delivery log's ID
	URL          string  `json:"url"` // EndPointUrl, credentials and query values masked
	Subscription int64   `json:"subscription"`
	EventType    string  `json:"event_type"`
	Workstation  string  `json:"workstation"`
	Batch        int     `json:"batch"`                  // database events: 1 for the window's first page; 0 for UI events
	WindowStart  string  `json:"window_start,omitempty"` // database events: the window, database clock
	WindowStop   string  `json:"window_stop,omitempty"`
	Elements     int     `json:"elements"`
	Keys         []int64 `json:"keys"`
	OK           bool    `json:"ok"` // answered 200: delivered, as Open Dental counts it
	LatencyMS    float64 `json:"latency_ms"`
	Error        string  `json:"error"` // transport failure or timeout
}

// wire is a Line as written; its field order is the order on the line.
type wire struct {
	Time       time.Time   `json:"time"`
	Method     string      `json:"method"`
	Path       string      `json:"path"`
	Headers    http.Header `json:"headers"`
	Body       *string     `json:"body,omitempty"`
	BodyBase64 *string     `json:"body_base64,omitempty"`
	Status     int         `json:"status"`
	*Sent
}

// EncodeBody splits a body into the two forms of the format: text when it is valid UTF-8, otherwise
// standard base64. Exactly one of the two is not nil.
func EncodeBody(b []byte) (text, base64Text *string) {
	if utf8.Valid(b) {
		s := string(b)
		return &s, nil
	}
	s := base64.StdEncoding.EncodeToString(b)
	return nil, &s
}

// DecodeBody gives back the bytes EncodeBody split; both nil is an empty body.
func DecodeBody(text, base64Text *string) ([]byte, error) {
	switch {
	case text != nil && base64Text != nil:
		return nil, errors.New("both body and body_base64 are set")
	case text != nil:
		return []byte(*text), nil
	case base64Text != nil:
		b, err := base64.StdEncoding.DecodeString(*base64Text)
		if err != nil {
			return nil, fmt.Errorf("body_base64: %w", err)
		}
		return b, nil
	}
	return nil, nil
}

// MarshalJSON writes the line, without its newline, with <, > and & left readable.
func (l Line) MarshalJSON() ([]byte, error) {
	w := wire{Time: l.Time, Method: l.Method, Path: l.Path, Headers: l.Headers, Status: l.Status, Sent: l.Sent}
	if w.Headers == nil {
		w.Headers = http.Header{}
	}
	if w.Sent != nil && w.Sent.Keys == nil {
		s := *w.Sent
		s.Keys = []int64{}
		w.Sent = &s
	}
	w.Body, w.BodyBase64 = EncodeBody(l.Body)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // decoding gives the same string either way
	if err := enc.Encode(w); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// AppendLine appends the line and its newline to b, so that a writer can put it in a file with one
// Write call (a file opened with O_APPEND then never holds half a line from this process).
func (l Line) AppendLine(b []byte) ([]byte, error) {
	data, err := l.MarshalJSON()
	if err != nil {
		return b, err
	}
	return append(append(b, data...), '\n'), nil
}

// UnmarshalJSON reads a line back; fields it does not know are ignored, so that a sender's line reads as
// a receiver's.
func (l *Line) UnmarshalJSON(data []byte) error {
	var w wire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	body, err := DecodeBody(w.Body, w.BodyBase64)
	if err != nil {
		return err
	}
	*l = Line{Time: w.Time, Method: w.Method, Path: w.Path, Headers: w.Headers, Body: body, Status: w.Status, Sent: w.Sent}
	return nil
}

// Read reads every line of a delivery file. Blank lines are skipped; any other line that does not parse
// stops the read with an error naming its line number. Lines may be of any length (a recorded
// 1000-element batch is megabytes).
func Read(r io.Reader) ([]Line, error) {
	br := bufio.NewReader(r)
	var out []Line
	for n := 1; ; n++ {
		data, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return out, fmt.Errorf("read line %d: %w", n, err)
		}
		if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 {
			var l Line
			if uerr := json.Unmarshal(trimmed, &l); uerr != nil {
				return out, fmt.Errorf("line %d: %w", n, uerr)
			}
			out = append(out, l)
		}
		if err != nil { // io.EOF
			return out, nil
		}
	}
}
