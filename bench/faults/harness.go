package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/odsim/odsim/store"
)

// The keys the harness's subscriptions use. They must never appear in odsim's log.
const (
	developerKey = "faultsDevKey7"
	customerA    = "FaultsCustomerA9"
	customerB    = "FaultsCustomerB4"
	urlSecret    = "s3cretInURL"
	workstation  = "FAULTS"
)

// scale is how long and how hard a run pushes.
type scale struct {
	writeFor   time.Duration // how long the writer writes
	faultFor   time.Duration // how long a timed fault lasts (receiver down, slow)
	kills      int           // SIGKILLs of odsim
	dbRestarts int           // MariaDB restarts
	rate       int           // writer's single-row changes per second
	burstSize  int
	burstEvery time.Duration
	settle     time.Duration // how long cursors may take to pass the writer's last change
}

func shortScale() scale {
	return scale{writeFor: 8 * time.Second, faultFor: 4 * time.Second, kills: 3, dbRestarts: 1,
		rate: 80, burstSize: 1200, burstEvery: 2500 * time.Millisecond, settle: 45 * time.Second}
}

func longScale(d time.Duration) scale {
	return scale{writeFor: d, faultFor: 30 * time.Second, kills: 10, dbRestarts: 3,
		rate: 100, burstSize: 2500, burstEvery: 3 * time.Second, settle: 3 * time.Minute}
}

// reproducesGap reports whether odsim serve's flags ask it to reproduce Open Dental's in-flight gap.
func reproducesGap(serveFlags []string) bool {
	for i, f := range serveFlags {
		switch {
		case f == "--reproduce" && i+1 < len(serveFlags) && strings.Contains(serveFlags[i+1], "in-flight-gap"),
			strings.HasPrefix(f, "--reproduce=") && strings.Contains(f, "in-flight-gap"):
			return true
		}
	}
	return false
}

// env is what a run needs from outside: the odsim binary, this program (to start the writer and
// recorder as processes of their own), where to make databases, and where to say what happens.
type env struct {
	odsim      string   // odsim binary
	self       []string // command that runs this program; FAULTS_ROLE selects the role
	serverDSN  string   // MariaDB server for the databases of the runs, without a database name
	dir        string   // working directory of the run (logs)
	progress   io.Writer
	keep       bool     // keep databases
	serveFlags []string // extra flags of odsim serve in every case
}

// caseRun is one fault case in progress.
type caseRun struct {
	env
	c     faultCase
	sc    scale
	dsn   string // the case's database
	admin *sql.DB
	db    *privateMariaDB

	apiAddr  string
	recvAddr string

	odsimProc *process
	recorder  *process

	writerDone chan struct{} // closed when the writer has stopped

	mu         sync.Mutex
	odsimStart int // times odsim was started
	notes      []string
}

func (r *caseRun) say(format string, args ...any) {
	fmt.Fprintf(r.progress, "  [%s] %s\n", r.c.name, fmt.Sprintf(format, args...))
}

func (r *caseRun) note(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

func (r *caseRun) path(name string) string { return filepath.Join(r.dir, name) }

// runCase runs one fault case from an empty database to the checker's verdict.
func runCase(ctx context.Context, e env, c faultCase, sc scale) (result, error) {
	r := &caseRun{env: e, c: c, sc: sc, writerDone: make(chan struct{})}
	r.dir = filepath.Join(e.dir, c.name)
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return result{}, err
	}
	if err := r.setupDatabase(ctx); err != nil {
		return result{}, err
	}
	defer r.teardownDatabase()
	var err error
	if r.apiAddr, err = freeAddr(); err != nil {
		return result{}, err
	}
	if r.recvAddr, err = freeAddr(); err != nil {
		return result{}, err
	}
	started := time.Now()
	res, err := r.execute(ctx)
	res.Duration = time.Since(started)
	r.stopAll()
	return res, err
}

// setupDatabase creates the case's database on the shared server, or on a private server of its own
// when the case restarts the database.
func (r *caseRun) setupDatabase(ctx context.Context) error {
	server := r.serverDSN
	if r.c.privateDB {
		db, err := startMariaDB(ctx, r.dir)
		if err != nil {
			return err
		}
		r.db = db
		server = db.DSN("")
	}
	cfg, err := mysql.ParseDSN(server)
	if err != nil {
		return fmt.Errorf("server DSN: %w", err)
	}
	if r.admin, err = sql.Open("mysql", cfg.FormatDSN()); err != nil {
		return err
	}
	name := "odsim_faults_" + randomHex(5)
	if _, err := r.admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb3"); err != nil {
		return fmt.Errorf("create database on %s: %w", cfg.Addr, err)
	}
	cfg.DBName = name
	if r.c.timeZone != nil {
		if cfg.Params == nil {
			cfg.Params = map[string]string{}
		}
		cfg.Params["time_zone"] = "'" + r.c.timeZone() + "'"
	}
	r.dsn = cfg.FormatDSN()
	return nil
}

func (r *caseRun) teardownDatabase() {
	if r.admin != nil {
		if !r.keep {
			if cfg, err := mysql.ParseDSN(r.dsn); err == nil {
				_, _ = r.admin.Exec("DROP DATABASE IF EXISTS `" + cfg.DBName + "`")
			}
		}
		r.admin.Close()
	}
	if r.db != nil {
		r.db.stop()
	}
}

// execute is the case: odsim and the recorder up, subscriptions made through odsim's API, the writer
// writing while the fault strikes, then everything healed, the cursors past the last change, odsim
// stopped with SIGTERM, and the checker's verdict.
func (r *caseRun) execute(ctx context.Context) (result, error) {
	res := result{Case: r.c, GapAllowed: reproducesGap(r.serveFlags)}
	if err := r.startRecorder(ctx, recorderMode{}); err != nil {
		return res, err
	}
	if err := r.startOdsim(ctx, r.dsn); err != nil {
		return res, err
	}
	subs, err := r.subscribe(ctx)
	if err != nil {
		return res, err
	}
	if r.c.before != nil {
		if err := r.c.before(ctx, r); err != nil {
			return res, err
		}
	}
	r.say("writing for %s", r.sc.writeFor)
	writer := r.startWriter(ctx)
	faultErr := make(chan error, 1)
	faultCtx, stopFault := context.WithCancel(ctx)
	defer stopFault()
	go func() {
		if r.c.inject == nil {
			faultErr <- nil
			return
		}
		faultErr <- r.c.inject(faultCtx, r)
	}()
	werr := writer.wait()
	close(r.writerDone)
	if err := <-faultErr; err != nil {
		return res, fmt.Errorf("fault: %w", err)
	}
	if werr != nil {
		return res, fmt.Errorf("writer: %w (see %s)", werr, r.path("writer.log"))
	}
	// Heal: a receiver that answers, odsim running.
	if err := r.setMode(recorderMode{}); err != nil {
		return res, err
	}
	if err := r.ensureOdsim(ctx); err != nil {
		return res, err
	}
	caughtUp, err := r.waitCaughtUp(ctx)
	if err != nil {
		return res, err
	}
	res.CaughtUp = caughtUp
	res.ShutdownCode, res.ShutdownIn = r.stopOdsim()
	if err := r.recorder.stop(); err != nil {
		r.note("recorder: %v", err)
	}
	cl, err := readChangeLog(r.path("changes.log"))
	if err != nil {
		return res, err
	}
	recs, err := readRecorderLog(r.path("deliveries.jsonl"))
	if err != nil {
		return res, err
	}
	res.check(cl, recs, subs)
	logText, _ := os.ReadFile(r.path("odsim.log"))
	for _, secret := range []string{developerKey, customerA, customerB, urlSecret} {
		if bytes.Contains(logText, []byte(secret)) {
			res.Secrets = append(res.Secrets, secret)
		}
	}
	res.OdsimStarts = r.odsimStart
	r.mu.Lock()
	res.Notes = append(res.Notes, r.notes...)
	r.mu.Unlock()
	return res, nil
}

// --- processes ---

// process is a child process whose end is awaited once.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func startProcess(cmd *exec.Cmd) (*process, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p, nil
}

func (p *process) wait() error { <-p.done; return p.err }

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// exitCode is the process's exit status, or -1 for a signal.
func (p *process) exitCode() int {
	<-p.done
	return p.cmd.ProcessState.ExitCode()
}

// terminate sends SIGTERM and waits up to limit, then SIGKILL.
func (p *process) terminate(limit time.Duration) {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(limit):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *process) stop() error {
	p.terminate(10 * time.Second)
	if p.err != nil {
		return p.err
	}
	return nil
}

func appendFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
}

// cleanEnv is the environment without ODSIM_* variables, which would configure odsim's flags.
func cleanEnv(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ODSIM_") && !strings.HasPrefix(kv, "FAULTS_ROLE=") {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}

// odsimCommand is `odsim serve` on the case's API address with the database dsn.
func (r *caseRun) odsimCommand(dsn string) (*exec.Cmd, error) {
	args := []string{"serve", "--dsn", dsn, "--listen", r.apiAddr, "--workstation", workstation,
		"--api-key", developerKey + "/" + customerA, "--api-key", developerKey + "/" + customerB}
	args = append(args, r.c.odsimFlags...)
	args = append(args, r.serveFlags...)
	cmd := exec.Command(r.odsim, args...)
	cmd.Env = cleanEnv()
	out, err := appendFile(r.path("odsim.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = out, out
	return cmd, nil
}

// startOdsim starts odsim and waits until its API answers.
func (r *caseRun) startOdsim(ctx context.Context, dsn string) error {
	cmd, err := r.odsimCommand(dsn)
	if err != nil {
		return err
	}
	p, err := startProcess(cmd)
	if err != nil {
		return fmt.Errorf("start odsim: %w", err)
	}
	r.mu.Lock()
	r.odsimProc = p
	r.odsimStart++
	r.mu.Unlock()
	if err := os.WriteFile(r.path("odsim.pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + r.apiAddr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if p.exited() {
			// Killed by the recorder's plan right away, or failed: the caller decides.
			return fmt.Errorf("odsim exited at start with code %d (see %s)", p.exitCode(), r.path("odsim.log"))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("odsim did not answer within a minute (see %s)", r.path("odsim.log"))
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (r *caseRun) currentOdsim() *process {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.odsimProc
}

// ensureOdsim starts odsim if it is not running.
func (r *caseRun) ensureOdsim(ctx context.Context) error {
	for i := 0; ; i++ {
		p := r.currentOdsim()
		if p != nil && !p.exited() {
			return nil
		}
		err := r.startOdsim(ctx, r.dsn)
		if err == nil || i == 3 {
			return err
		}
	}
}

// stopOdsim sends SIGTERM and reports the exit code and how long the shutdown took.
func (r *caseRun) stopOdsim() (int, time.Duration) {
	p := r.currentOdsim()
	if p == nil {
		return -1, 0
	}
	start := time.Now()
	p.terminate(30 * time.Second)
	return p.exitCode(), time.Since(start)
}

func (r *caseRun) selfCommand(role string, args ...string) *exec.Cmd {
	cmd := exec.Command(r.self[0], append(append([]string{}, r.self[1:]...), args...)...)
	cmd.Env = cleanEnv("FAULTS_ROLE=" + role)
	return cmd
}

func (r *caseRun) startRecorder(ctx context.Context, m recorderMode) error {
	if err := r.writeMode(m); err != nil {
		return err
	}
	cmd := r.selfCommand("recorder", "-addr", r.recvAddr, "-log", r.path("deliveries.jsonl"),
		"-mode", r.path("mode.json"), "-odsim-pidfile", r.path("odsim.pid"), "-kills", strconv.Itoa(r.sc.kills))
	out, err := appendFile(r.path("recorder.log"))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = out, out
	p, err := startProcess(cmd)
	if err != nil {
		return fmt.Errorf("start recorder: %w", err)
	}
	r.recorder = p
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", r.recvAddr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if p.exited() || time.Now().After(deadline) {
			return fmt.Errorf("recorder did not start (see %s)", r.path("recorder.log"))
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (r *caseRun) writeMode(m recorderMode) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	tmp := r.path("mode.json.tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, r.path("mode.json"))
}

// setMode changes how the recorder answers.
func (r *caseRun) setMode(m recorderMode) error {
	if err := r.writeMode(m); err != nil {
		return err
	}
	if r.recorder == nil || r.recorder.exited() {
		return nil // read at the next start
	}
	return r.recorder.cmd.Process.Signal(syscall.SIGHUP)
}

func (r *caseRun) startWriter(ctx context.Context) *process {
	cmd := r.selfCommand("writer", "-dsn", r.dsn, "-log", r.path("changes.log"), "-duration", r.sc.writeFor.String(),
		"-rate", strconv.Itoa(r.sc.rate), "-burst-size", strconv.Itoa(r.sc.burstSize), "-burst-every", r.sc.burstEvery.String())
	out, err := appendFile(r.path("writer.log"))
	if err != nil {
		return &process{done: closedChan(), err: err}
	}
	cmd.Stdout, cmd.Stderr = out, out
	p, err := startProcess(cmd)
	if err != nil {
		return &process{done: closedChan(), err: err}
	}
	return p
}

func closedChan() chan struct{} { c := make(chan struct{}); close(c); return c }

func (r *caseRun) stopAll() {
	if p := r.currentOdsim(); p != nil && p.cmd.Process != nil {
		p.terminate(10 * time.Second)
	}
	if r.recorder != nil {
		r.recorder.terminate(5 * time.Second)
	}
}

// --- subscriptions and cursors ---

// subscription is one subscription the harness made, and where its deliveries arrive.
type subscription struct {
	Num      int64
	Table    string
	Customer string
	Path     string
}

// subscribe makes the case's subscriptions through odsim's Subscriptions API: every WatchTable for
// customer A, and Appointment and Patient again for customer B, each with a path of its own. A's Patient
// URL carries credentials, which must be masked wherever odsim shows the URL.
func (r *caseRun) subscribe(ctx context.Context) ([]subscription, error) {
	var subs []subscription
	add := func(customer, tag, table string) error {
		path := "/" + tag + "/" + table
		host := r.recvAddr
		if tag == "a" && table == "Patient" {
			host = "faults:" + urlSecret + "@" + host
		}
		body, _ := json.Marshal(map[string]any{"EndPointUrl": "http://" + host + path, "WatchTable": table, "PollingSeconds": 1})
		req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+r.apiAddr+"/api/v1/subscriptions", bytes.NewReader(body))
		req.Header.Set("Authorization", "ODFHIR "+developerKey+"/"+customer)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("subscribe %s: %w", table, err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("subscribe %s: %d %s", table, resp.StatusCode, data)
		}
		var created struct{ SubscriptionNum int64 }
		if err := json.Unmarshal(data, &created); err != nil {
			return fmt.Errorf("subscribe %s: %w", table, err)
		}
		subs = append(subs, subscription{created.SubscriptionNum, table, customer, path})
		return nil
	}
	for _, t := range trackedTables {
		if err := add(customerA, "a", t.table); err != nil {
			return nil, err
		}
	}
	for _, table := range []string{"Appointment", "Patient"} {
		if err := add(customerB, "b", table); err != nil {
			return nil, err
		}
	}
	return subs, nil
}

// waitCaughtUp waits until every subscription's cursor has passed the database's NOW() as it is once
// the writer has stopped: from then on every change the writer committed is inside a window that was
// delivered in full. It reports whether that happened within the scale's settle time.
func (r *caseRun) waitCaughtUp(ctx context.Context) (bool, error) {
	db, err := openRetry(ctx, r.dsn, time.Minute)
	if err != nil {
		return false, err
	}
	defer db.Close()
	end, err := db.Now(ctx)
	if err != nil {
		return false, err
	}
	deadline := time.Now().Add(r.sc.settle)
	for {
		var minStart string
		err := db.SQL().QueryRowContext(ctx, "SELECT MIN(DateTimeStart) FROM apisubscription WHERE WatchTable <> ''").Scan(&minStart)
		if err == nil {
			if t, perr := store.ParseDateTime(minStart); perr == nil && t.After(end) {
				return true, nil
			}
		}
		if time.Now().After(deadline) {
			r.note("cursors did not pass %s within %s (slowest at %s)", end.Format(time.DateTime), r.sc.settle, minStart)
			return false, nil
		}
		// odsim may have been killed by a late kill: keep it running.
		if err := r.ensureOdsim(ctx); err != nil {
			return false, err
		}
		select {
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}

// --- small helpers ---

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("pick a port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func freePort() (int, error) {
	addr, err := freeAddr()
	if err != nil {
		return 0, err
	}
	_, port, _ := net.SplitHostPort(addr)
	return strconv.Atoi(port)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// dbNow reads NOW() through dsn.
func dbNow(ctx context.Context, dsn string) (time.Time, error) {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return time.Time{}, err
	}
	defer db.Close()
	return db.Now(ctx)
}
