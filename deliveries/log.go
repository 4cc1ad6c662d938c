// Package deliveries is odsim's delivery log: every POST attempt of a database event batch or a UI
// event — to which subscription and URL, with which headers and body, and what came of it — kept in
// memory within fixed bounds, so that tests and the CLI can ask what was sent right after sending it.
// With a recording writer the log also appends every attempt to a JSONL file in the format of
// `odsim listen --jsonl`, so that one reader handles what a receiver got and what odsim sent.
//
// Memory is bounded twice: by a number of records (the oldest is dropped when a new one arrives) and
// by a budget of bytes for the variable parts, bodies and primary keys. When the budget is exceeded, the
// oldest records keep their summary but lose their body and keys, and say so (BodyTruncated,
// KeysTruncated). A single body is cut to MaxBodyBytes when it is stored, and says so too.
package deliveries

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/odsim/odsim/subscriptions"
	"github.com/odsim/odsim/webhook"
)

// Defaults for the zero values of Config.
const (
	// DefaultCapacity is the number of records kept.
	DefaultCapacity = 10_000
	// DefaultMaxBodyBytes bounds one stored body: a full 1000-element batch is about 1 MB, so most
	// batches are kept whole.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultDetailBytes bounds the bodies and keys of all records together.
	DefaultDetailBytes = 64 << 20
)

// Attempt is one POST attempt as the poller (database events) or uievents (UI events) reports it.
type Attempt struct {
	At           time.Time // when the POST started (host clock)
	Subscription subscriptions.Subscription
	Workstation  string    // the sending workstation
	Batch        int       // database events: 1 for the first page of the window; 0 for UI events
	WindowStart  time.Time // database events: the window on the database clock; zero for UI events
	WindowStop   time.Time
	Request      webhook.Request
	Elements     int     // elements in the body (1 for a UI event's single object)
	Keys         []int64 // the elements' primary keys
	Result       webhook.Result
}

// Record is one entry of the log. Records are values: what List and Get return is the caller's.
type Record struct {
	ID              int64     // 1 for the first attempt since odsim started; never reused
	At              time.Time // when the POST started (host clock)
	SubscriptionNum int64
	URL             string // the subscription's EndPointUrl, with any user:password masked as ***
	EventType       string // the Event-Type header: "WatchTable: Appointment", "UiEventType: PatientSelected"
	Workstation     string
	Batch           int
	WindowStart     time.Time
	WindowStop      time.Time
	Elements        int
	Keys            []int64 // nil in summaries whose keys were dropped for the byte budget
	KeysTruncated   bool    // Keys lacks some of the elements' keys
	Status          int     // HTTP status answered; 0 when no answer came
	OK              bool    // the subscriber answered 200, the only answer Open Dental counts as delivered
	Latency         time.Duration
	Error           string      // transport failure or timeout; "" when an answer came
	Header          http.Header // the request headers as sent (Get only)
	Body            []byte      // the request body as sent, maybe cut (Get only)
	BodySize        int         // the size of the body as sent
	BodyTruncated   bool        // Body holds less than BodySize bytes
}

// Config bounds a Log and says where it records.
type Config struct {
	Capacity     int   // records kept; DefaultCapacity when 0
	MaxBodyBytes int   // bytes of one body kept; DefaultMaxBodyBytes when 0
	DetailBytes  int64 // bytes of bodies and keys kept in all; DefaultDetailBytes when 0
	// Recording, when set, receives every attempt as one JSONL line (see Recorder), whole, however
	// the in-memory bounds cut it.
	Recording io.Writer
	// Logger receives recording failures, once per run of failures.
	Logger *slog.Logger
}

// Log is the bounded in-memory delivery log. It is safe for concurrent use.
type Log struct {
	cfg Config
	rec *Recorder // nil without Config.Recording
	log *slog.Logger

	mu         sync.Mutex
	ring       []Record // record ID i is at ring[(i-1) % Capacity]
	first      int64    // ID of the oldest record kept; first > last when empty
	last       int64    // ID of the newest record
	detail     int64    // bytes of bodies and keys held
	detailFrom int64    // records older than this have released their body and keys
	changed    chan struct{}
	recFailing bool // the last recording write failed
}

// New returns an empty Log.
func New(cfg Config) *Log {
	if cfg.Capacity <= 0 {
		cfg.Capacity = DefaultCapacity
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.DetailBytes <= 0 {
		cfg.DetailBytes = DefaultDetailBytes
	}
	if int64(cfg.MaxBodyBytes) > cfg.DetailBytes {
		cfg.MaxBodyBytes = int(cfg.DetailBytes)
	}
	l := &Log{cfg: cfg, log: cfg.Logger, first: 1, detailFrom: 1, changed: make(chan struct{})}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if cfg.Recording != nil {
		l.rec = NewRecorder(cfg.Recording)
	}
	return l
}

// Capacity is the number of records the log keeps.
func (l *Log) Capacity() int { return l.cfg.Capacity }

// Add records one attempt and returns its record (summary fields only). It copies what it keeps, so the
// caller may reuse a's body and keys afterwards.
func (l *Log) Add(a Attempt) Record {
	r := Summary(a)
	r.Header = a.Result.Header.Clone()
	body := a.Request.Body
	if len(body) > l.cfg.MaxBodyBytes {
		body, r.BodyTruncated = body[:l.cfg.MaxBodyBytes], true
	}
	r.Body = append([]byte(nil), body...)

	l.mu.Lock()
	defer l.mu.Unlock()
	r.ID = l.last + 1
	if l.last-l.first+1 == int64(l.cfg.Capacity) {
		l.releaseDetail(l.first)
		l.ring[l.index(l.first)] = Record{}
		l.first++
	}
	if len(l.ring) < l.cfg.Capacity {
		l.ring = append(l.ring, Record{})
	}
	l.ring[l.index(r.ID)] = r
	l.last = r.ID
	l.detail += detailSize(r)
	for l.detail > l.cfg.DetailBytes && l.detailFrom <= l.last {
		l.releaseDetail(l.detailFrom)
	}
	if l.rec != nil {
		// Under the lock, so that the file's lines are in ID order.
		l.noteRecording(l.rec.Write(r.ID, a))
	}
	close(l.changed)
	l.changed = make(chan struct{})
	return r.summary()
}

// Summary is the record an attempt makes, without ID, headers or body: what List shows of it.
func Summary(a Attempt) Record {
	r := Record{
		At:              a.At,
		SubscriptionNum: a.Subscription.Num,
		URL:             MaskURL(a.Request.URL),
		EventType:       a.Request.EventType,
		Workstation:     a.Workstation,
		Batch:           a.Batch,
		WindowStart:     a.WindowStart,
		WindowStop:      a.WindowStop,
		Elements:        a.Elements,
		Keys:            append([]int64(nil), a.Keys...),
		KeysTruncated:   len(a.Keys) < a.Elements,
		Status:          a.Result.Status,
		OK:              a.Result.OK(),
		Latency:         a.Result.Latency,
		BodySize:        len(a.Request.Body),
	}
	if a.Result.Err != nil {
		r.Error = a.Result.Err.Error()
	}
	return r
}

func (l *Log) index(id int64) int { return int((id - 1) % int64(l.cfg.Capacity)) }

// releaseDetail drops the body and keys of record id, oldest first, to stay within the byte budget.
func (l *Log) releaseDetail(id int64) {
	if id < l.detailFrom {
		return // already released
	}
	for ; l.detailFrom <= id; l.detailFrom++ {
		if l.detailFrom < l.first {
			continue
		}
		r := &l.ring[l.index(l.detailFrom)]
		l.detail -= detailSize(*r)
		if len(r.Body) > 0 || r.BodySize > 0 {
			r.Body, r.BodyTruncated = nil, true
		}
		if len(r.Keys) > 0 || r.Elements > 0 {
			r.Keys, r.KeysTruncated = nil, true
		}
	}
}

// detailSize is what a record's body and keys count against the byte budget.
func detailSize(r Record) int64 { return int64(len(r.Body)) + 8*int64(len(r.Keys)) }

// noteRecording logs when writing the recording starts or stops failing, once per change: the poller
// and uievents cannot act on the error, and a failing disk must not stop deliveries.
func (l *Log) noteRecording(err error) {
	switch {
	case err != nil && !l.recFailing:
		l.recFailing = true
		l.log.Error("cannot append to the delivery recording; deliveries go on unrecorded", "error", err)
	case err == nil && l.recFailing:
		l.recFailing = false
		l.log.Info("delivery recording works again")
	}
}

// Filter selects records. Zero fields select everything.
type Filter struct {
	Subscription int64  // SubscriptionNum
	EventType    string // a WatchTable or UiEventType name, or a whole Event-Type header value
	Workstation  string // compared without regard to case
	Status       Status
	Since        int64 // only records with a greater ID
	Limit        int   // at most this many; the log's capacity when 0
	// Newest returns the newest Limit matches instead of the first Limit after Since.
	Newest bool
}

// Status selects records by what came of the POST.
type Status struct {
	kind statusKind
	code int
}

type statusKind uint8

const (
	anyStatus statusKind = iota
	okStatus
	failedStatus
	codeStatus
)

// ParseStatus reads a status filter: "ok" (answered 200), "failed" (anything else), or an HTTP status
// code, 0 meaning no answer at all (refused, timed out). "" selects every record.
func ParseStatus(s string) (Status, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return Status{}, nil
	case "ok":
		return Status{kind: okStatus}, nil
	case "failed", "fail", "error":
		return Status{kind: failedStatus}, nil
	}
	code, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || code < 0 || code > 599 {
		return Status{}, fmt.Errorf("status %q: use ok, failed, or an HTTP status code (0 for no answer)", s)
	}
	return Status{kind: codeStatus, code: code}, nil
}

// String gives back the form ParseStatus reads.
func (s Status) String() string {
	switch s.kind {
	case okStatus:
		return "ok"
	case failedStatus:
		return "failed"
	case codeStatus:
		return fmt.Sprint(s.code)
	}
	return ""
}

func (s Status) matches(r *Record) bool {
	switch s.kind {
	case okStatus:
		return r.OK
	case failedStatus:
		return !r.OK
	case codeStatus:
		return r.Status == s.code
	}
	return true
}

func (f Filter) matches(r *Record) bool {
	if f.Subscription != 0 && r.SubscriptionNum != f.Subscription {
		return false
	}
	if f.EventType != "" && r.EventType != f.EventType {
		_, name, _ := strings.Cut(r.EventType, ": ")
		if name != f.EventType {
			return false
		}
	}
	if f.Workstation != "" && !strings.EqualFold(r.Workstation, f.Workstation) {
		return false
	}
	return f.Status.matches(r)
}

// Page is one answer of List.
type Page struct {
	Records []Record // summaries (no headers or body), oldest first
	FirstID int64    // the oldest ID the log still holds (LastID+1 when empty)
	LastID  int64    // the newest ID so far (0 before the first attempt)
}

// List returns the summaries of the records f selects, oldest first: the first f.Limit matches after
// f.Since, so that a reader can page forward by passing the last ID it saw, or with f.Newest the newest
// f.Limit matches.
func (l *Log) List(f Filter) Page {
	if f.Limit <= 0 || f.Limit > l.cfg.Capacity {
		f.Limit = l.cfg.Capacity
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	p := Page{FirstID: l.first, LastID: l.last}
	if !f.Newest {
		for id := max(f.Since+1, l.first); id <= l.last && len(p.Records) < f.Limit; id++ {
			if r := &l.ring[l.index(id)]; f.matches(r) {
				p.Records = append(p.Records, r.summary())
			}
		}
		return p
	}
	for id := l.last; id >= l.first && id > f.Since && len(p.Records) < f.Limit; id-- {
		if r := &l.ring[l.index(id)]; f.matches(r) {
			p.Records = append(p.Records, r.summary())
		}
	}
	for i, j := 0, len(p.Records)-1; i < j; i, j = i+1, j-1 {
		p.Records[i], p.Records[j] = p.Records[j], p.Records[i]
	}
	return p
}

// Get returns record id with its headers and body, or false when the log never had it or has dropped it.
func (l *Log) Get(id int64) (Record, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if id < l.first || id > l.last {
		return Record{}, false
	}
	r := l.ring[l.index(id)]
	r.Header = r.Header.Clone()
	return r, true // Body and Keys are never written after Add: sharing them is safe
}

// LastID returns the ID of the newest record, 0 before the first attempt.
func (l *Log) LastID() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// Wait blocks until a record newer than after exists, and reports whether one does; it returns false
// when ctx ends first. It is what `odsim deliveries --follow` long-polls on.
func (l *Log) Wait(ctx context.Context, after int64) bool {
	for {
		l.mu.Lock()
		last, changed := l.last, l.changed
		l.mu.Unlock()
		if last > after {
			return true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return false
		}
	}
}

// Stats says how much the log holds, for tests, benchmarks and /metrics.
type Stats struct {
	Records     int   // records kept
	DetailBytes int64 // bytes of bodies and keys kept
}

// Stats returns what the log holds now.
func (l *Log) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Stats{Records: int(l.last - l.first + 1), DetailBytes: l.detail}
}

// summary is r without its headers and body.
func (r Record) summary() Record {
	r.Header, r.Body = nil, nil
	return r
}

// MaskURL hides the secrets a subscriber may put in an EndPointUrl: the user and password
// (http://user:pass@host/ becomes http://***@host/) and the value of every query parameter
// (?token=abc&sub=3 becomes ?token=***&sub=***; a parameter without "=" becomes ***), since odsim cannot
// tell which of them are secrets. It takes a URL or a path with its query. Everything else is kept
// byte for byte: the scheme, the host, the path, the parameter names and the fragment.
func MaskURL(raw string) string {
	out := raw
	if scheme, rest, ok := strings.Cut(raw, "://"); ok {
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
			out = scheme + "://***" + rest[at:]
		}
	}
	q := strings.IndexByte(out, '?')
	if q < 0 {
		return out
	}
	query, fragment := out[q+1:], ""
	if h := strings.IndexByte(query, '#'); h >= 0 {
		query, fragment = query[:h], query[h:]
	}
	params := strings.Split(query, "&")
	for i, p := range params {
		switch name, _, hasValue := strings.Cut(p, "="); {
		case hasValue:
			params[i] = name + "=***"
		case p != "":
			params[i] = "***"
		}
	}
	return out[:q+1] + strings.Join(params, "&") + fragment
}
