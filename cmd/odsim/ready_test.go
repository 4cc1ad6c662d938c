package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

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
			args := []string{"--embedded-addr", "127.0.0.1:0", "--workstation", "E2E"}
			viaFlag := i%2 == 1
			if viaFlag {
				args = append(args, "--subscribe", "Appointment="+rc.URL+"/apievents/", "--subscribe-polling-seconds", "3600")
			}
			s := serveInProcess(t, args...)
			api, port := s.url+"/api/v1", s.embedded
			if !viaFlag {
				subscribe(t, api, `{"EndPointUrl":"`+rc.URL+`/apievents/","WatchTable":"Appointment","PollingSeconds":3600}`)
			}
			changeAppointment(t, port)
			resp, err := http.Post(s.url+"/odsim/v1/poll", "application/json", strings.NewReader(`{}`))
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
