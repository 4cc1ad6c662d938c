package main

import (
	"io"
	"slices"
	"testing"
)

func TestBindEnv(t *testing.T) {
	t.Parallel()
	vars := map[string]string{
		"ODSIM_SUBSCRIBE":   "Appointment,Patient=http://127.0.0.1:2097/\nhttp://127.0.0.1:2098/?a=1,2",
		"ODSIM_WORKSTATION": "MOLLYR,BETTYC",
		"ODSIM_TIMEOUT":     "5s",
		"ODSIM_LISTEN":      "127.0.0.1:1", // overridden by the flag below
	}
	cmd := newServeCmd(env{getenv: func(k string) string { return vars[k] }, stdout: io.Discard, stderr: io.Discard})
	if err := cmd.ParseFlags([]string{"--listen", "127.0.0.1:2"}); err != nil {
		t.Fatal(err)
	}
	if err := bindEnv(cmd, func(k string) string { return vars[k] }); err != nil {
		t.Fatal(err)
	}
	subs, _ := cmd.Flags().GetStringArray("subscribe")
	if want := []string{"Appointment,Patient=http://127.0.0.1:2097/", "http://127.0.0.1:2098/?a=1,2"}; !slices.Equal(subs, want) {
		t.Errorf("ODSIM_SUBSCRIBE gave %q, want one value per line %q", subs, want)
	}
	ws, _ := cmd.Flags().GetStringSlice("workstation")
	if !slices.Equal(ws, []string{"MOLLYR", "BETTYC"}) {
		t.Errorf("ODSIM_WORKSTATION gave %q", ws)
	}
	if v, _ := cmd.Flags().GetDuration("timeout"); v.String() != "5s" {
		t.Errorf("ODSIM_TIMEOUT gave %v", v)
	}
	if v, _ := cmd.Flags().GetString("listen"); v != "127.0.0.1:2" {
		t.Errorf("--listen on the command line lost to ODSIM_LISTEN: %q", v)
	}

	bad := newServeCmd(env{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: io.Discard})
	if err := bindEnv(bad, func(k string) string { return map[string]string{"ODSIM_TIMEOUT": "soon"}[k] }); err == nil {
		t.Errorf("ODSIM_TIMEOUT=soon was accepted")
	}
}
