package jsonl_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/odsim/odsim/deliveries/jsonl"
)

// A sender's line is a receiver's line with the sender's fields after it, in this order; a receiver
// reading it gets the same request, and the sender's fields come back too.
func TestSentLine(t *testing.T) {
	t.Parallel()
	in := jsonl.Line{
		Time: time.Date(2026, 11, 28, 10, 4, 5, 123, time.UTC), Method: "POST", Path: "/apievents/",
		Headers: http.Header{"Event-Type": {"WatchTable: Appointment"}}, Body: []byte(`[{"AptNum":12,"Note":"<a&b>"}]`), Status: 200,
		Sent: &jsonl.Sent{ID: 7, URL: "http://127.0.0.1:2097/apievents/", Subscription: 3, EventType: "WatchTable: Appointment",
			Workstation: "MOLLYR", Batch: 1, WindowStart: "2026-11-28 10:04:00", WindowStop: "2026-11-28 10:04:05",
			Elements: 1, Keys: []int64{12}, OK: true, LatencyMS: 4.21},
	}
	line, err := in.AppendLine(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"time":"2026-11-28T10:04:05.000000123Z","method":"POST","path":"/apievents/","headers":{"Event-Type":["WatchTable: Appointment"]},` +
		`"body":"[{\"AptNum\":12,\"Note\":\"<a&b>\"}]","status":200,"id":7,"url":"http://127.0.0.1:2097/apievents/","subscription":3,` +
		`"event_type":"WatchTable: Appointment","workstation":"MOLLYR","batch":1,"window_start":"2026-11-28 10:04:00",` +
		`"window_stop":"2026-11-28 10:04:05","elements":1,"keys":[12],"ok":true,"latency_ms":4.21,"error":""}` + "\n"
	if string(line) != want {
		t.Fatalf("line\n%s\nwant\n%s", line, want)
	}
	out, err := jsonl.Read(bytes.NewReader(line))
	if err != nil || len(out) != 1 {
		t.Fatalf("Read: %v, %d lines", err, len(out))
	}
	if got := out[0]; !bytes.Equal(got.Body, in.Body) || got.Sent == nil || got.Sent.Keys == nil || got.Sent.ID != 7 || !got.Time.Equal(in.Time) {
		t.Errorf("read back %+v (sent %+v)", got, got.Sent)
	}
}

// A body that is not UTF-8 travels as body_base64 and comes back byte for byte; a receiver's line has
// no sender fields.
func TestBodyCodec(t *testing.T) {
	t.Parallel()
	in := jsonl.Line{Method: "POST", Path: "/", Body: []byte{0xff, 0x00, '['}}
	line, err := in.MarshalJSON()
	if err != nil || !strings.Contains(string(line), `"body_base64":"/wBb"`) || strings.Contains(string(line), `"body":`) {
		t.Fatalf("%s, %v", line, err)
	}
	out, err := jsonl.Read(strings.NewReader("\n" + string(line) + "\n\n"))
	if err != nil || len(out) != 1 || !bytes.Equal(out[0].Body, in.Body) || out[0].Sent != nil {
		t.Fatalf("read back %+v, %v", out, err)
	}
	if _, err := jsonl.Read(strings.NewReader(`{"body":"a","body_base64":"YQ=="}`)); err == nil || !strings.Contains(err.Error(), "line 1: both body and body_base64") {
		t.Errorf("both bodies: %v", err)
	}
	if _, err := jsonl.Read(strings.NewReader("{}\n{\"body_base64\":\"!\"}")); err == nil || !strings.Contains(err.Error(), "line 2: body_base64") {
		t.Errorf("bad base64: %v", err)
	}
}
