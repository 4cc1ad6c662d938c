package demo

import "time"

// BookStart is the default first day of the demo's appointment book when it is loaded at now: this
// week's Monday, so that a live demo shows this week and next; at a weekend, when this week's book is
// over, next Monday.
func BookStart(now time.Time) time.Time {
	if wd := now.Weekday(); wd == time.Saturday || wd == time.Sunday {
		now = now.AddDate(0, 0, 2)
	}
	return MondayOf(now)
}
