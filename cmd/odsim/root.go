package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func newRootCmd(e env) *cobra.Command {
	root := &cobra.Command{
		Use:   "odsim",
		Short: "Simulate Open Dental's API Service: subscriptions, database events and UI events",
		Long: `odsim plays the Open Dental API Service for developers of webhook consumers.

It stores subscriptions through Open Dental's Subscriptions REST API, polls a MySQL/MariaDB
database for changed rows every PollingSeconds, and POSTs them to the subscribers' endpoints
with Open Dental's headers, JSON shapes, batching, cursor and retry behaviour.

Settings can also come from the environment: each flag that reads a variable names it in its
help, e.g. --dsn (env ODSIM_DSN). A flag given on the command line wins over the environment.
Per-call choices (filters, arguments, --json) are read from the command line only, so that a
variable set for one command never changes what another one does.`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return bindEnv(cmd, e.getenv)
		},
	}
	root.SetVersionTemplate("odsim {{.Version}}\n")
	// Flag help wraps at 110 columns, so that long lines (and the ODSIM_* variable at their end) stay
	// readable in a terminal.
	root.SetUsageTemplate(strings.NewReplacer(
		".LocalFlags.FlagUsages", "(.LocalFlags.FlagUsagesWrapped 110)",
		".InheritedFlags.FlagUsages", "(.InheritedFlags.FlagUsagesWrapped 110)",
	).Replace(root.UsageTemplate()))
	root.SetFlagErrorFunc(flagError)
	group(root) // an unknown command is named on one line, with the closest ones
	root.AddCommand(
		newServeCmd(e),
		newSchemaCmd(e),
		newListenCmd(e),
		newHealthcheckCmd(e),
		newSeedCmd(e),
		newSelectPatientCmd(e),
		newPollCmd(e),
		newDeliveriesCmd(e),
		newSubscribeCmd(e),
		newUnsubscribeCmd(e),
		newSubscriptionCmd(e),
		newSubscriptionsCmd(e),
		newReplayCmd(e),
		newSimulateCmd(e),
		newCatalogueCmd(e),
	)
	return root
}

// envAnnotation marks a flag that is a setting; its value is the ODSIM_* variable the flag reads when
// it is not given on the command line.
const envAnnotation = "odsim-env"

// settings marks the named flags of fs as settings: each reads its ODSIM_* variable (envName) when not
// given, and its help line names the variable. Flags left unmarked (filters, arguments, output
// choices) never read the environment.
func settings(fs *pflag.FlagSet, names ...string) {
	for _, name := range names {
		f := fs.Lookup(name)
		if f == nil {
			panic("settings: no flag --" + name) // a programming error, caught by every test that builds the tree
		}
		v := envName(name)
		if err := fs.SetAnnotation(name, envAnnotation, []string{v}); err != nil {
			panic(err)
		}
		f.Usage += " (env " + v + ")"
	}
}

// settingVar is the ODSIM_* variable flag f reads, or "" when f is not a setting.
func settingVar(f *pflag.Flag) string {
	if v := f.Annotations[envAnnotation]; len(v) == 1 {
		return v[0]
	}
	return ""
}

// bindEnv sets every setting of cmd that was not given on the command line from its ODSIM_* variable,
// so that containers and CI can configure odsim without flags.
func bindEnv(cmd *cobra.Command, getenv func(string) string) error {
	var errs []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		name := settingVar(f)
		if f.Changed || name == "" {
			return
		}
		v := getenv(name)
		if v == "" {
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			// Repeatable flags whose values may hold commas (--subscribe 'Appointment,Patient=URL',
			// --api-key) take one value per line; list flags (--workstation A,B) split on commas.
			sep := ","
			if f.Value.Type() == "stringArray" {
				sep = "\n"
			}
			if err := sv.Replace(strings.Split(strings.TrimSpace(v), sep)); err != nil {
				errs = append(errs, fmt.Sprintf("%s: %v", name, err))
			}
			return
		}
		if err := f.Value.Set(v); err != nil {
			errs = append(errs, fmt.Sprintf("%s=%q: %v", name, v, err))
		}
	})
	if len(errs) > 0 {
		return fmt.Errorf("bad environment variable %s", strings.Join(errs, "; "))
	}
	return nil
}

// envName is the environment variable that sets a flag: --api-key is ODSIM_API_KEY.
func envName(flag string) string {
	return "ODSIM_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}
