package subscriptions

import "context"

// create stores s unless an unexpired subscription of the same key with the same EndPointUrl,
// Workstation, WatchTable and UiEventType exists (Open Dental's IsExistingSubscription); then it returns
// that one with existing true and writes nothing. The store does both at once, so that identical
// requests arriving together create one subscription.
func create(ctx context.Context, st Store, s Subscription) (sub Subscription, existing bool, err error) {
	return st.CreateSubscriptionUnlessExists(ctx, s)
}

// Spec is what a caller of odsim's own tools asks to subscribe to: the fields of a POST body.
type Spec struct {
	EndPointURL    string
	Workstation    string
	WatchTable     WatchTable
	UiEventType    UiEventType
	PollingSeconds int
	Note           string
}

// Ensure creates the subscription spec describes for customerKey, with the same validation as the
// API's POST, unless an identical unexpired one exists, which it returns with existing true. odsim
// serve --subscribe uses it so that restarting against the same database adds no duplicates.
func Ensure(ctx context.Context, st Store, customerKey string, spec Spec) (sub Subscription, existing bool, err error) {
	watch, ui := string(spec.WatchTable), string(spec.UiEventType)
	b := requestBody{
		EndPointURL:    &spec.EndPointURL,
		Workstation:    &spec.Workstation,
		WatchTable:     &watch,
		UiEventType:    &ui,
		PollingSeconds: &spec.PollingSeconds,
		Note:           &spec.Note,
	}
	s, err := b.newSubscription(customerKey)
	if err != nil {
		return Subscription{}, false, err
	}
	return create(ctx, st, s)
}
