package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/odsim/odsim/subscriptions"
)

// idleRun measures what odsim costs when nothing changes: many subscriptions over every WatchTable,
// each polled every PollingSeconds, on a database with the practice and no changed rows.
func (b *bench) idleRun(ctx context.Context) error {
	const pollingSeconds = 1
	db, err := b.newDatabase(ctx)
	if err != nil {
		return err
	}
	defer db.drop()
	fmt.Fprintf(b.log, "idle: %d subscriptions for %s ...\n", b.cfg.idle, b.cfg.idleFor)
	if err := loadPractice(ctx, db.db); err != nil {
		return err
	}
	var args []any
	for i := range b.cfg.idle {
		wt := subscriptions.WatchTables[i%len(subscriptions.WatchTables)]
		args = append(args, b.rc.URL()+"/"+string(wt), string(wt), pollingSeconds)
	}
	tuple := "(?, '', 'VzkmZEaUWOjnQX2z', ?, ?, '', NOW(), '0001-01-01 00:00:00', 'bench idle')"
	if _, err := db.db.ExecContext(ctx, "INSERT INTO apisubscription (EndPointUrl, Workstation, CustomerKey, WatchTable, PollingSeconds, UiEventType, DateTimeStart, DateTimeStop, Note) VALUES "+
		strings.Repeat(tuple+",", b.cfg.idle-1)+tuple, args...); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	b.rc.expect(nil)
	p, err := startOdsim(ctx, b.cfg.odsim, db.dsn, b.cfg.serveFlags...)
	if err != nil {
		return err
	}
	defer p.stop()
	if err := waitPolled(ctx, db, 30*time.Second); err != nil {
		return err
	}
	cpu0, err := cpuTime(p.pid())
	if err != nil {
		return err
	}
	begin := time.Now()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-p.exited:
		return fmt.Errorf("odsim exited: %s", p.stderr.String())
	case <-time.After(b.cfg.idleFor):
	}
	cpu1, err := cpuTime(p.pid())
	if err != nil {
		return err
	}
	over := time.Since(begin)
	var polled int
	if err := db.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM apisubscription WHERE DateTimeStart >= NOW() - INTERVAL 2 SECOND").Scan(&polled); err != nil {
		return fmt.Errorf("read cursors: %w", err)
	}
	posts := 0
	for _, a := range b.rc.snapshot() {
		posts += a.posts
	}
	b.rep.idle = &idleResult{subs: b.cfg.idle, polled: polled, over: over, cpu: cpu1 - cpu0, posts: posts, pollingSeconds: pollingSeconds}
	fmt.Fprintf(b.log, "  %.1f%% of one core\n", 100*(cpu1-cpu0).Seconds()/over.Seconds())
	return nil
}
