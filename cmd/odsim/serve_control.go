package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/odsim/odsim/deliveries"
)

// deliveryLogConfig is how `odsim serve` keeps and records delivery attempts.
type deliveryLogConfig struct {
	size       int      // records kept in memory
	bytes      byteSize // bodies and keys kept in memory, in all
	record     string   // JSONL file every attempt is appended to
	recordSize byteSize // size at which the record file is rotated
}

func (c *deliveryLogConfig) register(f *pflag.FlagSet) {
	c.bytes = deliveries.DefaultDetailBytes
	c.recordSize = deliveries.DefaultRecordMaxBytes
	f.IntVar(&c.size, "delivery-log-size", deliveries.DefaultCapacity,
		"how many delivery attempts the control API keeps in memory (GET /odsim/v1/deliveries); the oldest is dropped")
	f.Var(&c.bytes, "delivery-log-bytes",
		"memory for the bodies and keys of logged deliveries, e.g. 64MiB; past it the oldest lose their body first")
	f.StringVar(&c.record, "record", "",
		"append every delivery attempt (headers, raw body, result) to this JSONL `file`, in odsim listen --jsonl's format (created 0600; URL query values masked)")
	f.Var(&c.recordSize, "record-max-size",
		"when the --record file would pass this size, move it to FILE.1 (replacing the one before) and start afresh, e.g. 256MiB")
}

func (c deliveryLogConfig) validate() error {
	if c.size < 1 {
		return fmt.Errorf("--delivery-log-size must be 1 or more, got %d", c.size)
	}
	if c.bytes < 1<<10 {
		return fmt.Errorf("--delivery-log-bytes must be at least 1KiB, got %d bytes", int64(c.bytes))
	}
	if c.recordSize != 0 && c.recordSize < 1<<20 {
		return fmt.Errorf("--record-max-size must be at least 1MiB, got %d bytes", int64(c.recordSize))
	}
	return nil
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
