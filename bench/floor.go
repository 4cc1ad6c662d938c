package main

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/subscriptions"
)

// floorResult is how long the database alone took to hand a window's pages to a Go client.
type floorResult struct {
	wall     time.Duration
	rows     int
	bytes    int64 // column bytes read
	perTable map[subscriptions.WatchTable]time.Duration
}

// readFloor reads every page of each table's window [start, NOW()) with exactly the SELECT odsim runs
// (store.WindowSQL: same columns, joins, order, page size and page boundaries), one goroutine per table as
// odsim polls one subscription per table, through go-sql-driver/mysql with odsim's session settings,
// and discards the rows. Nothing is encoded or sent: this is the time odsim cannot go below.
func readFloor(ctx context.Context, db *sql.DB, tables []subscriptions.WatchTable, start time.Time, pageSize int) (floorResult, error) {
	res := floorResult{perTable: map[subscriptions.WatchTable]time.Duration{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, len(tables))
	begin := time.Now()
	for _, t := range tables {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows, bytes, err := readWindow(ctx, db, t, start, pageSize)
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			defer mu.Unlock()
			res.rows += rows
			res.bytes += bytes
			res.perTable[t] = time.Since(begin)
		}()
	}
	wg.Wait()
	res.wall = time.Since(begin)
	close(errs)
	if err := <-errs; err != nil {
		return floorResult{}, err
	}
	return res, nil
}

// readWindow reads one table's window the way odsim's store does (store.WindowSQL): T is the
// database's NOW(); the window's keys are listed store.KeysPerRead at a time, each list starting after
// the last key of the one before; the rows of each run of pageSize keys are read by primary key.
func readWindow(ctx context.Context, db *sql.DB, t subscriptions.WatchTable, start time.Time, pageSize int) (int, int64, error) {
	keysSQL, pageSQL := store.WindowSQL(t)
	if keysSQL == "" {
		return 0, 0, fmt.Errorf("floor: no query for %s", t)
	}
	var now string
	if err := db.QueryRowContext(ctx, "SELECT NOW()").Scan(&now); err != nil {
		return 0, 0, fmt.Errorf("floor %s: %w", t, err)
	}
	from, to := start.Format(dateTime), now
	total, size := 0, int64(0)
	afterWatch, afterKey := from, int64(0)
	var keys []int64
	var args []any
	for {
		rows, err := db.QueryContext(ctx, keysSQL, from, to, afterWatch, afterKey, store.KeysPerRead)
		if err != nil {
			return 0, 0, fmt.Errorf("floor %s keys: %w", t, err)
		}
		keys = keys[:0]
		for rows.Next() {
			if err := rows.Scan(&afterKey, &afterWatch); err != nil {
				rows.Close()
				return 0, 0, fmt.Errorf("floor %s keys: %w", t, err)
			}
			keys = append(keys, afterKey)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return 0, 0, fmt.Errorf("floor %s keys: %w", t, err)
		}
		for i := 0; i < len(keys); i += pageSize {
			page := keys[i:min(i+pageSize, len(keys))]
			args = args[:0]
			for _, k := range page {
				args = append(args, k)
			}
			args = append(args, from, to)
			n, b, err := readRows(ctx, db, pageSQL(len(page)), args)
			if err != nil {
				return 0, 0, fmt.Errorf("floor %s: %w", t, err)
			}
			total += n
			size += b
		}
		if len(keys) < store.KeysPerRead {
			return total, size, nil
		}
	}
}

// readRows runs a query and reads its rows as raw bytes, returning how many and their size.
func readRows(ctx context.Context, db *sql.DB, q string, args []any) (int, int64, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, 0, err
	}
	raw := make([]sql.RawBytes, len(cols))
	dest := make([]any, len(cols))
	for i := range raw {
		dest[i] = &raw[i]
	}
	n, size := 0, int64(0)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return 0, 0, err
		}
		for _, v := range raw {
			size += int64(len(v))
		}
		n++
	}
	return n, size, rows.Err()
}
