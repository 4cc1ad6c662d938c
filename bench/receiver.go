package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// receiver is the subscribers' endpoint: a loopback HTTP server that answers 200 as soon as it has read
// a body, counting elements and bytes per Event-Type. It counts an element by its first key
// (`{"AptNum":` in `[{"AptNum":1,...},{"AptNum":2,...}]`), which cannot occur inside a JSON string,
// so it never parses the JSON it is timing.
type receiver struct {
	srv  *http.Server
	addr string
	bufs sync.Pool
	now  func() time.Time

	mu     sync.Mutex
	counts map[string]*arrivals // by Event-Type
	want   map[string]int       // elements expected per Event-Type; done closes when all arrived
	done   chan struct{}
	// inspect, when set, sees every body (the latency run parses them).
	inspect func(at time.Time, eventType string, body []byte)
}

// arrivals is what reached the receiver for one Event-Type.
type arrivals struct {
	posts, rows int
	bytes       int64
	last        time.Time
}

func newReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("receiver: %w", err)
	}
	rc := &receiver{addr: ln.Addr().String(), now: time.Now, counts: map[string]*arrivals{}}
	rc.bufs.New = func() any { return new(bytes.Buffer) }
	rc.srv = &http.Server{Handler: http.HandlerFunc(rc.serve), ReadHeaderTimeout: 10 * time.Second}
	go rc.srv.Serve(ln)
	return rc, nil
}

// URL is the EndPointUrl subscriptions point at.
func (rc *receiver) URL() string { return "http://" + rc.addr + "/apievents" }

func (rc *receiver) close() { rc.srv.Shutdown(context.Background()) }

// expect resets the counts and arms done for want elements per Event-Type.
func (rc *receiver) expect(want map[string]int) <-chan struct{} {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.counts = map[string]*arrivals{}
	rc.want = want
	rc.done = make(chan struct{})
	if len(want) == 0 {
		close(rc.done)
	}
	return rc.done
}

// snapshot returns a copy of the counts.
func (rc *receiver) snapshot() map[string]arrivals {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make(map[string]arrivals, len(rc.counts))
	for k, v := range rc.counts {
		out[k] = *v
	}
	return out
}

func (rc *receiver) setInspect(f func(at time.Time, eventType string, body []byte)) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.inspect = f
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	buf := rc.bufs.Get().(*bytes.Buffer)
	defer rc.bufs.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	at := rc.now()
	body := buf.Bytes()
	et := r.Header.Get("Event-Type")
	n := countElements(body)

	rc.mu.Lock()
	a := rc.counts[et]
	if a == nil {
		a = &arrivals{}
		rc.counts[et] = a
	}
	a.posts++
	a.rows += n
	a.bytes += int64(len(body))
	a.last = at
	if rc.want != nil && rc.complete() {
		select {
		case <-rc.done:
		default:
			close(rc.done)
		}
	}
	inspect := rc.inspect
	rc.mu.Unlock()

	if inspect != nil {
		inspect(at, et, body)
	}
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, "")
}

// complete reports whether every expected Event-Type got its elements (rc.mu held).
func (rc *receiver) complete() bool {
	for et, n := range rc.want {
		if a := rc.counts[et]; a == nil || a.rows < n {
			return false
		}
	}
	return true
}

// countElements counts the objects of a JSON array of objects by their first key.
func countElements(body []byte) int {
	if len(body) < 3 || body[0] != '[' || body[1] != '{' {
		return 0
	}
	end := bytes.IndexByte(body, ':')
	if end < 0 {
		return 0
	}
	return bytes.Count(body, body[1:end+1])
}
