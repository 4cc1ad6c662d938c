// Package store is everything in odsim that talks SQL: connecting to MySQL/MariaDB (or the embedded
// engine), creating Open Dental's schema, the apisubscription table, and the watched-table queries that
// read changed rows and encode them as Open Dental's JSON payloads.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// DB is odsim's handle on an Open Dental database.
type DB struct {
	db *sql.DB
	hz horizon // the window horizon's view of the writers in flight (horizon.go)
}

// Open connects to the MySQL/MariaDB database named by dsn (go-sql-driver form,
// user:pass@tcp(host:port)/opendental) and checks that it answers. Every session runs with
// sql_mode set to the empty string as Open Dental requires, and reads dates as text so that payloads show exactly what the
// database holds.
func Open(ctx context.Context, dsn string, opts ...OpenOption) (*DB, error) {
	cfg, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	for _, o := range opts {
		o(cfg)
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", describe(cfg), err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot connect to database %s: %w", describe(cfg), pingError(err))
	}
	return &DB{db: db}, nil
}

// OpenOption changes how Open connects.
type OpenOption func(*mysql.Config)

// WithLogger routes the driver's own log lines ("closing bad idle connection: ...", "unexpected EOF")
// through log at warn level, so that they follow --log-format like every other line of odsim serve;
// otherwise the driver writes them as plain text to stderr.
func WithLogger(log *slog.Logger) OpenOption {
	return func(cfg *mysql.Config) { cfg.Logger = driverLogger{log} }
}

// driverLogger is go-sql-driver's Logger on slog.
type driverLogger struct{ log *slog.Logger }

func (d driverLogger) Print(v ...any) {
	d.log.Warn("mysql driver", "message", strings.TrimSpace(fmt.Sprint(v...)))
}

// ParseDSN parses a go-sql-driver DSN and applies the session settings odsim needs.
func ParseDSN(dsn string) (*mysql.Config, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("bad --dsn %q: %w (expected user:password@tcp(host:port)/database)", dsn, err)
	}
	if cfg.DBName == "" {
		return nil, fmt.Errorf("bad --dsn %q: no database name (expected user:password@tcp(host:port)/database)", dsn)
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["sql_mode"] = "''"
	cfg.ParseTime = false
	cfg.InterpolateParams = true
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	return cfg, nil
}

// describe names a database for error messages without its password.
func describe(cfg *mysql.Config) string {
	return fmt.Sprintf("%s@%s/%s", cfg.User, cfg.Addr, cfg.DBName)
}

// pingError shortens the driver's errors for the common causes a user can act on.
func pingError(err error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1045:
			return fmt.Errorf("access denied (check user and password)")
		case 1049:
			return fmt.Errorf("%w (create it first, or run odsim schema apply)", ErrUnknownDatabase)
		}
	}
	return err
}

// ErrUnknownDatabase is the error Open wraps when the server has no database of the DSN's name.
var ErrUnknownDatabase = errors.New("unknown database")

// CreateDatabase creates the database dsn names on its server, with Open Dental's character set
// (utf8mb3), for a DSN that Open refused with ErrUnknownDatabase. It connects without a database, so
// the user needs the CREATE privilege on the server.
func CreateDatabase(ctx context.Context, dsn string) error {
	cfg, err := ParseDSN(dsn)
	if err != nil {
		return err
	}
	name := cfg.DBName
	server := cfg.Clone()
	server.DBName = ""
	connector, err := mysql.NewConnector(server)
	if err != nil {
		return fmt.Errorf("database %s: %w", describe(cfg), err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	quoted := "`" + strings.ReplaceAll(name, "`", "``") + "`"
	if _, err := db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+quoted+" CHARACTER SET utf8mb3"); err != nil {
		return fmt.Errorf("create database %s: %w", describe(cfg), pingError(err))
	}
	return nil
}

// SQL returns the underlying handle, for tools that load data (the demo practice, scenarios).
func (db *DB) SQL() *sql.DB { return db.db }

// Close closes the connection pool.
func (db *DB) Close() error { return db.db.Close() }

// Now returns the database server's current time, NOW(), as a wall-clock time in UTC. Poll windows
// use it, never the host clock, as Open Dental does.
func (db *DB) Now(ctx context.Context) (time.Time, error) {
	var s string
	if err := db.db.QueryRowContext(ctx, "SELECT NOW()").Scan(&s); err != nil {
		return time.Time{}, fmt.Errorf("read database time: %w", err)
	}
	return ParseDateTime(s)
}

// ParseDateTime parses a DATETIME/TIMESTAMP value as the driver returns it as text. MySQL's zero date
// (0000-00-00, left by inserts under an empty sql_mode) reads as 0001-01-01, as Open Dental reads it.
func ParseDateTime(s string) (time.Time, error) {
	if len(s) >= 10 && s[:10] == "0000-00-00" {
		return time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), nil
	}
	if len(s) > 19 {
		s = s[:19] // drop fractional seconds
	}
	layout := "2006-01-02 15:04:05"
	if len(s) == 10 {
		layout = "2006-01-02"
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse database time %q: %w", s, err)
	}
	return t, nil
}

// dbTime formats t for a DATETIME parameter.
func dbTime(t time.Time) string { return t.Format("2006-01-02 15:04:05") }
