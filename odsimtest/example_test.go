package odsimtest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"

	"github.com/odsim/odsim/odsimtest"
)

// A consumer's test: start odsim with the demo practice, subscribe the consumer to appointment
// changes, change an appointment as a user of Open Dental would, and deliver it now.
func Example() {
	t := newExampleT() // in a test: func TestConsumer(t *testing.T) { sim := odsimtest.Start(t, ...) ... }
	defer t.finish()

	sim := odsimtest.Start(t, odsimtest.WithDemo())

	received := make(chan *http.Request, 10)
	consumer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		received <- r
	}))
	defer consumer.Close()

	sim.Subscribe(consumer.URL+"/apievents/", "Appointment")
	sim.Exec("UPDATE appointment SET Note = 'Running 10 minutes late' WHERE AptNum = 12")
	sim.PollNow()

	r := <-received
	body, _ := io.ReadAll(r.Body)
	fmt.Println(r.Method, r.URL.Path)
	fmt.Println("Event-Type:", r.Header.Get("Event-Type"))
	fmt.Println("Authorization:", r.Header.Get("Authorization"))
	fmt.Println(strings.HasPrefix(string(body), `[{"AptNum":12,`), strings.Contains(string(body), `"Note":"Running 10 minutes late"`))
	// Output:
	// POST /apievents/
	// Event-Type: WatchTable: Appointment
	// Authorization: VzkmZEaUWOjnQX2z
	// true true
}

// PatientSelected fires when a workstation's selected patient changes; the delivery log keeps what
// was sent.
func ExampleSim_SelectPatient() {
	t := newExampleT()
	defer t.finish()

	sim := odsimtest.Start(t, odsimtest.WithDemo(), odsimtest.WithWorkstations("MOLLYR"))
	consumer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer consumer.Close()
	sim.Subscribe(consumer.URL+"/", "PatientSelected")

	fmt.Println(sim.SelectPatient("MOLLYR", 28).Fired)
	fmt.Println(sim.SelectPatient("MOLLYR", 28).Fired) // the same patient again: Open Dental sends nothing
	for _, d := range sim.Deliveries(odsimtest.Filter{Table: "PatientSelected"}) {
		fmt.Println(d.EventType, d.Workstation, d.Keys, d.Status)
	}
	// Output:
	// true
	// false
	// UiEventType: PatientSelected MOLLYR [28] 200
}

// A scenario writes rows the way Open Dental's front desk does; PollNow delivers their events.
func ExampleSim_RunScenario() {
	t := newExampleT()
	defer t.finish()

	sim := odsimtest.Start(t, odsimtest.WithDemo())
	consumer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer consumer.Close()
	for _, table := range []string{"Patient", "PatField"} {
		sim.Subscribe(consumer.URL+"/", table)
	}
	run := sim.RunScenario("new-patient")
	fmt.Println(run.Scenario, run.State)
	sim.PollNow()
	tables := map[string]int{}
	for _, d := range sim.Deliveries(odsimtest.Filter{Status: "ok"}) {
		tables[d.EventType] += d.Elements
	}
	var lines []string
	for k, n := range tables {
		lines = append(lines, fmt.Sprintf("%s: %d", k, n))
	}
	sort.Strings(lines)
	fmt.Println(strings.Join(lines, "\n"))
	// Output:
	// new-patient done
	// WatchTable: PatField: 5
	// WatchTable: Patient: 2
}

// exampleT stands in for a test's *testing.T in these examples: it runs the cleanups at the end and
// stops the example on a failure.
type exampleT struct{ cleanups []func() }

func newExampleT() *exampleT { return &exampleT{} }

func (t *exampleT) Helper()                           {}
func (t *exampleT) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Errorf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
func (t *exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (t *exampleT) finish() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}
