package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/odsim/odsim/store/storetest"
)

func TestSeedDemo(t *testing.T) {
	t.Parallel()
	dsn := storetest.NewEmptyDSN(t)
	seed := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		getenv := listenEnv(map[string]string{"ODSIM_DSN": dsn})
		err := run(ctx, append([]string{"seed", "demo"}, args...), getenv, strings.NewReader(""), &stdout, &stderr)
		return stdout.String(), err
	}

	out, err := seed("--anchor", "2026-12-02")
	if err != nil {
		t.Fatalf("first seed: %v", err)
	}
	for _, want := range []string{"created ", "demo practice loaded, appointment book from 2026-11-30 to 2026-12-11: ", "60 patients"} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}

	_, err = seed("--anchor", "2026-11-30")
	want := "database already has 60 patients; demo seed needs an empty Open Dental database (--force replaces the rows of the demo's tables)"
	if err == nil || err.Error() != want {
		t.Errorf("second seed: err = %v, want %q", err, want)
	}

	out, err = seed("--if-empty")
	if err != nil || out != "demo not loaded: database already has 60 patients; demo seed needs an empty Open Dental database\n" {
		t.Errorf("seed --if-empty on a loaded database: out %q, err %v; want a note and success", out, err)
	}

	out, err = seed("--anchor", "2026-11-30", "--force")
	if err != nil {
		t.Fatalf("forced seed: %v", err)
	}
	if strings.Contains(out, "created ") || !strings.Contains(out, "60 patients") {
		t.Errorf("forced seed printed %q", out)
	}
}

func TestSeedDemoBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no dsn", nil, "--dsn is required"},
		{"bad anchor", []string{"--dsn", "root@tcp(127.0.0.1:3306)/x", "--anchor", "next week"}, `bad --anchor "next week": want a date like 2026-11-30`},
		{"no database name", []string{"--dsn", "root@tcp(127.0.0.1:3306)/"}, "no database name"},
		{"nothing listening", []string{"--dsn", "root@tcp(127.0.0.1:1)/opendental"}, "cannot connect to database root@127.0.0.1:1/opendental"},
		{"stray argument", []string{"extra"}, `unexpected argument "extra": odsim seed demo takes none`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := run(ctx, append([]string{"seed", "demo"}, tt.args...), listenEnv(nil), strings.NewReader(""), &stdout, &stderr)
			if err == nil {
				t.Fatal("no error")
			}
			if msg := err.Error(); !strings.Contains(msg, tt.wantErr) || strings.Contains(msg, "\n") {
				t.Errorf("error %q, want one line containing %q", msg, tt.wantErr)
			}
			if stdout.Len() != 0 {
				t.Errorf("printed %q", stdout.String())
			}
		})
	}
}
