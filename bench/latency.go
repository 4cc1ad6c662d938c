package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/odsim/odsim/subscriptions"
)

// latencyRun changes one appointment at a time, at random intervals so that changes fall anywhere in
// the poller's second, and times each change from the UPDATE being sent to the element's arrival.
func (b *bench) latencyRun(ctx context.Context) error {
	const pollingSeconds = 1
	k := b.cfg.latency
	db, err := b.newDatabase(ctx)
	if err != nil {
		return err
	}
	defer db.drop()
	fmt.Fprintf(b.log, "latency: %d single-row changes ...\n", k)
	if _, err := load(ctx, db.db, k); err != nil {
		return err
	}
	p, err := startOdsim(ctx, b.cfg.odsim, db.dsn, b.cfg.serveFlags...)
	if err != nil {
		return err
	}
	defer p.stop()

	var mu sync.Mutex
	arrived := make([]time.Time, k)
	left := k
	all := make(chan struct{})
	b.rc.expect(nil)
	b.rc.setInspect(func(at time.Time, eventType string, body []byte) {
		var elems []struct {
			Note string
		}
		if json.Unmarshal(body, &elems) != nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, e := range elems {
			i, err := strconv.Atoi(strings.TrimPrefix(e.Note, "latency "))
			if err != nil || i < 0 || i >= k || !arrived[i].IsZero() {
				continue
			}
			arrived[i] = at
			if left--; left == 0 {
				close(all)
			}
		}
	})
	defer b.rc.setInspect(nil)

	if err := subscribe(ctx, db.db, b.rc.URL(), []subscriptions.WatchTable{subscriptions.Appointment}, pollingSeconds, "NOW()"); err != nil {
		return err
	}
	// Let the first poll of the new subscription pass, so that every change is timed against polls
	// in their steady rhythm.
	if err := waitPolled(ctx, db, 10*time.Second); err != nil {
		return err
	}

	r := rand.New(rand.NewPCG(2026, 7))
	sent := make([]time.Time, k)
	for i := range k {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(r.IntN(60)) * time.Millisecond):
		}
		sent[i] = time.Now()
		if _, err := db.db.ExecContext(ctx, "UPDATE appointment SET Note = ? WHERE AptNum = ?", "latency "+strconv.Itoa(i), i+1); err != nil {
			return fmt.Errorf("change appointment: %w", err)
		}
	}
	select {
	case <-all:
	case <-time.After(time.Duration(10*pollingSeconds) * time.Second):
	case <-ctx.Done():
		return ctx.Err()
	}

	mu.Lock()
	defer mu.Unlock()
	var lat []time.Duration
	for i := range k {
		if !arrived[i].IsZero() {
			lat = append(lat, arrived[i].Sub(sent[i]))
		}
	}
	slices.Sort(lat)
	res := &latencyResult{changes: k, missing: k - len(lat), pollingSeconds: pollingSeconds}
	if len(lat) > 0 {
		q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		res.p50, res.p90, res.p99, res.max = q(0.50), q(0.90), q(0.99), lat[len(lat)-1]
	}
	b.rep.latency = res
	fmt.Fprintf(b.log, "  p50 %s p99 %s\n", res.p50.Round(time.Millisecond), res.p99.Round(time.Millisecond))
	return nil
}

// waitPolled waits until odsim has moved every subscription's cursor at least once.
func waitPolled(ctx context.Context, db *database, within time.Duration) error {
	var first string
	if err := db.db.QueryRowContext(ctx, "SELECT MAX(DateTimeStart) FROM apisubscription").Scan(&first); err != nil {
		return fmt.Errorf("read cursors: %w", err)
	}
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		var behind int
		if err := db.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM apisubscription WHERE DateTimeStart <= ?", first).Scan(&behind); err != nil {
			return fmt.Errorf("read cursors: %w", err)
		}
		if behind == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("odsim did not poll the subscriptions within %s", within)
}
