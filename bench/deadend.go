package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// deadendRun measures what odsim spends while every receiver is down: cfg.deadend subscriptions to
// Appointment (PollingSeconds 1), each to its own path on a loopback port where nothing listens, a
// writer adding cfg.deadendRate appointments a second, and odsim recording every attempt (--record).
// It samples odsim's resident memory each second and reports its peak, its CPU, what --record left on
// disk and how many lines odsim logged (at warn, one per failed attempt).
func (b *bench) deadendRun(ctx context.Context) error {
	db, err := b.newDatabase(ctx)
	if err != nil {
		return err
	}
	defer db.drop()
	dead, err := closedAddr()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "odsim-deadend-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	record := filepath.Join(dir, "record.jsonl")
	p, err := startOdsim(ctx, b.cfg.odsim, db.dsn, append([]string{"--record", record}, b.cfg.serveFlags...)...)
	if err != nil {
		return err
	}
	defer p.stop()
	fmt.Fprintf(b.log, "dead endpoints: %d subscriptions to %s (nothing listens there), %.3g changes/s, for %s ...\n",
		b.cfg.deadend, dead, b.cfg.deadendRate, b.cfg.deadendFor)
	for i := 1; i <= b.cfg.deadend; i++ {
		if err := subscribeAPI(ctx, p.api, fmt.Sprintf("http://%s/s%d", dead, i)); err != nil {
			return fmt.Errorf("subscribe %d: %w", i, err)
		}
	}

	wctx, stopWriter := context.WithCancel(ctx)
	defer stopWriter()
	written := make(chan int, 1)
	go func() { written <- changeAppointments(wctx, db, b.cfg.deadendRate) }()
	cpu0, err := cpuTime(p.pid())
	if err != nil {
		return err
	}
	lines0, _ := p.stderr.counts("delivery recording reached its size")
	began := time.Now()
	res := deadendResult{subs: b.cfg.deadend, rate: b.cfg.deadendRate}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	end := time.After(b.cfg.deadendFor)
sample:
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.exited:
			return fmt.Errorf("odsim exited: %s", p.stderr.String())
		case <-end:
			break sample
		case <-tick.C:
			if rss, err := procStatus(p.pid(), "VmRSS:"); err == nil {
				res.maxRSS = max(res.maxRSS, rss)
			}
		}
	}
	res.over = time.Since(began)
	stopWriter()
	res.changes = <-written
	cpu1, err := cpuTime(p.pid())
	if err != nil {
		return err
	}
	res.cpu = cpu1 - cpu0
	if res.peakRSS, err = peakRSS(p.pid()); err != nil {
		return err
	}
	res.disk = fileSize(record) + fileSize(record+".1")
	p.stop()
	lines1, rotations := p.stderr.counts("delivery recording reached its size")
	res.lines, res.rotations = lines1-lines0, rotations
	b.rep.deadend = &res
	fmt.Fprintf(b.log, "  peak RSS %.0f MiB, %.0f%% of one core\n", float64(res.peakRSS)/(1<<20), 100*res.cpu.Seconds()/res.over.Seconds())
	return nil
}

// closedAddr is a loopback address where nothing listens: connections to it are refused at once.
func closedAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

// subscribeAPI subscribes url to Appointment, PollingSeconds 1, through odsim's Subscriptions API.
func subscribeAPI(ctx context.Context, api, url string) error {
	body := `{"EndPointUrl":"` + url + `","WatchTable":"Appointment","PollingSeconds":1}`
	req, err := http.NewRequestWithContext(ctx, "POST", api+"/api/v1/subscriptions", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "ODFHIR NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		data, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s %s", resp.Status, data)
	}
	return nil
}

// changeAppointments adds an appointment every 1/rate seconds until ctx ends, and returns how many.
func changeAppointments(ctx context.Context, db *database, rate float64) int {
	t := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer t.Stop()
	for n := 0; ; {
		select {
		case <-ctx.Done():
			return n
		case <-t.C:
		}
		if _, err := db.db.ExecContext(ctx, "INSERT INTO appointment (PatNum, AptStatus, Pattern, Op, Note, AptDateTime) VALUES (?, 1, '//', 1, ?, NOW())",
			n%60+1, fmt.Sprintf("dead-endpoint bench change %d", n+1)); err == nil {
			n++
		}
	}
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}
