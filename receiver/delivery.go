package receiver

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

// Delivery is one received request as recorded in the JSONL file: enough to assert on it later or to
// re-send it byte for byte.
type Delivery struct {
	Time    time.Time
	Method  string
	Path    string // path and query, as received
	Headers http.Header
	Body    []byte // exactly the bytes received
	Status  int    // the status the receiver answered
}

// deliveryLine is the JSONL form of a Delivery; its field order is the order on the line.
type deliveryLine struct {
	Time       time.Time   `json:"time"`
	Method     string      `json:"method"`
	Path       string      `json:"path"`
	Headers    http.Header `json:"headers"`
	Body       *string     `json:"body,omitempty"`
	BodyBase64 *string     `json:"body_base64,omitempty"`
	Status     int         `json:"status"`
}

// MarshalJSON writes the JSONL form: the body as a string when it is valid UTF-8 (so the file stays
// readable and greppable), otherwise as body_base64, because a JSON string cannot carry invalid UTF-8.
func (d Delivery) MarshalJSON() ([]byte, error) {
	line := deliveryLine{Time: d.Time, Method: d.Method, Path: d.Path, Headers: d.Headers, Status: d.Status}
	if line.Headers == nil {
		line.Headers = http.Header{}
	}
	if utf8.Valid(d.Body) {
		s := string(d.Body)
		line.Body = &s
	} else {
		s := base64.StdEncoding.EncodeToString(d.Body)
		line.BodyBase64 = &s
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep <, > and & readable; decoding gives the same string either way
	if err := enc.Encode(line); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON reads the JSONL form back.
func (d *Delivery) UnmarshalJSON(data []byte) error {
	var line deliveryLine
	if err := json.Unmarshal(data, &line); err != nil {
		return err
	}
	if line.Body != nil && line.BodyBase64 != nil {
		return errors.New("both body and body_base64 are set")
	}
	*d = Delivery{Time: line.Time, Method: line.Method, Path: line.Path, Headers: line.Headers, Status: line.Status}
	switch {
	case line.Body != nil:
		d.Body = []byte(*line.Body)
	case line.BodyBase64 != nil:
		b, err := base64.StdEncoding.DecodeString(*line.BodyBase64)
		if err != nil {
			return fmt.Errorf("body_base64: %w", err)
		}
		d.Body = b
	}
	return nil
}

// ReadJSONL reads every delivery of a JSONL file written by the receiver. Blank lines are skipped; any
// other line that does not parse stops the read with an error naming its line number. Lines may be of
// any length (a recorded 1000-row batch is megabytes).
func ReadJSONL(r io.Reader) ([]Delivery, error) {
	br := bufio.NewReader(r)
	var out []Delivery
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return out, fmt.Errorf("read line %d: %w", n, err)
		}
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			var d Delivery
			if uerr := json.Unmarshal(trimmed, &d); uerr != nil {
				return out, fmt.Errorf("line %d: %w", n, uerr)
			}
			out = append(out, d)
		}
		if err != nil { // io.EOF
			return out, nil
		}
	}
}
