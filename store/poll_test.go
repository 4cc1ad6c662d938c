package store_test

import (
	"context"
	"testing"

	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/subscriptions"
)

// AdvanceCursors moves, in one statement, exactly the cursors that are still where the poll found
// them; a subscription whose DateTimeStart a user changed meanwhile keeps the new value.
func TestAdvanceCursorsMovesOnlyUnchangedCursors(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		from, to := date("2026-11-02 09:00:00"), date("2026-11-02 09:00:07")
		var nums []int64
		for range 3 {
			s := dbSub("VzkmZEaUWOjnQX2z", "http://127.0.0.1:9/")
			s.DateTimeStart = from
			created, err := db.CreateSubscription(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			nums = append(nums, created.Num)
		}
		moved := date("2026-11-02 10:00:00")
		if _, err := db.SQL().ExecContext(ctx, "UPDATE apisubscription SET DateTimeStart = ? WHERE ApiSubscriptionNum = ?", "2026-11-02 10:00:00", nums[1]); err != nil {
			t.Fatal(err)
		}
		if err := db.AdvanceCursors(ctx, nums, from, to); err != nil {
			t.Fatal(err)
		}
		for i, want := range []string{"2026-11-02 09:00:07", moved.Format(subscriptions.DateTimeLayout), "2026-11-02 09:00:07"} {
			got, err := db.GetSubscription(ctx, "VzkmZEaUWOjnQX2z", nums[i])
			if err != nil {
				t.Fatal(err)
			}
			if g := got.DateTimeStart.Format(subscriptions.DateTimeLayout); g != want {
				t.Errorf("subscription %d: DateTimeStart = %s, want %s", i, g, want)
			}
		}
	})
}

// Changed tells whether a poll of the window would find a row, with the same bounds as the pages:
// start included, stop excluded.
func TestChangedFollowsTheWindowBounds(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.SQL().ExecContext(ctx, "INSERT INTO patfield (PatFieldNum, PatNum, FieldName, FieldValue, SecUserNumEntry, SecDateEntry, SecDateTEdit) VALUES (1, 1, 'Allergies', 'Latex', 0, '2026-11-02', '2026-11-02 09:00:05')"); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			start, stop string
			want        bool
		}{
			{"2026-11-02 09:00:05", "2026-11-02 09:00:06", true},
			{"2026-11-02 09:00:00", "2026-11-02 09:00:05", false},
			{"2026-11-02 09:00:06", "2026-11-02 09:01:00", false},
		} {
			got, err := db.Changed(ctx, subscriptions.PatField, date(tc.start), date(tc.stop))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("[%s, %s): Changed = %v, want %v", tc.start, tc.stop, got, tc.want)
			}
		}
	})
}
