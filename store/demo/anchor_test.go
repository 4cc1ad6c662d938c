package demo

import (
	"testing"
	"time"
)

func TestBookStart(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ now, want string }{
		{"2026-11-30", "2026-11-30"}, // Monday
		{"2026-12-04", "2026-11-30"}, // Friday: this week
		{"2026-12-05", "2026-12-07"}, // Saturday: next week
		{"2026-12-06", "2026-12-07"}, // Sunday: next week
	} {
		now, _ := time.Parse(time.DateOnly, c.now)
		if got := BookStart(now.Add(15 * time.Hour)).Format(time.DateOnly); got != c.want {
			t.Errorf("BookStart(%s) = %s, want %s", c.now, got, c.want)
		}
	}
}
