package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/odsim/odsim/control"
)

func newPollCmd(e env) *cobra.Command {
	var (
		remote       remoteFlags
		subscription int64
	)
	cmd := &cobra.Command{
		Use:   "poll",
		Short: "Poll now: a running odsim delivers what changed without waiting for PollingSeconds",
		Long: `poll makes a running odsim poll database-event subscriptions now, whether they are due or not,
and shows what it sent once every POST was answered. The cursor (DateTimeStart) moves exactly as
a timed poll moves it: to the end of the window after every batch got 200, nowhere otherwise.

Without --subscription every unexpired WatchTable subscription is polled, once for each
workstation odsim plays that it names (blank names them all).

Failed deliveries are shown, not treated as a failure of the command: it exits 0 once the poll
ran. Use --json to inspect outcomes in a script.`,
		Example: `  odsim poll
  odsim poll --subscription 3
  odsim poll --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("subscription") && subscription <= 0 {
				return fmt.Errorf("--subscription must be a positive SubscriptionNum, not %d (leave it out to poll every subscription)", subscription)
			}
			c, err := remote.client(cmd.Flags())
			if err != nil {
				return err
			}
			res, err := c.Poll(cmd.Context(), subscription)
			if err != nil {
				return remoteError(err)
			}
			if remote.json {
				return printJSON(e.stdout, res)
			}
			printPoll(e.stdout, res)
			return nil
		},
	}
	f := cmd.Flags()
	remote.register(f)
	f.Int64Var(&subscription, "subscription", 0, "poll only this `SubscriptionNum`")
	return cmd
}

func printPoll(w io.Writer, res control.PollResult) {
	if len(res.Outcomes) == 0 {
		fmt.Fprintln(w, "No subscription to poll: odsim polls unexpired WatchTable subscriptions whose Workstation is blank or one it plays.")
		return
	}
	for _, o := range res.Outcomes {
		fmt.Fprintf(w, "subscription %d on %s, window %s to %s: ", o.Subscription, o.Workstation, o.WindowStart, o.WindowStop)
		switch {
		case o.Error != "":
			fmt.Fprintf(w, "not delivered (%s); the cursor stays at %s and the window is sent again.\n", o.Error, o.WindowStart)
		case len(o.Deliveries) == 0 && o.Advanced:
			fmt.Fprintf(w, "nothing changed; the cursor moved to %s.\n", o.WindowStop)
		case len(o.Deliveries) == 0:
			fmt.Fprintln(w, "nothing to read yet: the window is empty until the database clock passes DateTimeStart.")
		case o.Advanced:
			fmt.Fprintf(w, "%s delivered in %s; the cursor moved to %s.\n", plural(o.Delivered, "element"), plural(len(o.Deliveries), "POST"), o.WindowStop)
		default:
			fmt.Fprintf(w, "%s delivered in %s; the cursor was already moved (by this subscription's poll on another workstation, or a PUT).\n",
				plural(o.Delivered, "element"), plural(len(o.Deliveries), "POST"))
		}
		for _, d := range o.Deliveries {
			fmt.Fprintf(w, "  #%d  batch %d  %s  keys %s  -> %s\n", d.ID, d.Batch, plural(d.Elements, "element"), keyList(d.Keys, d.Elements), deliveryResult(d))
		}
	}
}
