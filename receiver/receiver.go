// Package receiver is the webhook receiver behind `odsim listen`: an HTTP endpoint that accepts Open Dental
// API event POSTs, shows each one on a readable line, optionally records every delivery to a JSONL file,
// and answers with a chosen status, delay or failure pattern so that a user can watch how a sender (odsim or
// Open Dental itself) retries.
//
// # What it shows
//
// Each request is printed on one line once it has been answered:
//
//	10:04:05.123  WatchTable: Appointment  ws=MOLLYR  3 elements  AptNum 12,15,19  -> 200
//
// That is the local arrival time, the Event-Type header, the Workstation header, the number of elements in
// the JSON array (or "object" for a UI event's single object), the primary keys (the first key of each
// element, abbreviated when there are many; AppointmentDeleted elements also show their AptNum), the request
// path and query when not "/", and the status answered. With Verbose the line is followed by every header,
// sorted, and the body pretty-printed in its original key order.
//
// # JSONL format
//
// With a JSONL path every POST that was read completely is appended as one JSON object per line, written
// with a single write call after the status is chosen and before the response is sent, so a sender that has
// seen the answer can already find the line:
//
//	{"time":"2026-11-28T10:04:05.123456789+01:00","method":"POST","path":"/apievents/?type=appt",
//	 "headers":{"Authorization":["VzkmZEaUWOjnQX2z"],"Event-Type":["WatchTable: Appointment"],...},
//	 "body":"[{\"AptNum\":12,...}]","status":200}
//
// (shown wrapped; a real record is one line). Fields:
//   - time: arrival time, RFC 3339 with nanoseconds and the local offset.
//   - method: always "POST" today.
//   - path: the request path with its query string, as received (escaped form).
//   - headers: every header received, by canonical name, each a list of values; Host is included.
//   - body: the raw body as a JSON string when it is valid UTF-8; otherwise body_base64 holds it in
//     standard base64 instead. Decoding the string gives back the exact bytes received.
//   - status: the HTTP status the receiver answered.
//
// Requests that are not POSTs (405) or whose body exceeds the size limit (413) are printed but not recorded.
// ReadJSONL reads the format back, and Delivery is its Go form.
package receiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/odsim/odsim/catalogue"
)

// Defaults for the zero values of Config.
const (
	// DefaultAddr is where Open Dental's documentation examples put a local event endpoint
	// (http://localhost:2097/), bound to loopback so that a demo receiver is not exposed to the network.
	DefaultAddr = "127.0.0.1:2097"
	// DefaultStatus is the answer Open Dental counts as a successful delivery.
	DefaultStatus = http.StatusOK
	// DefaultFailStatus is the status of an injected failure.
	DefaultFailStatus = http.StatusInternalServerError
	// DefaultMaxBodyBytes bounds a request body: a 1000-element batch is a few MiB, so 64 MiB leaves
	// plenty of room while keeping a runaway sender from exhausting memory.
	DefaultMaxBodyBytes = 64 << 20
	// DefaultReadTimeout is long enough for a 64 MiB body at 1 MB/s.
	DefaultReadTimeout = 2 * time.Minute
)

// shutdownGrace is how long Serve waits for requests in flight before it closes their connections. Delays
// are cut short at shutdown, so what is left is reading bodies and writing lines: short, so that Ctrl-C
// feels immediate even when a sender holds connections it never used.
const shutdownGrace = 2 * time.Second

// Config says where the receiver listens, what it prints and records, and how it answers.
type Config struct {
	// Addr is the host:port to listen on; empty means DefaultAddr.
	Addr string
	// Verbose adds every header and the pretty-printed body under each line.
	Verbose bool
	// JSONL is a file every delivery is appended to; empty records nothing.
	JSONL string
	// Status answers every request that is not failed on purpose; 0 means DefaultStatus.
	Status int
	// Delay is how long to wait before answering each request.
	Delay time.Duration
	// FailEvery answers every Nth POST (the Nth, 2Nth, ...) with FailStatus; 0 disables it.
	FailEvery int
	// FailPercent answers this percentage (0–100) of POSTs, chosen at random, with FailStatus.
	FailPercent float64
	// FailStatus is the status of injected failures; 0 means DefaultFailStatus.
	FailStatus int
	// MaxBodyBytes bounds a request body; larger ones get 413. 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Validate checks every POST against odsim's event catalogue and prints, under its line, each way
	// it differs (validate.go). The answer is not changed.
	Validate bool
	// ReadTimeout bounds how long a sender may take to send a request, body included, so that one
	// trickling a body cannot hold a connection for ever. 0 means DefaultReadTimeout.
	ReadTimeout time.Duration

	// Out receives the printed lines; nil discards them.
	Out io.Writer
	// Now is the clock for arrival times; nil means time.Now.
	Now func() time.Time
	// Rand draws the FailPercent decisions; nil uses the process-wide random source. Tests pass a seeded one.
	Rand *rand.Rand
}

// ConfigError reports a Config field with an unusable value, so that callers can name their own flag.
type ConfigError struct {
	Field   string // the Config field, e.g. "FailPercent"
	Value   any
	Problem string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s %v: %s", e.Field, e.Value, e.Problem)
}

// validate rejects values that would make the receiver misbehave rather than merely look odd.
func (c Config) validate() error {
	statusOK := func(s int) bool { return s == 0 || (s >= 200 && s <= 599) }
	switch {
	case !statusOK(c.Status):
		return &ConfigError{"Status", c.Status, "must be an HTTP status from 200 to 599"}
	case !statusOK(c.FailStatus):
		return &ConfigError{"FailStatus", c.FailStatus, "must be an HTTP status from 200 to 599"}
	case c.Delay < 0:
		return &ConfigError{"Delay", c.Delay, "must not be negative"}
	case c.FailEvery < 0:
		return &ConfigError{"FailEvery", c.FailEvery, "must be 0 (off) or a positive count"}
	case c.FailPercent < 0 || c.FailPercent > 100 || c.FailPercent != c.FailPercent:
		return &ConfigError{"FailPercent", c.FailPercent, "must be between 0 and 100"}
	case c.MaxBodyBytes < 0:
		return &ConfigError{"MaxBodyBytes", c.MaxBodyBytes, "must not be negative"}
	case c.ReadTimeout < 0:
		return &ConfigError{"ReadTimeout", c.ReadTimeout, "must not be negative"}
	}
	return nil
}

// Server is the receiver. It is an http.Handler, so it can also be mounted in a user's own test server.
type Server struct {
	cfg Config

	out   io.Writer
	outMu sync.Mutex

	jsonl   *os.File // nil when not recording
	jsonlMu sync.Mutex

	randMu sync.Mutex
	count  atomic.Int64 // POSTs read so far; numbers them for FailEvery

	validator *catalogue.Validator // with Config.Validate

	stopping  chan struct{} // closed when shutdown starts, to cut delays short
	stopOnce  sync.Once
	closeOnce sync.Once
}

// New checks cfg, fills in defaults and opens the JSONL file for appending.
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.Status == 0 {
		cfg.Status = DefaultStatus
	}
	if cfg.FailStatus == 0 {
		cfg.FailStatus = DefaultFailStatus
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, out: cfg.Out, stopping: make(chan struct{})}
	if s.out == nil {
		s.out = io.Discard
	}
	if cfg.Validate {
		v, err := catalogue.NewValidator()
		if err != nil {
			return nil, fmt.Errorf("load the event catalogue: %w", err)
		}
		s.validator = v
	}
	if cfg.JSONL != "" {
		// 0600: the file holds every request's headers, the customer key among them.
		f, err := os.OpenFile(cfg.JSONL, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open jsonl file: %w", err)
		}
		s.jsonl = f
	}
	return s, nil
}

// Received is how many deliveries (POSTs whose body was read) the receiver has answered or is
// answering, for a summary when it stops.
func (s *Server) Received() int64 { return s.count.Load() }

// Config returns the configuration in effect, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Listen opens the TCP listener on the configured address. A port already in use gets an error that says so.
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("listen on %s: address already in use (another receiver running? pick another address)", s.cfg.Addr)
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	return ln, nil
}

// Serve answers requests on ln until ctx is cancelled, then shuts down gracefully: it stops accepting,
// cuts pending delays short (those requests get 503) and waits up to a few seconds for answers in flight.
// It does not close the JSONL file; Close does.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.cfg.ReadTimeout, // net/http lifts it once the body is read: Delay is not cut
		IdleTimeout:       2 * time.Minute,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.stop()
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		_ = srv.Close() // grace period over: drop what is left
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

func (s *Server) stop() { s.stopOnce.Do(func() { close(s.stopping) }) }

// Close cuts pending delays short and closes the JSONL file.
func (s *Server) Close() error {
	s.stop()
	var err error
	s.closeOnce.Do(func() {
		if s.jsonl != nil {
			s.jsonlMu.Lock()
			defer s.jsonlMu.Unlock()
			if cerr := s.jsonl.Close(); cerr != nil {
				err = fmt.Errorf("close jsonl file: %w", cerr)
			}
		}
	})
	return err
}

// ServeHTTP receives one request: it reads the body, chooses the answer, waits the delay, records and
// prints the delivery, and only then answers, so the record exists before the sender sees the status.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arrived, began := s.cfg.Now(), time.Now()
	if r.Method == http.MethodGet && r.URL.Path == "/healthz" {
		// For health checks (docker compose): answered, never printed or recorded.
		fmt.Fprintln(w, "ok")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		msg := fmt.Sprintf("odsim listen receives Open Dental API events, which are POSTed; %s is not accepted", r.Method)
		http.Error(w, msg, http.StatusMethodNotAllowed)
		s.print(arrived, formatRejected(r, http.StatusMethodNotAllowed, "only POST is accepted"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, fmt.Sprintf("body larger than %s", byteSize(s.cfg.MaxBodyBytes)), http.StatusRequestEntityTooLarge)
			s.print(arrived, formatRejected(r, http.StatusRequestEntityTooLarge, "body over "+byteSize(s.cfg.MaxBodyBytes)))
			return
		}
		// The sender went away mid-body: there is nobody to answer.
		s.print(arrived, formatRejected(r, 0, "reading body failed: "+err.Error()))
		return
	}

	status, why := s.decide()
	var notes []string
	if why != "" {
		notes = append(notes, why)
	}
	if s.cfg.Delay > 0 {
		timer := time.NewTimer(s.cfg.Delay)
		select {
		case <-timer.C:
			notes = append(notes, "after "+s.cfg.Delay.String())
		case <-r.Context().Done():
			notes = append(notes, "sender hung up after "+time.Since(began).Round(time.Millisecond).String())
		case <-s.stopping:
			status, notes = http.StatusServiceUnavailable, []string{"delay cut short: receiver stopping"}
		}
		timer.Stop()
	}

	d := Delivery{
		Time:    arrived,
		Method:  r.Method,
		Path:    r.URL.RequestURI(),
		Headers: receivedHeaders(r),
		Body:    body,
		Status:  status,
	}
	if err := s.record(d); err != nil {
		notes = append(notes, "NOT RECORDED: "+err.Error())
	}
	text := formatDelivery(d, notes, s.cfg.Verbose)
	if s.validator != nil {
		text += s.checkDelivery(d)
	}
	s.print(arrived, text)

	if why == "" && status == s.cfg.Status {
		w.WriteHeader(status)
		return
	}
	if bodyAllowed(status) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, "odsim listen: answering %d (%s)\n", status, notes[0])
		return
	}
	w.WriteHeader(status)
}

// decide numbers the request and picks its status: an injected failure if FailEvery or FailPercent says
// so, otherwise the configured Status. why explains an injected failure and is empty otherwise.
func (s *Server) decide() (status int, why string) {
	n := s.count.Add(1)
	// Draw for every request, failing or not, so a seeded source gives the same sequence whatever
	// FailEvery does.
	var roll float64
	if s.cfg.FailPercent > 0 {
		roll = s.roll() * 100
	}
	switch {
	case s.cfg.FailEvery > 0 && n%int64(s.cfg.FailEvery) == 0:
		return s.cfg.FailStatus, "fail-every " + strconv.Itoa(s.cfg.FailEvery) + ": request " + strconv.FormatInt(n, 10)
	case s.cfg.FailPercent > 0 && roll < s.cfg.FailPercent:
		return s.cfg.FailStatus, "fail-percent " + strconv.FormatFloat(s.cfg.FailPercent, 'g', -1, 64)
	}
	return s.cfg.Status, ""
}

func (s *Server) roll() float64 {
	if s.cfg.Rand == nil {
		return rand.Float64()
	}
	s.randMu.Lock()
	defer s.randMu.Unlock()
	return s.cfg.Rand.Float64()
}

// record appends d to the JSONL file as one line in a single write, so concurrent requests never
// interleave and a reader never sees half a line from a finished request.
func (s *Server) record(d Delivery) error {
	if s.jsonl == nil {
		return nil
	}
	line, err := d.AppendLine(nil)
	if err != nil {
		return fmt.Errorf("encode delivery: %w", err)
	}
	s.jsonlMu.Lock()
	defer s.jsonlMu.Unlock()
	if _, err := s.jsonl.Write(line); err != nil {
		return fmt.Errorf("append to jsonl file: %w", err)
	}
	return nil
}

// print writes one request's text in a single write so that concurrent requests do not interleave.
func (s *Server) print(arrived time.Time, text string) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	_, _ = io.WriteString(s.out, arrived.Format("15:04:05.000")+"  "+text)
}

// receivedHeaders is every header as received, with Host put back (net/http moves it out of the map).
func receivedHeaders(r *http.Request) http.Header {
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if r.Host != "" {
		h.Set("Host", r.Host)
	}
	return h
}

// bodyAllowed reports whether a response with this status may carry a body.
func bodyAllowed(status int) bool {
	return status != http.StatusNoContent && status != http.StatusNotModified
}

// byteSize writes n in the largest binary unit that divides it, e.g. "64 MiB".
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
