package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/odsim/odsim/control"
)

func newSubscriptionsCmd(e env) *cobra.Command {
	var (
		remote remoteFlags
		key    string
	)
	cmd := &cobra.Command{
		Use:   "subscriptions",
		Short: "List the subscriptions of a customer key through the Open Dental Subscriptions API",
		Long: `subscriptions lists, with GET /api/v1/subscriptions, every subscription of the CustomerKey in
--key, as Open Dental's API Service shows it. DateTimeStart is the cursor of a database-event
subscription: it moves to the end of each window once every batch got 200. odsim subscription
update N changes one, odsim unsubscribe N deletes one.`,
		Example: `  odsim subscriptions
  odsim subscriptions --key dev/cust --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkKeyPair(key); err != nil {
				return err
			}
			c, err := remote.client(cmd.Flags())
			if err != nil {
				return err
			}
			list, err := c.ListSubscriptions(cmd.Context(), key)
			if err != nil {
				return remoteError(err)
			}
			if remote.json {
				if list == nil {
					list = []control.ODSubscription{}
				}
				return printJSON(e.stdout, list)
			}
			printSubscriptions(e.stdout, list)
			return nil
		},
	}
	f := cmd.Flags()
	remote.register(f)
	f.StringVar(&key, "key", publicTestKey, "the `DeveloperKey/CustomerKey` pair whose subscriptions to list")
	settings(f, "key")
	return cmd
}

func printSubscriptions(w io.Writer, list []control.ODSubscription) {
	if len(list) == 0 {
		fmt.Fprintln(w, "No subscriptions for this customer key. Create one with odsim subscribe.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NUM\tEVENT\tEVERY\tWORKSTATION\tDATETIMESTART\tDATETIMESTOP\tENDPOINTURL")
	for _, s := range list {
		event, every := "WatchTable: "+s.WatchTable, fmt.Sprintf("%ds", s.PollingSeconds)
		if s.WatchTable == "" {
			event, every = "UiEventType: "+s.UiEventType, "-"
		}
		ws, stop := s.Workstation, s.DateTimeStop
		if ws == "" {
			ws = "(all)"
		}
		if strings.HasPrefix(stop, "0001-01-01") {
			stop = "never"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", s.SubscriptionNum, event, every, ws, s.DateTimeStart, stop, s.EndPointUrl)
	}
	tw.Flush()
}
