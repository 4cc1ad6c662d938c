package embedded

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	"github.com/sirupsen/logrus"
)

// engineInit serializes engine construction: sqle.New initialises go-mysql-server's process-wide
// status variables lazily and without a lock, which races when two servers start at once (tests).
var engineInit sync.Mutex

// newEngine builds the in-memory engine with odsim's plan adjustments (see execBuilder).
//
// Native primary-key indexes stay off: an in-memory "index lookup" scans and filters the whole table
// like a plain scan and then sorts the result, and it steers the planner to per-row lookup joins.
// Without indexes the poller's joins become hash joins; the window SELECT at 3,000 appointments took
// half the time (see bench/embedded).
func newEngine() (*sqle.Engine, *memory.DbProvider) {
	engineInit.Lock()
	defer engineInit.Unlock()
	pro := memory.NewDBProvider()
	engine := sqle.NewDefault(pro)
	engine.Analyzer.ExecBuilder = execBuilder{next: engine.Analyzer.ExecBuilder}
	return engine, pro
}

// sessionBuilder gives each connection a memory session whose engine log goes to logger, and shows it
// to the gate.
//
// A session starts with an empty sql_mode, not go-mysql-server's strict default: the embedded database
// plays an Open Dental server, and Open Dental's database maintenance resets the server's sql_mode to
// empty, so a user's client (`mariadb -P3307`) gets Open Dental's non-strict writes (lenient.go) without a
// SET. A client may still choose a strict mode for its session.
func sessionBuilder(pro *memory.DbProvider, logger *slog.Logger, g *gate) func(context.Context, *mysql.Conn, string) (sql.Session, error) {
	newSession := memory.NewSessionBuilder(pro)
	engineLog := newEngineLogger(logger)
	return func(ctx context.Context, conn *mysql.Conn, addr string) (sql.Session, error) {
		sess, err := newSession(ctx, conn, addr)
		if err != nil {
			return nil, err
		}
		if err := sess.SetSessionVariable(sql.NewContext(ctx, sql.WithSession(sess)), "sql_mode", ""); err != nil {
			return nil, fmt.Errorf("session sql_mode: %w", err)
		}
		sess.SetLogger(logrus.NewEntry(engineLog))
		g.track(conn.ConnectionID, sess)
		return sess, nil
	}
}

// newContext is the engine's per-statement context factory. It adds what go-mysql-server lacks of
// MySQL's `SET timestamp = <unix seconds>`: the session's NOW(), CURRENT_TIMESTAMP defaults and ON UPDATE
// columns read that pinned time, so tests pin the clock on the embedded engine exactly as on MariaDB.
// `SET timestamp = DEFAULT` returns to the real clock.
//
// go-mysql-server converts between wall clock and Unix time with the host's current UTC offset for every
// date (it ignores daylight saving), so UNIX_TIMESTAMP('2025-06-30 12:00:00') in a New York winter is an
// hour off the true instant. The pinned time is read with that same offset, so that
// `SET timestamp = UNIX_TIMESTAMP('…')` gives back exactly that NOW() on any host.
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
		_, off := time.Now().Zone()
		c.SetQueryTime(time.Unix(int64(sec), int64(frac*1e9)).In(time.FixedZone("", off)))
	}
	return c
}

// unsetTimestamp is go-mysql-server's default for the timestamp session variable, meaning "not pinned".
const unsetTimestamp = 1000.0

// gate lets one connection at a time use the engine: for one statement, or from the statement that
// opens a transaction (START TRANSACTION, BEGIN, or any statement under autocommit=0) until the one that
// ends it (COMMIT, ROLLBACK, or the connection closing).
//
// go-mysql-server's in-memory tables are not safe for concurrent writers: a statement or transaction
// edits a copy of each table it touches and its commit replaces the whole table, so two connections
// writing the same table at once lose each other's rows (measured: 8 connections inserting and updating
// distinct rows kept about three quarters of them, and a transaction's COMMIT undid what other
// connections had written to its tables meanwhile). Serializing makes every statement and transaction
// see and extend the previous one's result, with the isolation and rollback of a single-user database.
//
// A connection that waits longer than the lock wait for another one's transaction gets MySQL's error 1205
// (lock wait timeout), as InnoDB would give it; a client holding a transaction open therefore stalls
// every other client, odsim's poller included, until it commits. Statements are short at the sizes the
// engine is meant for; a client reading a large result slowly holds the gate until the result is sent.
type gate struct {
	turn     chan struct{} // holds a token while some connection has the engine
	lockWait time.Duration

	mu       sync.Mutex
	owner    uint32 // the connection holding the token, when held
	held     bool
	sessions map[uint32]sql.Session
}

func newGate(lockWait time.Duration) *gate {
	return &gate{turn: make(chan struct{}, 1), lockWait: lockWait, sessions: map[uint32]sql.Session{}}
}

// track remembers a connection's session, to see after each statement whether it left a transaction open.
func (g *gate) track(conn uint32, sess sql.Session) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sessions[conn] = sess
}

// enter waits for the engine unless conn already holds it for its open transaction.
func (g *gate) enter(ctx context.Context, conn uint32) error {
	g.mu.Lock()
	mine := g.held && g.owner == conn
	g.mu.Unlock()
	if mine {
		return nil
	}
	timer := time.NewTimer(g.lockWait)
	defer timer.Stop()
	select {
	case g.turn <- struct{}{}:
	case <-timer.C:
		return mysql.NewSQLError(mysql.ERLockWaitTimeout, mysql.SSUnknownSQLState,
			"Lock wait timeout exceeded; another connection of the embedded database holds a transaction open")
	case <-ctx.Done():
		return ctx.Err()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.owner, g.held = conn, true
	return nil
}

// leave hands the engine on after a statement of conn, unless conn's session still has a transaction open.
func (g *gate) leave(conn uint32) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if sess, ok := g.sessions[conn]; ok && sess.GetTransaction() != nil {
		return
	}
	g.release(conn)
}

// closed forgets conn and hands the engine on if conn held it; closing a connection ends (rolls back) its
// transaction.
func (g *gate) closed(conn uint32) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.sessions, conn)
	g.release(conn)
}

func (g *gate) release(conn uint32) {
	if g.held && g.owner == conn {
		g.held = false
		<-g.turn
	}
}

// gatedHandler is go-mysql-server's protocol handler with every statement passed through the gate.
type gatedHandler struct {
	mysql.Handler
	gate *gate
}

func (h *gatedHandler) ComQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) error {
	if err := h.gate.enter(ctx, c.ConnectionID); err != nil {
		return err
	}
	defer h.gate.leave(c.ConnectionID)
	return h.Handler.ComQuery(ctx, c, query, callback)
}

func (h *gatedHandler) ComMultiQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) (string, error) {
	if err := h.gate.enter(ctx, c.ConnectionID); err != nil {
		return "", err
	}
	defer h.gate.leave(c.ConnectionID)
	return h.Handler.ComMultiQuery(ctx, c, query, callback)
}

func (h *gatedHandler) ComPrepare(ctx context.Context, c *mysql.Conn, query string, prepare *mysql.PrepareData) ([]*querypb.Field, error) {
	if err := h.gate.enter(ctx, c.ConnectionID); err != nil {
		return nil, err
	}
	defer h.gate.leave(c.ConnectionID)
	return h.Handler.ComPrepare(ctx, c, query, prepare)
}

func (h *gatedHandler) ComStmtExecute(ctx context.Context, c *mysql.Conn, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) error {
	if err := h.gate.enter(ctx, c.ConnectionID); err != nil {
		return err
	}
	defer h.gate.leave(c.ConnectionID)
	return h.Handler.ComStmtExecute(ctx, c, prepare, callback)
}

func (h *gatedHandler) ConnectionClosed(c *mysql.Conn) {
	h.Handler.ConnectionClosed(c)
	h.gate.closed(c.ConnectionID)
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
