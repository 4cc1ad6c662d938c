package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/odsim/odsim/control"
	"github.com/odsim/odsim/deliveries"
	"github.com/odsim/odsim/metrics"
	"github.com/odsim/odsim/poller"
	"github.com/odsim/odsim/uievents"
)

// deliveryLogConfig is how `odsim serve` keeps and records delivery attempts.
type deliveryLogConfig struct {
	size   int      // records kept in memory
	bytes  byteSize // bodies and keys kept in memory, in all
	record string   // JSONL file every attempt is appended to
}

func (c *deliveryLogConfig) register(f *pflag.FlagSet) {
	c.bytes = deliveries.DefaultDetailBytes
	f.IntVar(&c.size, "delivery-log-size", deliveries.DefaultCapacity,
		"how many delivery attempts the control API keeps in memory (GET /odsim/v1/deliveries); the oldest is dropped")
	f.Var(&c.bytes, "delivery-log-bytes",
		"memory for the bodies and keys of logged deliveries, e.g. 64MiB; past it the oldest lose their body first")
	f.StringVar(&c.record, "record", "",
		"append every delivery attempt (headers, raw body, result) to this JSONL `file`, in odsim listen --jsonl's format")
}

func (c deliveryLogConfig) validate() error {
	if c.size < 1 {
		return fmt.Errorf("--delivery-log-size must be 1 or more, got %d", c.size)
	}
	if c.bytes < 1<<10 {
		return fmt.Errorf("--delivery-log-bytes must be at least 1KiB, got %d bytes", int64(c.bytes))
	}
	return nil
}

// openDeliveryLog creates the delivery log and opens the --record file. The returned close function
// closes the file and logs a failure to do so, since the process is ending.
func openDeliveryLog(cfg deliveryLogConfig, log *slog.Logger) (*deliveries.Log, func(), error) {
	if err := cfg.validate(); err != nil {
		return nil, nil, err
	}
	dc := deliveries.Config{Capacity: cfg.size, DetailBytes: int64(cfg.bytes), Logger: log}
	closeFile := func() {}
	if cfg.record != "" {
		f, err := os.OpenFile(cfg.record, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("--record: %w", err)
		}
		dc.Recording = f
		closeFile = func() {
			if err := f.Close(); err != nil {
				log.Error("closing the delivery recording failed; its last lines may be lost", "file", cfg.record, "error", err)
			}
		}
		log.Info("recording every delivery attempt", "file", cfg.record)
	}
	return deliveries.New(dc), closeFile, nil
}

// logDatabaseDeliveries is the poller's Observe: every database event POST goes to the delivery log
// and the metrics.
func logDatabaseDeliveries(l *deliveries.Log, m *metrics.Metrics) func(poller.Delivery) {
	return func(d poller.Delivery) {
		a := control.DatabaseAttempt(d)
		l.Add(a)
		m.Observe(a)
	}
}

// logUIDeliveries is uievents' Observe: every UI event POST goes to the delivery log and the metrics.
func logUIDeliveries(l *deliveries.Log, m *metrics.Metrics) func(uievents.Delivery) {
	return func(d uievents.Delivery) {
		a := control.UIAttempt(d)
		l.Add(a)
		m.Observe(a)
	}
}

// closeUIEvents lets UI events in flight finish for a few seconds, then abandons them.
func closeUIEvents(ui *uievents.Workstations) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ui.Close(ctx)
}

// byteSize is a flag value in bytes, written as 65536, 64KiB, 64MiB, 1GiB (or KB, MB, GB, also 1024-based).
type byteSize int64

func (b *byteSize) String() string {
	v := int64(*b)
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if v >= u.size && v%u.size == 0 {
			return strconv.FormatInt(v/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(v, 10)
}

func (b *byteSize) Set(s string) error {
	v, mult := cutUnit(strings.TrimSpace(s))
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return fmt.Errorf("%q is not a size: use bytes or a number with KiB, MiB or GiB, like 64MiB", s)
	}
	*b = byteSize(n * mult)
	return nil
}

// cutUnit splits a size's unit (KiB, MB, G, B, ... in any case) from its number.
func cutUnit(v string) (string, int64) {
	for _, u := range []struct {
		suffix string
		size   int64
	}{
		{"GiB", 1 << 30}, {"GB", 1 << 30}, {"G", 1 << 30},
		{"MiB", 1 << 20}, {"MB", 1 << 20}, {"M", 1 << 20},
		{"KiB", 1 << 10}, {"KB", 1 << 10}, {"K", 1 << 10},
		{"B", 1},
	} {
		if len(v) > len(u.suffix) && strings.EqualFold(v[len(v)-len(u.suffix):], u.suffix) {
			return strings.TrimSpace(v[:len(v)-len(u.suffix)]), u.size
		}
	}
	return v, 1
}

func (b *byteSize) Type() string { return "size" }
