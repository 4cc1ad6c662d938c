package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/spf13/cobra"

	"github.com/odsim/odsim/receiver"
)

func newListenCmd(e env) *cobra.Command {
	var cfg receiver.Config
	cmd := &cobra.Command{
		Use:   "listen",
		Short: "Receive webhook deliveries and print each on one line: a test endpoint for odsim or Open Dental",
		Long: `listen is a webhook receiver for demos and tests, in the spirit of "stripe listen".

It accepts the POSTs that odsim (or Open Dental's API Service) sends to a subscription's
EndPointUrl, on any path, and prints each one on one line: arrival time, Event-Type, Workstation,
number of elements, their primary keys, the path when not "/", and the status it answered:

  10:04:05.123  WatchTable: Appointment  ws=MOLLYR  3 elements  AptNum 12,15,19  -> 200

-v adds every header and the pretty-printed body. --jsonl appends every delivery (time, path,
headers, raw body, status) to a file, one JSON object per line, for assertions in your own tests
or for re-sending later. Requests other than POST get 405; bodies over 64 MiB get 413.

--validate checks every POST against odsim's event catalogue (odsim catalogue): the headers Open
Dental sends, the body against its event's JSON Schema, the order of the keys; each difference is
printed under the delivery's line, key by key. Pointed at by a real Open Dental office's
subscriptions, it shows where real traffic differs from odsim's catalogue.

To watch how a sender retries, answer with another status (--status), slowly (--delay, Open
Dental gives up after about 60 s), or fail some deliveries on purpose (--fail-every,
--fail-percent; both answer --fail-status). Open Dental counts only 200 as delivered.

The banner (on stderr) shows the curl command that subscribes this receiver; deliveries go to
stdout. Ctrl-C stops it with one line saying how many deliveries arrived (exit status 130).
Every flag can also be set from the environment: --jsonl is ODSIM_JSONL, --fail-every is
ODSIM_FAIL_EVERY, and so on.`,
		Example: `  # print each delivery on one line
  odsim listen

  # headers and bodies too, and a record of every delivery
  odsim listen -v --jsonl deliveries.jsonl

  # check every delivery against the catalogue (also in front of a real Open Dental office)
  odsim listen --validate --addr 0.0.0.0:2097

  # watch retries: fail every 3rd delivery, or a fifth of them with 503
  odsim listen --fail-every 3
  odsim listen --fail-percent 20 --fail-status 503

  # answer slower than the sender waits
  odsim listen --delay 70s`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			cfg.Out = e.stdout
			srv, err := receiver.New(cfg)
			if err != nil {
				return listenConfigError(cmd, e.getenv, err)
			}
			defer func() {
				if cerr := srv.Close(); cerr != nil {
					err = errors.Join(err, cerr)
				}
			}()
			ln, err := srv.Listen()
			if err != nil {
				return err
			}
			printListenBanner(e.stderr, ln.Addr(), srv.Config())
			ctx := cmd.Context()
			if err := srv.Serve(ctx, ln); err != nil {
				return err
			}
			// Serve ends cleanly only when ctx does: Ctrl-C.
			fmt.Fprintf(e.stderr, "odsim listen: interrupted after receiving %s\n", plural(int(srv.Received()), "delivery"))
			return interrupted(ctx)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Addr, "addr", receiver.DefaultAddr,
		"`host:port` to listen on, e.g. 0.0.0.0:2097 to accept deliveries from other machines")
	f.BoolVarP(&cfg.Verbose, "verbose", "v", false,
		"also print every header and the pretty-printed JSON body of each delivery")
	f.BoolVar(&cfg.Validate, "validate", false,
		"check every POST against odsim's event catalogue (headers, body schema, key order) and print each difference under its line")
	f.StringVar(&cfg.JSONL, "jsonl", "",
		"append every delivery to this `file`, one JSON object per line, e.g. --jsonl deliveries.jsonl")
	f.IntVar(&cfg.Status, "status", receiver.DefaultStatus,
		"HTTP `status` to answer (200–599), e.g. --status 202 to see that Open Dental counts only 200")
	f.DurationVar(&cfg.Delay, "delay", 0,
		"wait this `duration` before answering each delivery, e.g. --delay 2s")
	f.IntVar(&cfg.FailEvery, "fail-every", 0,
		"answer every `N`th delivery with --fail-status, e.g. --fail-every 3 fails the 3rd, 6th, ... (0: never)")
	f.Float64Var(&cfg.FailPercent, "fail-percent", 0,
		"answer this `percentage` (0–100) of deliveries, chosen at random, with --fail-status, e.g. --fail-percent 20")
	f.IntVar(&cfg.FailStatus, "fail-status", receiver.DefaultFailStatus,
		"HTTP `status` of a failure caused by --fail-every or --fail-percent (200–599), e.g. --fail-status 503")
	// listen is a server: every flag is a setting, as for odsim serve.
	settings(f, "addr", "verbose", "validate", "jsonl", "status", "delay", "fail-every", "fail-percent", "fail-status")
	return cmd
}

// listenConfigError names the flag (or the environment variable it came from) behind a bad value.
func listenConfigError(cmd *cobra.Command, getenv func(string) string, err error) error {
	var ce *receiver.ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	name := listenFlag(ce.Field)
	if name == "" {
		return err
	}
	if f := cmd.Flags().Lookup(name); f != nil && !f.Changed && getenv(envName(name)) != "" {
		return fmt.Errorf("%s=%s: %s", envName(name), getenv(envName(name)), ce.Problem)
	}
	return fmt.Errorf("--%s %v: %s", name, ce.Value, ce.Problem)
}

// listenFlag names the flag behind a receiver.Config field, so a bad value is reported by the name the
// user typed.
func listenFlag(field string) string {
	switch field {
	case "Addr":
		return "addr"
	case "Status":
		return "status"
	case "Delay":
		return "delay"
	case "FailEvery":
		return "fail-every"
	case "FailPercent":
		return "fail-percent"
	case "FailStatus":
		return "fail-status"
	}
	return ""
}

// printListenBanner says where the receiver listens, how it answers, and how to subscribe it.
func printListenBanner(w io.Writer, addr net.Addr, cfg receiver.Config) {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		host, port = addr.String(), ""
	}
	where := ""
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		where = " (all interfaces)"
		host = "127.0.0.1"
	}
	url := "http://" + net.JoinHostPort(host, port) + "/"

	answer := []string{fmt.Sprintf("answering %d", cfg.Status)}
	if cfg.FailEvery > 0 {
		answer = append(answer, fmt.Sprintf("%s %d", everyNth(cfg.FailEvery), cfg.FailStatus))
	}
	if cfg.FailPercent > 0 {
		answer = append(answer, fmt.Sprintf("%g%% of deliveries %d", cfg.FailPercent, cfg.FailStatus))
	}
	if cfg.Delay > 0 {
		answer = append(answer, "after "+cfg.Delay.String())
	}
	fmt.Fprintf(w, "odsim listen: receiving webhook deliveries on %s%s, %s.\n", url, where, strings.Join(answer, ", "))
	if cfg.JSONL != "" {
		fmt.Fprintf(w, "Appending every delivery to %s.\n", cfg.JSONL)
	}
	fmt.Fprintf(w, `
Subscribe it through odsim's Subscriptions API (odsim serve's default address), e.g. to appointments:

  curl -X POST http://127.0.0.1:30223/api/v1/subscriptions \
    -H 'Authorization: ODFHIR NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z' \
    -H 'Content-Type: application/json' \
    -d '{"EndPointUrl":"%[1]s","WatchTable":"Appointment","PollingSeconds":5}'

For patient selections use -d '{"EndPointUrl":"%[1]s","UiEventType":"PatientSelected"}'.
Deliveries follow, one per line. Ctrl-C stops.

`, url)
}

// everyNth writes 3 as "every 3rd delivery" and 1 as "every delivery".
func everyNth(n int) string {
	if n == 1 {
		return "every delivery"
	}
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return fmt.Sprintf("every %d%s delivery", n, suffix)
}
