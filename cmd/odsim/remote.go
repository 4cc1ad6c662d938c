package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/odsim/odsim/control"
)

// remoteFlags are the flags of every subcommand that talks to a running odsim over HTTP
// (select-patient, poll, deliveries, subscribe, subscriptions, ...).
type remoteFlags struct {
	addr  string
	json  bool
	token secretFlags
}

func (r *remoteFlags) register(f *pflag.FlagSet) {
	f.StringVar(&r.addr, "url", control.DefaultAddr, "the running odsim to talk to, as a `URL` or host:port")
	f.BoolVar(&r.json, "json", false, "print the answer as JSON (one line), for scripts")
	registerSecret(f, &r.token, "control-token", false, "the `token` of odsim serve --control-token, sent to its control API")
	settings(f, "url")
}

// client returns a client of the odsim at --url.
func (r *remoteFlags) client(f *pflag.FlagSet) (*control.Client, error) {
	return newClient(r.addr, &r.token, f)
}

// newClient is a client of the odsim at addr (the value of --url) that sends the control token.
func newClient(addr string, token *secretFlags, f *pflag.FlagSet) (*control.Client, error) {
	tok, err := token.one(f)
	if err != nil {
		return nil, err
	}
	c, err := control.NewClient(addr, nil)
	if err != nil {
		return nil, fmt.Errorf("--url: %w", err)
	}
	c.SetControlToken(tok)
	return c, nil
}

// remoteError makes a client error one line that says what to do about it.
func remoteError(err error) error {
	var ue *control.UnreachableError
	if errors.As(err, &ue) {
		return fmt.Errorf("%w (is odsim running? start it with `odsim serve`, or point --url or ODSIM_URL at it)", err)
	}
	return err
}

// printJSON writes v as one line of JSON.
func printJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode answer: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// positiveArg reads a positional argument that must be a positive whole number.
func positiveArg(name, v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s must be a positive whole number, not %q", name, v)
	}
	return n, nil
}

// deliveryLine is one delivery on one line:
//
//	#12  10:04:05.123  sub 3  MOLLYR  WatchTable: Appointment  3 elements  keys 12,15,19  -> 200 OK  4.2ms
func deliveryLine(d control.Delivery) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d  %s  sub %d  %s  %s", d.ID, d.At.Local().Format("15:04:05.000"), d.Subscription, d.Workstation, d.EventType)
	if d.Batch > 1 {
		fmt.Fprintf(&b, "  batch %d", d.Batch)
	}
	noun := "elements"
	if d.Elements == 1 {
		noun = "element"
	}
	fmt.Fprintf(&b, "  %d %s  keys %s  -> %s", d.Elements, noun, keyList(d.Keys, d.Elements), deliveryResult(d))
	return b.String()
}

// deliveryResult says what came of a POST: "200 OK  4.2ms", "HTTP 500  3.1ms", "failed: connection refused".
func deliveryResult(d control.Delivery) string {
	switch {
	case d.Error != "":
		return "failed: " + d.Error
	case d.OK:
		return fmt.Sprintf("200 OK  %gms", d.LatencyMS)
	}
	return fmt.Sprintf("HTTP %d (not delivered)  %gms", d.Status, d.LatencyMS)
}

// keyList shows up to ten keys, then how many more there are.
func keyList(keys []int64, elements int) string {
	const show = 10
	var parts []string
	for i, k := range keys {
		if i == show {
			break
		}
		parts = append(parts, strconv.FormatInt(k, 10))
	}
	s := strings.Join(parts, ",")
	if more := elements - len(parts); more > 0 {
		s += fmt.Sprintf(",… (+%d)", more)
	}
	if s == "" {
		s = "-"
	}
	return s
}
