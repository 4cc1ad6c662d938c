package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/odsim/odsim/control"
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

// serveConfig is everything `odsim serve` is configured with.
type serveConfig struct {
	dsn          string
	listen       string
	embeddedAddr string
	workstations []string
	timeout      time.Duration
	windowLag    time.Duration
	apiKeys      []string
	controlToken string // required on /odsim/v1 when set; else the control API is loopback-only
	logLevel     string
	logFormat    string

	demo          bool     // load the demo practice into the embedded database
	subscribe     []string // [Table,...=]URL values of --subscribe
	subscribeKey  string   // customer key of --subscribe subscriptions
	subscribePoll int      // PollingSeconds of --subscribe subscriptions

	deliveryLog deliveryLogConfig // --delivery-log-size, --delivery-log-bytes, --record (serve_control.go)
}

func newServeCmd(e env) *cobra.Command {
	var cfg serveConfig
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the simulated Open Dental API Service",
		Long: `Run the simulated Open Dental API Service.

odsim serves Open Dental's Subscriptions API at http://LISTEN/api/v1/subscriptions, and every
second polls the database for subscriptions that are due, POSTing changed rows to their
EndPointUrl exactly as Open Dental does.

Without --dsn, odsim starts an embedded MySQL-compatible database (in memory) on
--embedded-addr with the Open Dental schema, so any MySQL client can change rows.
With --dsn it uses your MySQL/MariaDB database and creates only the tables it lacks.`,
		Example: `  odsim serve
  odsim serve --dsn 'root:secret@tcp(127.0.0.1:3306)/opendental' --workstation MOLLYR
  ODSIM_DSN='root@tcp(db:3306)/opendental' odsim serve --listen 0.0.0.0:30223`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serve(cmd.Context(), e, cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.dsn, "dsn", "", "MySQL/MariaDB database, as user:password@tcp(host:port)/opendental (default: the embedded database)")
	f.StringVar(&cfg.listen, "listen", "127.0.0.1:30223", "address of the Open Dental API (the API Service's port)")
	f.StringVar(&cfg.embeddedAddr, "embedded-addr", embedded.DefaultAddr, "where the embedded database listens when no --dsn is given")
	f.StringSliceVar(&cfg.workstations, "workstation", []string{defaultWorkstation()}, "machine name(s) odsim plays; repeat or comma-separate to simulate several machines")
	f.DurationVar(&cfg.timeout, "timeout", webhook.DefaultTimeout, "how long a receiver has to answer a POST before it counts as failed")
	f.DurationVar(&cfg.windowLag, "window-lag", 0, "end each poll window this long before the database's NOW(), so rows of writes still running at the poll are not skipped (an improvement over Open Dental; 0 = as Open Dental)")
	f.StringArrayVar(&cfg.apiKeys, "api-key", nil, "accept only this DeveloperKey/CustomerKey pair on the API (repeatable; default: any well-formed key)")
	f.StringVar(&cfg.controlToken, "control-token", "", "require Authorization: Bearer `token` on the control API (/odsim/v1) and serve it on every address; without it only loopback may use it")
	f.BoolVar(&cfg.demo, "demo", true, "load the demo practice into the embedded database at start (ignored with --dsn; see odsim seed demo)")
	f.StringArrayVar(&cfg.subscribe, "subscribe", nil, "subscribe URL at start-up, as [Table,Table=]URL (repeatable; default every WatchTable and PatientSelected)")
	f.StringVar(&cfg.subscribeKey, "subscribe-key", publicCustomerKey, "customer key that owns the --subscribe subscriptions")
	f.IntVar(&cfg.subscribePoll, "subscribe-polling-seconds", 1, "PollingSeconds of the --subscribe subscriptions")
	f.StringVar(&cfg.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&cfg.logFormat, "log-format", "text", "log format: text or json")
	cfg.deliveryLog.register(f)
	return cmd
}

// defaultWorkstation is the host name upper-cased, as Windows shows machine names.
func defaultWorkstation() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "ODSIM"
	}
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	return strings.ToUpper(h)
}

func (c serveConfig) validate() error {
	if c.timeout <= 0 {
		return fmt.Errorf("--timeout must be positive, got %s", c.timeout)
	}
	if c.windowLag < 0 {
		return fmt.Errorf("--window-lag must not be negative, got %s", c.windowLag)
	}
	if len(c.workstations) == 0 {
		return errors.New("--workstation needs at least one machine name")
	}
	for _, w := range c.workstations {
		if strings.TrimSpace(w) == "" || len(w) > 255 {
			return fmt.Errorf("--workstation %q: a machine name must be 1 to 255 characters", w)
		}
	}
	if _, err := parseSubscribeFlags(c.subscribe, c.subscribePoll); err != nil {
		return err
	}
	for _, k := range c.apiKeys {
		if dev, cust, ok := strings.Cut(k, "/"); !ok || dev == "" || cust == "" || strings.Contains(cust, "/") {
			return fmt.Errorf("--api-key %q: expected DeveloperKey/CustomerKey", k)
		}
	}
	return c.deliveryLog.validate()
}

func newLogger(e env, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", format)
}

func serve(ctx context.Context, e env, cfg serveConfig) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	log, err := newLogger(e, cfg.logLevel, cfg.logFormat)
	if err != nil {
		return err
	}
	// Bind the API's port first: a port in use is the most common start-up failure.
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", cfg.listen, listenCause(err))
	}
	defer ln.Close()

	dsn := cfg.dsn
	dbDesc := "MySQL database from --dsn"
	if dsn == "" {
		srv, err := embedded.Start(ctx, embedded.Config{Addr: cfg.embeddedAddr, Logger: log})
		if err != nil {
			return fmt.Errorf("%w (is another odsim running? pass --embedded-addr 127.0.0.1:0 or --dsn)", err)
		}
		defer srv.Close()
		dsn = srv.DSN()
		dbDesc = fmt.Sprintf("embedded database: mysql -h127.0.0.1 -P%s -uroot opendental", portOf(srv.Addr()))
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	created, err := db.Apply(ctx)
	if err != nil {
		return err
	}
	if len(created) > 0 {
		log.Info("created Open Dental tables", "tables", strings.Join(created, ","))
	}
	if cfg.dsn == "" && cfg.demo {
		sum, err := demo.Load(ctx, db.SQL(), demo.Options{Anchor: bookStart(time.Now())})
		if err != nil {
			return fmt.Errorf("load demo practice: %w", err)
		}
		log.Info("loaded the demo practice", "summary", sum.String())
	}
	if err := subscribeAtStart(ctx, e, db, cfg); err != nil {
		return err
	}

	sender := webhook.NewSender(webhook.Config{Timeout: cfg.timeout, UserAgent: "odsim/" + version, Logger: log})
	// Delivery log, UI events and the control API (serve_control.go).
	dlog, closeRecording, err := openDeliveryLog(cfg.deliveryLog, log)
	if err != nil {
		return err
	}
	defer closeRecording()
	met := metrics.New()
	ui := uievents.New(uievents.Config{Workstations: cfg.workstations, Observe: logUIDeliveries(dlog, met)}, db, sender)
	defer closeUIEvents(ui)

	p := poller.New(poller.Config{Workstations: cfg.workstations, WindowLag: cfg.windowLag, Logger: log, Observe: logDatabaseDeliveries(dlog, met)}, db, sender)

	mux := http.NewServeMux()
	subscriptions.Register(mux, db, subscriptions.HandlerOptions{APIKeys: cfg.apiKeys, Logger: log})
	control.Register(mux, control.Services{Poller: p, Workstations: ui, Log: dlog, Clock: db}, control.Options{Logger: log, Token: cfg.controlToken})
	scenarios := scenario.NewManager(scenario.ManagerConfig{DB: db.SQL(), Selector: uiSelector(ui), Logger: log})
	defer scenarios.Close()
	// Scenario runs (replay.go) are control routes: loopback only, or --control-token.
	scenarioMux := http.NewServeMux()
	scenario.Register(scenarioMux, scenarios)
	guarded := control.Guard(cfg.controlToken, scenarioMux)
	mux.Handle("/odsim/v1/scenarios", guarded)
	mux.Handle("/odsim/v1/scenarios/", guarded)
	mux.Handle("GET /metrics", met.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if _, err := db.Now(r.Context()); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	httpSrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}

	fmt.Fprintf(e.stdout, "odsim %s: Open Dental API at http://%s/api/v1 as workstation %s\n  %s\n",
		version, ln.Addr(), strings.Join(cfg.workstations, ","), dbDesc)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pollDone := make(chan error, 1)
	go func() { pollDone <- p.Run(ctx) }()
	httpDone := make(chan error, 1)
	go func() { httpDone <- httpSrv.Serve(ln) }()

	select {
	case <-ctx.Done():
	case err := <-httpDone:
		cancel()
		<-pollDone
		return fmt.Errorf("api server: %w", err)
	}
	log.Info("shutting down: finishing or abandoning POSTs in flight; cursors move only past delivered rows")
	shutCtx, shutCancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer shutCancel()
	shutErr := httpSrv.Shutdown(shutCtx)
	<-pollDone
	if shutErr != nil && !errors.Is(shutErr, context.DeadlineExceeded) {
		return fmt.Errorf("shut down api server: %w", shutErr)
	}
	return nil
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

func portOf(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return port
}
