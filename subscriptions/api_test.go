package subscriptions_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/store/storetest"
	"github.com/odsim/odsim/subscriptions"
)

// The public test credentials of Open Dental's docs, and a second tenant.
const (
	authA = "ODFHIR NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z"
	keyA  = "VzkmZEaUWOjnQX2z"
	authB = "ODFHIR NFF6i0KrXrxDkZHt/SecondCustomerKey"

	jsonType = "application/json"
	base     = "/api/v1/subscriptions"
)

// The doc's examples, verbatim.
const (
	docCreateDB  = `{"EndPointUrl":"https://myserver/apievents/","Workstation":"MOLLYR","WatchTable":"Appointment","PollingSeconds":5,"DateTimeStart":"2022-01-31"}`
	docCreateUI  = `{"EndPointUrl":"http://localhost:2097/","UiEventType":"PatientSelected"}`
	docUpdate1   = `{"PollingSeconds":30,"Note":"Decreased polling rate."}`
	docUpdate2   = `{"EndPointUrl":"https://myserver2/apievents/","Workstation":"BETTYC","DateTimeStop":"2022-12-31"}`
	docCreatedDB = `{"SubscriptionNum":1,"EndPointUrl":"https://myserver/apievents/","Workstation":"MOLLYR","CustomerKey":"VzkmZEaUWOjnQX2z","WatchTable":"Appointment","PollingSeconds":5,"UiEventType":"","DateTimeStart":"2022-01-31 00:00:00","DateTimeStop":"0001-01-01 00:00:00","Note":""}`
)

// apiServer is the real handler on a loopback server over a fresh database.
type apiServer struct {
	t   *testing.T
	url string
	db  *store.DB
}

func newAPIServer(t *testing.T, opts subscriptions.HandlerOptions) *apiServer {
	t.Helper()
	db := storetest.New(t)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	srv := httptest.NewServer(subscriptions.NewHandler(db, opts))
	t.Cleanup(srv.Close)
	return &apiServer{t: t, url: srv.URL, db: db}
}

type response struct {
	status int
	header http.Header
	body   string
}

// message decodes an error response's body, a JSON string, and checks its Content-Type.
func (r response) message(t *testing.T) string {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	var m string
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("error body %q is not a JSON string: %v", r.body, err)
	}
	return m
}

func (s *apiServer) do(method, path, auth, contentType, body string) response {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatalf("new request: %v", err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// mustDo is do that fails the test unless the status is want.
func (s *apiServer) mustDo(want int, method, path, auth, body string) string {
	s.t.Helper()
	r := s.do(method, path, auth, jsonType, body)
	if r.status != want {
		s.t.Fatalf("%s %s %s = %d %s, want %d", method, path, body, r.status, r.body, want)
	}
	return r.body
}

// dump is every row of apisubscription as stored, plus the table's next AUTO_INCREMENT, so that even an
// insert undone by a delete would show.
func (s *apiServer) dump() string {
	s.t.Helper()
	return dumpTable(s.t, s.db)
}

func dumpTable(t testing.TB, db *store.DB) string {
	t.Helper()
	ctx := context.Background()
	rows, err := db.SQL().QueryContext(ctx, "SELECT ApiSubscriptionNum, EndPointUrl, Workstation, CustomerKey, "+
		"WatchTable, PollingSeconds, UiEventType, DateTimeStart, DateTimeStop, Note FROM apisubscription ORDER BY ApiSubscriptionNum")
	if err != nil {
		t.Fatalf("dump: %v", err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var cols [10]string
		dest := make([]any, len(cols))
		for i := range cols {
			dest[i] = &cols[i]
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatalf("dump: %v", err)
		}
		b.WriteString(strings.Join(cols[:], "|"))
		b.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("dump: %v", err)
	}
	var next sql.NullString
	if err := db.SQL().QueryRowContext(ctx, "SELECT AUTO_INCREMENT FROM information_schema.TABLES "+
		"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'apisubscription'").Scan(&next); err != nil {
		t.Fatalf("dump: %v", err)
	}
	b.WriteString("next " + next.String)
	return b.String()
}

// dbNow is the database server's NOW().
func (s *apiServer) dbNow() time.Time {
	s.t.Helper()
	now, err := s.db.Now(context.Background())
	if err != nil {
		s.t.Fatalf("database now: %v", err)
	}
	return now
}

// wire is the JSON shape of a subscription, for reading responses.
type wire struct {
	SubscriptionNum int64
	EndPointUrl     string
	Workstation     string
	CustomerKey     string
	WatchTable      string
	PollingSeconds  int
	UiEventType     string
	DateTimeStart   string
	DateTimeStop    string
	Note            string
}

func decodeWire(t *testing.T, body string) wire {
	t.Helper()
	var w wire
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return w
}

// The examples of Open Dental's Subscriptions page, sent verbatim, answer as the page shows.
func TestDocExamples(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, subscriptions.HandlerOptions{})

	if got := s.mustDo(http.StatusCreated, "POST", base, authA, docCreateDB); got != docCreatedDB {
		t.Fatalf("POST doc example:\n got %s\nwant %s", got, docCreatedDB)
	}

	before := s.dbNow()
	ui := decodeWire(t, s.mustDo(http.StatusCreated, "POST", base, authA, docCreateUI))
	after := s.dbNow()
	start, err := time.Parse(subscriptions.DateTimeLayout, ui.DateTimeStart)
	if err != nil {
		t.Fatalf("DateTimeStart %q: %v", ui.DateTimeStart, err)
	}
	if start.Before(before) || start.After(after) {
		t.Errorf("default DateTimeStart = %s, want the database's NOW() between %s and %s", start, before, after)
	}
	want := wire{SubscriptionNum: 2, EndPointUrl: "http://localhost:2097/", CustomerKey: keyA, UiEventType: "PatientSelected",
		DateTimeStart: ui.DateTimeStart, DateTimeStop: "0001-01-01 00:00:00"}
	if ui != want {
		t.Fatalf("POST UI example = %+v, want %+v", ui, want)
	}

	updated1 := `{"SubscriptionNum":1,"EndPointUrl":"https://myserver/apievents/","Workstation":"MOLLYR","CustomerKey":"VzkmZEaUWOjnQX2z","WatchTable":"Appointment","PollingSeconds":30,"UiEventType":"","DateTimeStart":"2022-01-31 00:00:00","DateTimeStop":"0001-01-01 00:00:00","Note":"Decreased polling rate."}`
	if got := s.mustDo(http.StatusOK, "PUT", base+"/1", authA, docUpdate1); got != updated1 {
		t.Fatalf("PUT doc example 1:\n got %s\nwant %s", got, updated1)
	}
	updated2 := `{"SubscriptionNum":1,"EndPointUrl":"https://myserver2/apievents/","Workstation":"BETTYC","CustomerKey":"VzkmZEaUWOjnQX2z","WatchTable":"Appointment","PollingSeconds":30,"UiEventType":"","DateTimeStart":"2022-01-31 00:00:00","DateTimeStop":"2022-12-31 00:00:00","Note":"Decreased polling rate."}`
	if got := s.mustDo(http.StatusOK, "PUT", base+"/1", authA, docUpdate2); got != updated2 {
		t.Fatalf("PUT doc example 2:\n got %s\nwant %s", got, updated2)
	}

	uiJSON := `{"SubscriptionNum":2,"EndPointUrl":"http://localhost:2097/","Workstation":"","CustomerKey":"VzkmZEaUWOjnQX2z","WatchTable":"","PollingSeconds":0,"UiEventType":"PatientSelected","DateTimeStart":"` + ui.DateTimeStart + `","DateTimeStop":"0001-01-01 00:00:00","Note":""}`
	r := s.do("GET", base, authA, "", "")
	if r.status != http.StatusOK || r.body != "["+updated2+","+uiJSON+"]" {
		t.Fatalf("GET = %d %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("GET Content-Type = %q", ct)
	}

	r = s.do("DELETE", base+"/1", authA, "", "")
	if r.status != http.StatusOK || r.body != "" {
		t.Fatalf("DELETE = %d %q, want 200 and an empty body", r.status, r.body)
	}
	if r := s.do("GET", base, authA, "", ""); r.status != http.StatusOK || r.body != "["+uiJSON+"]" {
		t.Fatalf("GET after DELETE = %d %s", r.status, r.body)
	}
	if r := s.do("GET", base, authB, "", ""); r.status != http.StatusOK || r.body != "[]" {
		t.Fatalf("GET of a key without subscriptions = %d %s, want []", r.status, r.body)
	}
}

// Accepted forms that are not in the doc's examples.
func TestCreateAccepts(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, subscriptions.HandlerOptions{})
	long := strings.Repeat("é", 255) // 255 characters, 510 bytes: the column counts characters
	tests := []struct {
		name, contentType, body string
		check                   func(w wire) bool
	}{
		{"charset", "application/json; charset=UTF-8",
			`{"EndPointUrl":"https://a/","WatchTable":"Patient","PollingSeconds":1}`,
			func(w wire) bool { return w.WatchTable == "Patient" && w.PollingSeconds == 1 }},
		{"date-time with T and seconds", jsonType,
			`{"EndPointUrl":"https://b/","WatchTable":"PatField","PollingSeconds":2147483647,"DateTimeStart":"2022-01-31T13:45:00","DateTimeStop":"2022-12-31 23:59:59"}`,
			func(w wire) bool {
				return w.DateTimeStart == "2022-01-31 13:45:00" && w.DateTimeStop == "2022-12-31 23:59:59" && w.PollingSeconds == 2147483647
			}},
		{"unused enum empty, PollingSeconds 0 for UI", jsonType,
			`{"EndPointUrl":"http://c:2097/","WatchTable":"","UiEventType":"PatientSelected","PollingSeconds":0}`,
			func(w wire) bool { return w.WatchTable == "" && w.PollingSeconds == 0 }},
		{"255 characters", jsonType,
			`{"EndPointUrl":"https://d/","UiEventType":"PatientSelected","Workstation":"` + long + `","Note":"` + long + `"}`,
			func(w wire) bool { return w.Workstation == long && w.Note == long }},
		{"escapes as Newtonsoft", jsonType,
			`{"EndPointUrl":"https://e/?a=1&b=<2>","UiEventType":"PatientSelected","Note":"<b>&'\"\\ \n\t\u0001\u0085\u2028 é"}`,
			func(w wire) bool { return w.Note == "<b>&'\"\\ \n\t\u0001\u0085\u2028 é" }},
		{"every WatchTable name is valid", jsonType,
			`{"EndPointUrl":"https://f/","WatchTable":"ToothInitial","PollingSeconds":60,"Note":"x"}`,
			func(w wire) bool { return w.WatchTable == "ToothInitial" }},
		{"expired duplicate is no duplicate", jsonType,
			`{"EndPointUrl":"https://g/","WatchTable":"Schedule","PollingSeconds":60,"DateTimeStop":"2001-01-01"}`,
			func(w wire) bool { return w.DateTimeStop == "2001-01-01 00:00:00" }},
		{"expired duplicate is no duplicate (2)", jsonType,
			`{"EndPointUrl":"https://g/","WatchTable":"Schedule","PollingSeconds":60}`,
			func(w wire) bool { return w.DateTimeStop == "0001-01-01 00:00:00" }},
	}
	for _, tt := range tests {
		r := s.do("POST", base, authA, tt.contentType, tt.body)
		if r.status != http.StatusCreated {
			t.Fatalf("%s: %d %s", tt.name, r.status, r.body)
		}
		if w := decodeWire(t, r.body); !tt.check(w) {
			t.Errorf("%s: %s", tt.name, r.body)
		}
	}
	r := s.do("POST", base, authA, jsonType, `{"EndPointUrl":"https://e/?a=1&b=<2>","WatchTable":"Patient","PollingSeconds":1,"Note":"<b>&'\"\\ \n\t\u0001\u0085\u2028 é"}`)
	if want := `"EndPointUrl":"https://e/?a=1&b=<2>"`; !strings.Contains(r.body, want) {
		t.Errorf("body %s lacks %s", r.body, want)
	}
	if want := `"Note":"<b>&'\"\\ \n\t\u0001\u0085\u2028 é"`; !strings.Contains(r.body, want) {
		t.Errorf("body %s lacks %s", r.body, want)
	}
}

// badCase is a request that must be refused with status and message, writing nothing.
type badCase struct {
	name        string
	method      string
	path        string
	contentType string
	body        string
	status      int
	message     string
}

// runBad sends each case and checks its status, its exact message and that the table is unchanged.
func runBad(t *testing.T, s *apiServer, auth string, cases []badCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := s.dump()
			r := s.do(tc.method, tc.path, auth, tc.contentType, tc.body)
			if r.status != tc.status {
				t.Errorf("status = %d %s, want %d", r.status, r.body, tc.status)
			}
			if got := r.message(t); got != tc.message {
				t.Errorf("message:\n got %s\nwant %s", got, tc.message)
			}
			if after := s.dump(); after != before {
				t.Errorf("apisubscription changed:\nbefore\n%s\nafter\n%s", before, after)
			}
		})
	}
}

func post(name, body string, status int, message string) badCase {
	return badCase{name: name, method: "POST", path: base, contentType: jsonType, body: body, status: status, message: message}
}

// withDB is a valid database-subscription body with extra appended inside the object.
func withDB(extra string) string {
	return `{"EndPointUrl":"https://x/","WatchTable":"Patient","PollingSeconds":5` + extra + `}`
}

// Identical POSTs arriving together create one subscription: Open Dental refuses duplicates, and the
// check and the insert are one statement. Before, 30 at once gave 2, 12, 1, 5, 2 subscriptions in five
// trials. Every other POST is refused as the duplicate of the one created.
func TestConcurrentIdenticalCreatesMakeOne(t *testing.T) {
	t.Parallel()
	storetest.RequireServer(t) // the race is the server's: MariaDB, as in the issue
	s := newAPIServer(t, subscriptions.HandlerOptions{})
	const n = 50
	// Warm n connections to the API and as many to the database first (n concurrent GETs), so that the
	// POSTs below arrive together instead of one connection set-up after the other.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	t.Cleanup(client.CloseIdleConnections)
	send := func(method, body string) int {
		req, _ := http.NewRequest(method, s.url+base, strings.NewReader(body))
		req.Header.Set("Authorization", authA)
		req.Header.Set("Content-Type", jsonType)
		resp, err := client.Do(req)
		if err != nil {
			return 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	var warm sync.WaitGroup
	for range n {
		warm.Go(func() { send("GET", "") })
	}
	warm.Wait()
	statuses := make(chan int, n)
	start := make(chan struct{})
	for range n {
		go func() {
			<-start
			statuses <- send("POST", docCreateDB)
		}()
	}
	close(start)
	created, refused := 0, 0
	for range n {
		switch st := <-statuses; st {
		case http.StatusCreated:
			created++
		case http.StatusBadRequest:
			refused++
		default:
			t.Errorf("a POST got %d", st)
		}
	}
	var rows int
	if err := s.db.SQL().QueryRow("SELECT COUNT(*) FROM apisubscription").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if created != 1 || refused != n-1 || rows != 1 {
		t.Errorf("%d identical POSTs at once: %d created, %d refused, %d rows; want 1, %d, 1", n, created, refused, rows, n-1)
	}
}

// EndPointUrls are compared byte for byte, as everywhere else in the API: a path differing only in
// letter case is another endpoint, not a duplicate (the column's collation would say it is one).
func TestCreateComparesURLsByteForByte(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, subscriptions.HandlerOptions{})
	s.mustDo(http.StatusCreated, "POST", base, authA, `{"EndPointUrl":"https://myserver/a","UiEventType":"PatientSelected"}`)
	s.mustDo(http.StatusCreated, "POST", base, authA, `{"EndPointUrl":"https://myserver/A","UiEventType":"PatientSelected"}`)
	s.mustDo(http.StatusBadRequest, "POST", base, authA, `{"EndPointUrl":"https://myserver/A","UiEventType":"PatientSelected"}`)
}

func TestCreateRejects(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, subscriptions.HandlerOptions{})
	s.mustDo(http.StatusCreated, "POST", base, authA, docCreateDB)

	const (
		required    = "PollingSeconds is required for a WatchTable subscription and must be 1 or more."
		notURL      = " is not an absolute http or https URL with a host, such as https://myserver/apievents/."
		unknownList = "the fields are EndPointUrl, Workstation, WatchTable, PollingSeconds, UiEventType, DateTimeStart, DateTimeStop, Note."
		dateForm    = " is not a date: use yyyy-MM-dd or yyyy-MM-dd HH:mm:ss."
		lone        = ", which is not a character: send the character's surrogate pair, or the character itself."
		nul         = ": it is not text a column can hold."
	)
	long := strings.Repeat("x", 256)
	cases := []badCase{
		{name: "no Content-Type", method: "POST", path: base, body: docCreateUI, status: 400, message: "Content-Type must be application/json."},
		{name: "text/plain", method: "POST", path: base, contentType: "text/plain", body: docCreateUI, status: 400, message: "Content-Type must be application/json."},
		{name: "form", method: "POST", path: base, contentType: "application/x-www-form-urlencoded", body: "EndPointUrl=x", status: 400, message: "Content-Type must be application/json."},
		{name: "charset", method: "POST", path: base, contentType: "application/json; charset=latin1", body: docCreateUI, status: 400, message: "Content-Type charset must be utf-8."},

		post("empty body", "", 400, "Request body is empty: send a JSON object."),
		post("blank body", " \n", 400, "Request body is empty: send a JSON object."),
		post("truncated", `{"EndPointUrl":`, 400, "Request body is not valid JSON: unexpected end of JSON input (at byte 15)."),
		post("trailing comma (the doc's PUT typo)", `{"Note":"x",}`, 400, "Request body is not valid JSON: invalid character '}' looking for beginning of object key string (at byte 13)."),
		post("single quotes", `{'Note':'x'}`, 400, "Request body is not valid JSON: invalid character '\\'' looking for beginning of object key string (at byte 2)."),
		post("two objects", docCreateUI+` {}`, 400, "Request body is not valid JSON: invalid character '{' after top-level value (at byte 74)."),
		post("invalid UTF-8", "{\"EndPointUrl\":\"https://x/\",\"UiEventType\":\"PatientSelected\",\"Note\":\"\xff\"}", 400, "Request body is not valid UTF-8."),
		post("array", `[`+docCreateUI+`]`, 400, "Request body must be a JSON object, not an array."),
		post("string", `"x"`, 400, "Request body must be a JSON object, not a string."),
		post("number", `5`, 400, "Request body must be a JSON object, not a number."),
		post("null", `null`, 400, "Request body must be a JSON object, not null."),
		post("true", `true`, 400, "Request body must be a JSON object, not true."),

		post("duplicated key", withDB(`,"Note":"a","Note":"b"`), 400, `"Note" is given more than once.`),
		post("duplicated key, same value", withDB(`,"PollingSeconds":5`), 400, `"PollingSeconds" is given more than once.`),
		post("unknown key", withDB(`,"Foo":1`), 400, `Unknown field "Foo": `+unknownList),
		post("unknown key with odd characters", withDB(`,"a\"b\n":1`), 400, `Unknown field "a\"b\n": `+unknownList),
		post("key in other case", `{"endPointUrl":"https://x/"}`, 400, `Unknown field "endPointUrl": field names are case-sensitive; did you mean EndPointUrl?`),
		post("SubscriptionNum", withDB(`,"SubscriptionNum":7`), 400, "SubscriptionNum cannot be set: odsim assigns it."),
		post("CustomerKey", withDB(`,"CustomerKey":"VzkmZEaUWOjnQX2z"`), 400, "CustomerKey cannot be set: it comes from the Authorization header."),

		post("EndPointUrl number", `{"EndPointUrl":5}`, 400, "EndPointUrl must be a JSON string, not a number."),
		post("EndPointUrl array", `{"EndPointUrl":["https://x/"]}`, 400, "EndPointUrl must be a JSON string, not an array."),
		post("Workstation true", withDB(`,"Workstation":true`), 400, "Workstation must be a JSON string, not true."),
		post("WatchTable object", `{"EndPointUrl":"https://x/","WatchTable":{}}`, 400, "WatchTable must be a JSON string, not an object."),
		post("UiEventType number", `{"EndPointUrl":"https://x/","UiEventType":1}`, 400, "UiEventType must be a JSON string, not a number."),
		post("DateTimeStart number", withDB(`,"DateTimeStart":20220131`), 400, "DateTimeStart must be a JSON string, not a number."),
		post("DateTimeStop false", withDB(`,"DateTimeStop":false`), 400, "DateTimeStop must be a JSON string, not false."),
		post("Note number", withDB(`,"Note":1.5`), 400, "Note must be a JSON string, not a number."),
		post("EndPointUrl null", `{"EndPointUrl":null,"UiEventType":"PatientSelected"}`, 400, "EndPointUrl must not be null: leave it out instead."),
		post("Note null", withDB(`,"Note":null`), 400, "Note must not be null: leave it out instead."),
		post("PollingSeconds null", `{"EndPointUrl":"https://x/","WatchTable":"Patient","PollingSeconds":null}`, 400, "PollingSeconds must not be null: leave it out instead."),

		post("PollingSeconds 5.5", `{"EndPointUrl":"https://x/","WatchTable":"Patient","PollingSeconds":5.5}`, 400, "PollingSeconds must be a whole number, not 5.5."),
		post("PollingSeconds 5.0", `{"EndPointUrl":"https://x/","WatchTable":"Patient","PollingSeconds":5.0}`, 400, "PollingSeconds must be a whole number, not 5.0."),
		post("PollingSeconds 5e0", `{"EndPointUrl":"https://x/","WatchTable":"Patient","PollingSeconds":5e0}`, 400, "PollingSeconds must be a whole number, not 5e0."),
		post("PollingSeconds 1e400", `{"EndPointUrl":"https://x/","WatchTable":"Patient","PollingSeconds":1e400}`, 400, "PollingSeconds must be a whole number, not 1e400."),
		post("PollingSeconds string", `{"EndPointUrl":"https://x/","WatchTable":"Patient","PollingSeconds":"5"}`, 400, "PollingSeconds must be a whole number, not a string."),
		post("PollingSeconds true", `{"EndPointUrl":"https://x/","WatchTable":"Patient","PollingSeconds":true}`, 400, "PollingSeconds must be a whole number, not true."),
		post("PollingSeconds beyond int32", `{"EndPointUrl":"https://x/","WatchTable":"Patient","PollingSeconds":2147483648}`, 400, "PollingSeconds 2147483648 is out of range: the largest allowed is 2147483647."),
		post("PollingSeconds huge", `{"EndPointUrl":"https://x/","WatchTable":"Patient","PollingSeconds":123456789012345678901234567890}`, 400, "PollingSeconds 123456789012345678901234567890 is out of range: the largest allowed is 2147483647."),
		post("PollingSeconds below int32", `{"EndPointUrl":"https://x/","WatchTable":"Patient","PollingSeconds":-2147483649}`, 400, "PollingSeconds -2147483649 is out of range: the largest allowed is 2147483647."),

		post("EndPointUrl missing", `{"WatchTable":"Patient","PollingSeconds":5}`, 400, "EndPointUrl is required: the URL odsim POSTs events to, such as https://myserver/apievents/."),
		post("EndPointUrl empty", `{"EndPointUrl":"","WatchTable":"Patient","PollingSeconds":5}`, 400, "EndPointUrl is required: the URL odsim POSTs events to, such as https://myserver/apievents/."),
		post("EndPointUrl ftp", `{"EndPointUrl":"ftp://myserver/","UiEventType":"PatientSelected"}`, 400, `EndPointUrl "ftp://myserver/"`+notURL),
		post("EndPointUrl relative", `{"EndPointUrl":"myserver/apievents/","UiEventType":"PatientSelected"}`, 400, `EndPointUrl "myserver/apievents/"`+notURL),
		post("EndPointUrl no host", `{"EndPointUrl":"https:///apievents/","UiEventType":"PatientSelected"}`, 400, `EndPointUrl "https:///apievents/"`+notURL),
		post("EndPointUrl port only", `{"EndPointUrl":"http://:2097/","UiEventType":"PatientSelected"}`, 400, `EndPointUrl "http://:2097/"`+notURL),
		post("EndPointUrl opaque", `{"EndPointUrl":"http:myserver","UiEventType":"PatientSelected"}`, 400, `EndPointUrl "http:myserver"`+notURL),
		post("EndPointUrl javascript", `{"EndPointUrl":"javascript:alert(1)","UiEventType":"PatientSelected"}`, 400, `EndPointUrl "javascript:alert(1)"`+notURL),
		post("EndPointUrl bad escape", `{"EndPointUrl":"http://x/%zz","UiEventType":"PatientSelected"}`, 400, `EndPointUrl "http://x/%zz"`+notURL),
		post("EndPointUrl space", `{"EndPointUrl":"https://my server/","UiEventType":"PatientSelected"}`, 400, "EndPointUrl must not contain spaces or control characters."),
		post("EndPointUrl trailing newline", `{"EndPointUrl":"https://x/\n","UiEventType":"PatientSelected"}`, 400, "EndPointUrl must not contain spaces or control characters."),
		post("EndPointUrl 256", `{"EndPointUrl":"https://x/`+strings.Repeat("a", 246)+`","UiEventType":"PatientSelected"}`, 400, "EndPointUrl must be 255 characters or fewer (it has 256)."),
		post("EndPointUrl emoji", `{"EndPointUrl":"https://x/😀","UiEventType":"PatientSelected"}`, 400, "EndPointUrl cannot hold characters outside Unicode's Basic Multilingual Plane (such as emoji): Open Dental's utf8 columns cannot store them."),
		post("Workstation 256", withDB(`,"Workstation":"`+long+`"`), 400, "Workstation must be 255 characters or fewer (it has 256)."),
		post("Note 256", withDB(`,"Note":"`+long+`"`), 400, "Note must be 255 characters or fewer (it has 256)."),
		post("Note emoji as surrogate pair", withDB(`,"Note":"\ud83d\ude00"`), 400, "Note cannot hold characters outside Unicode's Basic Multilingual Plane (such as emoji): Open Dental's utf8 columns cannot store them."),
		// encoding/json turns a lone surrogate into U+FFFD and keeps U+0000: stored, both would change what was sent.
		post("Note lone surrogate", withDB(`,"Note":"a\ud800b"`), 400, `Note holds a lone UTF-16 surrogate (\ud800)`+lone),
		post("Note lone low surrogate", withDB(`,"Note":"a\uDC00"`), 400, `Note holds a lone UTF-16 surrogate (\udc00)`+lone),
		post("Note high surrogate then text", withDB(`,"Note":"\ud83dx"`), 400, `Note holds a lone UTF-16 surrogate (\ud83d)`+lone),
		post("Note NUL", withDB(`,"Note":"a\u0000b"`), 400, `Note must not contain U+0000 (\u0000)`+nul),
		post("Workstation NUL", withDB(`,"Workstation":"\u0000"`), 400, `Workstation must not contain U+0000 (\u0000)`+nul),
		post("EndPointUrl port 99999", `{"EndPointUrl":"https://127.0.0.1:99999/","UiEventType":"PatientSelected"}`, 400, `EndPointUrl "https://127.0.0.1:99999/" has port 99999: a port is a number from 1 to 65535.`),
		post("EndPointUrl port 0", `{"EndPointUrl":"http://localhost:0/","UiEventType":"PatientSelected"}`, 400, `EndPointUrl "http://localhost:0/" has port 0: a port is a number from 1 to 65535.`),
		post("EndPointUrl port 65536", `{"EndPointUrl":"http://[::1]:65536/","UiEventType":"PatientSelected"}`, 400, `EndPointUrl "http://[::1]:65536/" has port 65536: a port is a number from 1 to 65535.`),

		post("both kinds", `{"EndPointUrl":"https://x/","WatchTable":"Patient","PollingSeconds":5,"UiEventType":"PatientSelected"}`, 400, "Give WatchTable or UiEventType, not both: a subscription is for database events or UI events."),
		post("neither kind", `{"EndPointUrl":"https://x/","PollingSeconds":5}`, 400, "WatchTable or UiEventType is required: WatchTable for database events, UiEventType for UI events."),
		post("both kinds empty", `{"EndPointUrl":"https://x/","WatchTable":"","UiEventType":""}`, 400, "WatchTable or UiEventType is required: WatchTable for database events, UiEventType for UI events."),
		post("unknown WatchTable", `{"EndPointUrl":"https://x/","WatchTable":"Appointments","PollingSeconds":5}`, 400, `WatchTable "Appointments" is not valid: use one of Appointment, AppointmentDeleted, Operatory, PatField, Patient, Provider, Schedule, ToothInitial.`),
		post("WatchTable in other case", `{"EndPointUrl":"https://x/","WatchTable":"appointment","PollingSeconds":5}`, 400, `WatchTable "appointment" is not valid: use one of Appointment, AppointmentDeleted, Operatory, PatField, Patient, Provider, Schedule, ToothInitial.`),
		post("WatchTable None", `{"EndPointUrl":"https://x/","WatchTable":"None","PollingSeconds":5}`, 400, `WatchTable "None" is not valid: use one of Appointment, AppointmentDeleted, Operatory, PatField, Patient, Provider, Schedule, ToothInitial.`),
		post("unknown UiEventType", `{"EndPointUrl":"https://x/","UiEventType":"PatientSelect"}`, 400, `UiEventType "PatientSelect" is not valid: use one of PatientSelected.`),
		post("PollingSeconds missing", `{"EndPointUrl":"https://x/","WatchTable":"Patient"}`, 400, required),
		post("PollingSeconds 0", `{"EndPointUrl":"https://x/","WatchTable":"Patient","PollingSeconds":0}`, 400, required),
		post("PollingSeconds -1", `{"EndPointUrl":"https://x/","WatchTable":"Patient","PollingSeconds":-1}`, 400, required),
		post("PollingSeconds on UI", `{"EndPointUrl":"https://x/","UiEventType":"PatientSelected","PollingSeconds":5}`, 400, "PollingSeconds must be 0 or left out for a UiEventType subscription: UI events are not polled."),

		post("DateTimeStart month 13", withDB(`,"DateTimeStart":"2022-13-01"`), 400, `DateTimeStart "2022-13-01"`+dateForm),
		post("DateTimeStart Feb 30", withDB(`,"DateTimeStart":"2022-02-30"`), 400, `DateTimeStart "2022-02-30"`+dateForm),
		post("DateTimeStart day first", withDB(`,"DateTimeStart":"31/01/2022"`), 400, `DateTimeStart "31/01/2022"`+dateForm),
		post("DateTimeStart empty", withDB(`,"DateTimeStart":""`), 400, `DateTimeStart ""`+dateForm),
		post("DateTimeStart year 0", withDB(`,"DateTimeStart":"0000-01-01"`), 400, `DateTimeStart "0000-01-01"`+dateForm),
		post("DateTimeStart zone", withDB(`,"DateTimeStart":"2022-01-31T13:45:00Z"`), 400, `DateTimeStart "2022-01-31T13:45:00Z"`+dateForm),
		post("DateTimeStop words", withDB(`,"DateTimeStop":"tomorrow"`), 400, `DateTimeStop "tomorrow"`+dateForm),
		post("DateTimeStop hour 24", withDB(`,"DateTimeStop":"2022-01-31 24:00:00"`), 400, `DateTimeStop "2022-01-31 24:00:00"`+dateForm),
		post("DateTimeStop long", withDB(`,"DateTimeStop":"`+long+`"`), 400, `DateTimeStop "`+strings.Repeat("x", 64)+`…"`+dateForm),

		post("duplicate of the doc example", docCreateDB, 400, "A subscription with the same EndPointUrl, Workstation, WatchTable and UiEventType exists and has not expired: SubscriptionNum 1."),
		post("duplicate with other polling and note", `{"EndPointUrl":"https://myserver/apievents/","Workstation":"MOLLYR","WatchTable":"Appointment","PollingSeconds":60,"Note":"again"}`, 400, "A subscription with the same EndPointUrl, Workstation, WatchTable and UiEventType exists and has not expired: SubscriptionNum 1."),
	}
	runBad(t, s, authA, cases)
}

func TestUpdateRejects(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, subscriptions.HandlerOptions{})
	s.mustDo(http.StatusCreated, "POST", base, authA, docCreateDB) // 1: database
	s.mustDo(http.StatusCreated, "POST", base, authA, docCreateUI) // 2: UI
	s.mustDo(http.StatusCreated, "POST", base, authB, docCreateDB) // 3: another key's

	put := func(name, path, body string, status int, message string) badCase {
		return badCase{name: name, method: "PUT", path: path, contentType: jsonType, body: body, status: status, message: message}
	}
	const (
		badNum      = "SubscriptionNum in the URL must be a positive whole number, not "
		notFound    = "Subscription not found."
		unknownList = "the fields are EndPointUrl, Workstation, PollingSeconds, DateTimeStart, DateTimeStop, Note."
	)
	cases := []badCase{
		put("num word", base+"/abc", docUpdate1, 400, badNum+`"abc".`),
		put("num zero", base+"/0", docUpdate1, 400, badNum+`"0".`),
		put("num negative", base+"/-1", docUpdate1, 400, badNum+`"-1".`),
		put("num plus", base+"/+1", docUpdate1, 400, badNum+`"+1".`),
		put("num fraction", base+"/1.0", docUpdate1, 400, badNum+`"1.0".`),
		put("num beyond int64", base+"/99999999999999999999", docUpdate1, 400, badNum+`"99999999999999999999".`),
		put("unknown num", base+"/999", docUpdate1, 404, notFound),
		put("another key's num", base+"/3", docUpdate1, 404, notFound),
		{name: "no Content-Type", method: "PUT", path: base + "/1", body: docUpdate1, status: 400, message: "Content-Type must be application/json."},

		put("doc typo: trailing comma", base+"/1", `{"PollingSeconds":30,"Note":"Decreased polling rate.",}`, 400, "Request body is not valid JSON: invalid character '}' looking for beginning of object key string (at byte 55)."),
		put("empty body", base+"/1", "", 400, "Request body is empty: send a JSON object."),
		put("array", base+"/1", "[]", 400, "Request body must be a JSON object, not an array."),
		put("invalid UTF-8", base+"/1", "{\"Note\":\"\xc3\x28\"}", 400, "Request body is not valid UTF-8."),
		put("duplicated key", base+"/1", `{"Note":"a","Note":"a"}`, 400, `"Note" is given more than once.`),
		put("unknown key", base+"/1", `{"Notes":"a"}`, 400, `Unknown field "Notes": `+unknownList),
		put("WatchTable", base+"/1", `{"WatchTable":"Appointment"}`, 400, "WatchTable cannot be changed."),
		put("UiEventType", base+"/2", `{"UiEventType":"PatientSelected"}`, 400, "UiEventType cannot be changed."),
		put("CustomerKey", base+"/1", `{"CustomerKey":"SecondCustomerKey"}`, 400, "CustomerKey cannot be changed."),
		put("SubscriptionNum", base+"/1", `{"SubscriptionNum":1}`, 400, "SubscriptionNum cannot be changed."),
		put("null", base+"/1", `{"Workstation":null}`, 400, "Workstation must not be null: leave it out instead."),
		put("Note number", base+"/1", `{"Note":5}`, 400, "Note must be a JSON string, not a number."),
		put("PollingSeconds string", base+"/1", `{"PollingSeconds":"30"}`, 400, "PollingSeconds must be a whole number, not a string."),
		put("PollingSeconds 30.5", base+"/1", `{"PollingSeconds":30.5}`, 400, "PollingSeconds must be a whole number, not 30.5."),
		put("PollingSeconds beyond int32", base+"/1", `{"PollingSeconds":4294967296}`, 400, "PollingSeconds 4294967296 is out of range: the largest allowed is 2147483647."),
		put("PollingSeconds 0", base+"/1", `{"PollingSeconds":0}`, 400, "PollingSeconds must be 1 or more for a WatchTable subscription."),
		put("PollingSeconds -5", base+"/1", `{"PollingSeconds":-5,"Note":"x"}`, 400, "PollingSeconds must be 1 or more for a WatchTable subscription."),
		put("PollingSeconds on UI", base+"/2", `{"PollingSeconds":30}`, 400, "PollingSeconds cannot be set on a UiEventType subscription: UI events are not polled."),
		put("EndPointUrl empty", base+"/1", `{"EndPointUrl":""}`, 400, "EndPointUrl cannot be empty: give the URL odsim POSTs events to, or leave it out."),
		put("EndPointUrl ftp", base+"/1", `{"EndPointUrl":"ftp://x/"}`, 400, `EndPointUrl "ftp://x/" is not an absolute http or https URL with a host, such as https://myserver/apievents/.`),
		put("Workstation 256", base+"/1", `{"Workstation":"`+strings.Repeat("W", 256)+`"}`, 400, "Workstation must be 255 characters or fewer (it has 256)."),
		put("Note emoji", base+"/1", `{"Note":"ok 😀"}`, 400, "Note cannot hold characters outside Unicode's Basic Multilingual Plane (such as emoji): Open Dental's utf8 columns cannot store them."),
		put("DateTimeStart bad", base+"/1", `{"DateTimeStart":"2022-01-32"}`, 400, `DateTimeStart "2022-01-32" is not a date: use yyyy-MM-dd or yyyy-MM-dd HH:mm:ss.`),
		put("DateTimeStop bad", base+"/1", `{"Note":"valid","DateTimeStop":"12/31/2022"}`, 400, `DateTimeStop "12/31/2022" is not a date: use yyyy-MM-dd or yyyy-MM-dd HH:mm:ss.`),
		// A valid change in the same body as an invalid one is not applied either.
		put("valid and invalid", base+"/1", `{"Note":"changed","Workstation":"BETTYC","PollingSeconds":0}`, 400, "PollingSeconds must be 1 or more for a WatchTable subscription."),
	}
	runBad(t, s, authA, cases)
}

// A PUT changes only the fields it names, on only the subscription it names.
func TestUpdateChangesOnlyGivenFields(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, subscriptions.HandlerOptions{})
	s.mustDo(http.StatusCreated, "POST", base, authA, docCreateDB)
	ui := s.mustDo(http.StatusCreated, "POST", base, authA, docCreateUI)
	other := s.mustDo(http.StatusCreated, "POST", base, authA, `{"EndPointUrl":"https://other/","WatchTable":"Patient","PollingSeconds":9,"Note":"keep"}`)

	tests := []struct {
		name, body, want string
	}{
		{"note", `{"Note":"n1"}`, `{"SubscriptionNum":1,"EndPointUrl":"https://myserver/apievents/","Workstation":"MOLLYR","CustomerKey":"VzkmZEaUWOjnQX2z","WatchTable":"Appointment","PollingSeconds":5,"UiEventType":"","DateTimeStart":"2022-01-31 00:00:00","DateTimeStop":"0001-01-01 00:00:00","Note":"n1"}`},
		{"blank workstation means all", `{"Workstation":""}`, `{"SubscriptionNum":1,"EndPointUrl":"https://myserver/apievents/","Workstation":"","CustomerKey":"VzkmZEaUWOjnQX2z","WatchTable":"Appointment","PollingSeconds":5,"UiEventType":"","DateTimeStart":"2022-01-31 00:00:00","DateTimeStop":"0001-01-01 00:00:00","Note":"n1"}`},
		{"start and stop", `{"DateTimeStart":"2023-02-03 04:05:06","DateTimeStop":"2024-01-01T10:00"}`, `{"SubscriptionNum":1,"EndPointUrl":"https://myserver/apievents/","Workstation":"","CustomerKey":"VzkmZEaUWOjnQX2z","WatchTable":"Appointment","PollingSeconds":5,"UiEventType":"","DateTimeStart":"2023-02-03 04:05:06","DateTimeStop":"2024-01-01 10:00:00","Note":"n1"}`},
		{"stop back to none", `{"DateTimeStop":"0001-01-01"}`, `{"SubscriptionNum":1,"EndPointUrl":"https://myserver/apievents/","Workstation":"","CustomerKey":"VzkmZEaUWOjnQX2z","WatchTable":"Appointment","PollingSeconds":5,"UiEventType":"","DateTimeStart":"2023-02-03 04:05:06","DateTimeStop":"0001-01-01 00:00:00","Note":"n1"}`},
		{"empty object changes nothing", `{}`, `{"SubscriptionNum":1,"EndPointUrl":"https://myserver/apievents/","Workstation":"","CustomerKey":"VzkmZEaUWOjnQX2z","WatchTable":"Appointment","PollingSeconds":5,"UiEventType":"","DateTimeStart":"2023-02-03 04:05:06","DateTimeStop":"0001-01-01 00:00:00","Note":"n1"}`},
	}
	for _, tt := range tests {
		if got := s.mustDo(http.StatusOK, "PUT", base+"/1", authA, tt.body); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
	// PollingSeconds 0 on a UI subscription is what GET shows for it: accepted, nothing changes.
	if got := s.mustDo(http.StatusOK, "PUT", base+"/2", authA, `{"PollingSeconds":0}`); got != ui {
		t.Errorf("PUT PollingSeconds 0 on UI:\n got %s\nwant %s", got, ui)
	}
	list := s.mustDo(http.StatusOK, "GET", base, authA, "")
	if !strings.HasSuffix(list, ","+ui+","+other+"]") {
		t.Errorf("other subscriptions changed: %s", list)
	}
}

func TestDeleteRejects(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, subscriptions.HandlerOptions{})
	s.mustDo(http.StatusCreated, "POST", base, authA, docCreateDB)
	s.mustDo(http.StatusCreated, "POST", base, authB, docCreateDB) // 2: another key's
	del := func(name, path string, status int, message string) badCase {
		return badCase{name: name, method: "DELETE", path: path, status: status, message: message}
	}
	runBad(t, s, authA, []badCase{
		del("num word", base+"/abc", 400, `SubscriptionNum in the URL must be a positive whole number, not "abc".`),
		del("num zero", base+"/0", 400, `SubscriptionNum in the URL must be a positive whole number, not "0".`),
		del("num negative", base+"/-14", 400, `SubscriptionNum in the URL must be a positive whole number, not "-14".`),
		del("unknown", base+"/14", 404, "Subscription not found."),
		del("another key's", base+"/2", 404, "Subscription not found."),
	})
	r := s.do("DELETE", base+"/1", authA, "", "")
	if r.status != http.StatusOK {
		t.Fatalf("DELETE 1 = %d %s", r.status, r.body)
	}
	runBad(t, s, authA, []badCase{del("deleted already", base+"/1", 404, "Subscription not found.")})
}

// Customer keys are tenants: a key cannot see, change or delete another key's subscriptions through
// any endpoint, even a key that differs only in letter case.
func TestTenancy(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, subscriptions.HandlerOptions{})
	aDB := s.mustDo(http.StatusCreated, "POST", base, authA, docCreateDB)
	aUI := s.mustDo(http.StatusCreated, "POST", base, authA, docCreateUI)

	for _, other := range []string{authB, "ODFHIR NFF6i0KrXrxDkZHt/vzkmzeauwojnqx2z", "ODFHIR NFF6i0KrXrxDkZHt/VZKMZEAUWOJNQX2Z"} {
		t.Run(other, func(t *testing.T) {
			before := s.dump()
			if r := s.do("GET", base, other, "", ""); r.status != http.StatusOK || r.body != "[]" {
				t.Errorf("GET = %d %s, want []", r.status, r.body)
			}
			for _, num := range []string{"/1", "/2"} {
				r := s.do("PUT", base+num, other, jsonType, `{"Note":"taken over","EndPointUrl":"https://attacker/"}`)
				if r.status != http.StatusNotFound || r.message(t) != "Subscription not found." {
					t.Errorf("PUT %s = %d %s", num, r.status, r.body)
				}
				r = s.do("DELETE", base+num, other, "", "")
				if r.status != http.StatusNotFound || r.message(t) != "Subscription not found." {
					t.Errorf("DELETE %s = %d %s", num, r.status, r.body)
				}
			}
			if after := s.dump(); after != before {
				t.Errorf("apisubscription changed:\nbefore\n%s\nafter\n%s", before, after)
			}
		})
	}
	if got := s.mustDo(http.StatusOK, "GET", base, authA, ""); got != "["+aDB+","+aUI+"]" {
		t.Errorf("A's subscriptions after B's attempts: %s", got)
	}
	// The same subscription under another key is no duplicate: the duplicate check is per key.
	b := decodeWire(t, s.mustDo(http.StatusCreated, "POST", base, authB, docCreateDB))
	if b.CustomerKey != "SecondCustomerKey" || b.SubscriptionNum != 3 {
		t.Errorf("B's subscription = %+v", b)
	}
	if got := s.mustDo(http.StatusOK, "GET", base, authA, ""); got != "["+aDB+","+aUI+"]" {
		t.Errorf("A sees B's subscription: %s", got)
	}
}

func TestUnauthorized(t *testing.T) {
	t.Parallel()
	const (
		form      = ": Authorization: ODFHIR {DeveloperKey}/{CustomerKey}."
		onePair   = "ODFHIR NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z"
		notListed = "The DeveloperKey/CustomerKey pair in the Authorization header is not accepted."
	)
	open := newAPIServer(t, subscriptions.HandlerOptions{})
	listed := newAPIServer(t, subscriptions.HandlerOptions{APIKeys: []string{"devkey/custkey", "NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z"}})
	for _, s := range []*apiServer{open, listed} {
		s.mustDo(http.StatusCreated, "POST", base, onePair, docCreateDB)
	}

	headers := []struct {
		name, header, message string
		server                *apiServer
	}{
		{"missing", "", "The Authorization header is required" + form, open},
		{"other scheme", "Bearer NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z", "The Authorization header must use the ODFHIR scheme" + form, open},
		{"basic", "Basic TkZGNmkwS3JYcnhEa1pIdDpWemttWkVhVVdPam5RWDJ6", "The Authorization header must use the ODFHIR scheme" + form, open},
		{"key pair only", "NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z", "The Authorization header must use the ODFHIR scheme" + form, open},
		{"scheme only", "ODFHIR", `The Authorization header must hold exactly one "/" between the DeveloperKey and the CustomerKey` + form, open},
		{"no slash", "ODFHIR NFF6i0KrXrxDkZHtVzkmZEaUWOjnQX2z", `The Authorization header must hold exactly one "/" between the DeveloperKey and the CustomerKey` + form, open},
		{"two slashes", "ODFHIR NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z/x", `The Authorization header must hold exactly one "/" between the DeveloperKey and the CustomerKey` + form, open},
		{"empty developer key", "ODFHIR /VzkmZEaUWOjnQX2z", "The Authorization header must have a non-empty DeveloperKey and CustomerKey" + form, open},
		{"empty customer key", "ODFHIR NFF6i0KrXrxDkZHt/", "The Authorization header must have a non-empty DeveloperKey and CustomerKey" + form, open},
		{"only a slash", "ODFHIR /", "The Authorization header must have a non-empty DeveloperKey and CustomerKey" + form, open},
		{"space inside", "ODFHIR NFF6i0KrXrxDkZHt/Vzkm ZEaUWOjnQX2z", "The Authorization header has a key with spaces or characters other than visible ASCII" + form, open},
		{"two spaces after scheme", "ODFHIR  NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z", "The Authorization header has a key with spaces or characters other than visible ASCII" + form, open},
		{"non-ASCII key", "ODFHIR NFF6i0KrXrxDkZHt/Vzkm\u00e9", "The Authorization header has a key with spaces or characters other than visible ASCII" + form, open},
		{"key beyond the column", "ODFHIR dev/" + strings.Repeat("k", 256), "The Authorization header has a key longer than 255 characters" + form, open},
		{"not in the key list", "ODFHIR someone/else", notListed, listed},
		{"right customer, wrong developer", "ODFHIR other/VzkmZEaUWOjnQX2z", notListed, listed},
		{"listed pair in other case", "ODFHIR NFF6I0KRXRXDKZHT/VZKMZEAUWOJNQX2Z", notListed, listed},
	}
	endpoints := []struct{ method, path, body string }{
		{"POST", base, docCreateUI},
		{"GET", base, ""},
		{"PUT", base + "/1", docUpdate1},
		{"DELETE", base + "/1", ""},
	}
	for _, h := range headers {
		for _, e := range endpoints {
			t.Run(h.name+"/"+e.method, func(t *testing.T) {
				before := h.server.dump()
				r := h.server.do(e.method, e.path, h.header, jsonType, e.body)
				if r.status != http.StatusUnauthorized {
					t.Errorf("status = %d %s, want 401", r.status, r.body)
				}
				if got := r.message(t); got != h.message {
					t.Errorf("message:\n got %s\nwant %s", got, h.message)
				}
				if got := r.header.Get("WWW-Authenticate"); got != "ODFHIR" {
					t.Errorf("WWW-Authenticate = %q", got)
				}
				if after := h.server.dump(); after != before {
					t.Errorf("apisubscription changed:\nbefore\n%s\nafter\n%s", before, after)
				}
			})
		}
	}
	// The scheme is case-insensitive; a listed pair is accepted.
	for _, s := range []*apiServer{open, listed} {
		s.mustDo(http.StatusOK, "GET", base, "odfhir NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z", "")
		s.mustDo(http.StatusOK, "GET", base, "OdFhIr NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z", "")
	}
	listed.mustDo(http.StatusOK, "GET", base, "ODFHIR devkey/custkey", "")
}

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	small := newAPIServer(t, subscriptions.HandlerOptions{MaxBodyBytes: 1024})
	def := newAPIServer(t, subscriptions.HandlerOptions{})
	small.mustDo(http.StatusCreated, "POST", base, authA, docCreateDB)
	def.mustDo(http.StatusCreated, "POST", base, authA, docCreateDB)

	pad := func(n int) string { // a valid body of exactly n bytes
		b := `{"EndPointUrl":"https://x/","UiEventType":"PatientSelected"}`
		return b[:len(b)-1] + strings.Repeat(" ", n-len(b)) + "}"
	}
	runBad(t, small, authA, []badCase{
		post("POST 1025 bytes", pad(1025), 413, "Request body is larger than 1024 bytes."),
		{name: "PUT 1025 bytes", method: "PUT", path: base + "/1", contentType: jsonType, body: `{"Note":"` + strings.Repeat("n", 1015) + `"}`, status: 413, message: "Request body is larger than 1024 bytes."},
	})
	runBad(t, def, authA, []badCase{
		post("POST 64 KiB + 1", pad(64<<10+1), 413, "Request body is larger than 65536 bytes."),
	})
	// Exactly at the limit is accepted.
	small.mustDo(http.StatusCreated, "POST", base, authA, pad(1024))
	def.mustDo(http.StatusCreated, "POST", base, authA, pad(64<<10))
}

// An internal failure answers 500 "Internal error." and is logged once with the request, without the
// caller's keys.
func TestInternalErrorIsLoggedWithoutKeys(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	db := storetest.New(t)
	srv := httptest.NewServer(subscriptions.NewHandler(db, subscriptions.HandlerOptions{
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	}))
	t.Cleanup(srv.Close)
	db.Close() // every query now fails
	s := &apiServer{t: t, url: srv.URL}

	requests := []struct{ method, path, body string }{
		{"POST", base, docCreateDB},
		{"GET", base, ""},
		{"PUT", base + "/1", docUpdate1},
		{"DELETE", base + "/1", ""},
	}
	for _, req := range requests {
		r := s.do(req.method, req.path, authA, jsonType, req.body)
		if r.status != http.StatusInternalServerError || r.message(t) != "Internal error." {
			t.Errorf("%s on a closed database = %d %s", req.method, r.status, r.body)
		}
	}
	out := logs.String()
	if n := strings.Count(out, "subscriptions api: request failed"); n != len(requests) {
		t.Errorf("logged %d failures, want %d:\n%s", n, len(requests), out)
	}
	for _, secret := range []string{"VzkmZEaUWOjnQX2z", "NFF6i0KrXrxDkZHt"} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds a key:\n%s", out)
		}
	}
	if !strings.Contains(out, "method=PUT path=/api/v1/subscriptions/1") {
		t.Errorf("log lacks the request:\n%s", out)
	}
}

// Register claims only the API's own method patterns, so other routes share the mux.
func TestRegisterSharesMux(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	mux := http.NewServeMux()
	subscriptions.Register(mux, db, subscriptions.HandlerOptions{Logger: slog.New(slog.DiscardHandler)})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "other") })
	mux.HandleFunc("GET /odsim/v1/subscriptions", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "control") })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s := &apiServer{t: t, url: srv.URL, db: db}

	if got := s.mustDo(http.StatusOK, "GET", base, authA, ""); got != "[]" {
		t.Errorf("GET = %s", got)
	}
	if got := s.mustDo(http.StatusOK, "GET", "/odsim/v1/subscriptions", "", ""); got != "control" {
		t.Errorf("control route = %s", got)
	}
	if got := s.mustDo(http.StatusOK, "PATCH", base+"/1", authA, "{}"); got != "other" {
		t.Errorf("PATCH on the shared mux = %s, want the mux's other route", got)
	}

	// On a handler of its own, other methods on the API's paths get the mux's 405.
	own := newAPIServer(t, subscriptions.HandlerOptions{})
	for _, path := range []string{base, base + "/1"} {
		if r := own.do("PATCH", path, authA, jsonType, "{}"); r.status != http.StatusMethodNotAllowed {
			t.Errorf("PATCH %s = %d %s, want 405", path, r.status, r.body)
		}
	}
	if r := own.do("GET", "/api/v1/patients", authA, "", ""); r.status != http.StatusNotFound {
		t.Errorf("GET outside the API = %d %s, want 404", r.status, r.body)
	}
}
