package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The recorder is the webhook consumer: an HTTP server that answers odsim's POSTs the way the fault
// asks for, and appends one line per POST to its log, before answering:
//
//	{"path":"/a/Appointment","table":"Appointment","ws":"FAULTS","status":200,"acked":true,"elements":[{"pk":12,"v":345},...]}
//
// acked is true only when the recorder answered 200 to a sender still waiting for it: a POST answered
// 500, cut off mid-response, or answered after the sender gave up is logged with acked false, and the
// checker does not count it as delivered.
//
// Its behaviour (mode) is read from a JSON file at start and again on SIGHUP, so the harness can turn a
// fault on and off without restarting it. With -odsim-pidfile it also kills odsim with SIGKILL at the
// points the kill plan names, cycling through them, at most -kills times:
//
//	in-flight      on receiving a POST, before answering it
//	between-pages  right after acknowledging a full page (more pages of the window follow)
//	before-cursor  right after acknowledging the last page of a window, before odsim moves the cursor
type recorderMode struct {
	FailPercent   float64       `json:"fail_percent"`   // answer 500 to this share of POSTs
	HangupPercent float64       `json:"hangup_percent"` // close the connection mid-response on this share
	Delay         time.Duration `json:"delay"`          // wait this long before answering
	Kill          bool          `json:"kill"`           // the kill plan is active
}

var killPoints = []string{"between-pages", "before-cursor", "in-flight"}

type recorder struct {
	logMu sync.Mutex
	log   *os.File

	modeMu   sync.Mutex
	modePath string
	mode     recorderMode
	rng      *rand.Rand

	pidfile   string
	pageSize  int
	killsLeft int
	killed    int // kills done, indexes killPoints
	lastKill  time.Time
	killedPID int
	killMu    sync.Mutex
	stderr    io.Writer
}

func runRecorder(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("recorder", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	logPath := fs.String("log", "", "file every POST is appended to")
	r := &recorder{stderr: stderr}
	fs.StringVar(&r.modePath, "mode", "", "JSON file with the answering mode, re-read on SIGHUP")
	fs.StringVar(&r.pidfile, "odsim-pidfile", "", "file holding odsim's pid, for the kill plan")
	fs.IntVar(&r.killsLeft, "kills", 0, "kill odsim this many times")
	fs.IntVar(&r.pageSize, "page-size", 1000, "odsim's page size, to tell a full page")
	seed := fs.Uint64("seed", 1, "random seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r.rng = rand.New(rand.NewPCG(*seed, 11))
	if err := r.loadMode(); err != nil {
		return err
	}
	f, err := os.OpenFile(*logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("recorder log: %w", err)
	}
	defer f.Close()
	r.log = f
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			if err := r.loadMode(); err != nil {
				fmt.Fprintf(stderr, "recorder: %v\n", err)
			}
		}
	}()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("recorder: %w", err)
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("recorder: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(shut) // past the grace period, connections are dropped: the sender retries
	return nil
}

func (r *recorder) loadMode() error {
	if r.modePath == "" {
		return nil
	}
	data, err := os.ReadFile(r.modePath)
	if err != nil {
		return fmt.Errorf("recorder mode: %w", err)
	}
	var m recorderMode
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("recorder mode %s: %w", r.modePath, err)
	}
	r.modeMu.Lock()
	r.mode = m
	r.modeMu.Unlock()
	return nil
}

// recordLine is one line of the recorder's log.
type recordLine struct {
	Path     string    `json:"path"`
	Table    string    `json:"table"`
	WS       string    `json:"ws"`
	Status   int       `json:"status"` // -1: connection closed mid-response
	Acked    bool      `json:"acked"`
	Killed   string    `json:"killed,omitempty"` // the kill point, when this POST triggered a kill
	Error    string    `json:"error,omitempty"`
	Elements []element `json:"elements"`
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return // the sender went away
	}
	table, _ := strings.CutPrefix(req.Header.Get("Event-Type"), "WatchTable: ")
	line := recordLine{Path: req.URL.Path, Table: table, WS: req.Header.Get("Workstation")}
	els, err := elements(table, body)
	if err != nil {
		line.Error = err.Error()
	}
	line.Elements = els

	r.modeMu.Lock()
	m := r.mode
	fail := m.FailPercent > 0 && r.rng.Float64()*100 < m.FailPercent
	hangup := !fail && m.HangupPercent > 0 && r.rng.Float64()*100 < m.HangupPercent
	r.modeMu.Unlock()

	kill := ""
	if m.Kill {
		kill = r.killPoint(len(els))
	}
	if kill == "in-flight" {
		line.Killed, line.Elements = kill, nil
		r.kill()
		r.append(line) // status 0: never answered
		return
	}
	if m.Delay > 0 {
		select {
		case <-time.After(m.Delay):
		case <-req.Context().Done():
		}
	}
	switch {
	case req.Context().Err() != nil:
		line.Status = 0 // the sender gave up before the answer
	case fail:
		line.Status = http.StatusInternalServerError
	case hangup:
		line.Status = -1
	default:
		line.Status, line.Acked = http.StatusOK, line.Error == ""
		if kill != "" && kill != "in-flight" {
			line.Killed = kill
		}
	}
	if !line.Acked {
		line.Elements = nil // keep the log small: only acknowledged elements count
	}
	r.append(line)

	switch {
	case line.Status == 0:
		return
	case line.Status == -1:
		hangUp(w)
		return
	case line.Status != http.StatusOK:
		http.Error(w, "recorder: failing on purpose", line.Status)
		return
	}
	// A complete, flushed answer, so a kill right after it lands after odsim has its 200.
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	_ = http.NewResponseController(w).Flush()
	if line.Killed != "" {
		r.kill()
	}
}

// hangUp sends the status line and half the headers of a 200, then closes the connection.
func hangUp(w http.ResponseWriter) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 40\r\nContent-Type: text/pl")
	_ = buf.Flush()
}

func (r *recorder) append(line recordLine) {
	data, err := json.Marshal(line)
	if err != nil {
		fmt.Fprintf(r.stderr, "recorder: %v\n", err)
		return
	}
	r.logMu.Lock()
	defer r.logMu.Unlock()
	if _, err := r.log.Write(append(data, '\n')); err != nil {
		fmt.Fprintf(r.stderr, "recorder: %v\n", err)
	}
}

// killPoint says whether this POST, of n elements, is where the kill plan strikes next.
func (r *recorder) killPoint(n int) string {
	if r.pidfile == "" {
		return ""
	}
	r.killMu.Lock()
	defer r.killMu.Unlock()
	if r.killsLeft <= 0 || time.Since(r.lastKill) < 2*time.Second {
		return ""
	}
	pid := r.odsimPID()
	if pid == 0 || pid == r.killedPID {
		return "" // odsim has not been restarted since the last kill
	}
	point := killPoints[r.killed%len(killPoints)]
	switch {
	case point == "between-pages" && n != r.pageSize:
		return ""
	case point == "before-cursor" && (n == r.pageSize || n == 0):
		return ""
	}
	r.killsLeft--
	r.killed++
	r.killedPID = pid
	r.lastKill = time.Now()
	return point
}

func (r *recorder) odsimPID() int {
	data, err := os.ReadFile(r.pidfile)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}

func (r *recorder) kill() {
	r.killMu.Lock()
	pid := r.killedPID
	r.killMu.Unlock()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		fmt.Fprintf(r.stderr, "recorder: kill odsim %d: %v\n", pid, err)
	}
}

// deliveryLog is the recorder's log, read back by the checker.
func readRecorderLog(path string) ([]recordLine, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read recorder log: %w", err)
	}
	defer f.Close()
	var out []recordLine
	br := bufio.NewReaderSize(f, 1<<20)
	for n := 1; ; n++ {
		data, err := br.ReadBytes('\n')
		if len(strings.TrimSpace(string(data))) > 0 {
			var l recordLine
			if uerr := json.Unmarshal(data, &l); uerr != nil {
				return out, fmt.Errorf("recorder log line %d: %w", n, uerr)
			}
			out = append(out, l)
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("read recorder log: %w", err)
		}
	}
}
