// Package storetest gives tests a fresh Open Dental database of their own on a real MySQL/MariaDB server:
// created with a random name, migrated with odsim's schema, dropped when the test ends.
//
// The server is ODSIM_TEST_DSN (default root@tcp(127.0.0.1:3306)/). When no server answers, the databases
// are made on odsim's embedded engine instead, and tests that need a real server (RequireServer) skip
// with the reason — unless ODSIM_REQUIRE_MYSQL=1 (as CI sets it), which makes a missing server fail.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/store/embedded"
)

// DefaultServerDSN is the server tests use when ODSIM_TEST_DSN is not set.
const DefaultServerDSN = "root@tcp(127.0.0.1:3306)/"

var (
	probeOnce sync.Once
	probeErr  error

	fallbackOnce sync.Once
	fallbackDSN  string
	fallbackErr  error
)

// ServerDSN returns the DSN of the test server (without a database name).
func ServerDSN() string {
	if v := os.Getenv("ODSIM_TEST_DSN"); v != "" {
		return v
	}
	return DefaultServerDSN
}

// probe reports whether the MySQL/MariaDB test server answers.
func probe() error {
	probeOnce.Do(func() {
		db, err := sql.Open("mysql", ServerDSN())
		if err != nil {
			probeErr = err
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		probeErr = db.PingContext(ctx)
	})
	return probeErr
}

// serverDSN is where test databases are created: the MySQL/MariaDB test server, or, when none answers
// and ODSIM_REQUIRE_MYSQL is not 1, an embedded engine shared by the test process.
func serverDSN(tb testing.TB) string {
	tb.Helper()
	if probe() == nil {
		return ServerDSN()
	}
	if os.Getenv("ODSIM_REQUIRE_MYSQL") == "1" {
		tb.Fatalf("no MySQL/MariaDB at ODSIM_TEST_DSN=%q and ODSIM_REQUIRE_MYSQL=1: %v", ServerDSN(), probeErr)
	}
	fallbackOnce.Do(func() {
		srv, err := embedded.Start(context.Background(), embedded.Config{Addr: "127.0.0.1:0"})
		if err != nil {
			fallbackErr = err
			return
		}
		fallbackDSN = "root@tcp(" + srv.Addr() + ")/"
	})
	if fallbackErr != nil {
		tb.Fatalf("no MySQL/MariaDB test server (%v), and the embedded engine did not start: %v", probeErr, fallbackErr)
	}
	return fallbackDSN
}

// RequireServer skips (or, with ODSIM_REQUIRE_MYSQL=1, fails) t when no MySQL/MariaDB server answers.
func RequireServer(tb testing.TB) {
	tb.Helper()
	if probe() == nil {
		return
	}
	if os.Getenv("ODSIM_REQUIRE_MYSQL") == "1" {
		tb.Fatalf("no MySQL/MariaDB at ODSIM_TEST_DSN=%q and ODSIM_REQUIRE_MYSQL=1: %v", ServerDSN(), probeErr)
	}
	tb.Skipf("needs a real MySQL/MariaDB server, and none answers at ODSIM_TEST_DSN=%q (set it, or start MariaDB): %v", ServerDSN(), probeErr)
}

// NewEmptyDSN creates an empty database for tb and returns its DSN. The database is dropped in tb.Cleanup.
func NewEmptyDSN(tb testing.TB) string {
	tb.Helper()
	return newEmptyDSN(tb, serverDSN(tb))
}

func newEmptyDSN(tb testing.TB, server string) string {
	tb.Helper()
	cfg, err := mysql.ParseDSN(server)
	if err != nil {
		tb.Fatalf("parse ODSIM_TEST_DSN: %v", err)
	}
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		tb.Fatalf("open test server: %v", err)
	}
	tb.Cleanup(func() { admin.Close() })
	name := "odsim_" + randomHex(6)
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb3"); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

// NewDSN creates a database for tb with odsim's schema and seed definitions, and returns its DSN.
func NewDSN(tb testing.TB) string {
	tb.Helper()
	dsn := NewEmptyDSN(tb)
	db := openDB(tb, dsn)
	if _, err := db.Apply(context.Background()); err != nil {
		tb.Fatalf("apply schema: %v", err)
	}
	return dsn
}

// New returns a store on a fresh migrated database for tb, closed in tb.Cleanup.
func New(tb testing.TB) *store.DB {
	tb.Helper()
	return openDB(tb, NewDSN(tb))
}

// NewEmbedded returns a store on a fresh migrated database of a new embedded engine of tb's own, stopped
// in tb.Cleanup: for tests that run one suite against both engines.
func NewEmbedded(tb testing.TB) *store.DB {
	tb.Helper()
	srv, err := embedded.Start(context.Background(), embedded.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		tb.Fatalf("start embedded database: %v", err)
	}
	tb.Cleanup(func() { srv.Close() })
	db := openDB(tb, srv.DSN())
	if _, err := db.Apply(context.Background()); err != nil {
		tb.Fatalf("apply schema: %v", err)
	}
	return db
}

// Engines runs test twice in parallel subtests: on a fresh database of the MySQL/MariaDB test server
// ("mysql", which requires the server) and of the embedded engine ("embedded"), since odsim runs on both.
func Engines(t *testing.T, test func(t *testing.T, db *store.DB)) {
	t.Run("mysql", func(t *testing.T) {
		t.Parallel()
		RequireServer(t)
		test(t, New(t))
	})
	t.Run("embedded", func(t *testing.T) {
		t.Parallel()
		test(t, NewEmbedded(t))
	})
}

// Open returns a store on the database dsn, closed in tb.Cleanup.
func Open(tb testing.TB, dsn string) *store.DB {
	tb.Helper()
	return openDB(tb, dsn)
}

func openDB(tb testing.TB, dsn string) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("open test database: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// LoadFile runs a file of SQL statements separated by ";\n" on db; lines starting with -- are
// comments. Tests load fixtures such as testdata/golden/fixture.sql with it.
func LoadFile(tb testing.TB, db *sql.DB, path string) {
	tb.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var b strings.Builder
	for _, line := range strings.Split(string(text), "\n") {
		if !strings.HasPrefix(line, "--") {
			b.WriteString(line + "\n")
		}
	}
	for _, stmt := range strings.Split(b.String(), ";\n") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := db.ExecContext(context.Background(), stmt); err != nil {
			tb.Fatalf("%s: exec %.60q: %v", path, strings.TrimSpace(stmt), err)
		}
	}
}
