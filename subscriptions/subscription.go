// Package subscriptions holds Open Dental's API subscription: the Subscription type, its validation, and
// the Subscriptions REST API (/api/v1/subscriptions) through which consumers create, list, change and
// delete subscriptions exactly as they would on a real Open Dental API Service.
package subscriptions

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// WatchTable names a database event type. It is stored in apisubscription.WatchTable as the enum name;
// "" means the subscription is for a UI event.
type WatchTable string

// The WatchTables Open Dental knows (EnumWatchTable, plus ToothInitial from 24.4.30).
const (
	Appointment        WatchTable = "Appointment"
	AppointmentDeleted WatchTable = "AppointmentDeleted"
	Operatory          WatchTable = "Operatory"
	PatField           WatchTable = "PatField"
	Patient            WatchTable = "Patient"
	Provider           WatchTable = "Provider"
	Schedule           WatchTable = "Schedule"
	ToothInitial       WatchTable = "ToothInitial"
)

// WatchTables lists every WatchTable in Open Dental's enum order.
var WatchTables = []WatchTable{Appointment, AppointmentDeleted, Operatory, PatField, Patient, Provider, Schedule, ToothInitial}

// Valid reports whether w is one of Open Dental's WatchTable names (exact spelling).
func (w WatchTable) Valid() bool {
	for _, v := range WatchTables {
		if w == v {
			return true
		}
	}
	return false
}

// UiEventType names a UI event type; "" means the subscription is for a database event.
type UiEventType string

// PatientSelected is Open Dental's only UI event: a user selected a patient on a workstation.
const PatientSelected UiEventType = "PatientSelected"

// UiEventTypes lists every UiEventType.
var UiEventTypes = []UiEventType{PatientSelected}

// Valid reports whether u is one of Open Dental's UiEventType names.
func (u UiEventType) Valid() bool { return u == PatientSelected }

// Subscription is one row of Open Dental's apisubscription table.
type Subscription struct {
	Num            int64 // apisubscription.ApiSubscriptionNum, shown as SubscriptionNum
	EndPointURL    string
	Workstation    string // "" means every workstation
	CustomerKey    string
	WatchTable     WatchTable
	PollingSeconds int
	UiEventType    UiEventType
	DateTimeStart  time.Time // start of the next polling window (the cursor), a wall-clock time in UTC
	DateTimeStop   time.Time // MinDateTime means no expiry
	Note           string
}

// IsDatabase reports whether s subscribes to a database event (a WatchTable) rather than a UI event.
func (s Subscription) IsDatabase() bool { return s.WatchTable != "" }

// EventType is the value of the Event-Type header Open Dental sends for s.
func (s Subscription) EventType() string {
	if s.IsDatabase() {
		return "WatchTable: " + string(s.WatchTable)
	}
	return "UiEventType: " + string(s.UiEventType)
}

// Expired reports whether s stopped before now. DateTimeStop 0001-01-01 means it never expires.
func (s Subscription) Expired(now time.Time) bool {
	return !s.DateTimeStop.Equal(MinDateTime) && s.DateTimeStop.Before(now)
}

// FiresOn reports whether the workstation named ws sends s's events: s names ws (compared without regard
// to case, as Windows machine names are) or names no workstation.
func (s Subscription) FiresOn(ws string) bool {
	return s.Workstation == "" || strings.EqualFold(s.Workstation, ws)
}

// Update is a PUT body: the fields Open Dental lets a caller change. Nil fields stay unchanged.
type Update struct {
	EndPointURL    *string
	Workstation    *string
	PollingSeconds *int
	DateTimeStart  *time.Time
	DateTimeStop   *time.Time
	Note           *string
}

// Store persists subscriptions (the apisubscription table). Every method is scoped to a customer key:
// a subscription of another key is reported as ErrNotFound, never read or changed.
type Store interface {
	// CreateSubscription inserts s and returns it with Num set. A zero DateTimeStart becomes the
	// database server's current time.
	CreateSubscription(ctx context.Context, s Subscription) (Subscription, error)
	// ListSubscriptions returns the key's subscriptions ordered by Num.
	ListSubscriptions(ctx context.Context, customerKey string) ([]Subscription, error)
	// GetSubscription returns one subscription of the key, or an error with code NotFound.
	GetSubscription(ctx context.Context, customerKey string, num int64) (Subscription, error)
	// UpdateSubscription applies u to one subscription of the key and returns the result.
	UpdateSubscription(ctx context.Context, customerKey string, num int64, u Update) (Subscription, error)
	// DeleteSubscription deletes one subscription of the key.
	DeleteSubscription(ctx context.Context, customerKey string, num int64) error
	// CreateSubscriptionUnlessExists creates s as CreateSubscription does, unless an unexpired
	// subscription of s.CustomerKey with s's EndPointUrl (byte for byte), Workstation, WatchTable and
	// UiEventType exists (Open Dental's IsExistingSubscription); then it returns that one with
	// existing true. Check and insert are atomic: concurrent identical calls create one.
	CreateSubscriptionUnlessExists(ctx context.Context, s Subscription) (sub Subscription, existing bool, err error)
}

// Date and date-time formats of Open Dental's API ("yyyy-MM-dd", "yyyy-MM-dd HH:mm:ss").
const (
	DateLayout     = "2006-01-02"
	DateTimeLayout = "2006-01-02 15:04:05"
)

// MinDateTime is .NET's DateTime.MinValue, Open Dental's "no date" (0001-01-01 00:00:00).
var MinDateTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)

// FormatDateTime renders t as Open Dental's API does: "yyyy-MM-dd HH:mm:ss".
func FormatDateTime(t time.Time) string { return t.Format(DateTimeLayout) }

// dateForms are the date and date-time forms the API accepts, as Open Dental's parser does for the
// documented examples ("2022-01-31" and "2022-01-31 13:45:00").
var dateForms = []string{
	DateTimeLayout,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	DateLayout,
}

// ParseDateTime parses a date or date-time given to the API. Fractional seconds are accepted and dropped,
// because Open Dental's columns keep whole seconds. The result is a wall-clock time in UTC.
func ParseDateTime(s string) (time.Time, error) {
	v := strings.TrimSpace(s)
	if i := strings.IndexByte(v, '.'); i > 0 && strings.ContainsAny(v, ":") {
		frac := v[i+1:]
		if frac == "" || strings.Trim(frac, "0123456789") != "" {
			return time.Time{}, fmt.Errorf("%q is not a date: use yyyy-MM-dd or yyyy-MM-dd HH:mm:ss", s)
		}
		v = v[:i]
	}
	for _, layout := range dateForms {
		// Year 0 parses but is no .NET DateTime; Open Dental's dates start at 0001-01-01.
		if t, err := time.Parse(layout, v); err == nil && t.Year() >= 1 {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date: use yyyy-MM-dd or yyyy-MM-dd HH:mm:ss", s)
}
