package scenario_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/odsim/odsim/poller"
	"github.com/odsim/odsim/scenario"
	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/store/demo"
	"github.com/odsim/odsim/store/embedded"
	"github.com/odsim/odsim/store/storetest"
	"github.com/odsim/odsim/subscriptions"
	"github.com/odsim/odsim/uievents"
	"github.com/odsim/odsim/webhook"
)

// testStart is the scenario clock the golden files were made with: the demo practice's Wednesday
// (its book starts on Monday 2026-11-30), in UTC so that no time zone changes a value.
var testStart = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

const workstation = "FRONTDESK"

// engine opens a fresh Open Dental database with odsim's schema.
type engine struct {
	name string
	// database returns the DSN of a fresh database with odsim's schema.
	database func(t *testing.T) (dsn string)
}

var engines = []engine{
	{"mariadb", func(t *testing.T) string { return storetest.NewDSN(t) }},
	{"embedded", embeddedDatabase},
}

// open returns a store on a fresh database of e.
func (e engine) open(t *testing.T) *store.DB {
	t.Helper()
	return storetest.Open(t, e.database(t))
}

func embeddedDatabase(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	srv, err := embedded.Start(ctx, embedded.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("start embedded database: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	if _, err := storetest.Open(t, srv.DSN()).Apply(ctx); err != nil {
		t.Fatalf("apply schema: %v", err)
	}
	return srv.DSN()
}

// received is one POST at the loopback receiver.
type received struct {
	eventType string
	body      []byte
}

// receiver is a real HTTP server on loopback recording every POST; it answers 200.
type receiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []received
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, received{r.Header.Get("Event-Type"), body})
		rc.mu.Unlock()
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.reqs...)
}

// world is one test's practice: a database with the demo practice, subscriptions to every event at a
// loopback receiver, the poller and the UI events of one workstation.
//
// The database clock of the practice's writes is pinned (SET timestamp) ten seconds before the world
// was made, on a pool of its own (writer): the demo practice is stamped before that, the subscriptions
// start at it, and every change a scenario writes through writer carries it — so one poll, whose window
// ends at the real NOW(), delivers all of them without waiting for the clock to tick over.
type world struct {
	t      *testing.T
	ctx    context.Context
	db     *store.DB // the poller's and the UI events' pool, on the real clock
	writer *store.DB // the scenarios' pool, its clock pinned at clock
	clock  time.Time // on the database's wall clock
	rc     *receiver
	p      *poller.Poller
	ui     *uievents.Workstations
}

func newWorld(t *testing.T, e engine) *world {
	t.Helper()
	ctx := context.Background()
	dsn := e.database(t)
	db := storetest.Open(t, dsn)
	var pinned int64
	var clock string
	if err := db.SQL().QueryRowContext(ctx, "SELECT UNIX_TIMESTAMP(NOW()) - 10, NOW() - INTERVAL 10 SECOND").Scan(&pinned, &clock); err != nil {
		t.Fatalf("read the database clock: %v", err)
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["timestamp"] = strconv.FormatInt(pinned, 10) // every connection of the pool: SET timestamp
	w := &world{t: t, ctx: ctx, db: db, writer: storetest.Open(t, cfg.FormatDSN()), rc: newReceiver(t)}
	if w.clock, err = time.Parse(time.DateTime, clock[:19]); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Load(ctx, w.writer.SQL(), demo.Options{}); err != nil {
		t.Fatalf("load demo practice: %v", err)
	}
	for _, table := range subscriptions.WatchTables {
		w.subscribe(subscriptions.Subscription{WatchTable: table, PollingSeconds: 1, DateTimeStart: w.clock})
	}
	w.subscribe(subscriptions.Subscription{UiEventType: subscriptions.PatientSelected})
	sender := webhook.NewSender(webhook.Config{Timeout: 10 * time.Second})
	w.p = poller.New(poller.Config{Workstations: []string{workstation}}, db, sender)
	w.ui = uievents.New(uievents.Config{Workstations: []string{workstation}}, db, sender)
	return w
}

func (w *world) subscribe(s subscriptions.Subscription) {
	w.t.Helper()
	s.EndPointURL = w.rc.srv.URL + "/apievents/"
	s.CustomerKey = "VzkmZEaUWOjnQX2z"
	if _, err := w.db.CreateSubscription(w.ctx, s); err != nil {
		w.t.Fatalf("subscribe: %v", err)
	}
}

// selector fires PatientSelected through odsim's UI events, waiting for the POSTs, and knows which
// workstations they play.
func (w *world) selector() scenario.PatientSelector {
	return scenario.CheckedSelector{
		Select: func(ctx context.Context, ws string, patNum int64) error {
			_, err := w.ui.SelectPatient(ctx, ws, patNum, true)
			return err
		},
		Check: func(_ context.Context, ws string) error {
			_, err := w.ui.Resolve(ws)
			return err
		},
	}
}

// pollAll polls every subscription once, and fails the test if any poll failed. The scenario's changes
// carry the pinned clock, a past second, so every one is in the window.
func (w *world) pollAll() {
	w.t.Helper()
	outs, err := w.p.PollNow(w.ctx, 0)
	if err != nil {
		w.t.Fatalf("poll: %v", err)
	}
	for _, o := range outs {
		if o.Err != nil {
			w.t.Fatalf("poll subscription %d: %v", o.SubscriptionNum, o.Err)
		}
	}
}

// volatileRE matches the values MySQL or the database clock decide: change timestamps and entry times.
var volatileRE = regexp.MustCompile(`"(DateTStamp|SecDateTEdit|SecDateTEntry|SecDateEntry|HistDateTStamp)":"[^"]*"`)

// eventSet reduces deliveries to the set of delivered events: for each event type and primary key the
// last element delivered (its final field values), with the volatile values masked, one line each,
// sorted.
func eventSet(t *testing.T, reqs []received) []string {
	t.Helper()
	final := map[string]string{}
	for _, r := range reqs {
		var elems []json.RawMessage
		if strings.HasPrefix(r.eventType, "UiEventType:") {
			elems = []json.RawMessage{r.body}
		} else if err := json.Unmarshal(r.body, &elems); err != nil {
			t.Fatalf("%s: body is not a JSON array: %v", r.eventType, err)
		}
		for _, e := range elems {
			key := primaryKey(t, e)
			final[fmt.Sprintf("%s|%012d", r.eventType, key)] = volatileRE.ReplaceAllString(string(e), `"$1":"*"`)
		}
	}
	keys := make([]string, 0, len(final))
	for k := range final {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		typ, num, _ := strings.Cut(k, "|")
		n, _ := strconv.ParseInt(num, 10, 64)
		out[i] = fmt.Sprintf("%s %d %s", typ, n, final[k])
	}
	return out
}

// primaryKey is the value of an element's first key: every payload starts with its row's primary key.
func primaryKey(t *testing.T, elem []byte) int64 {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(elem)))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("element is not an object: %.80s", elem)
	}
	if _, err := dec.Token(); err != nil {
		t.Fatalf("element has no key: %.80s", elem)
	}
	tok, err := dec.Token()
	if err != nil {
		t.Fatalf("element's first value: %v", err)
	}
	var s string
	switch v := tok.(type) {
	case json.Number:
		s = v.String()
	case string:
		s = v
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("element's first value %v is not a primary key", tok)
	}
	return n
}

// batchSizes returns the element count of each POST of one event type, in order.
func batchSizes(t *testing.T, reqs []received, eventType string) []int {
	t.Helper()
	var out []int
	for _, r := range reqs {
		if r.eventType != eventType {
			continue
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(r.body, &elems); err != nil {
			t.Fatalf("%s: %v", eventType, err)
		}
		out = append(out, len(elems))
	}
	return out
}
