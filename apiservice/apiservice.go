// Package apiservice is the simulated Open Dental API Service as one running thing: it assembles the
// database (the embedded engine or the one a DSN names), the Subscriptions API, the poller, UI events,
// the control API, scenario runs, metrics and health on one HTTP listener.
//
// `odsim serve` parses its flags into a Config and calls Run; tests and the Go test kit call Start to
// get a running Service on free ports and Close it when they are done. Nothing here decides how Open
// Dental behaves: that lives in the packages it wires.
package apiservice

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/odsim/odsim/catalogue/openapi"
	"github.com/odsim/odsim/control"
	"github.com/odsim/odsim/deliveries"
	"github.com/odsim/odsim/metrics"
	"github.com/odsim/odsim/poller"
	"github.com/odsim/odsim/scenario"
	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/store/demo"
	"github.com/odsim/odsim/store/embedded"
	"github.com/odsim/odsim/subscriptions"
	"github.com/odsim/odsim/uievents"
	"github.com/odsim/odsim/webhook"
)

// DefaultListen is the API Service's address: Open Dental's API Service port on loopback.
const DefaultListen = "127.0.0.1:30223"

// Config is everything a Service is configured with. The zero value of a field means its default.
type Config struct {
	// DSN names the MySQL/MariaDB database; "" starts the embedded database on EmbeddedAddr.
	DSN string
	// Listen is the HTTP address (DefaultListen when ""); "127.0.0.1:0" picks a free port.
	Listen string
	// EmbeddedAddr is where the embedded database listens (embedded.DefaultAddr when "").
	EmbeddedAddr string
	// Demo loads the demo practice into the embedded database (ignored with a DSN).
	Demo bool
	// DemoAnchor is a day in the first week of the demo's appointment book (demo.BookStart of today
	// when zero).
	DemoAnchor time.Time

	// Workstations are the machine names odsim plays (DefaultWorkstation when empty).
	Workstations []string
	// Timeout is how long a receiver has to answer a POST (webhook.DefaultTimeout when 0).
	Timeout time.Duration
	// CAFiles are PEM files of certificate authorities trusted for https EndPointUrls besides the
	// system's (a test receiver's self-signed certificate, a company CA).
	CAFiles []string
	// WindowLag ends poll windows at least that long before the database's NOW() (see poller.Config).
	WindowLag time.Duration
	// Reproduce lists Open Dental failure modes the poller reproduces instead of avoiding.
	Reproduce poller.Failures
	// APIKeys, when set, are the only DeveloperKey/CustomerKey pairs the Subscriptions API accepts.
	APIKeys []string
	// ControlToken, when set, is required on the control API, which then answers on every address.
	ControlToken string
	// AllowedHosts are the Host names, besides loopback ones, that the control API answers (and, on a
	// loopback listener, the Subscriptions API). A specific --listen host is allowed without listing it.
	AllowedHosts []string
	// AllowSQL lets scenarios with sql: steps run through the control API. With a listener that is not
	// loopback only, it needs ControlToken.
	AllowSQL bool
	// HTTP bounds the listener's clients: timeouts and caps.
	HTTP HTTPLimits

	// Subscribe are subscriptions created at start unless an identical one exists, owned by
	// SubscribeKey.
	Subscribe    []subscriptions.Spec
	SubscribeKey string

	// DeliveryLog is how much of the delivery log is kept in memory, and where it is recorded.
	DeliveryLog DeliveryLogConfig

	// Logger receives odsim's log; nil discards it.
	Logger *slog.Logger
	// Version is odsim's version, sent in the User-Agent of every POST.
	Version string
}

// DeliveryLogConfig is how a Service keeps and records delivery attempts.
type DeliveryLogConfig struct {
	Size   int    // records kept in memory (deliveries.DefaultCapacity when 0)
	Bytes  int64  // memory for bodies and keys (deliveries.DefaultDetailBytes when 0)
	Record string // JSONL file every attempt is appended to; "" records nothing
	// RecordMaxBytes is the size at which Record is moved to Record.1 (deliveries.DefaultRecordMaxBytes
	// when 0), so that at most twice that is on disk.
	RecordMaxBytes int64
}

// DefaultWorkstation is the host name upper-cased, as Windows shows machine names.
func DefaultWorkstation() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "ODSIM"
	}
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	return strings.ToUpper(h)
}

// withDefaults fills the zero fields of c.
func (c Config) withDefaults() Config {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.EmbeddedAddr == "" {
		c.EmbeddedAddr = embedded.DefaultAddr
	}
	if len(c.Workstations) == 0 {
		c.Workstations = []string{DefaultWorkstation()}
	}
	if c.Timeout == 0 {
		c.Timeout = webhook.DefaultTimeout
	}
	if c.DeliveryLog.Size == 0 {
		c.DeliveryLog.Size = deliveries.DefaultCapacity
	}
	if c.DeliveryLog.Bytes == 0 {
		c.DeliveryLog.Bytes = deliveries.DefaultDetailBytes
	}
	if c.DeliveryLog.RecordMaxBytes == 0 {
		c.DeliveryLog.RecordMaxBytes = deliveries.DefaultRecordMaxBytes
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	c.HTTP = c.HTTP.withDefaults()
	return c
}

// validate refuses settings that cannot work together.
func (c Config) validate() error {
	if c.AllowSQL && c.ControlToken == "" && !loopbackHost(c.Listen) {
		return fmt.Errorf("--allow-sql with --listen %s needs --control-token: on an address other machines can reach, raw SQL must never be one unauthenticated request away", c.Listen)
	}
	for _, h := range c.AllowedHosts {
		if _, err := control.NormalizeHost(h); err != nil {
			return err
		}
	}
	return nil
}

// loopbackHost reports whether addr (host:port) names a loopback address or localhost only; any other
// name, and an empty or unspecified host (every interface), is not.
func loopbackHost(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	return strings.EqualFold(host, "localhost")
}

// allowedHosts are cfg's AllowedHosts and the --listen host, when it names one address or name (a
// client that reaches odsim there sends it as Host).
func (c Config) allowedHosts() []string {
	out := append([]string(nil), c.AllowedHosts...)
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil || host == "" {
		return out
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return out
	}
	if _, err := control.NormalizeHost(host); err == nil {
		out = append(out, host)
	}
	return out
}

// Service is a running simulated API Service.
type Service struct {
	cfg        Config
	log        *slog.Logger
	ln         net.Listener
	db         *store.DB
	dsn        string
	embedded   *embedded.Server // nil with a DSN
	loopback   bool             // the listener is on a loopback address only
	subscribed []Subscribed

	rootCAs   *x509.CertPool // nil: the system's
	dlog      *deliveries.Log
	record    *deliveries.RecordFile
	ui        *uievents.Workstations
	poller    *poller.Poller
	scenarios *scenario.Manager
	http      *http.Server

	cancel   context.CancelFunc
	pollDone chan error
	httpDone chan error
	stopped  chan struct{} // closed when Close began
	closed   chan struct{} // closed when Close ended
	closeErr error
}

// Subscribed is a subscription created (or found) at start from Config.Subscribe.
type Subscribed struct {
	Subscription subscriptions.Subscription
	Existing     bool // an identical subscription was there already; nothing was created
}

// Start starts a Service and returns once it is ready: the listener is bound, the database answers
// with the Open Dental schema (and the demo practice when asked), the --subscribe subscriptions exist,
// and the poller and the HTTP server run. The Service runs until Close, or until ctx ends and Close is
// called. On error nothing is left running.
func Start(ctx context.Context, cfg Config) (_ *Service, err error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, log: cfg.Logger, stopped: make(chan struct{}), closed: make(chan struct{})}
	var undo []func()
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
	}()

	// Bind the API's port first: a port in use is the most common start-up failure.
	if s.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", cfg.Listen, listenCause(err))
	}
	undo = append(undo, func() { s.ln.Close() })
	s.loopback = s.ln.Addr().(*net.TCPAddr).IP.IsLoopback()
	s.ln = newLimitListener(s.ln, cfg.HTTP.MaxConnections, s.log)

	if s.rootCAs, err = loadCAs(cfg.CAFiles); err != nil {
		return nil, err
	}
	if err := s.openDatabase(ctx); err != nil {
		return nil, err
	}
	undo = append(undo, s.closeDatabase)

	if s.subscribed, err = Subscribe(ctx, s.db, cfg.SubscribeKey, cfg.Subscribe); err != nil {
		return nil, err
	}
	if err := s.openDeliveryLog(); err != nil {
		return nil, err
	}
	undo = append(undo, s.closeRecording)

	if err := s.assemble(); err != nil {
		return nil, err
	}
	undo = append(undo, func() { closeUIEvents(s.ui); s.scenarios.Close() })

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	s.pollDone = make(chan error, 1)
	s.httpDone = make(chan error, 1)
	go func() { s.pollDone <- s.poller.Run(runCtx) }()
	go func() { s.httpDone <- s.http.Serve(s.ln) }()
	return s, nil
}

// openDatabase starts the embedded database when no DSN is given, connects, creates the missing Open
// Dental tables and loads the demo practice into the embedded database.
func (s *Service) openDatabase(ctx context.Context) error {
	cfg := s.cfg
	s.dsn = cfg.DSN
	if s.dsn == "" {
		srv, err := embedded.Start(ctx, embedded.Config{Addr: cfg.EmbeddedAddr, Logger: s.log})
		if err != nil {
			return fmt.Errorf("%w (is another odsim running? pass --embedded-addr 127.0.0.1:0 or --dsn)", err)
		}
		s.embedded = srv
		s.dsn = srv.DSN()
	}
	db, err := store.Open(ctx, s.dsn, store.WithLogger(s.log))
	if err != nil {
		s.closeDatabase()
		return err
	}
	s.db = db
	created, err := db.Apply(ctx)
	if err != nil {
		s.closeDatabase()
		return err
	}
	if len(created) > 0 {
		s.log.Info("created Open Dental tables", "tables", strings.Join(created, ","))
	}
	if s.embedded != nil && cfg.Demo {
		anchor := cfg.DemoAnchor
		if anchor.IsZero() {
			anchor = demo.BookStart(time.Now())
		}
		sum, err := demo.Load(ctx, db.SQL(), demo.Options{Anchor: anchor})
		if err != nil {
			s.closeDatabase()
			return fmt.Errorf("load demo practice: %w", err)
		}
		s.log.Info("loaded the demo practice", "summary", sum.String())
	}
	return nil
}

func (s *Service) closeDatabase() {
	if s.db != nil {
		s.db.Close()
	}
	if s.embedded != nil {
		s.embedded.Close()
	}
}

// openDeliveryLog creates the delivery log and opens the recording file.
func (s *Service) openDeliveryLog() error {
	c := s.cfg.DeliveryLog
	dc := deliveries.Config{Capacity: c.Size, DetailBytes: c.Bytes, Logger: s.log}
	if c.Record != "" {
		f, err := deliveries.OpenRecordFile(c.Record, c.RecordMaxBytes, s.log)
		if err != nil {
			return fmt.Errorf("--record: %w", err)
		}
		s.record = f
		dc.Recording = f
		s.log.Info("recording every delivery attempt", "file", c.Record, "rotated_at_bytes", c.RecordMaxBytes)
	}
	s.dlog = deliveries.New(dc)
	return nil
}

// closeRecording closes the recording file and logs a failure to do so, since the service is ending.
func (s *Service) closeRecording() {
	if s.record == nil {
		return
	}
	if err := s.record.Close(); err != nil {
		s.log.Error("closing the delivery recording failed; its last lines may be lost", "file", s.cfg.DeliveryLog.Record, "error", err)
	}
}

// assemble builds the sender, UI events, the poller, scenario runs and the HTTP routes.
func (s *Service) assemble() error {
	cfg := s.cfg
	sender := webhook.NewSender(webhook.Config{Timeout: cfg.Timeout, UserAgent: "odsim/" + cfg.Version, Logger: s.log, RootCAs: s.rootCAs})
	met := metrics.New()
	s.ui = uievents.New(uievents.Config{Workstations: cfg.Workstations, Observe: observeUI(s.dlog, met)}, s.db, sender)
	s.poller = poller.New(poller.Config{Workstations: cfg.Workstations, WindowLag: cfg.WindowLag, Reproduce: cfg.Reproduce, Logger: s.log,
		Observe: observeDatabase(s.dlog, met)}, s.db, sender)
	s.scenarios = scenario.NewManager(scenario.ManagerConfig{DB: s.db.SQL(), Selector: selector(s.ui), Logger: s.log,
		MaxRunning: cfg.HTTP.MaxScenarioRuns})
	routes, err := s.routes(met)
	if err != nil {
		return err
	}
	s.http = &http.Server{
		Handler:           cfg.HTTP.bounded(routes),
		ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return nil
}

// routes lists every route of the listener: Open Dental's Subscriptions API, odsim's control API,
// metrics and health.
func (s *Service) routes(met *metrics.Metrics) (http.Handler, error) {
	cfg := s.cfg
	hosts := cfg.allowedHosts()
	mux := http.NewServeMux()
	api := subscriptions.NewHandler(s.db, subscriptions.HandlerOptions{APIKeys: cfg.APIKeys, Logger: s.log})
	if s.loopback {
		// On loopback only, no other name can be meant: a Host that is not this machine is a page on
		// a DNS-rebinding domain, which must not subscribe a URL of its own to the practice's rows.
		g, err := control.NewGuard(control.GuardConfig{AllowedHosts: hosts})
		if err != nil {
			return nil, err
		}
		api = g.HostOnly(api)
	}
	mux.Handle(subscriptions.Path, api)
	mux.Handle(subscriptions.Path+"/", api)
	err := control.Register(mux,
		control.Services{Poller: s.poller, Pollable: s.db, Workstations: s.ui, Log: s.dlog, Clock: s.db, Scenarios: s.scenarios,
			Database: s.databaseInfo},
		control.Options{Logger: s.log, Token: cfg.ControlToken, AllowedHosts: hosts, AllowSQL: cfg.AllowSQL,
			MaxLongPolls: cfg.HTTP.MaxLongPolls})
	if err != nil {
		return nil, err
	}
	mux.Handle("GET /metrics", met.Handler())
	mux.Handle("GET "+openapi.Path, openapi.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.db.Now(r.Context()); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return mux, nil
}

// Addr is the address the API listens on, e.g. 127.0.0.1:30223.
func (s *Service) Addr() string { return s.ln.Addr().String() }

// URL is the base URL of the listener, e.g. http://127.0.0.1:30223 (the Subscriptions API is under
// /api/v1, the control API under /odsim/v1).
func (s *Service) URL() string { return "http://" + s.Addr() }

// DSN is the database odsim polls.
func (s *Service) DSN() string { return s.dsn }

// DB is the database odsim polls.
func (s *Service) DB() *store.DB { return s.db }

// EmbeddedAddr is where the embedded database listens; "" when odsim uses a DSN.
func (s *Service) EmbeddedAddr() string {
	if s.embedded == nil {
		return ""
	}
	return s.embedded.Addr()
}

// Workstations are the machine names odsim plays.
func (s *Service) Workstations() []string { return s.cfg.Workstations }

// Subscribed are the subscriptions of Config.Subscribe, as created or found at start.
func (s *Service) Subscribed() []Subscribed { return s.subscribed }

// Wait blocks until the Service stops: it returns nil after Close, or the error that stopped the HTTP
// server or the poller (the Service is then closed).
func (s *Service) Wait() error {
	var err error
	select {
	case <-s.stopped:
	case e := <-s.httpDone:
		s.httpDone <- e
		err = fmt.Errorf("api server: %w", e)
	case e := <-s.pollDone:
		s.pollDone <- e // Close waits for it
		if e == nil {
			e = errors.New("stopped unexpectedly")
		}
		err = fmt.Errorf("poller: %w", e)
	}
	select {
	case <-s.stopped:
		err = nil // Close was called: whatever ended, ended because of it
	default:
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

// Close stops the Service: the HTTP server stops taking requests (those in flight get up to 5 s), the
// poller finishes or abandons the POSTs in flight (cursors move only past delivered rows), UI events in
// flight get a few seconds, then the database closes. It is safe to call more than once.
func (s *Service) Close() error {
	select {
	case <-s.stopped:
		<-s.closed
		return s.closeErr
	default:
	}
	close(s.stopped)
	defer close(s.closed)
	s.log.Info("shutting down: finishing or abandoning POSTs in flight; cursors move only past delivered rows")
	shutCtx, shutCancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer shutCancel()
	shutErr := s.http.Shutdown(shutCtx)
	s.cancel()
	<-s.pollDone
	closeUIEvents(s.ui)
	s.scenarios.Close()
	s.closeRecording()
	s.closeDatabase()
	if shutErr != nil && !errors.Is(shutErr, context.DeadlineExceeded) {
		s.closeErr = fmt.Errorf("shut down api server: %w", shutErr)
	}
	return s.closeErr
}

// Run starts a Service, calls ready (when not nil) once it is, and runs it until ctx ends or the
// Service fails.
func Run(ctx context.Context, cfg Config, ready func(*Service)) error {
	s, err := Start(ctx, cfg)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(s)
	}
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	return s.Wait()
}

// listenCause reduces a listen error to what a user can act on.
func listenCause(err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return errors.New("address already in use (another odsim or program has the port; choose another with --listen)")
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}
