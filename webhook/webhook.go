// Package webhook sends Open Dental API events to subscribers' endpoints: one POST per batch or UI
// event, with Open Dental's headers, where only HTTP 200 counts as delivered. Both the poller (database
// events) and uievents (UI events) send through it, and every attempt is reported to observers (the
// delivery log, the recording file, metrics).
package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
)

// DefaultTimeout is how long Open Dental waits for a subscriber's answer (about one minute).
const DefaultTimeout = 60 * time.Second

// Request is one event POST.
type Request struct {
	URL         string // the subscription's EndPointUrl, exactly as stored
	CustomerKey string // sent as the Authorization header, without ODFHIR or developer key
	Workstation string // the sending workstation's name
	EventType   string // "WatchTable: Appointment" or "UiEventType: PatientSelected"
	Body        []byte
}

// Result is what came of one POST.
type Result struct {
	Status  int           // HTTP status, 0 when no response arrived
	Latency time.Duration // from sending to the end of the response (or the failure)
	Err     error         // transport error or timeout; nil when a response arrived
	Header  http.Header   // the request headers as sent
}

// OK reports whether the subscriber accepted the event: Open Dental requires 200 exactly.
func (r Result) OK() bool { return r.Err == nil && r.Status == http.StatusOK }

// Describe says in a few words what happened, for logs and the delivery log.
func (r Result) Describe() string {
	switch {
	case r.Err != nil:
		return r.Err.Error()
	case r.Status == http.StatusOK:
		return "200 OK"
	default:
		return fmt.Sprintf("HTTP %d (only 200 counts as delivered)", r.Status)
	}
}

// Config configures a Sender.
type Config struct {
	Timeout   time.Duration // per POST; DefaultTimeout when 0
	UserAgent string        // sent as User-Agent; "odsim" when empty
	Client    *http.Client  // base HTTP client (transport); a fresh one when nil
	Logger    *slog.Logger
	// RootCAs are the certificate authorities trusted for https EndPointUrls when Client is nil; nil
	// means the system's (on Linux, SSL_CERT_FILE and SSL_CERT_DIR name them).
	RootCAs *x509.CertPool
}

// Sender POSTs events. It is safe for concurrent use.
type Sender struct {
	client    *resty.Client
	userAgent string
	proxy     func(*http.Request) (*url.URL, error) // the transport's, when the Sender made it
	dialer    *net.Dialer

	mu      sync.Mutex
	refused map[string]bool // host:port whose last connection attempt failed (only with the Sender's own transport)
}

// NewSender returns a Sender. Redirects are not followed: a 3xx answer is a failed delivery like any
// other non-200.
func NewSender(cfg Config) *Sender {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "odsim"
	}
	s := &Sender{userAgent: cfg.UserAgent, dialer: &net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}}
	hc := cfg.Client
	if hc == nil {
		s.refused = map[string]bool{}
		s.proxy = http.ProxyFromEnvironment
		tr := &http.Transport{
			Proxy:               s.proxy,
			DialContext:         s.dial,
			DisableCompression:  true, // no Accept-Encoding: gzip, which Open Dental does not send
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		}
		if cfg.RootCAs != nil {
			tr.TLSClientConfig = &tls.Config{RootCAs: cfg.RootCAs}
		}
		hc = &http.Client{Transport: tr}
	}
	c := resty.NewWithClient(hc).
		SetTimeout(cfg.Timeout).
		SetRedirectPolicy(resty.RedirectPolicyFunc(func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		})).
		SetDoNotParseResponse(true).
		// resty adds Accept: <Content-Type> to JSON requests; Open Dental sends no Accept header.
		SetPreRequestHook(func(_ *resty.Client, r *http.Request) error {
			r.Header.Del("Accept")
			return nil
		})
	if cfg.Logger != nil {
		c.SetLogger(restyLogger{cfg.Logger})
	}
	s.client = c
	return s
}

// dial connects for the transport and remembers, per host:port, whether the last attempt failed.
func (s *Sender) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := s.dialer.DialContext(ctx, network, addr)
	if ctx.Err() != nil && err != nil {
		return nil, err // abandoned, not refused: nothing learnt about the endpoint
	}
	s.mu.Lock()
	if err != nil {
		s.refused[addr] = true
	} else {
		delete(s.refused, addr)
	}
	s.mu.Unlock()
	return c, err
}

// Reachable answers whether rawURL's endpoint takes connections, at the cost of at most one
// connection attempt: nil at once when the last attempt to its host and port connected (or there was
// none yet); otherwise it tries to connect, as the POST would, and returns the failure. A poller asks
// before it reads and encodes a window, so that a subscription whose endpoint is down costs a connect
// per attempt rather than a read of the database and a body built to be thrown away. It always
// answers nil for a URL that goes through a proxy, and with a Config.Client, whose connections the
// Sender does not see.
func (s *Sender) Reachable(ctx context.Context, rawURL string) error {
	if s.refused == nil {
		return nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil // the POST reports it
	}
	addr := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	s.mu.Lock()
	refused := s.refused[addr]
	s.mu.Unlock()
	if !refused {
		return nil
	}
	if p, err := s.proxy(&http.Request{URL: u}); err != nil || p != nil {
		return nil
	}
	c, err := s.dial(ctx, "tcp", addr)
	if err != nil {
		return describeError(err)
	}
	c.Close()
	return nil
}

// Send POSTs req and waits for the answer, the timeout or ctx's end. The response body is read and
// discarded so the connection can be reused.
func (s *Sender) Send(ctx context.Context, req Request) Result {
	r := s.client.R().
		SetContext(ctx).
		SetHeader("Authorization", req.CustomerKey).
		SetHeader("Workstation", req.Workstation).
		SetHeader("Event-Type", req.EventType).
		SetHeader("Content-Type", "application/json").
		SetHeader("User-Agent", s.userAgent).
		SetBody(req.Body)
	start := time.Now()
	resp, err := r.Post(req.URL)
	res := Result{Header: r.Header.Clone()}
	if r.RawRequest != nil {
		res.Header = r.RawRequest.Header.Clone() // as sent, after the client's own additions
	}
	if resp != nil && resp.RawResponse != nil {
		body := resp.RawBody()
		_, copyErr := io.Copy(io.Discard, io.LimitReader(body, 1<<20))
		body.Close()
		res.Status = resp.StatusCode()
		if err == nil && copyErr != nil {
			err = fmt.Errorf("read response: %w", copyErr)
		}
	}
	res.Latency = time.Since(start)
	if err != nil {
		res.Status = 0
		res.Err = describeError(err)
	}
	return res
}

// describeError turns transport failures into short messages a user recognises. The message drops the
// *url.Error's "Post <url>:" prefix (the URL may hold secrets, and the delivery log shows it masked
// beside the error), but the chain is kept: errors.Is and errors.As still see the cause.
func describeError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return &sendError{"timeout: no answer within the delivery timeout", err}
		}
		if errors.Is(err, context.Canceled) {
			return &sendError{"canceled: odsim is shutting down", err}
		}
		return &sendError{ue.Err.Error(), err}
	}
	switch {
	case errors.Is(err, context.Canceled):
		return &sendError{"canceled: odsim is shutting down", err}
	case errors.Is(err, context.DeadlineExceeded):
		return &sendError{"timeout: no answer within the delivery timeout", err}
	}
	return err
}

// sendError is a transport failure with a message of its own and its cause still in the chain.
type sendError struct {
	msg string
	err error
}

func (e *sendError) Error() string { return e.msg }
func (e *sendError) Unwrap() error { return e.err }

type restyLogger struct{ l *slog.Logger }

func (r restyLogger) Errorf(format string, v ...any) { r.l.Error(fmt.Sprintf(format, v...)) }
func (r restyLogger) Warnf(format string, v ...any)  { r.l.Debug(fmt.Sprintf(format, v...)) }
func (r restyLogger) Debugf(format string, v ...any) { r.l.Debug(fmt.Sprintf(format, v...)) }
