package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	_ "github.com/go-sql-driver/mysql" // the MariaDB driver
)

// errNoMariaDB says the MariaDB server binaries are not installed, so a private server cannot start.
var errNoMariaDB = errors.New("mariadbd or mariadb-install-db not found")

// privateMariaDB is a MariaDB server of the harness's own, in a temporary data directory on a free
// port, so that it can be restarted under load without touching the machine's shared server (other
// packages' tests use that one concurrently). It runs as the current user without grant tables: root
// with no password, on loopback only.
type privateMariaDB struct {
	dir  string
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

func findMariaDB() (mariadbd, installDB string, err error) {
	for _, p := range []string{"mariadbd", "/usr/sbin/mariadbd", "mysqld", "/usr/sbin/mysqld"} {
		if mariadbd, err = exec.LookPath(p); err == nil {
			break
		}
	}
	if err != nil {
		return "", "", errNoMariaDB
	}
	if installDB, err = exec.LookPath("mariadb-install-db"); err != nil {
		return "", "", errNoMariaDB
	}
	return mariadbd, installDB, nil
}

// startMariaDB initialises a data directory under dir and starts the server.
func startMariaDB(ctx context.Context, dir string) (*privateMariaDB, error) {
	_, installDB, err := findMariaDB()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	m := &privateMariaDB{dir: dir, port: port}
	install := exec.CommandContext(ctx, installDB, "--no-defaults", "--datadir="+m.data(), "--tmpdir="+dir, "--user="+currentUser(),
		"--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve")
	if out, err := install.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("mariadb-install-db: %w\n%s", err, out)
	}
	if err := m.start(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

func currentUser() string {
	if os.Geteuid() == 0 {
		return "root"
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return strconv.Itoa(os.Geteuid())
}

func (m *privateMariaDB) data() string { return filepath.Join(m.dir, "data") }

// DSN is the server's address for a database name.
func (m *privateMariaDB) DSN(db string) string {
	return fmt.Sprintf("root@tcp(127.0.0.1:%d)/%s", m.port, db)
}

// start runs mariadbd and waits until it answers.
func (m *privateMariaDB) start(ctx context.Context) error {
	mariadbd, _, err := findMariaDB()
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(m.dir, "mariadbd.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("mariadbd log: %w", err)
	}
	// Its own tmpdir: with the default /tmp, mariadbd deletes the shared server's temporary tables at
	// start, breaking the queries of every other test running against that server.
	tmp := filepath.Join(m.dir, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		logf.Close()
		return fmt.Errorf("mariadbd tmpdir: %w", err)
	}
	m.cmd = exec.Command(mariadbd, "--no-defaults", "--datadir="+m.data(), "--tmpdir="+tmp, "--user="+currentUser(),
		"--port="+strconv.Itoa(m.port), "--bind-address=127.0.0.1", "--socket="+filepath.Join(m.dir, "mariadbd.sock"),
		"--pid-file="+filepath.Join(m.dir, "mariadbd.pid"), "--skip-grant-tables", "--skip-name-resolve",
		"--skip-log-bin", "--innodb-buffer-pool-size=16M", "--key-buffer-size=16M", "--max-connections=200")
	m.cmd.Stdout, m.cmd.Stderr = logf, logf
	if err := m.cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start mariadbd: %w", err)
	}
	m.done = make(chan struct{})
	go func() { _ = m.cmd.Wait(); logf.Close(); close(m.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if err := m.ping(ctx); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			m.stop()
			return fmt.Errorf("private mariadbd did not answer within a minute (see %s): %w", filepath.Join(m.dir, "mariadbd.log"), err)
		}
		select {
		case <-m.done:
			return fmt.Errorf("private mariadbd exited at start (see %s)", filepath.Join(m.dir, "mariadbd.log"))
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			m.stop()
			return ctx.Err()
		}
	}
}

func (m *privateMariaDB) ping(ctx context.Context) error {
	db, err := sql.Open("mysql", m.DSN(""))
	if err != nil {
		return err
	}
	defer db.Close()
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return db.PingContext(pctx)
}

// stop shuts the server down cleanly (SIGTERM) and waits for it, killing it after 30 s.
func (m *privateMariaDB) stop() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(30 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.done
	}
}

// restart stops the server, leaves it down for down, and starts it again.
func (m *privateMariaDB) restart(ctx context.Context, down time.Duration) error {
	m.stop()
	select {
	case <-time.After(down):
	case <-ctx.Done():
	}
	return m.start(ctx)
}
