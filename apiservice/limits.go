package apiservice

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/odsim/odsim/control"
)

// HTTPLimits bounds what clients of the listener can hold: how long they may take to send a request
// and to take the answer, how long an idle connection stays open, and how many connections, long polls
// and scenario runs there are at once. Nothing a client does — trickling a body a byte a second,
// keeping connections open, never reading an answer — holds odsim's resources for longer than these.
// The zero value of a field means its default.
type HTTPLimits struct {
	// ReadHeaderTimeout is how long a client has to send a request's headers (10 s).
	ReadHeaderTimeout time.Duration
	// BodyTimeout is how long a client has to send a request body once its headers are in (10 s): the
	// Subscriptions API's and the control API's bodies are at most 64 KiB.
	BodyTimeout time.Duration
	// ScenarioBodyTimeout is BodyTimeout for POST /odsim/v1/scenarios, whose body may be 1 MiB (60 s).
	ScenarioBodyTimeout time.Duration
	// WriteTimeout is how long a client has to take an answer once odsim starts writing it (30 s).
	// Long polls and polls that wait for receivers are not cut: the time counts from the first byte.
	WriteTimeout time.Duration
	// IdleTimeout is how long a keep-alive connection may wait for its next request (60 s).
	IdleTimeout time.Duration
	// MaxConnections bounds the open connections (512); past it a new connection is answered 503 and
	// closed.
	MaxConnections int
	// MaxLongPolls bounds the long polls waiting at once (control.DefaultMaxLongPolls); more get 429.
	MaxLongPolls int
	// MaxScenarioRuns bounds the scenario runs in progress at once (scenario.DefaultMaxRunning); more
	// get 429.
	MaxScenarioRuns int
}

// Defaults of HTTPLimits.
const (
	DefaultReadHeaderTimeout   = 10 * time.Second
	DefaultBodyTimeout         = 10 * time.Second
	DefaultScenarioBodyTimeout = 60 * time.Second
	DefaultWriteTimeout        = 30 * time.Second
	DefaultIdleTimeout         = 60 * time.Second
	DefaultMaxConnections      = 512
)

func (l HTTPLimits) withDefaults() HTTPLimits {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&l.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&l.BodyTimeout, DefaultBodyTimeout)
	def(&l.ScenarioBodyTimeout, DefaultScenarioBodyTimeout)
	def(&l.WriteTimeout, DefaultWriteTimeout)
	def(&l.IdleTimeout, DefaultIdleTimeout)
	if l.MaxConnections <= 0 {
		l.MaxConnections = DefaultMaxConnections
	}
	return l
}

// bounded sets each request's deadlines: its body must arrive within the route's body timeout, and its
// answer be taken within WriteTimeout of the first byte written.
func (l HTTPLimits) bounded(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		// A deadline of an earlier request on this connection must not cut this one's answer.
		_ = rc.SetWriteDeadline(time.Time{}) // not supported only where there is no connection (tests' recorders)
		if r.Body != nil && r.Body != http.NoBody {
			// Only with a body: on a request without one, net/http already waits for the client to hang
			// up, and a read deadline would end the request's context (and a long poll) when it passed.
			d := l.BodyTimeout
			if r.Method == http.MethodPost && strings.TrimSuffix(r.URL.Path, "/") == control.Prefix+"scenarios" {
				d = l.ScenarioBodyTimeout
			}
			_ = rc.SetReadDeadline(time.Now().Add(d))
		}
		h.ServeHTTP(&deadlineWriter{ResponseWriter: w, rc: rc, timeout: l.WriteTimeout}, r)
	})
}

// deadlineWriter sets the write deadline when the answer starts.
type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	started bool
}

func (w *deadlineWriter) start() {
	if !w.started {
		w.started = true
		_ = w.rc.SetWriteDeadline(time.Now().Add(w.timeout))
	}
}

func (w *deadlineWriter) WriteHeader(status int) {
	w.start()
	w.ResponseWriter.WriteHeader(status)
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	w.start()
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// limitListener accepts at most max connections at once; a connection past that is answered 503 and
// closed at once, instead of waiting unseen in the kernel's backlog.
type limitListener struct {
	net.Listener
	slots chan struct{}
	log   *slog.Logger

	mu   sync.Mutex
	full bool // the last connection was refused: say so once per run of refusals
}

func newLimitListener(ln net.Listener, max int, log *slog.Logger) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, max), log: log}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			l.note(false)
			return &slotConn{Conn: c, release: func() { <-l.slots }}, nil
		default:
			l.note(true)
			go refuse(c, cap(l.slots))
		}
	}
}

// note logs when the listener starts refusing connections, and when it accepts again.
func (l *limitListener) note(full bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if full == l.full {
		return
	}
	l.full = full
	if full {
		l.log.Warn("connection limit reached: new connections are answered 503 until one closes", "max_connections", cap(l.slots))
	} else {
		l.log.Info("connection limit no longer reached: accepting connections again")
	}
}

// refuse answers a connection over the limit with 503 and closes it, within a second whatever the client
// does.
func refuse(c net.Conn, max int) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	body := fmt.Sprintf(`{"error":"odsim has %d connections open, the most it holds at once: retry in a second.","code":"unavailable"}`+"\n", max)
	fmt.Fprintf(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	// Read what the client sent, so that closing does not reset the connection before it read the answer.
	_, _ = io.Copy(io.Discard, io.LimitReader(c, 64<<10))
}

// slotConn gives its slot back when closed.
type slotConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *slotConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
