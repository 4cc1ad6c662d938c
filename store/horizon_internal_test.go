package store

import "testing"

// mayWrite tells statements that may write rows from those that cannot, by their first keyword after
// blanks and comments; whatever it cannot tell counts as a write.
func TestMayWrite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sql  string
		want bool
	}{
		{"INSERT INTO appointment (AptNum) VALUES (1)", true},
		{"  update patient SET LName = 'x'", true},
		{"DELETE FROM appointment WHERE AptNum = 1", true},
		{"REPLACE INTO provider (ProvNum) VALUES (1)", true},
		{"LOAD DATA INFILE 'x' INTO TABLE patient", true},
		{"CALL writes_rows()", true},
		{"ALTER TABLE appointment ENGINE=InnoDB", true},
		{"WITH x AS (SELECT 1) UPDATE patient SET LName = 'x'", true},
		{"EXECUTE stmt", true},
		{"SET STATEMENT max_statement_time=5 FOR UPDATE patient SET LName = 'x'", true},
		{"/*!40101 INSERT INTO patient (PatNum) VALUES (1) */", true},
		{"/* a comment that the first 256 characters cut off", true},
		{"", true},
		{"UPDATE appointment SET Note = 'x'", true},
		{"UPDATE apisubscription SET DateTimeStart = '2026-12-01 08:00:00' WHERE ApiSubscriptionNum = 1", false},
		{"INSERT INTO `apisubscription` (EndPointUrl) VALUES ('x')", false},
		{"DELETE FROM apisubscription WHERE ApiSubscriptionNum = 3", false},
		{"UPDATE apisubscription_copy SET x = 1", true},
		{"SELECT * FROM appointment", false},
		{"select 1", false},
		{"(SELECT 1) UNION (SELECT 2)", false},
		{"/* odsim */ SELECT NOW()", false},
		{"-- note\nSELECT 1", false},
		{"# note\nSHOW PROCESSLIST", false},
		{"SET timestamp = 1700000000", false},
		{"SET @x = 1", false},
		{"DO SLEEP(1)", false},
		{"BEGIN", false},
		{"START TRANSACTION", false},
		{"COMMIT", false},
		{"ROLLBACK", false},
		{"EXPLAIN SELECT 1", false},
		{"DESC appointment", false},
		{"USE opendental", false},
	} {
		if got := mayWrite(tc.sql); got != tc.want {
			t.Errorf("mayWrite(%q) = %v, want %v", tc.sql, got, tc.want)
		}
	}
}
