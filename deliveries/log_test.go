package deliveries_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/odsim/odsim/deliveries"
	"github.com/odsim/odsim/subscriptions"
	"github.com/odsim/odsim/webhook"
)

var t0 = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

// attempt builds a database-event attempt of subscription sub answered with status.
func attempt(sub int64, table string, status int, keys ...int64) deliveries.Attempt {
	body := []byte("[")
	for i, k := range keys {
		if i > 0 {
			body = append(body, ',')
		}
		body = fmt.Appendf(body, `{"Num":%d}`, k)
	}
	body = append(body, ']')
	et := "WatchTable: " + table
	return deliveries.Attempt{
		At:           t0,
		Subscription: subscriptions.Subscription{Num: sub, WatchTable: subscriptions.WatchTable(table)},
		Workstation:  "MOLLYR",
		Batch:        1,
		WindowStart:  t0.Add(-5 * time.Second),
		WindowStop:   t0,
		Request:      webhook.Request{URL: "http://127.0.0.1:2097/", CustomerKey: "key", Workstation: "MOLLYR", EventType: et, Body: body},
		Elements:     len(keys),
		Keys:         keys,
		Result: webhook.Result{Status: status, Latency: 1500 * time.Microsecond,
			Header: http.Header{"Event-Type": {et}, "Authorization": {"key"}}},
	}
}

func ids(rs []deliveries.Record) []int64 {
	var out []int64
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestOldestDroppedAtCapacity(t *testing.T) {
	t.Parallel()
	l := deliveries.New(deliveries.Config{Capacity: 3})
	for i := range 5 {
		if r := l.Add(attempt(1, "Appointment", 200, int64(i))); r.ID != int64(i+1) {
			t.Fatalf("attempt %d got ID %d", i, r.ID)
		}
	}
	p := l.List(deliveries.Filter{})
	if got := ids(p.Records); !slices.Equal(got, []int64{3, 4, 5}) || p.FirstID != 3 || p.LastID != 5 {
		t.Errorf("kept %v (first %d, last %d), want [3 4 5] (3, 5)", got, p.FirstID, p.LastID)
	}
	if _, ok := l.Get(2); ok {
		t.Error("Get(2) found a dropped record")
	}
	if r, ok := l.Get(4); !ok || string(r.Body) != `[{"Num":3}]` || r.Header.Get("Event-Type") != "WatchTable: Appointment" {
		t.Errorf("Get(4) = %+v, %v", r, ok)
	}
	if s := l.Stats(); s.Records != 3 {
		t.Errorf("Stats().Records = %d, want 3", s.Records)
	}
}

func TestFilters(t *testing.T) {
	t.Parallel()
	l := deliveries.New(deliveries.Config{})
	l.Add(attempt(1, "Appointment", 200, 10, 11)) // 1
	l.Add(attempt(2, "Patient", 500, 27))         // 2
	fail := attempt(1, "Appointment", 0, 12)      // 3: no answer
	fail.Result.Err = errors.New("connection refused")
	l.Add(fail)
	ui := attempt(3, "", 200, 28) // 4
	ui.Request.EventType, ui.Workstation, ui.Batch = "UiEventType: PatientSelected", "FRONTDESK", 0
	l.Add(ui)
	l.Add(attempt(2, "Patient", 200, 27)) // 5

	status := func(s string) deliveries.Status {
		st, err := deliveries.ParseStatus(s)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	tests := []struct {
		name string
		f    deliveries.Filter
		want []int64
	}{
		{"all", deliveries.Filter{}, []int64{1, 2, 3, 4, 5}},
		{"all newest", deliveries.Filter{Newest: true}, []int64{1, 2, 3, 4, 5}},
		{"subscription", deliveries.Filter{Subscription: 1}, []int64{1, 3}},
		{"table name", deliveries.Filter{EventType: "Patient"}, []int64{2, 5}},
		{"ui event name", deliveries.Filter{EventType: "PatientSelected"}, []int64{4}},
		{"whole Event-Type", deliveries.Filter{EventType: "WatchTable: Appointment"}, []int64{1, 3}},
		{"workstation any case", deliveries.Filter{Workstation: "frontdesk"}, []int64{4}},
		{"ok", deliveries.Filter{Status: status("ok")}, []int64{1, 4, 5}},
		{"failed", deliveries.Filter{Status: status("failed")}, []int64{2, 3}},
		{"code", deliveries.Filter{Status: status("500")}, []int64{2}},
		{"no answer", deliveries.Filter{Status: status("0")}, []int64{3}},
		{"since", deliveries.Filter{Since: 3}, []int64{4, 5}},
		{"newest with limit", deliveries.Filter{Limit: 2, Newest: true}, []int64{4, 5}},
		{"newest after since", deliveries.Filter{Since: 3, Limit: 9, Newest: true}, []int64{4, 5}},
		{"first with limit", deliveries.Filter{Limit: 2}, []int64{1, 2}},
		{"first after since with limit", deliveries.Filter{Since: 1, Limit: 2}, []int64{2, 3}},
		{"combined", deliveries.Filter{Subscription: 2, Status: status("ok")}, []int64{5}},
		{"none", deliveries.Filter{Subscription: 9}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(l.List(tt.f).Records); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	r := l.List(deliveries.Filter{Since: 2, Limit: 1}).Records[0]
	if r.Error != "connection refused" || r.OK || r.Status != 0 || r.Body != nil || r.Header != nil {
		t.Errorf("summary of a refused attempt: %+v", r)
	}
}

func TestParseStatusRejects(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"200x", "-1", "600", "okay", "2e2"} {
		if _, err := deliveries.ParseStatus(s); err == nil || !strings.Contains(err.Error(), "use ok, failed") {
			t.Errorf("ParseStatus(%q) = %v, want an error naming the forms", s, err)
		}
	}
}

func TestBodyCutAndDetailBudget(t *testing.T) {
	t.Parallel()
	l := deliveries.New(deliveries.Config{MaxBodyBytes: 8, DetailBytes: 40})
	r := l.Add(attempt(1, "Appointment", 200, 1, 2)) // body 21 bytes, cut to 8; keys 16: detail 24
	full, _ := l.Get(r.ID)
	if string(full.Body) != `[{"Num":` || !full.BodyTruncated || full.BodySize != 21 || !slices.Equal(full.Keys, []int64{1, 2}) {
		t.Errorf("cut record: body %q truncated %v size %d keys %v", full.Body, full.BodyTruncated, full.BodySize, full.Keys)
	}
	l.Add(attempt(1, "Appointment", 200, 3)) // 8+8: 40 in all, within the budget
	if first, _ := l.Get(1); first.Body == nil {
		t.Error("record 1 lost its body within the budget")
	}
	l.Add(attempt(1, "Appointment", 200, 4)) // 56 > 40: record 1 releases its detail
	first, _ := l.Get(1)
	if first.Body != nil || !first.BodyTruncated || first.Keys != nil || !first.KeysTruncated || first.Elements != 2 {
		t.Errorf("oldest record after the budget was exceeded: %+v", first)
	}
	if s := l.Stats(); s.DetailBytes != 32 {
		t.Errorf("detail bytes %d, want 32", s.DetailBytes)
	}
}

func TestMaskURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:2097/", "http://127.0.0.1:2097/"},
		{"https://user:secret@example.com/hook?x=1", "https://***@example.com/hook?x=***"},
		{"https://example.com/hook?token=s3cret&sub=3", "https://example.com/hook?token=***&sub=***"},
		{"https://example.com/hook?s3cret", "https://example.com/hook?***"},
		{"https://example.com/hook?token=&&a=b=c#frag?x=1", "https://example.com/hook?token=***&&a=***#frag?x=1"},
		{"https://example.com/hook?", "https://example.com/hook?"},
		{"/apievents/?key=s3cret", "/apievents/?key=***"},
		{"http://example.com/p?q@r=1", "http://example.com/p?q@r=***"},
		{"https://token@example.com", "https://***@example.com"},
		{"https://a:b@c@example.com/p@q", "https://***@example.com/p@q"},
		{"http://example.com/path@notuser", "http://example.com/path@notuser"},
	}
	for _, tt := range tests {
		if got := deliveries.MaskURL(tt.in); got != tt.want {
			t.Errorf("MaskURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	l := deliveries.New(deliveries.Config{})
	a := attempt(1, "Appointment", 200, 1)
	a.Request.URL = "http://me:pw@127.0.0.1:9/"
	if r := l.Add(a); r.URL != "http://***@127.0.0.1:9/" {
		t.Errorf("logged URL %q", r.URL)
	}
	a.Request.URL = "http://127.0.0.1:9/hook?token=s3cret"
	if r := l.Add(a); r.URL != "http://127.0.0.1:9/hook?token=***" {
		t.Errorf("logged URL %q", r.URL)
	}
}

func TestWaitWakesOnAdd(t *testing.T) {
	t.Parallel()
	l := deliveries.New(deliveries.Config{})
	l.Add(attempt(1, "Appointment", 200, 1))
	if !l.Wait(context.Background(), 0) {
		t.Fatal("Wait(0) with a record present returned false")
	}
	woke := make(chan bool)
	go func() { woke <- l.Wait(context.Background(), 1) }()
	l.Add(attempt(1, "Appointment", 200, 2))
	select {
	case ok := <-woke:
		if !ok {
			t.Error("Wait returned false after an Add")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not wake within 5s of an Add")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if l.Wait(ctx, 2) {
		t.Error("Wait with an ended context and nothing new returned true")
	}
}
