package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/odsim/odsim/control"
)

// followWait is how long each long poll of --follow waits before asking again.
const followWait = 30 * time.Second

func newDeliveriesCmd(e env) *cobra.Command {
	var (
		remote remoteFlags
		q      control.DeliveryQuery
		since  int64
		follow bool
	)
	cmd := &cobra.Command{
		Use:   "deliveries [ID]",
		Short: "Show the delivery log of a running odsim: every POST of database and UI events",
		Long: `deliveries shows what a running odsim sent: one line per POST attempt of a database event batch
or a UI event, oldest first, with its ID, time, subscription, workstation, Event-Type, number of
elements, primary keys and the answer (only 200 counts as delivered):

  #12  10:04:05.123  sub 3  MOLLYR  WatchTable: Appointment  3 elements  keys 12,15,19  -> 200 OK  4.2ms

With an ID it shows that delivery in full: the headers and the body as sent.

Filters: --subscription, --table (a WatchTable or PatientSelected), --workstation, --status (ok,
failed, or an HTTP status; 0 means no answer). Without --since the newest --limit matches are
shown; with --since ID the first --limit after that ID. --follow then keeps printing new
deliveries as they happen, until Ctrl-C (exit status 130).

odsim keeps the newest 10,000 deliveries in memory (odsim serve --delivery-log-size).`,
		Example: `  odsim deliveries
  odsim deliveries --follow --table Appointment
  odsim deliveries --status failed --subscription 3
  odsim deliveries 12
  odsim deliveries --since 40 --json`,
		Args: optionalArgs(arg{"ID", "the delivery to show"}),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := remote.client(cmd.Flags())
			if err != nil {
				return err
			}
			if len(args) == 1 {
				if follow || cmd.Flags().Changed("since") {
					return errors.New("give an ID to show one delivery, or --follow/--since to list them, not both")
				}
				id, err := positiveArg("ID", args[0])
				if err != nil {
					return err
				}
				d, err := c.Delivery(cmd.Context(), id)
				if err != nil {
					return remoteError(err)
				}
				if remote.json {
					return printJSON(e.stdout, d)
				}
				printDelivery(e.stdout, d)
				return nil
			}
			if cmd.Flags().Changed("since") {
				q.Since = &since
			}
			return listDeliveries(cmd.Context(), e, c, q, follow, remote.json)
		},
	}
	f := cmd.Flags()
	remote.register(f)
	f.BoolVarP(&follow, "follow", "f", false, "keep printing new deliveries as they happen, until Ctrl-C")
	f.Int64Var(&q.Subscription, "subscription", 0, "only deliveries of this `SubscriptionNum`")
	f.StringVar(&q.Table, "table", "", "only this event `type`: a WatchTable (Appointment, Patient, ...) or PatientSelected")
	f.StringVar(&q.Workstation, "workstation", "", "only deliveries sent by this `machine`")
	f.StringVar(&q.Status, "status", "", "only deliveries answered so: ok, failed, or an HTTP `status` (0: no answer)")
	f.Int64Var(&since, "since", 0, "only deliveries after this `ID`, oldest first")
	f.IntVar(&q.Limit, "limit", 0, "show at most `N` deliveries (default 100)")
	// Only --url and the control token are settings: the filters are read from the command line alone,
	// so that ODSIM_WORKSTATION or ODSIM_STATUS meant for odsim serve or odsim listen filter nothing here.
	return cmd
}

// listDeliveries prints one page of the log and, with follow, every delivery after it until ctx ends.
func listDeliveries(ctx context.Context, e env, c *control.Client, q control.DeliveryQuery, follow, asJSON bool) error {
	page, err := c.Deliveries(ctx, q)
	if err != nil {
		return remoteError(err)
	}
	if asJSON && !follow {
		return printJSON(e.stdout, page)
	}
	if err := printDeliveries(e, page.Deliveries, asJSON); err != nil {
		return err
	}
	if !follow {
		if len(page.Deliveries) == 0 && !asJSON {
			fmt.Fprintln(e.stdout, "No deliveries match.")
		}
		return nil
	}
	next := page.LastID
	if q.Since != nil && q.Limit > 0 && len(page.Deliveries) == q.Limit {
		next = page.Deliveries[len(page.Deliveries)-1].ID // more may follow the page
	}
	shown := len(page.Deliveries)
	for {
		q.Since, q.Wait = &next, followWait
		page, err := c.Deliveries(ctx, q)
		if ctx.Err() != nil {
			// Ctrl-C: the end of --follow.
			if shown == 0 {
				fmt.Fprintln(e.stderr, "odsim deliveries: interrupted; no delivery came")
			} else {
				fmt.Fprintf(e.stderr, "odsim deliveries: interrupted after showing %s, up to #%d\n", plural(shown, "delivery"), next)
			}
			return interrupted(ctx)
		}
		if err != nil {
			return remoteError(err)
		}
		if page.FirstID > next+1 {
			fmt.Fprintf(e.stderr, "odsim deliveries: deliveries %d to %d left the log before they could be shown.\n", next+1, page.FirstID-1)
		}
		if err := printDeliveries(e, page.Deliveries, asJSON); err != nil {
			return err
		}
		shown += len(page.Deliveries)
		switch {
		case q.Limit > 0 && len(page.Deliveries) == q.Limit:
			next = page.Deliveries[len(page.Deliveries)-1].ID
		default:
			next = max(next, page.LastID)
		}
	}
}

// printDeliveries prints deliveries one per line, as text or (asJSON) as JSON lines.
func printDeliveries(e env, ds []control.Delivery, asJSON bool) error {
	for _, d := range ds {
		if asJSON {
			if err := printJSON(e.stdout, d); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintln(e.stdout, deliveryLine(d))
	}
	return nil
}

// printDelivery shows one delivery in full: its line, the URL and window, the headers as sent, and the
// body, pretty-printed in its own key order when it is JSON.
func printDelivery(w io.Writer, d control.Delivery) {
	fmt.Fprintln(w, deliveryLine(d))
	fmt.Fprintf(w, "POST %s\n", d.URL)
	if d.WindowStop != "" {
		fmt.Fprintf(w, "window %s to %s (database clock)\n", d.WindowStart, d.WindowStop)
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range d.Headers {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range d.Headers[k] {
			fmt.Fprintf(w, "%s: %s\n", k, v)
		}
	}
	fmt.Fprintln(w)
	switch {
	case d.Body != nil:
		var pretty bytes.Buffer
		if !d.BodyTruncated && json.Indent(&pretty, []byte(*d.Body), "", "  ") == nil {
			fmt.Fprintln(w, pretty.String())
		} else {
			fmt.Fprintln(w, *d.Body)
		}
	case d.BodyBase64 != nil:
		fmt.Fprintf(w, "(body is not UTF-8; base64:)\n%s\n", *d.BodyBase64)
	}
	if d.BodyTruncated {
		fmt.Fprintf(w, "(body cut: the log kept part of the %d bytes sent; odsim serve --record keeps them all)\n", d.BodySize)
	}
}
