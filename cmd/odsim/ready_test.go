package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// serveInProcess runs odsim serve with args in this process (the serve path of the binary, without
// building and starting it), and returns the API's base URL and the embedded database's port once it
// has printed them; it stops when the test ends.
func serveInProcess(t *testing.T, args ...string) (api, port string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"serve"}, args...), func(string) string { return "" }, strings.NewReader(""), pw, io.Discard)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("odsim serve: %v", err)
		}
	})
	found := make(chan [2]string, 1)
	go func() {
		var a, p string
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := apiRE.FindStringSubmatch(sc.Text()); m != nil {
				a = m[1]
			}
			if m := embeddedRE.FindStringSubmatch(sc.Text()); m != nil {
				p = m[1]
			}
			if a != "" && p != "" {
				found <- [2]string{a, p}
				break
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case f := <-found:
		return f[0], f[1]
	case err := <-done:
		t.Fatalf("odsim serve ended before it was ready: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("odsim serve was not ready within 30 s")
	}
	return "", ""
}

// A subscription created as soon as odsim reports ready receives only what changes after it: never the
// demo practice, whose rows the load stamps before it began (issue 17 §2). Twenty fresh starts of the
// serve path, half subscribing through the Subscriptions API at once, half with --subscribe; each
// changes one appointment, polls now, and must get exactly that one element.
func TestSubscribingAtStartGetsOnlyLaterChanges(t *testing.T) {
	t.Parallel()
	running := make(chan struct{}, 4) // odsims at once
	for i := range 20 {
		t.Run("start "+string(rune('a'+i)), func(t *testing.T) {
			t.Parallel()
			running <- struct{}{}
			defer func() { <-running }()
			var mu sync.Mutex
			var keys []float64
			rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				var elems []map[string]any
				if json.Unmarshal(body, &elems) == nil {
					mu.Lock()
					for _, e := range elems {
						keys = append(keys, e["AptNum"].(float64))
					}
					mu.Unlock()
				}
			}))
			t.Cleanup(rc.Close)
			args := []string{"--listen", "127.0.0.1:0", "--embedded-addr", "127.0.0.1:0"}
			viaFlag := i%2 == 1
			if viaFlag {
				args = append(args, "--subscribe", "Appointment="+rc.URL+"/apievents/", "--subscribe-polling-seconds", "3600")
			}
			api, port := serveInProcess(t, append(args, "--workstation", "E2E")...)
			if !viaFlag {
				subscribe(t, api, `{"EndPointUrl":"`+rc.URL+`/apievents/","WatchTable":"Appointment","PollingSeconds":3600}`)
			}
			changeAppointment(t, port)
			base := strings.TrimSuffix(regexp.MustCompile(`/api/v1$`).ReplaceAllString(api, ""), "/")
			resp, err := http.Post(base+"/odsim/v1/poll", "application/json", strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var res struct{ Outcomes []struct{ Delivered int } }
			if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("poll now: %s, %v", resp.Status, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(res.Outcomes) != 1 || res.Outcomes[0].Delivered != 1 || len(keys) != 1 || keys[0] != 7 {
				t.Errorf("poll now delivered %+v, the receiver got appointments %v; want appointment 7 alone", res.Outcomes, keys)
			}
		})
	}
}
