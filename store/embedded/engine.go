package embedded

import (
	"context"
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

// sessionBuilder gives each connection a memory session whose engine log goes to logger.
func sessionBuilder(pro *memory.DbProvider, logger *slog.Logger) func(context.Context, *mysql.Conn, string) (sql.Session, error) {
	newSession := memory.NewSessionBuilder(pro)
	engineLog := newEngineLogger(logger)
	return func(ctx context.Context, conn *mysql.Conn, addr string) (sql.Session, error) {
		sess, err := newSession(ctx, conn, addr)
		if err != nil {
			return nil, err
		}
		sess.SetLogger(logrus.NewEntry(engineLog))
		return sess, nil
	}
}

// newContext is the engine's per-statement context factory. It adds what go-mysql-server lacks of
// MySQL's `SET timestamp = <unix seconds>`: the session's NOW(), CURRENT_TIMESTAMP defaults and ON UPDATE
// columns read that pinned time, so tests pin the clock on the embedded engine exactly as on MariaDB.
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

// serialize wraps the protocol handler so that the engine runs one statement at a time.
//
// go-mysql-server's in-memory tables are not safe for concurrent writers: each statement edits a copy of
// the whole table and its commit replaces the table, so two connections writing the same table at once
// lose each other's rows (measured: 8 connections inserting and updating distinct rows kept about three
// quarters of them). One lock per statement makes every autocommit statement see and extend the previous
// one's result. Statements are short at the sizes the engine is meant for; a client reading a large
// result slowly holds the lock until the result is sent.
func serialize(h mysql.Handler) (mysql.Handler, error) {
	return &serialHandler{Handler: h}, nil
}

type serialHandler struct {
	mysql.Handler
	mu sync.Mutex
}

func (h *serialHandler) ComQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.Handler.ComQuery(ctx, c, query, callback)
}

func (h *serialHandler) ComMultiQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.Handler.ComMultiQuery(ctx, c, query, callback)
}

func (h *serialHandler) ComPrepare(ctx context.Context, c *mysql.Conn, query string, prepare *mysql.PrepareData) ([]*querypb.Field, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.Handler.ComPrepare(ctx, c, query, prepare)
}

func (h *serialHandler) ComStmtExecute(ctx context.Context, c *mysql.Conn, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.Handler.ComStmtExecute(ctx, c, prepare, callback)
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
