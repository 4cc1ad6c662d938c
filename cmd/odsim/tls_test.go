package main

import (
	"context"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/odsim/odsim/control"
)

// TestHTTPSDelivery: the binary delivers to an https EndPointUrl whose certificate it was told to
// trust, with --ca-file or with SSL_CERT_FILE (as the README says), and refuses it otherwise.
func TestHTTPSDelivery(t *testing.T) {
	t.Parallel()
	got := make(chan struct{}, 1)
	rc := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if checkAppointmentEvent(t, r.Header, body) {
			select {
			case got <- struct{}{}:
			default:
			}
		}
	}))
	rc.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes of the untrusted case
	rc.StartTLS()
	t.Cleanup(rc.Close)
	caFile := filepath.Join(t.TempDir(), "receiver.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rc.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		env     []string
		args    []string
		trusted bool
	}{
		{"--ca-file", nil, []string{"--ca-file", caFile}, true},
		{"SSL_CERT_FILE", []string{"SSL_CERT_FILE=" + caFile}, nil, true},
		{"untrusted", nil, nil, false},
	}
	for _, tt := range tests {
		// One at a time: the receiver's channel tells which odsim delivered.
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--listen", "127.0.0.1:0", "--embedded-addr", "127.0.0.1:0",
				"--workstation", "E2E", "--subscribe", "Appointment=" + rc.URL + "/apievents/"}, tt.args...)
			p := startBinary(t, tt.env, args...)
			api := p.waitFor(t, apiRE)
			changeAppointment(t, p.waitFor(t, embeddedRE))
			c, err := control.NewClient(strings.TrimSuffix(api, "/api/v1"), nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if tt.trusted {
				select {
				case <-got:
				case <-ctx.Done():
					t.Fatalf("no Appointment event over https within 30s")
				}
				return
			}
			for {
				page, err := c.Deliveries(ctx, control.DeliveryQuery{Status: "failed"})
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Deliveries) > 0 {
					if e := page.Deliveries[0].Error; !strings.Contains(e, "certificate") {
						t.Errorf("untrusted receiver: delivery failed with %q, want a certificate error", e)
					}
					break
				}
				select {
				case <-got:
					t.Fatal("an untrusted receiver got the event")
				case <-ctx.Done():
					t.Fatal("no failed delivery within 30s")
				case <-time.After(100 * time.Millisecond):
				}
			}
		})
	}
}
