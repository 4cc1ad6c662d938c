// Package embedded holds odsim's embedded database: an in-process, in-memory MySQL-compatible server
// (github.com/dolthub/go-mysql-server) that speaks the MySQL wire protocol on a loopback port.
//
// It exists so that `odsim serve` works on a machine without MySQL or MariaDB: odsim, the user's own
// `mysql`/`mariadb` client and GUI tools all reach it over TCP exactly as they would reach a real server,
// so odsim's queries take the same code path (go-sql-driver/mysql) against both.
//
// The engine is adjusted where it would otherwise make odsim behave differently from Open Dental on
// MariaDB (see plans.go, lenient.go and engine.go): ON UPDATE CURRENT_TIMESTAMP columns change only when
// a row really changes, `SET timestamp` pins NOW(), sessions start with Open Dental's empty sql_mode and
// writes then follow MySQL's non-strict rules (implicit defaults, cut strings, zero dates, clipped
// numbers), statements and transactions run one at a time (the engine's tables lose concurrent writes
// otherwise), and plain secondary indexes are not built (they make every write cost rows² in this engine
// and speed nothing up). The engine's REGEXP comes from a patched copy of go-icu-regex (icuregex/) that
// compiles its WebAssembly module on first use instead of at every program start.
//
// Limits: everything lives in memory and is lost when the process exits; writes cost time proportional
// to the table's rows, so the engine suits the demo practice (a few thousand rows per table), not bulk
// data. The README lists the SQL it does not accept like MariaDB does.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
)

// Defaults of Config, as fixed by odsim's design: one port above MySQL's so both can run side by side.
const (
	DefaultAddr     = "127.0.0.1:3307"
	DefaultDatabase = "opendental"
)

// Config says where the embedded server listens and which database it creates at start.
type Config struct {
	// Addr is the TCP host:port to listen on; "127.0.0.1:0" picks a free port (see Server.Addr).
	Addr string
	// Database is created empty at start; odsim applies the schema to it afterwards. Clients may
	// create more databases with CREATE DATABASE.
	Database string
	// Logger receives the engine's own diagnostics at debug level; nil discards them.
	Logger *slog.Logger
	// LockWait is how long a statement waits while another connection holds a transaction open before
	// it fails with MySQL's error 1205; zero means DefaultLockWait.
	LockWait time.Duration
}

// DefaultLockWait bounds the wait for another connection's transaction. It is shorter than InnoDB's 50 s
// so that a transaction left open in a client shows up as an error in odsim's log quickly.
const DefaultLockWait = 10 * time.Second

// Server is a running embedded database. Its data lives only as long as the Server.
type Server struct {
	addr     string
	database string
	engine   *sqle.Engine
	srv      *server.Server
	ln       *trackingListener
	done     chan struct{}
}

// Start listens on cfg.Addr and serves an in-memory engine holding the empty database cfg.Database.
// There are no accounts: any user name and password are accepted (DSN uses root without a password),
// which is why the default address is loopback only. The listener is bound before Start returns, so
// DSN() is usable at once.
// A port already in use fails with "embedded database: listen ADDR: address already in use".
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.Database == "" {
		cfg.Database = DefaultDatabase
	}
	if cfg.LockWait <= 0 {
		cfg.LockWait = DefaultLockWait
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	var lc net.ListenConfig
	nl, err := lc.Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("embedded database: listen %s: %w", cfg.Addr, listenCause(err))
	}
	ln := &trackingListener{Listener: nl, conns: map[*trackedConn]struct{}{}}

	engine, pro := newEngine()
	if err := createDatabase(engine, pro, cfg.Database); err != nil {
		nl.Close()
		return nil, fmt.Errorf("embedded database: %w", err)
	}
	g := newGate(cfg.LockWait)
	gated := func(h mysql.Handler) (mysql.Handler, error) { return &gatedHandler{Handler: h, gate: g}, nil }
	srv, err := server.NewServerWithHandler(server.Config{
		Protocol: "tcp",
		Address:  nl.Addr().String(),
		Listener: ln,
	}, engine, newContext, sessionBuilder(pro, logger, g), nil, gated)
	if err != nil {
		nl.Close()
		return nil, fmt.Errorf("embedded database: start server: %w", err)
	}
	routeProcessLogger(logger)

	s := &Server{
		addr:     nl.Addr().String(),
		database: cfg.Database,
		engine:   engine,
		srv:      srv,
		ln:       ln,
		done:     make(chan struct{}),
	}
	// Listener.Accept is called directly instead of server.Start, which only adds log lines.
	go func() {
		defer close(s.done)
		srv.Listener.Accept()
	}()
	logger.Debug("embedded database listening", "addr", s.addr, "database", s.database)
	return s, nil
}

// Addr is the address the server really listens on (the chosen port when Config.Addr ended in ":0").
func (s *Server) Addr() string { return s.addr }

// DSN is a go-sql-driver/mysql DSN for the server's database as user root without a password.
func (s *Server) DSN() string { return "root@tcp(" + s.addr + ")/" + s.database }

// Close stops accepting connections, closes the open ones and waits for the accept loop to end.
// All data is discarded.
func (s *Server) Close() error {
	s.srv.Listener.Close()
	s.ln.closeConns()
	<-s.done
	// The engine's background threads report the cancellation that stops them.
	if err := s.engine.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("embedded database: close: %w", err)
	}
	return nil
}

// createDatabase runs CREATE DATABASE through the engine so the provider sets the database up exactly
// as a client's CREATE DATABASE would.
func createDatabase(engine *sqle.Engine, pro *memory.DbProvider, name string) error {
	ctx := sql.NewContext(context.Background(), sql.WithSession(memory.NewSession(sql.NewBaseSession(), pro)))
	_, iter, _, err := engine.Query(ctx, "CREATE DATABASE IF NOT EXISTS `"+name+"`")
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	if _, err := sql.RowIterToRows(ctx, iter); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// listenCause reduces a net.Listen error to its operating-system cause ("address already in use"),
// because the caller's message already names the address.
func listenCause(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}

// trackingListener remembers accepted connections so Close can end them: go-mysql-server's own Close
// only stops accepting, which would leave clients connected to a server that is gone.
type trackingListener struct {
	net.Listener
	mu     sync.Mutex
	conns  map[*trackedConn]struct{}
	closed bool
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		c.Close()
		return nil, net.ErrClosed
	}
	tc := &trackedConn{Conn: c, l: l}
	l.conns[tc] = struct{}{}
	return tc, nil
}

func (l *trackingListener) closeConns() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for c := range l.conns {
		c.Conn.Close()
	}
	clear(l.conns)
}

func (l *trackingListener) forget(c *trackedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.conns, c)
}

type trackedConn struct {
	net.Conn
	l    *trackingListener
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { c.l.forget(c) })
	return c.Conn.Close()
}
