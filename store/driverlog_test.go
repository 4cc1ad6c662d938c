package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/store/storetest"
)

// syncBuffer is a bytes.Buffer safe for the driver's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// go-sql-driver's own log lines go through the slog logger given to Open, so that --log-format json
// holds them too: a pooled connection killed by the server makes the driver log "closing bad idle
// connection" when it is next taken, and that line arrives as JSON.
func TestDriverLogLinesGoThroughSlog(t *testing.T) {
	t.Parallel()
	storetest.RequireServer(t)
	var out syncBuffer
	db, err := store.Open(context.Background(), storetest.NewDSN(t), store.WithLogger(slog.New(slog.NewJSONHandler(&out, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	db.SQL().SetMaxIdleConns(1)
	db.SQL().SetMaxOpenConns(1)
	var id int64
	if err := db.SQL().QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	killer := storetest.Open(t, storetest.NewDSN(t))
	if _, err := killer.SQL().ExecContext(ctx, "KILL ?", id); err != nil {
		t.Fatal(err)
	}
	var one int
	if err := db.SQL().QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatalf("query after the kill: %v", err)
	}
	var line struct {
		Level, Msg, Message string
	}
	text := strings.TrimSpace(out.String())
	if text == "" || json.Unmarshal([]byte(strings.Split(text, "\n")[0]), &line) != nil ||
		line.Level != "WARN" || line.Msg != "mysql driver" || !strings.Contains(line.Message, "bad idle connection") {
		t.Fatalf("driver log through slog: %q", text)
	}
}
