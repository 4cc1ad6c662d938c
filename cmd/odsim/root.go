package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func newRootCmd(e env) *cobra.Command {
	root := &cobra.Command{
		Use:   "odsim",
		Short: "Simulate Open Dental's API Service: subscriptions, database events and UI events",
		Long: `odsim plays the Open Dental API Service for developers of webhook consumers.

It stores subscriptions through Open Dental's Subscriptions REST API, polls a MySQL/MariaDB
database for changed rows every PollingSeconds, and POSTs them to the subscribers' endpoints
with Open Dental's headers, JSON shapes, batching, cursor and retry behaviour.

Every flag can also be set with an environment variable: --api-key is ODSIM_API_KEY.
A flag given on the command line wins over the environment.`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return bindEnv(cmd, e.getenv)
		},
	}
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
		newSubscriptionsCmd(e),
		newReplayCmd(e),
		newSimulateCmd(e),
		newCatalogueCmd(e),
	)
	return root
}

// bindEnv sets every flag of cmd that was not given on the command line from its ODSIM_* environment
// variable, so that containers and CI can configure odsim without flags.
func bindEnv(cmd *cobra.Command, getenv func(string) string) error {
	var errs []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Changed || f.Name == "help" || f.Name == "version" {
			return
		}
		name := envName(f.Name)
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
