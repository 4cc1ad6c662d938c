package clock_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/odsim/odsim/clock"
)

// The host clock's Sleep waits, and gives up when its context ends.
func TestRealSleep(t *testing.T) {
	t.Parallel()
	var c clock.Clock = clock.Real{}
	before := c.Now()
	if err := c.Sleep(context.Background(), 20*time.Millisecond); err != nil || c.Now().Sub(before) < 20*time.Millisecond {
		t.Errorf("Sleep(20ms) = %v after %v", err, c.Now().Sub(before))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep with an ended context = %v, want context.Canceled", err)
	}
}
