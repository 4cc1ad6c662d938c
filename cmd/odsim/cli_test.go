package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

var update = flag.Bool("update", false, "rewrite testdata/settings.golden from the command tree")

// TestSettingsGolden pins which flags read an ODSIM_* variable, command by command, so that a new
// flag is a setting only by decision: server settings, --url, the control token, the DSN and keys
// are; filters, arguments and output choices are not. Run with -update after a deliberate change.
func TestSettingsGolden(t *testing.T) {
	t.Parallel()
	root := newRootCmd(env{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: io.Discard})
	var b strings.Builder
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if v := settingVar(f); v != "" {
				fmt.Fprintf(&b, "%s --%s %s\n", c.CommandPath(), f.Name, v)
				if !strings.Contains(f.Usage, "(env "+v+")") {
					t.Errorf("%s --%s: help %q does not name %s", c.CommandPath(), f.Name, f.Usage, v)
				}
			} else if strings.Contains(f.Usage, "ODSIM_") && !strings.Contains(f.Usage, "--") {
				t.Errorf("%s --%s names a variable in its help but does not read one", c.CommandPath(), f.Name)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	golden := filepath.Join("testdata", "settings.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		got, had := strings.Split(b.String(), "\n"), strings.Split(string(want), "\n")
		var diff []string
		for _, l := range got {
			if !slices.Contains(had, l) {
				diff = append(diff, "+ "+l)
			}
		}
		for _, l := range had {
			if !slices.Contains(got, l) {
				diff = append(diff, "- "+l)
			}
		}
		t.Errorf("settings differ from %s (go test -run TestSettingsGolden -update after a deliberate change):\n%s", golden, strings.Join(diff, "\n"))
	}
}

// TestHelpServeListsVariables: `odsim help serve` names the variable of every flag, as the README says.
func TestHelpServeListsVariables(t *testing.T) {
	t.Parallel()
	out, _, err := runOdsim(t, "help", "serve")
	if err != nil {
		t.Fatal(err)
	}
	help := strings.Join(strings.Fields(out), " ") // flag help is wrapped
	serve := newServeCmd(env{getenv: func(string) string { return "" }})
	serve.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" {
			return
		}
		if want := "(env " + envName(f.Name) + ")"; !strings.Contains(help, want) {
			t.Errorf("odsim help serve does not list %s for --%s", want, f.Name)
		}
	})
}

// TestSettingsFromEnvironment: a setting is read from its variable, the command line wins, and a
// per-call filter never reads one (ODSIM_STATUS is odsim listen's, not a filter of odsim deliveries).
func TestSettingsFromEnvironment(t *testing.T) {
	t.Parallel()
	vars := map[string]string{
		"ODSIM_SUBSCRIBE":   "Appointment,Patient=http://127.0.0.1:2097/\nhttp://127.0.0.1:2098/?a=1,2",
		"ODSIM_WORKSTATION": "MOLLYR,BETTYC",
		"ODSIM_TIMEOUT":     "5s",
		"ODSIM_LISTEN":      "127.0.0.1:1", // overridden by the flag below
	}
	getenv := func(k string) string { return vars[k] }
	cmd := newServeCmd(env{getenv: getenv, stdout: io.Discard, stderr: io.Discard})
	if err := cmd.ParseFlags([]string{"--listen", "127.0.0.1:2"}); err != nil {
		t.Fatal(err)
	}
	if err := bindEnv(cmd, getenv); err != nil {
		t.Fatal(err)
	}
	subs, _ := cmd.Flags().GetStringArray("subscribe")
	if want := []string{"Appointment,Patient=http://127.0.0.1:2097/", "http://127.0.0.1:2098/?a=1,2"}; strings.Join(subs, "|") != strings.Join(want, "|") {
		t.Errorf("ODSIM_SUBSCRIBE gave %q, want one value per line %q", subs, want)
	}
	if ws, _ := cmd.Flags().GetStringSlice("workstation"); strings.Join(ws, ",") != "MOLLYR,BETTYC" {
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

	filters := map[string]string{"ODSIM_WORKSTATION": "MOLLYR", "ODSIM_STATUS": "500", "ODSIM_TABLE": "Patient",
		"ODSIM_SUBSCRIPTION": "3", "ODSIM_LIMIT": "1", "ODSIM_SINCE": "9", "ODSIM_JSON": "true", "ODSIM_FOLLOW": "true"}
	deliveries := newDeliveriesCmd(env{getenv: func(k string) string { return filters[k] }})
	if err := bindEnv(deliveries, func(k string) string { return filters[k] }); err != nil {
		t.Fatal(err)
	}
	deliveries.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Changed || f.Value.String() != f.DefValue {
			t.Errorf("odsim deliveries --%s took %q from the environment", f.Name, f.Value.String())
		}
	})
}

// TestOneLineUsageErrors: an unknown flag is named with its command and, when close to one the
// command has, the flag meant; a missing positional argument is named, extra ones are shown; an unknown
// command gets one line with the closest ones.
func TestOneLineUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--port", "8080"}, "unknown flag --port for odsim serve; did you mean --listen? (odsim serve --help lists the flags)"},
		{[]string{"--port", "8080"}, "unknown flag --port for odsim serve; did you mean --listen?"},
		{[]string{"serve", "--dns", "x"}, "did you mean --dsn?"},
		{[]string{"serve", "--database=x"}, "did you mean --dsn?"},
		{[]string{"serve", "--workstations", "A"}, "did you mean --workstation?"},
		{[]string{"serve", "--token", "t"}, "did you mean --control-token?"},
		{[]string{"listen", "--port", "2097"}, "unknown flag --port for odsim listen; did you mean --addr?"},
		{[]string{"deliveries", "--workstaton", "A"}, "did you mean --workstation?"},
		{[]string{"subscribe", "http://x/", "--polling", "5"}, "did you mean --polling-seconds?"},
		{[]string{"poll", "--subscrption", "3"}, "did you mean --subscription?"},
		{[]string{"replay", "--sped", "max"}, "did you mean --speed?"},
		{[]string{"serve", "--frobnicate"}, "unknown flag --frobnicate for odsim serve (odsim serve --help lists the flags)"},
		{[]string{"poll", "-x"}, "unknown flag -x for odsim poll (odsim poll --help lists the flags)"},
		{[]string{"deliveries", "--limit"}, "flag needs an argument: --limit (odsim deliveries)"},

		{[]string{"subscribe", "--table", "Patient"}, "missing URL, the EndPointUrl that receives the events (usage: odsim subscribe URL [flags]; --help has examples)"},
		{[]string{"select-patient"}, "missing PATNUM, the PatNum of the patient to select"},
		{[]string{"unsubscribe"}, "missing N, the SubscriptionNum to delete (usage: odsim unsubscribe N [flags]"},
		{[]string{"subscription", "update"}, "missing N, the SubscriptionNum to change"},
		{[]string{"subscription", "delete"}, "missing N, the SubscriptionNum to delete (usage: odsim subscription delete N [flags]"},
		{[]string{"select-patient", "27", "28"}, `unexpected argument "28": odsim select-patient takes at most 1`},
		{[]string{"poll", "3"}, `unexpected argument "3": odsim poll takes none (usage: odsim poll [flags])`},
		{[]string{"replay", "a.yaml", "b.yaml"}, `unexpected argument "b.yaml": odsim replay takes at most 1`},

		{[]string{"serv"}, `unknown command "serv" for odsim; did you mean serve or seed?`},
		{[]string{"frob"}, `unknown command "frob" for odsim (its commands: `},
		{[]string{"schema", "aply"}, `unknown command "aply" for odsim schema; did you mean apply?`},
		{[]string{"subscription", "remove", "3"}, `unknown command "remove" for odsim subscription (its commands: delete, update)`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			_, _, err := runOdsim(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v, want one line with %q", err, tt.want)
			}
		})
	}
}

func TestDescribeBuild(t *testing.T) {
	t.Parallel()
	stamped := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261128102314-1727edaad95a+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "1727edaad95a22bcc5adb68863e2beb7a802a62f"},
			{Key: "vcs.time", Value: "2026-11-28T10:23:14Z"}, {Key: "vcs.modified", Value: "true"}}}
	bare := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}
	tests := []struct {
		name     string
		override string
		bi       *debug.BuildInfo
		want     string
		short    string
	}{
		{"checkout", "", stamped, "v0.0.0-20261128102314-1727edaad95a+dirty (revision 1727edaad95a22bcc5adb68863e2beb7a802a62f, committed 2026-11-28T10:23:14Z, with uncommitted changes; go1.26.8 ",
			"v0.0.0-20261128102314-1727edaad95a+dirty"},
		{"ldflags override", "v1.2.3", stamped, "v1.2.3 (revision 1727edaad95a22bcc5adb68863e2beb7a802a62f,", "v1.2.3"},
		{"no vcs", "", bare, "devel (no VCS revision recorded: built outside a git checkout or with -buildvcs=false; go1.26.8 ", "devel"},
		{"no build info", "", nil, "devel (no VCS revision recorded", "devel"},
	}
	for _, tt := range tests {
		if got := describeBuild(tt.override, tt.bi); !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: describeBuild = %q, want prefix %q", tt.name, got, tt.want)
		}
		if got := moduleVersion(tt.override, tt.bi); got != tt.short {
			t.Errorf("%s: moduleVersion = %q, want %q", tt.name, got, tt.short)
		}
	}
}

// TestSecretsFromFiles: the control token and API keys come from a file or the environment as well as
// a flag; a flag and a file at once are refused.
func TestSecretsFromFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	keysFile := filepath.Join(dir, "keys")
	empty := filepath.Join(dir, "empty")
	for path, data := range map[string]string{tokenFile: "s3cret\n", keysFile: "# customers\ndev1/cust1\n\ndev2/cust2\n", empty: "\n# nothing\n"} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	resolve := func(args []string, vars map[string]string) ([]string, string, error) {
		cfg := &serveConfig{}
		cmd := &cobra.Command{Use: "x"}
		registerSecret(cmd.Flags(), &cfg.apiKeyFlags, "api-key", true, "keys")
		registerSecret(cmd.Flags(), &cfg.tokenFlags, "control-token", false, "token")
		if err := cmd.ParseFlags(args); err != nil {
			return nil, "", err
		}
		if err := bindEnv(cmd, func(k string) string { return vars[k] }); err != nil {
			return nil, "", err
		}
		keys, err := cfg.apiKeyFlags.resolve(cmd.Flags())
		if err != nil {
			return nil, "", err
		}
		tok, err := cfg.tokenFlags.one(cmd.Flags())
		return keys, tok, err
	}
	tests := []struct {
		name    string
		args    []string
		vars    map[string]string
		keys    string
		token   string
		wantErr string
	}{
		{name: "files", args: []string{"--api-key-file", keysFile, "--control-token-file", tokenFile}, keys: "dev1/cust1,dev2/cust2", token: "s3cret"},
		{name: "files from the environment", vars: map[string]string{"ODSIM_API_KEY_FILE": keysFile, "ODSIM_CONTROL_TOKEN_FILE": tokenFile}, keys: "dev1/cust1,dev2/cust2", token: "s3cret"},
		{name: "values from the environment", vars: map[string]string{"ODSIM_API_KEY": "a/b\nc/d", "ODSIM_CONTROL_TOKEN": "t"}, keys: "a/b,c/d", token: "t"},
		{name: "flags", args: []string{"--api-key", "a/b", "--control-token", "t"}, keys: "a/b", token: "t"},
		{name: "a file flag wins over the variable", args: []string{"--control-token-file", tokenFile}, vars: map[string]string{"ODSIM_CONTROL_TOKEN": "env"}, token: "s3cret"},
		{name: "a flag wins over the file variable", args: []string{"--control-token", "flag"}, vars: map[string]string{"ODSIM_CONTROL_TOKEN_FILE": tokenFile}, token: "flag"},
		{name: "flag and file", args: []string{"--control-token", "t", "--control-token-file", tokenFile}, wantErr: "give --control-token or --control-token-file, not both"},
		{name: "both variables", vars: map[string]string{"ODSIM_API_KEY": "a/b", "ODSIM_API_KEY_FILE": keysFile}, wantErr: "ODSIM_API_KEY and ODSIM_API_KEY_FILE are both set: keep one"},
		{name: "missing file", args: []string{"--control-token-file", filepath.Join(dir, "nope")}, wantErr: "--control-token-file: open "},
		{name: "empty file", args: []string{"--api-key-file", empty}, wantErr: "--api-key-file " + empty + " holds no api key"},
	}
	for _, tt := range tests {
		keys, tok, err := resolve(tt.args, tt.vars)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err %v, want %q", tt.name, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case strings.Join(keys, ",") != tt.keys || tok != tt.token:
			t.Errorf("%s: keys %q token %q, want %q %q", tt.name, keys, tok, tt.keys, tt.token)
		}
	}

	// The help says why and how.
	var out bytes.Buffer
	err := run(context.Background(), []string{"serve", "--help"}, func(string) string { return "" }, strings.NewReader(""), &out, io.Discard)
	help := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{"other users can read a flag in ps: prefer the variable or --control-token-file (env ODSIM_CONTROL_TOKEN)",
		"--control-token-file file read --control-token from this file (the first line) (env ODSIM_CONTROL_TOKEN_FILE)",
		"--api-key-file file read --api-key from this file (one per line;"} {
		if err != nil || !strings.Contains(help, want) {
			t.Errorf("serve --help lacks %q (%v)", want, err)
		}
	}
}
