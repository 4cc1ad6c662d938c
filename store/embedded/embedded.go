// Package embedded holds odsim's embedded database: an in-process, in-memory MySQL-compatible server
// (github.com/dolthub/go-mysql-server) that speaks the MySQL wire protocol on a loopback port.
//
// It exists so that `odsim serve` works on a machine without MySQL or MariaDB: odsim, the user's own
// `mysql`/`mariadb` client and GUI tools all reach it over TCP exactly as they would reach a real server,
// so odsim's queries take the same code path (go-sql-driver/mysql) against both.
//
// Everything lives in memory and is lost when the process exits. Writes cost time proportional to the
// table's size (see the README's limits), so the engine suits the demo practice, not bulk data.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"sync"
	"syscall"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/sirupsen/logrus"
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
	// Database is created empty at start; odsim applies the schema to it afterwards.
	Database string
	// Logger receives the engine's own diagnostics at debug level; nil discards them.
	Logger *slog.Logger
}

// Server is a running embedded database. Its data lives only as long as the Server.
type Server struct {
	addr     string
	database string
	srv      *server.Server
	ln       *trackingListener
	done     chan struct{}
}

// Start listens on cfg.Addr and serves an in-memory engine holding the empty database cfg.Database.
// The listener is bound before Start returns, so a DSN from DSN() is usable at once. A port already in use
// fails with "embedded database: listen ADDR: address already in use".
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.Database == "" {
		cfg.Database = DefaultDatabase
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
	ln := &trackingListener{Listener: nl, conns: map[net.Conn]struct{}{}}

	pro := memory.NewDBProviderWithOpts(memory.NativeIndexProvider(true)).(*memory.DbProvider)
	engine := sqle.NewDefault(pro)
	engine.Analyzer.ExecBuilder = onChangeExecBuilder{next: engine.Analyzer.ExecBuilder}
	if err := createDatabase(engine, pro, cfg.Database); err != nil {
		nl.Close()
		return nil, fmt.Errorf("embedded database: %w", err)
	}

	routeProcessLogger(logger)
	engineLog := newEngineLogger(logger)
	newSession := memory.NewSessionBuilder(pro)
	sessionBuilder := func(ctx context.Context, conn *mysql.Conn, addr string) (sql.Session, error) {
		sess, err := newSession(ctx, conn, addr)
		if err != nil {
			return nil, err
		}
		sess.SetLogger(logrus.NewEntry(engineLog))
		return sess, nil
	}

	srv, err := server.NewServer(server.Config{
		Protocol: "tcp",
		Address:  nl.Addr().String(),
		Listener: ln,
		// Advertise a MySQL 8 version so clients pick MySQL 8 behaviour (auth plugin, syntax).
		Version: "8.0.31-odsim-embedded",
	}, engine, newContext, sessionBuilder, nil)
	if err != nil {
		nl.Close()
		return nil, fmt.Errorf("embedded database: start server: %w", err)
	}

	s := &Server{
		addr:     nl.Addr().String(),
		database: cfg.Database,
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
	err := s.srv.Close()
	s.ln.closeConns()
	<-s.done
	if err != nil {
		return fmt.Errorf("embedded database: close: %w", err)
	}
	return nil
}

// newContext is the engine's per-query context factory. It adds what go-mysql-server lacks of MySQL's
// `SET timestamp = <unix seconds>`: the session's NOW(), CURRENT_TIMESTAMP defaults and ON UPDATE columns
// read that pinned time, so tests can pin the clock on the embedded engine exactly as on MariaDB.
// `SET timestamp = DEFAULT` returns to the real clock.
func newContext(ctx context.Context, opts ...sql.ContextOption) *sql.Context {
	c := sql.NewContext(ctx, opts...)
	if c.Session == nil {
		return c
	}
	v, err := c.GetSessionVariable(c, "timestamp")
	if err != nil {
		return c
	}
	if ts, ok := v.(float64); ok && ts != unsetTimestamp {
		sec, frac := math.Modf(ts)
		c.SetQueryTime(time.Unix(int64(sec), int64(frac*1e9)))
	}
	return c
}

// unsetTimestamp is go-mysql-server's default for the timestamp session variable, meaning "not pinned".
const unsetTimestamp = 1000.0

// createDatabase runs CREATE DATABASE through the engine so the provider sets the database up exactly
// as a client's CREATE DATABASE would (native primary-key indexes included).
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
	conns  map[net.Conn]struct{}
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
		c.(*trackedConn).Conn.Close()
	}
	clear(l.conns)
}

func (l *trackingListener) forget(c net.Conn) {
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

// routeProcessLogger sends logrus's process-wide logger to logger at debug level. go-mysql-server and its
// vitess fork log every connect, disconnect and dropped client there at info or error level, which would
// flood odsim's output; what matters to a user (a failing statement) reaches the client anyway. logrus has
// one such logger per process, so with several embedded servers the last one started receives it.
func routeProcessLogger(logger *slog.Logger) {
	std := logrus.StandardLogger()
	std.SetOutput(io.Discard)
	std.SetLevel(logrus.WarnLevel)
	hooks := logrus.LevelHooks{}
	hooks.Add(slogHook{logger: logger})
	std.ReplaceHooks(hooks)
}

// newEngineLogger is a logrus logger for the engine's sessions that forwards warnings and errors (for
// example "error running query", which the client also receives) to logger at debug level.
func newEngineLogger(logger *slog.Logger) *logrus.Logger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	l.SetLevel(logrus.WarnLevel)
	l.AddHook(slogHook{logger: logger})
	return l
}

type slogHook struct{ logger *slog.Logger }

func (h slogHook) Levels() []logrus.Level {
	return []logrus.Level{logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel, logrus.WarnLevel}
}

func (h slogHook) Fire(e *logrus.Entry) error {
	attrs := make([]any, 0, 2*len(e.Data))
	for k, v := range e.Data {
		attrs = append(attrs, k, v)
	}
	h.logger.Debug("embedded database: "+e.Message, attrs...)
	return nil
}
