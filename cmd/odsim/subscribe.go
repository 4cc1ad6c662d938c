package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/odsim/odsim/control"
)

// publicTestKey is Open Dental's published test key pair, DeveloperKey/CustomerKey.
const publicTestKey = "NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z"

func newSubscribeCmd(e env) *cobra.Command {
	var (
		remote remoteFlags
		key    string
		s      control.NewODSubscription
	)
	cmd := &cobra.Command{
		Use:   "subscribe URL",
		Short: "Create a subscription through the Open Dental Subscriptions API of a running odsim",
		Long: `subscribe creates a webhook subscription with POST /api/v1/subscriptions, exactly as a consumer
would on Open Dental's API Service, so that you need not write its JSON by hand. Give either
--table and --polling-seconds (a database event) or --ui PatientSelected (a UI event).

The Authorization header is "ODFHIR " + --key; the CustomerKey (after the /) owns the
subscription. The default is Open Dental's public test key. --url may also point at a real
Open Dental API Service.

A subscription for a --workstation that the odsim at --url does not play can never fire there;
subscribe creates it (as Open Dental would) and warns on stderr.`,
		Example: `  odsim subscribe http://localhost:2097/ --table Appointment --polling-seconds 5
  odsim subscribe http://localhost:2097/ui --ui PatientSelected --workstation MOLLYR
  odsim subscribe https://myserver/apievents/ --table Patient --polling-seconds 30 --key dev/cust --json`,
		Args: exactArgs(arg{"URL", "the EndPointUrl that receives the events"}),
		RunE: func(cmd *cobra.Command, args []string) error {
			s.EndPointUrl = args[0]
			switch {
			case s.WatchTable != "" && s.UiEventType != "":
				return errors.New("give --table (a database event) or --ui PatientSelected (a UI event), not both")
			case s.WatchTable == "" && s.UiEventType == "":
				return errors.New("give --table and --polling-seconds for a database event, or --ui PatientSelected for a UI event")
			}
			if err := checkKeyPair(key); err != nil {
				return err
			}
			c, err := remote.client(cmd.Flags())
			if err != nil {
				return err
			}
			created, err := c.CreateSubscription(cmd.Context(), key, s)
			if err != nil {
				return remoteError(err)
			}
			warnUnplayedWorkstation(cmd.Context(), e, c, created.Workstation)
			if remote.json {
				return printJSON(e.stdout, created)
			}
			fmt.Fprintf(e.stdout, "Created subscription %d: %s.\n", created.SubscriptionNum, describeSubscription(created))
			return nil
		},
	}
	f := cmd.Flags()
	remote.register(f)
	f.StringVar(&key, "key", publicTestKey, "the `DeveloperKey/CustomerKey` pair to authorize with")
	settings(f, "key")
	f.StringVar(&s.WatchTable, "table", "", "database event: the `WatchTable` (Appointment, AppointmentDeleted, Operatory, PatField, Patient, Provider, Schedule, ToothInitial)")
	f.IntVar(&s.PollingSeconds, "polling-seconds", 0, "database event: poll every `N` seconds")
	f.StringVar(&s.UiEventType, "ui", "", "UI event: the `UiEventType` (PatientSelected)")
	f.StringVar(&s.Workstation, "workstation", "", "the `machine` that sends the events (default: every workstation)")
	f.StringVar(&s.DateTimeStart, "start", "", "when polling starts, yyyy-MM-dd[ HH:mm:ss] on the database clock (default: now)")
	f.StringVar(&s.DateTimeStop, "stop", "", "when the subscription expires, yyyy-MM-dd[ HH:mm:ss] (default: never)")
	f.StringVar(&s.Note, "note", "", "a note stored with the subscription")
	return cmd
}

// checkKeyPair refuses a --key that is not DeveloperKey/CustomerKey before anything is sent.
func checkKeyPair(key string) error {
	dev, cust, ok := strings.Cut(key, "/")
	if !ok || dev == "" || cust == "" || strings.Contains(cust, "/") {
		return errors.New("--key must be DeveloperKey/CustomerKey, like " + publicTestKey)
	}
	return nil
}

// describeSubscription says in one phrase what a subscription sends where.
func describeSubscription(s control.ODSubscription) string {
	var b strings.Builder
	if s.WatchTable != "" {
		fmt.Fprintf(&b, "WatchTable %s every %ds", s.WatchTable, s.PollingSeconds)
	} else {
		fmt.Fprintf(&b, "UiEventType %s", s.UiEventType)
	}
	ws := "every workstation"
	if s.Workstation != "" {
		ws = "workstation " + s.Workstation
	}
	fmt.Fprintf(&b, " from %s to %s, customer key %s", ws, s.EndPointUrl, s.CustomerKey)
	if s.WatchTable != "" {
		fmt.Fprintf(&b, ", window from %s", s.DateTimeStart)
	}
	if !strings.HasPrefix(s.DateTimeStop, "0001-01-01") {
		fmt.Fprintf(&b, ", expires %s", s.DateTimeStop)
	}
	return b.String()
}
