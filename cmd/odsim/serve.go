package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/odsim/odsim/apiservice"
	"github.com/odsim/odsim/poller"
	"github.com/odsim/odsim/store/embedded"
	"github.com/odsim/odsim/webhook"
)

// serveConfig is everything `odsim serve` is configured with.
type serveConfig struct {
	dsn          string
	listen       string
	embeddedAddr string
	workstations []string
	timeout      time.Duration
	caFiles      []string
	windowLag    time.Duration
	reproduce    []string // Open Dental failure modes (poller.Failures)
	apiKeys      []string // the only key pairs accepted when set (from apiKeyFlags)
	controlToken string   // required on /odsim/v1 when set; else the control API is loopback-only
	apiKeyFlags  secretFlags
	tokenFlags   secretFlags
	logLevel     string
	logFormat    string

	demo          bool     // load the demo practice into the embedded database
	subscribe     []string // [Table,...=]URL values of --subscribe
	subscribeKey  string   // customer key of --subscribe subscriptions
	subscribePoll int      // PollingSeconds of --subscribe subscriptions

	deliveryLog deliveryLogConfig // --delivery-log-size, --delivery-log-bytes, --record (serve_control.go)
	security    securityConfig    // --allowed-host, --allow-sql (serve_security.go)
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
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serve(cmd.Context(), e, cfg, cmd.Flags())
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.dsn, "dsn", "", "MySQL/MariaDB database, as user:password@tcp(host:port)/opendental (default: the embedded database)")
	f.StringVar(&cfg.listen, "listen", apiservice.DefaultListen, "address of the Open Dental API (the API Service's port)")
	f.StringVar(&cfg.embeddedAddr, "embedded-addr", embedded.DefaultAddr, "where the embedded database listens when no --dsn is given")
	f.StringSliceVar(&cfg.workstations, "workstation", []string{apiservice.DefaultWorkstation()}, "machine name(s) odsim plays; repeat or comma-separate to simulate several machines")
	f.DurationVar(&cfg.timeout, "timeout", webhook.DefaultTimeout, "how long a receiver has to answer a POST before it counts as failed")
	f.StringArrayVar(&cfg.caFiles, "ca-file", nil, "trust the certificate authorities in this PEM `file` for https EndPointUrls, besides the system's (repeatable; one per line in the variable; SSL_CERT_FILE replaces the system's instead)")
	f.DurationVar(&cfg.windowLag, "window-lag", 0, "end each poll window at least this long before the database's NOW() (windows already end before writes still running; without the PROCESS privilege, 5s unless set)")
	f.StringArrayVar(&cfg.reproduce, "reproduce", nil, "reproduce the Open Dental failure mode `name` (repeatable; one per line in the variable): "+poller.FailureHelp())
	registerSecret(f, &cfg.apiKeyFlags, "api-key", true, "accept only this `DeveloperKey/CustomerKey` pair on the API (repeatable; one per line in the variable; default: any well-formed key)")
	registerSecret(f, &cfg.tokenFlags, "control-token", false, "require Authorization: Bearer `token` on the control API (/odsim/v1) and serve it on every address; without it only loopback may use it")
	f.BoolVar(&cfg.demo, "demo", true, "load the demo practice into the embedded database at start (ignored with --dsn; see odsim seed demo)")
	f.StringArrayVar(&cfg.subscribe, "subscribe", nil, "subscribe URL at start-up, as [Table,Table=]URL (repeatable; default every WatchTable and PatientSelected)")
	f.StringVar(&cfg.subscribeKey, "subscribe-key", publicCustomerKey, "customer key that owns the --subscribe subscriptions")
	f.IntVar(&cfg.subscribePoll, "subscribe-polling-seconds", 1, "PollingSeconds of the --subscribe subscriptions")
	f.StringVar(&cfg.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&cfg.logFormat, "log-format", "text", "log format: text or json")
	cfg.deliveryLog.register(f)
	cfg.security.register(f)
	// Every flag of serve is a setting of the service, read from its ODSIM_* variable when not given
	// (the secrets were marked by registerSecret).
	f.VisitAll(func(fl *pflag.Flag) {
		if settingVar(fl) == "" && fl.Name != "help" {
			settings(f, fl.Name)
		}
	})
	return cmd
}

func (c serveConfig) validate() error {
	if c.timeout <= 0 {
		return fmt.Errorf("--timeout must be positive, got %s", c.timeout)
	}
	if c.windowLag < 0 {
		return fmt.Errorf("--window-lag must not be negative, got %s", c.windowLag)
	}
	if _, err := poller.ParseFailures(c.reproduce); err != nil {
		return err
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
	if err := c.security.validate(); err != nil {
		return err
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

// serviceConfig turns the flags into the service's configuration.
func (c serveConfig) serviceConfig(log *slog.Logger) (apiservice.Config, error) {
	specs, err := parseSubscribeFlags(c.subscribe, c.subscribePoll)
	if err != nil {
		return apiservice.Config{}, err
	}
	reproduce, err := poller.ParseFailures(c.reproduce)
	if err != nil {
		return apiservice.Config{}, err
	}
	return apiservice.Config{
		DSN:          c.dsn,
		Listen:       c.listen,
		EmbeddedAddr: c.embeddedAddr,
		Demo:         c.demo,
		Workstations: c.workstations,
		Timeout:      c.timeout,
		CAFiles:      c.caFiles,
		WindowLag:    c.windowLag,
		Reproduce:    reproduce,
		APIKeys:      c.apiKeys,
		ControlToken: c.controlToken,
		AllowedHosts: c.security.allowedHosts,
		AllowSQL:     c.security.allowSQL,
		Subscribe:    specs,
		SubscribeKey: c.subscribeKey,
		DeliveryLog: apiservice.DeliveryLogConfig{
			Size:   c.deliveryLog.size,
			Bytes:  int64(c.deliveryLog.bytes),
			Record: c.deliveryLog.record,

			RecordMaxBytes: int64(c.deliveryLog.recordSize),
		},
		Logger:  log,
		Version: shortVersion(),
	}, nil
}

func serve(ctx context.Context, e env, cfg serveConfig, f *pflag.FlagSet) error {
	var err error
	if cfg.apiKeys, err = cfg.apiKeyFlags.resolve(f); err != nil {
		return err
	}
	if cfg.controlToken, err = cfg.tokenFlags.one(f); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	log, err := newLogger(e, cfg.logLevel, cfg.logFormat)
	if err != nil {
		return err
	}
	sc, err := cfg.serviceConfig(log)
	if err != nil {
		return err
	}
	return apiservice.Run(ctx, sc, func(s *apiservice.Service) {
		printSubscribed(e, s.Subscribed())
		dbDesc := "MySQL database from --dsn"
		if a := s.EmbeddedAddr(); a != "" {
			dbDesc = fmt.Sprintf("embedded database: mysql -h127.0.0.1 -P%s -uroot opendental", portOf(a))
		}
		fmt.Fprintf(e.stdout, "odsim %s: Open Dental API at http://%s/api/v1 as workstation %s\n  %s\n",
			shortVersion(), s.Addr(), strings.Join(s.Workstations(), ","), dbDesc)
	})
}

func portOf(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return port
}
