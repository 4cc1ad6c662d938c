package embedded_test

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/store/embedded"
)

// start runs an embedded server on a free loopback port for the test.
func start(t *testing.T, cfg embedded.Config) *embedded.Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	srv, err := embedded.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return srv
}

// open connects to dsn with odsim's session settings: an empty sql_mode, dates as text, and either client-side
// parameter interpolation (odsim's choice) or server-side prepared statements.
func open(t *testing.T, dsn string, interpolate bool) *sql.DB {
	t.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("parse dsn: %v", err)
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["sql_mode"] = "''"
	cfg.ParseTime = false
	cfg.InterpolateParams = interpolate
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// withSchema starts a server and applies Open Dental's schema and seed definitions as odsim does.
func withSchema(t *testing.T) (*embedded.Server, *sql.DB) {
	t.Helper()
	srv := start(t, embedded.Config{})
	db := open(t, srv.DSN(), true)
	if _, err := store.Apply(context.Background(), db); err != nil {
		t.Fatalf("apply schema: %v", err)
	}
	return srv, db
}

func TestStartServesDatabaseAndCloseEndsIt(t *testing.T) {
	t.Parallel()
	srv := start(t, embedded.Config{})
	host, port, err := net.SplitHostPort(srv.Addr())
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("Addr() = %q, want 127.0.0.1 and the port chosen for :0", srv.Addr())
	}
	if want := "root@tcp(" + srv.Addr() + ")/opendental"; srv.DSN() != want {
		t.Errorf("DSN() = %q, want %q", srv.DSN(), want)
	}

	db := open(t, srv.DSN(), true)
	db.SetMaxIdleConns(1)
	var name string
	if err := db.QueryRow("SELECT DATABASE()").Scan(&name); err != nil || name != "opendental" {
		t.Fatalf("SELECT DATABASE() = %q, %v; want opendental", name, err)
	}

	if err := srv.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := db.QueryRow("SELECT 1").Scan(new(int)); err == nil {
		t.Error("query after Close succeeded; want the connection gone")
	}
	if c, err := net.DialTimeout("tcp", srv.Addr(), time.Second); err == nil {
		c.Close()
		t.Error("dial after Close succeeded; want the port released")
	}
	// The port is free again at once: a restarted odsim gets it back.
	again, err := embedded.Start(context.Background(), embedded.Config{Addr: srv.Addr(), Database: "other"})
	if err != nil {
		t.Fatalf("restart on %s: %v", srv.Addr(), err)
	}
	defer again.Close()
	if !strings.HasSuffix(again.DSN(), "/other") {
		t.Errorf("DSN() = %q, want database other", again.DSN())
	}
}

func TestStartOnTakenPortSaysSo(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()

	srv, err := embedded.Start(context.Background(), embedded.Config{Addr: addr})
	if err == nil {
		srv.Close()
		t.Fatal("Start on a taken port succeeded")
	}
	if want := "embedded database: listen " + addr + ": address already in use"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("err = %v, want it to wrap EADDRINUSE", err)
	}
}

func TestClientsCreateAndDropDatabases(t *testing.T) {
	t.Parallel()
	srv := start(t, embedded.Config{})
	admin := open(t, "root@tcp("+srv.Addr()+")/", true)
	for _, q := range []string{
		"CREATE DATABASE odsim_a CHARACTER SET utf8mb3",
		"CREATE DATABASE `odsim_b`",
		"CREATE TABLE odsim_a.t (n bigint NOT NULL AUTO_INCREMENT, PRIMARY KEY (n)) ENGINE=MyISAM",
		"INSERT INTO odsim_a.t VALUES (NULL)",
	} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	a := open(t, "root@tcp("+srv.Addr()+")/odsim_a", true)
	var n int
	if err := a.QueryRow("SELECT COUNT(*) FROM t").Scan(&n); err != nil || n != 1 {
		t.Fatalf("count in odsim_a = %d, %v; want 1", n, err)
	}
	if _, err := admin.Exec("DROP DATABASE odsim_a"); err != nil {
		t.Fatalf("drop: %v", err)
	}
	if err := a.QueryRow("SELECT COUNT(*) FROM t").Scan(&n); err == nil {
		t.Error("table of a dropped database still answers")
	}
}

// TestMariaDBClientConnects runs the user's command-line client against the server, as the README tells
// users to.
func TestMariaDBClientConnects(t *testing.T) {
	t.Parallel()
	var client string
	for _, name := range []string{"mariadb", "mysql"} {
		if p, err := exec.LookPath(name); err == nil {
			client = p
			break
		}
	}
	if client == "" {
		if os.Getenv("ODSIM_REQUIRE_MYSQL") == "1" {
			t.Fatal("no mariadb or mysql client on PATH, and ODSIM_REQUIRE_MYSQL=1 (install mariadb-client)")
		}
		t.Skip("no mariadb or mysql client on PATH (install mariadb-client to run it)")
	}
	srv, _ := withSchema(t)
	_, port, _ := net.SplitHostPort(srv.Addr())
	tests := []struct {
		sql, want string
	}{
		{"select 1", "1\n1\n"},
		{"SELECT ItemName FROM definition WHERE DefNum = 19", "ItemName\nNot Called\n"},
		{"SET timestamp = UNIX_TIMESTAMP('2025-01-01 10:00:00'); SELECT NOW()", "NOW()\n2025-01-01 10:00:00\n"},
		// The client sets no sql_mode: the session starts with Open Dental's empty one, so a fixture that
		// names a few columns works as on an Open Dental server.
		{"SELECT @@SESSION.sql_mode = ''", "@@SESSION.sql_mode = ''\n1\n"},
		{"INSERT INTO provider (ProvNum, Abbr, LName, FName) VALUES (1,'DOC1','Doe','Jan'); SELECT Abbr, FeeSched FROM provider", "Abbr\tFeeSched\nDOC1\t0\n"},
	}
	for _, tt := range tests {
		out, err := exec.Command(client, "-h127.0.0.1", "-P"+port, "-uroot", "opendental", "-e", tt.sql).CombinedOutput()
		if err != nil || string(out) != tt.want {
			t.Errorf("%s -e %q = %q, %v; want %q", client, tt.sql, out, err, tt.want)
		}
	}
}
