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
	"net/http"
	"net/url"
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
	hc := cfg.Client
	if hc == nil {
		tr := &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
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
	return &Sender{client: c, userAgent: cfg.UserAgent}
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

// describeError turns transport failures into short messages a user recognises.
func describeError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("timeout: no answer within the delivery timeout")
		}
		err = ue.Err
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("canceled: odsim is shutting down")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("timeout: no answer within the delivery timeout")
	}
	return err
}

type restyLogger struct{ l *slog.Logger }

func (r restyLogger) Errorf(format string, v ...any) { r.l.Error(fmt.Sprintf(format, v...)) }
func (r restyLogger) Warnf(format string, v ...any)  { r.l.Debug(fmt.Sprintf(format, v...)) }
func (r restyLogger) Debugf(format string, v ...any) { r.l.Debug(fmt.Sprintf(format, v...)) }
