package main

import (
	"fmt"
	"strings"

	"github.com/odsim/odsim/apiservice"
	"github.com/odsim/odsim/deliveries"
	"github.com/odsim/odsim/subscriptions"
)

// publicCustomerKey is the customer half of Open Dental's public test credentials
// (ODFHIR NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z).
const publicCustomerKey = "VzkmZEaUWOjnQX2z"

// parseSubscribeFlags reads --subscribe values: "URL" subscribes to every WatchTable and to
// PatientSelected; "Appointment,Patient=URL" to the listed ones. The list is recognised only when the
// part before the first "=" is made of event names and commas, so URLs with "=" in their query work.
func parseSubscribeFlags(values []string, pollingSeconds int) ([]subscriptions.Spec, error) {
	if len(values) > 0 && pollingSeconds < 1 {
		return nil, fmt.Errorf("--subscribe-polling-seconds must be 1 or more, got %d", pollingSeconds)
	}
	var specs []subscriptions.Spec
	for _, v := range values {
		url, names := v, ""
		if before, after, ok := strings.Cut(v, "="); ok && strings.Trim(before, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz,") == "" {
			url, names = after, before
		}
		if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
			return nil, fmt.Errorf("--subscribe %q: expected [Table,Table=]http(s)://URL, e.g. --subscribe 'Appointment,Patient=http://127.0.0.1:2097/'", v)
		}
		var events []string
		if names == "" {
			for _, w := range subscriptions.WatchTables {
				events = append(events, string(w))
			}
			events = append(events, string(subscriptions.PatientSelected))
		} else {
			events = strings.Split(names, ",")
		}
		for _, name := range events {
			spec := subscriptions.Spec{EndPointURL: url, Note: "odsim serve --subscribe"}
			switch {
			case subscriptions.WatchTable(name).Valid():
				spec.WatchTable, spec.PollingSeconds = subscriptions.WatchTable(name), pollingSeconds
			case subscriptions.UiEventType(name).Valid():
				spec.UiEventType = subscriptions.UiEventType(name)
			default:
				return nil, fmt.Errorf("--subscribe %q: unknown event %q; use WatchTables (%s) or PatientSelected",
					v, name, watchTableNames())
			}
			specs = append(specs, spec)
		}
	}
	return specs, nil
}

func watchTableNames() string {
	var names []string
	for _, w := range subscriptions.WatchTables {
		names = append(names, string(w))
	}
	return strings.Join(names, ", ")
}

// printSubscribed says which --subscribe subscriptions serve created or found, one line per URL.
func printSubscribed(e env, subs []apiservice.Subscribed) {
	perURL := map[string][]string{}
	var urls []string
	for _, sb := range subs {
		sub := sb.Subscription
		if _, ok := perURL[sub.EndPointURL]; !ok {
			urls = append(urls, sub.EndPointURL)
		}
		what := string(sub.WatchTable) + string(sub.UiEventType)
		if sb.Existing {
			what += " (existing)"
		}
		perURL[sub.EndPointURL] = append(perURL[sub.EndPointURL], fmt.Sprintf("%s #%d", what, sub.Num))
	}
	for _, u := range urls {
		// Credentials in the URL are masked, as everywhere odsim shows an EndPointUrl.
		fmt.Fprintf(e.stdout, "subscribed %s to %s\n", deliveries.MaskURL(u), strings.Join(perURL[u], ", "))
	}
}
