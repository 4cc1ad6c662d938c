// Package resend re-sends recorded webhook deliveries: the JSONL files odsim serve --record and odsim
// listen --jsonl write (receiver.Delivery, one per line) are POSTed again, in order, with the recorded
// headers and the recorded body byte for byte, to a consumer's endpoint. It needs no database, so a
// consumer's CI can replay a session recorded once against odsim (or a real Open Dental office) with
// nothing but the file.
//
// Requests are sent one at a time, with the original spacing (scaled by Speed) or as fast as possible,
// and every response is reported. A line that cannot be read (a truncated last line, corrupt JSON) is
// reported with its line number and either skipped or ends the run, as the caller chooses.
package resend

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/odsim/odsim/clock"
	"github.com/odsim/odsim/receiver"
)

// DefaultTimeout is how long a response may take, as Open Dental waits for one.
const DefaultTimeout = 60 * time.Second

// Config says where and how to re-send.
type Config struct {
	// To is the consumer's URL. When it has no path (or just "/"), each request goes to the
	// recorded path and query on that host; otherwise to To exactly.
	To string
	// Speed scales the recorded spacing: 1 keeps it, 10 is ten times faster, 0 sends each request as
	// soon as the previous one was answered.
	Speed float64
	// SkipCorrupt skips a line that cannot be read (reporting it); otherwise such a line ends the run.
	SkipCorrupt bool
	// Timeout bounds each request; DefaultTimeout when 0.
	Timeout time.Duration
	// Client sends the requests; a fresh one when nil. Its transport must not add headers:
	// transparent compression is switched off for a fresh one.
	Client *http.Client
	// Clock paces the spacing; the host clock when nil.
	Clock clock.Clock
	// Report is told about every line: a response, a failed request or an unreadable line.
	Report func(Result)
}

// Result is what came of one line of the file.
type Result struct {
	Line      int
	Delivery  receiver.Delivery // zero when the line could not be read
	URL       string
	Status    int           // the response's status, 0 when none arrived
	Latency   time.Duration // until the response's end
	Err       error         // the request failed: no response
	Corrupt   error         // the line could not be read
	Recorded  int           // the status recorded in the file, for comparison
	Elements  int           // elements of a JSON-array body; -1 for an object (a UI event) or other
	EventType string
}

// OK reports whether the consumer answered 200, the only answer Open Dental counts as delivered.
func (r Result) OK() bool { return r.Err == nil && r.Corrupt == nil && r.Status == http.StatusOK }

// Summary counts a run.
type Summary struct {
	Sent    int // requests sent
	OK      int // answered 200
	Failed  int // answered otherwise, or no answer
	Corrupt int // lines that could not be read
}

// CorruptLineError is the error that ends a run at an unreadable line when corrupt lines are not
// skipped.
type CorruptLineError struct {
	Line int
	Err  error
}

func (e *CorruptLineError) Error() string {
	return fmt.Sprintf("line %d: cannot read the recorded delivery: %v", e.Line, e.Err)
}

func (e *CorruptLineError) Unwrap() error { return e.Err }

// hopHeaders are the headers of one connection, never re-sent: the new connection has its own.
var hopHeaders = map[string]bool{
	"Host": true, "Content-Length": true, "Connection": true, "Keep-Alive": true, "Transfer-Encoding": true,
	"Te": true, "Trailer": true, "Upgrade": true, "Proxy-Connection": true, "Proxy-Authorization": true,
}

// Run re-sends every delivery read from r. It returns the summary and, when a line ended the run or ctx
// ended it, the error.
func Run(ctx context.Context, r io.Reader, cfg Config) (Summary, error) {
	var sum Summary
	target, err := url.Parse(cfg.To)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return sum, fmt.Errorf("--to %q: give the consumer's URL, e.g. http://127.0.0.1:8080/apievents/", cfg.To)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, DisableCompression: true}}
	}
	client = &http.Client{Transport: client.Transport, Timeout: cfg.Timeout, Jar: client.Jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	report := cfg.Report
	if report == nil {
		report = func(Result) {}
	}

	br := bufio.NewReader(r)
	var begin time.Time
	var first time.Time
	for line := 1; ; line++ {
		raw, readErr := br.ReadBytes('\n')
		if readErr != nil && !errors.Is(readErr, io.EOF) {
			return sum, fmt.Errorf("read line %d: %w", line, readErr)
		}
		if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 {
			d, perr := parseLine(trimmed, readErr != nil)
			if perr != nil {
				sum.Corrupt++
				report(Result{Line: line, Corrupt: perr})
				if !cfg.SkipCorrupt {
					return sum, &CorruptLineError{Line: line, Err: perr}
				}
			} else {
				if first.IsZero() {
					first, begin = d.Time, cfg.Clock.Now()
				}
				if cfg.Speed > 0 {
					due := begin.Add(time.Duration(float64(d.Time.Sub(first)) / cfg.Speed))
					if wait := due.Sub(cfg.Clock.Now()); wait > 0 {
						if err := cfg.Clock.Sleep(ctx, wait); err != nil {
							return sum, err
						}
					}
				}
				if err := ctx.Err(); err != nil {
					return sum, err
				}
				res := send(ctx, client, target, line, d)
				sum.Sent++
				if res.OK() {
					sum.OK++
				} else {
					sum.Failed++
				}
				report(res)
			}
		}
		if readErr != nil { // io.EOF
			return sum, nil
		}
	}
}

// parseLine reads one recorded delivery. last says the line had no newline: the file ended inside it.
func parseLine(data []byte, last bool) (receiver.Delivery, error) {
	var d receiver.Delivery
	if err := json.Unmarshal(data, &d); err != nil {
		if last {
			return d, fmt.Errorf("truncated (the file ends inside this line): %w", err)
		}
		return d, fmt.Errorf("corrupt: %w", err)
	}
	if d.Method == "" {
		return d, errors.New("corrupt: no method")
	}
	if d.Time.IsZero() {
		return d, errors.New("corrupt: no time")
	}
	return d, nil
}

// send POSTs one delivery with its recorded method, headers and body.
func send(ctx context.Context, client *http.Client, target *url.URL, line int, d receiver.Delivery) Result {
	res := Result{Line: line, Delivery: d, Recorded: d.Status, Elements: elements(d.Body), EventType: d.Headers.Get("Event-Type")}
	u := *target
	if u.Path == "" || u.Path == "/" {
		rec, err := url.ParseRequestURI(d.Path)
		if err == nil {
			u.Path, u.RawPath, u.RawQuery = rec.Path, rec.RawPath, rec.RawQuery
		}
	}
	res.URL = u.String()
	req, err := http.NewRequestWithContext(ctx, d.Method, res.URL, bytes.NewReader(d.Body))
	if err != nil {
		res.Err = err
		return res
	}
	for name, values := range d.Headers {
		if hopHeaders[textproto.CanonicalMIMEHeaderKey(name)] {
			continue
		}
		req.Header[name] = append([]string(nil), values...)
	}
	if _, ok := req.Header["User-Agent"]; !ok {
		req.Header["User-Agent"] = nil // send none, as recorded, rather than Go's own
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		res.Err = shorten(err)
		res.Latency = time.Since(start)
		return res
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // drained so the connection is reused
	resp.Body.Close()
	res.Status = resp.StatusCode
	res.Latency = time.Since(start)
	return res
}

// shorten drops the method and URL that *url.Error repeats.
func shorten(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return errors.New("timeout: no answer in time")
		}
		return ue.Err
	}
	return err
}

// elements counts the elements of a JSON-array body, or returns -1.
func elements(body []byte) int {
	b := bytes.TrimSpace(body)
	if len(b) == 0 || b[0] != '[' {
		return -1
	}
	var arr []json.RawMessage
	if json.Unmarshal(b, &arr) != nil {
		return -1
	}
	return len(arr)
}

// Describe is the one-line report of a result, for people.
func (r Result) Describe() string {
	if r.Corrupt != nil {
		return fmt.Sprintf("line %d: %v", r.Line, r.Corrupt)
	}
	what := r.EventType
	switch {
	case r.Elements == 1:
		what += " (1 element)"
	case r.Elements >= 0:
		what += fmt.Sprintf(" (%d elements)", r.Elements)
	case what == "":
		what = "(no Event-Type)"
	}
	var outcome string
	switch {
	case r.Err != nil:
		outcome = "FAILED: " + r.Err.Error()
	case r.Status == http.StatusOK:
		outcome = "200 OK"
	default:
		outcome = fmt.Sprintf("%d %s (only 200 counts as delivered)", r.Status, strings.TrimSpace(http.StatusText(r.Status)))
	}
	return fmt.Sprintf("line %d  %s %s  %s -> %s  %s", r.Line, r.Delivery.Method, r.URL, what, outcome, r.Latency.Round(time.Millisecond))
}
