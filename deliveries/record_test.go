package deliveries_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/odsim/odsim/deliveries"
	"github.com/odsim/odsim/receiver"
)

// TestRecordingReadsAsReceiverJSONL records attempts through the log and reads the file back with the
// receiver's reader, which replay uses: the two formats must stay one.
func TestRecordingReadsAsReceiverJSONL(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "record.jsonl")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	l := deliveries.New(deliveries.Config{Recording: f, MaxBodyBytes: 4})
	ok := attempt(3, "Appointment", 200, 12, 15)
	ok.Request.URL = "http://me:pw@127.0.0.1:2097/apievents/?type=appt&token=s3cret"
	refused := attempt(4, "Patient", 0, 27)
	refused.Result.Err = errors.New("connection refused")
	refused.Request.Body = []byte{0xff, '[', ']'} // not UTF-8: recorded as body_base64
	l.Add(ok)
	l.Add(refused)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := receiver.ReadJSONL(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("receiver.ReadJSONL: %v\n%s", err, data)
	}
	if len(got) != 2 {
		t.Fatalf("read %d deliveries, want 2", len(got))
	}
	if d := got[0]; d.Method != "POST" || d.Path != "/apievents/?type=***&token=***" || d.Status != 200 ||
		string(d.Body) != string(ok.Request.Body) || d.Headers.Get("Event-Type") != "WatchTable: Appointment" ||
		!d.Time.Equal(ok.At) {
		t.Errorf("first line read back as %+v", d)
	}
	if d := got[1]; d.Status != 0 || !bytes.Equal(d.Body, refused.Request.Body) {
		t.Errorf("second line read back as %+v", d)
	}

	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var extra struct {
		ID          int64   `json:"id"`
		URL         string  `json:"url"`
		Sub         int64   `json:"subscription"`
		EventType   string  `json:"event_type"`
		Workstation string  `json:"workstation"`
		Batch       int     `json:"batch"`
		WindowStop  string  `json:"window_stop"`
		Elements    int     `json:"elements"`
		Keys        []int64 `json:"keys"`
		OK          bool    `json:"ok"`
		LatencyMS   float64 `json:"latency_ms"`
		Error       string  `json:"error"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &extra); err != nil {
		t.Fatal(err)
	}
	if extra.ID != 1 || extra.URL != "http://***@127.0.0.1:2097/apievents/?type=***&token=***" || extra.Sub != 3 ||
		extra.Batch != 1 || extra.WindowStop != "2026-11-28 10:00:00" || extra.Elements != 2 ||
		len(extra.Keys) != 2 || !extra.OK || extra.LatencyMS != 1.5 || extra.Error != "" {
		t.Errorf("first line's result fields: %+v", extra)
	}
	if strings.Contains(string(data), "me:pw") || strings.Contains(string(data), "s3cret") {
		t.Error("the recording holds the URL's credentials or query secrets")
	}
	if err := json.Unmarshal([]byte(lines[1]), &extra); err != nil {
		t.Fatal(err)
	}
	if extra.OK || extra.Error != "connection refused" {
		t.Errorf("second line's result fields: %+v", extra)
	}
}
