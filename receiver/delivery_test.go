package receiver

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDeliveryMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	in := Delivery{
		Time:    time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("", 3600)),
		Method:  http.MethodPost,
		Path:    "/a%20b?x=1&y=<2>",
		Headers: http.Header{"Event-Type": {"WatchTable: Patient"}, "X-Two": {"a", "b"}},
		Body:    []byte("{\"FName\":\"Zoë\"}\n"),
		Status:  503,
	}
	line, err := in.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"time":"2026-01-02T03:04:05.000000006+01:00","method":"POST","path":"/a%20b?x=1&y=<2>",` +
		`"headers":{"Event-Type":["WatchTable: Patient"],"X-Two":["a","b"]},"body":"{\"FName\":\"Zoë\"}\n","status":503}`
	if string(line) != want {
		t.Errorf("line\n%s\nwant\n%s", line, want)
	}
	out, err := ReadJSONL(bytes.NewReader(line)) // no trailing newline
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 {
		t.Fatalf("%d deliveries", len(out))
	}
	got := out[0]
	if !got.Time.Equal(in.Time) || got.Method != in.Method || got.Path != in.Path || got.Status != in.Status ||
		!bytes.Equal(got.Body, in.Body) || strings.Join(got.Headers["X-Two"], ",") != "a,b" {
		t.Errorf("read back %+v, want %+v", got, in)
	}
}

func TestReadJSONLErrorsNameTheLine(t *testing.T) {
	t.Parallel()
	good := `{"method":"POST","path":"/","headers":{},"body":"[]","status":200}`
	tests := []struct {
		name, input, wantErr string
		wantN                int
	}{
		{name: "blank lines skipped", input: "\n" + good + "\n\n  \n" + good + "\n", wantN: 2},
		{name: "empty input", input: "", wantN: 0},
		{name: "CRLF line ends", input: good + "\r\n" + good + "\r\n", wantN: 2},
		{name: "truncated line", input: good + "\n" + `{"method":"POST","bo`, wantErr: "line 2: "},
		{name: "not an object", input: good + "\n\n[1,2]\n", wantErr: "line 3: "},
		{name: "both bodies", input: `{"body":"x","body_base64":"eA=="}`, wantErr: "line 1: both body and body_base64 are set"},
		{name: "bad base64", input: good + "\n" + `{"body_base64":"***"}`, wantErr: "line 2: body_base64: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadJSONL(strings.NewReader(tt.input))
			if tt.wantErr == "" {
				if err != nil || len(got) != tt.wantN {
					t.Errorf("got %d deliveries, err %v; want %d", len(got), err, tt.wantN)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
