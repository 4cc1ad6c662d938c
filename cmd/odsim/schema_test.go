package main

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/odsim/odsim/store/storetest"
)

// missingDSN is the DSN of a database that does not exist on the test server; whatever a test creates
// under its name is dropped at the end.
func missingDSN(t *testing.T) string {
	t.Helper()
	dsn := storetest.NewEmptyDSN(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	name := cfg.DBName
	cfg.DBName = ""
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("DROP DATABASE `" + name + "`"); err != nil {
		t.Fatal(err)
	}
	return dsn
}

// TestSchemaApplyCreatesTheDatabase: `odsim schema apply --dsn …/newdb` creates newdb when the server
// lacks it (it used to answer "unknown database (create it first, or run odsim schema apply)"), and so
// does `odsim seed demo`.
func TestSchemaApplyCreatesTheDatabase(t *testing.T) {
	t.Parallel()
	dsn := missingDSN(t)
	name := dsn[strings.LastIndex(dsn, "/")+1:]
	out, _, err := runOdsim(t, "schema", "apply", "--dsn", dsn)
	if err != nil || !strings.HasPrefix(out, "created database "+name+"\ncreated ") {
		t.Fatalf("first apply: %v\n%s", err, out)
	}
	out, _, err = runOdsim(t, "schema", "apply", "--dsn", dsn)
	if err != nil || out != "all Open Dental tables odsim reads already exist; nothing changed\n" {
		t.Errorf("second apply: %v\n%s", err, out)
	}
	db := storetest.Open(t, dsn)
	var n int
	if err := db.SQL().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM definition").Scan(&n); err != nil || n == 0 {
		t.Errorf("definition holds %d rows (%v), want the seeded definitions", n, err)
	}

	seedDSN := missingDSN(t)
	var stdout, stderr strings.Builder
	err = run(context.Background(), []string{"seed", "demo", "--dsn", seedDSN, "--anchor", "2026-12-02"}, listenEnv(nil), strings.NewReader(""), &stdout, &stderr)
	if err != nil || !strings.HasPrefix(stdout.String(), "created database ") || !strings.Contains(stdout.String(), "60 patients") {
		t.Errorf("seed demo into a missing database: %v\n%s", err, stdout.String())
	}
}
