package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/odsim/odsim/control"
)

// newSubscriptionCmd is `odsim subscription update|delete N`: the PUT and DELETE of Open Dental's
// Subscriptions API.
func newSubscriptionCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "subscription",
		Short: "Change or delete one subscription through the Open Dental Subscriptions API",
		Long: `subscription changes (PUT) or deletes (DELETE) one subscription of a customer key through
Open Dental's Subscriptions API, /api/v1/subscriptions/{SubscriptionNum}, exactly as a consumer
would. odsim subscriptions lists the SubscriptionNums.`,
	}
	cmd.AddCommand(newSubscriptionUpdateCmd(e), newSubscriptionDeleteCmd(e, "delete", "odsim subscription delete"))
	return group(cmd)
}

func newSubscriptionUpdateCmd(e env) *cobra.Command {
	var (
		remote remoteFlags
		key    string
		u      struct {
			endpoint, workstation, start, stop, note string
			polling                                  int
		}
	)
	cmd := &cobra.Command{
		Use:   "update N",
		Short: "Change a subscription's EndPointUrl, Workstation, PollingSeconds, DateTimeStart, DateTimeStop or Note",
		Long: `update changes subscription N with PUT /api/v1/subscriptions/N. Only the fields whose flags are
given are sent; Open Dental leaves the others as they are. WatchTable and UiEventType cannot
change (delete the subscription and create another). --workstation '' means every workstation.
DateTimeStart is the cursor of a database-event subscription: moving it back sends the rows
changed since then again.`,
		Example: `  odsim subscription update 3 --polling-seconds 30 --note 'Decreased polling rate.'
  odsim subscription update 3 --endpoint-url https://myserver2/apievents/ --workstation BETTYC --stop 2026-12-31
  odsim subscription update 3 --start '2026-12-01 08:00:00'    # send again what changed since then`,
		Args: exactArgs(arg{"N", "the SubscriptionNum to change"}),
		RunE: func(cmd *cobra.Command, args []string) error {
			num, err := positiveArg("N", args[0])
			if err != nil {
				return err
			}
			var body control.UpdateODSubscription
			flags := cmd.Flags()
			str := func(name string, v string) *string {
				if flags.Changed(name) {
					return &v
				}
				return nil
			}
			body.EndPointUrl = str("endpoint-url", u.endpoint)
			body.Workstation = str("workstation", u.workstation)
			body.DateTimeStart = str("start", u.start)
			body.DateTimeStop = str("stop", u.stop)
			body.Note = str("note", u.note)
			if flags.Changed("polling-seconds") {
				body.PollingSeconds = &u.polling
			}
			if body == (control.UpdateODSubscription{}) {
				return errors.New("give what to change: --endpoint-url, --workstation, --polling-seconds, --start, --stop or --note")
			}
			if err := checkKeyPair(key); err != nil {
				return err
			}
			c, err := remote.client(flags)
			if err != nil {
				return err
			}
			updated, ok, err := c.UpdateSubscription(cmd.Context(), key, num, body)
			if err != nil {
				return remoteError(err)
			}
			if body.Workstation != nil {
				warnUnplayedWorkstation(cmd.Context(), e, c, *body.Workstation)
			}
			switch {
			case remote.json && ok:
				return printJSON(e.stdout, updated)
			case remote.json:
				return printJSON(e.stdout, struct{}{})
			case ok:
				fmt.Fprintf(e.stdout, "Updated subscription %d: %s.\n", num, describeSubscription(updated))
			default:
				fmt.Fprintf(e.stdout, "Updated subscription %d.\n", num)
			}
			return nil
		},
	}
	f := cmd.Flags()
	remote.register(f)
	f.StringVar(&key, "key", publicTestKey, "the `DeveloperKey/CustomerKey` pair that owns the subscription")
	settings(f, "key")
	f.StringVar(&u.endpoint, "endpoint-url", "", "the new EndPointUrl")
	f.StringVar(&u.workstation, "workstation", "", "the new Workstation: the `machine` that sends the events ('' for every workstation)")
	f.IntVar(&u.polling, "polling-seconds", 0, "database event: poll every `N` seconds")
	f.StringVar(&u.start, "start", "", "the new DateTimeStart (the cursor), yyyy-MM-dd[ HH:mm:ss] on the database clock")
	f.StringVar(&u.stop, "stop", "", "the new DateTimeStop, yyyy-MM-dd[ HH:mm:ss] (0001-01-01 for never)")
	f.StringVar(&u.note, "note", "", "the new Note")
	return cmd
}

// newSubscriptionDeleteCmd is `odsim subscription delete N`, also `odsim unsubscribe N`; path is the
// command as typed, for the examples.
func newSubscriptionDeleteCmd(e env, use, path string) *cobra.Command {
	var (
		remote remoteFlags
		key    string
	)
	cmd := &cobra.Command{
		Use:   use + " N",
		Short: "Delete a subscription through the Open Dental Subscriptions API",
		Long: `Delete subscription N with DELETE /api/v1/subscriptions/N, as a consumer would. No event is
sent to it afterwards; a POST already under way finishes.`,
		Example: fmt.Sprintf("  %[1]s 3\n  %[1]s 3 --key dev/cust --url http://10.0.0.5:30223", path),
		Args:    exactArgs(arg{"N", "the SubscriptionNum to delete"}),
		RunE: func(cmd *cobra.Command, args []string) error {
			num, err := positiveArg("N", args[0])
			if err != nil {
				return err
			}
			if err := checkKeyPair(key); err != nil {
				return err
			}
			c, err := remote.client(cmd.Flags())
			if err != nil {
				return err
			}
			if err := c.DeleteSubscription(cmd.Context(), key, num); err != nil {
				return remoteError(err)
			}
			if remote.json {
				return printJSON(e.stdout, struct {
					Deleted int64 `json:"deleted"`
				}{num})
			}
			fmt.Fprintf(e.stdout, "Deleted subscription %d.\n", num)
			return nil
		},
	}
	f := cmd.Flags()
	remote.register(f)
	f.StringVar(&key, "key", publicTestKey, "the `DeveloperKey/CustomerKey` pair that owns the subscription")
	settings(f, "key")
	return cmd
}

// newUnsubscribeCmd is `odsim unsubscribe N`, the same as `odsim subscription delete N`.
func newUnsubscribeCmd(e env) *cobra.Command {
	return newSubscriptionDeleteCmd(e, "unsubscribe", "odsim unsubscribe")
}

// warnUnplayedWorkstation warns when ws names a machine the odsim at c does not play: a subscription
// for it can never fire there. It says nothing when ws is blank (every machine) or when c cannot tell
// (a real Open Dental API Service, or a control API that needs a token the command was not given).
func warnUnplayedWorkstation(ctx context.Context, e env, c *control.Client, ws string) {
	if strings.TrimSpace(ws) == "" {
		return
	}
	list, err := c.Workstations(ctx)
	if err != nil || len(list.Workstations) == 0 {
		return
	}
	var names []string
	for _, w := range list.Workstations {
		if strings.EqualFold(w.Name, ws) {
			return
		}
		names = append(names, w.Name)
	}
	fmt.Fprintf(e.stderr, "warning: the odsim at %s plays %s, not %s: this subscription never fires there (start odsim serve with --workstation %s to play it)\n",
		c.Base(), strings.Join(names, ", "), ws, ws)
}
