package httpjson_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/odsim/odsim/httpjson"
)

var obj = httpjson.Object{Fields: []string{"name", "count", "ok"}, Refused: map[string]string{"id": "id cannot be set."}}

type body struct {
	Name  string `json:"name"`
	Count *int64 `json:"count"`
	OK    bool   `json:"ok"`
}

// Decode refuses, with a message naming the field, everything encoding/json would let through or
// change, and decodes the rest.
func TestDecode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, data string
		field      string // the field the error names; "" for the body
		message    string // "" for no error
	}{
		{"plain", `{"name":"x","count":2,"ok":true}`, "", ""},
		{"escapes kept", `{"name":"tab\tquote\" backslash\\ pair \ud83d\ude00 \u00e9 \\u0000"}`, "", ""},
		{"empty", ``, "", "Request body is empty: send a JSON object with name, count, ok."},
		{"invalid UTF-8", "{\"name\":\"\xff\"}", "", "Request body is not valid UTF-8."},
		{"unknown key", `{"nme":"x"}`, "nme", `Unknown field "nme": the fields are name, count, ok.`},
		{"key in other case", `{"Name":"x"}`, "Name", `Unknown field "Name": field names are case-sensitive; did you mean name?`},
		{"key twice", `{"name":"x","name":"y"}`, "name", `"name" is given more than once.`},
		{"refused key", `{"id":1}`, "id", "id cannot be set."},
		{"NUL", `{"name":"a\u0000b"}`, "name", `name must not contain U+0000 (\u0000): it is not text a column can hold.`},
		{"lone high surrogate", `{"name":"a\ud800b"}`, "name", `name holds a lone UTF-16 surrogate (\ud800)`},
		{"lone high surrogate at the end", `{"name":"\uD83D"}`, "name", `name holds a lone UTF-16 surrogate (\ud83d)`},
		{"high surrogate then another high", `{"name":"\ud83d\ud83d\ude00"}`, "name", `name holds a lone UTF-16 surrogate (\ud83d)`},
		{"lone low surrogate", `{"name":"\udc00"}`, "name", `name holds a lone UTF-16 surrogate (\udc00)`},
		{"surrogate in a nested value", `{"count":{"a":["\udfff"]}}`, "count", `count holds a lone UTF-16 surrogate (\udfff)`},
		{"wrong type", `{"count":"2"}`, "count", "count must be a whole number, not a string."},
		{"fraction", `{"count":2.5}`, "count", "count must be a whole number, not number 2.5."},
		{"not an object", `[1]`, "", "Request body must be a JSON object with name, count, ok, not an array."},
		{"syntax", `{"name":`, "", "Request body is not valid JSON: it ends too early."},
		{"trailing", `{"name":"x"} {}`, "", "Request body must hold one JSON object and nothing after it."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b body
			err := obj.Decode([]byte(c.data), &b, false)
			if c.message == "" {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			var e *httpjson.Error
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Field != c.field || !strings.HasPrefix(e.Message, c.message) {
				t.Fatalf("Decode = %#v, want 400 naming %q with %q", err, c.field, c.message)
			}
		})
	}
	var b body
	if err := obj.Decode(nil, &b, true); err != nil {
		t.Errorf("an empty optional body: %v", err)
	}
}

func TestReadBodyTooLarge(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", 101)))
	_, err := httpjson.ReadBody(httptest.NewRecorder(), r, 100)
	var e *httpjson.Error
	if !errors.As(err, &e) || e.Status != http.StatusRequestEntityTooLarge || e.Message != "Request body is larger than 100 bytes." {
		t.Fatalf("ReadBody of 101 bytes with a limit of 100 = %v, want 413", err)
	}
	r = httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", 100)))
	if data, err := httpjson.ReadBody(httptest.NewRecorder(), r, 100); err != nil || len(data) != 100 {
		t.Fatalf("ReadBody of 100 bytes = %d bytes, %v", len(data), err)
	}
}

func TestIsJSON(t *testing.T) {
	t.Parallel()
	for ct, want := range map[string]bool{
		"application/json": true, "application/json; charset=utf-8": true, "Application/JSON; charset=UTF8": true,
		"": false, "text/plain": false, "application/x-www-form-urlencoded": false, "multipart/form-data; boundary=x": false,
		"application/json; charset=latin1": false, "application/jsonx": false,
	} {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("Content-Type", ct)
		if got := httpjson.IsJSON(r); got != want {
			t.Errorf("IsJSON(%q) = %v, want %v", ct, got, want)
		}
	}
}

func TestWrite(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	httpjson.Write(rec, http.StatusTeapot, map[string]string{"a": "<&>"})
	if rec.Code != http.StatusTeapot || rec.Body.String() != `{"a":"<&>"}`+"\n" ||
		rec.Header().Get("Content-Type") != "application/json; charset=utf-8" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("Write: %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
}
