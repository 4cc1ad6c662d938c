package odsimtest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/odsim/odsim/catalogue"
	"github.com/odsim/odsim/odsimtest"
	"github.com/odsim/odsim/store/storetest"
)

// WithDSN runs the kit against MariaDB/MySQL (here a fresh test database): subscriptions made through
// Open Dental's API, a change, PollNow, and the delivery log hold exactly one delivery, which the
// consumer received and which matches the catalogue.
func TestWithDSN(t *testing.T) {
	t.Parallel()
	sim := odsimtest.Start(t, odsimtest.WithDSN(storetest.NewEmptyDSN(t)), odsimtest.WithWorkstations("MOLLYR"))

	var mu sync.Mutex
	var got []string
	consumer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Header.Get("Event-Type")+" "+string(b))
		mu.Unlock()
	}))
	t.Cleanup(consumer.Close)

	sub := sim.Subscribe(consumer.URL+"/pf", "PatField")
	if sub.WatchTable != "PatField" || sub.CustomerKey != odsimtest.CustomerKey || sub.PollingSeconds != 3600 {
		t.Fatalf("subscription %+v", sub)
	}
	sim.Exec("INSERT INTO patfield (PatFieldNum, PatNum, FieldName, FieldValue, SecUserNumEntry, SecDateEntry) VALUES (1, 7, 'Referral Source', 'Web', 0, CURDATE())")
	out := sim.PollNow()
	if len(out) != 1 || out[0].Delivered != 1 {
		t.Fatalf("poll now: %+v", out)
	}
	ds := sim.Deliveries(odsimtest.Filter{Table: "PatField"})
	if len(ds) != 1 || ds[0].Body == nil || !strings.Contains(*ds[0].Body, `"FieldValue":"Web"`) || ds[0].Status != 200 {
		t.Fatalf("deliveries: %+v", ds)
	}
	v, err := catalogue.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	if _, ps := v.Check(ds[0].Headers, []byte(*ds[0].Body)); len(ps) > 0 {
		t.Errorf("delivery differs from the catalogue: %v", ps)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != "WatchTable: PatField "+*ds[0].Body {
		t.Errorf("consumer got %q", got)
	}
}

// Start fails the test, naming the cause, when the simulator cannot start.
func TestStartFailure(t *testing.T) {
	t.Parallel()
	ft := &fakeT{}
	func() {
		defer func() { _ = recover() }()
		odsimtest.Start(ft, odsimtest.WithDSN("root@tcp(127.0.0.1:1)/nothing?timeout=1s"))
	}()
	if !strings.HasPrefix(ft.fatal, "odsimtest: start: ") || !strings.Contains(ft.fatal, "127.0.0.1:1") {
		t.Errorf("Fatalf(%q), want the start-up error naming the address", ft.fatal)
	}
}

type fakeT struct{ fatal string }

func (f *fakeT) Helper()                           {}
func (f *fakeT) Cleanup(func())                    {}
func (f *fakeT) Errorf(format string, args ...any) {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	panic("fatal")
}

// BenchmarkStart measures Start and its cleanup: the embedded database with Open Dental's schema, and
// with the demo practice.
func BenchmarkStart(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []odsimtest.Option
	}{{"embedded", nil}, {"embedded+demo", []odsimtest.Option{odsimtest.WithDemo()}}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				t := &loopT{B: b}
				odsimtest.Start(t, bc.opts...)
				t.finish()
			}
		})
	}
}

// loopT is one iteration's test: its cleanups run at the end of the iteration.
type loopT struct {
	*testing.B
	cleanups []func()
}

func (t *loopT) Cleanup(f func()) { t.cleanups = append(t.cleanups, f) }
func (t *loopT) finish() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}
