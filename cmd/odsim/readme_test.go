package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeGoVersion: the README names the Go version go.mod requires.
func TestReadmeGoVersion(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(data)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	if want := "With Go " + string(m[1]) + " or later (the `go` line of `go.mod`)"; !strings.Contains(string(readme), want) {
		t.Errorf("README.md does not say %q", want)
	}
}

// TestReadmeSelectPatientExamples runs the README's select-patient examples (the curl body and the
// odsim command) against odsim started as the README starts it: no flags, so it plays the host's name,
// not MOLLYR.
func TestReadmeSelectPatientExamples(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	start := regexp.MustCompile("(?m)^go run ./cmd/odsim +# run odsim: ")
	if !start.Match(readme) {
		t.Fatalf("README.md no longer starts odsim with a bare `go run ./cmd/odsim`; update this test")
	}
	bodies := regexp.MustCompile(`curl -X POST \$A/odsim/v1/select-patient -H 'Content-Type: application/json' -d '([^']*)'`).FindAllSubmatch(readme, -1)
	commands := regexp.MustCompile("`odsim (select-patient [^`\\[]*)").FindAllSubmatch(readme, -1)
	if len(bodies) == 0 || len(commands) == 0 {
		t.Fatalf("found %d curl examples and %d odsim select-patient examples in README.md", len(bodies), len(commands))
	}

	// The README's bare start, on free ports.
	addr := serveInProcess(t, "--embedded-addr", "127.0.0.1:0").url

	for _, b := range bodies {
		resp, err := http.Post(addr+"/odsim/v1/select-patient", "application/json", bytes.NewReader(b[1]))
		if err != nil {
			t.Fatal(err)
		}
		var msg bytes.Buffer
		msg.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("README's curl -d '%s': %s %s", b[1], resp.Status, msg.String())
		}
	}
	for _, c := range commands {
		args := strings.Fields(string(c[1]))
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, listenEnv(map[string]string{"ODSIM_URL": addr}), strings.NewReader(""), &out, &errOut); err != nil {
			t.Errorf("README's odsim %s: %v", c[1], err)
		}
	}
}
