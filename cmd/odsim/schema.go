package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/odsim/odsim/store"
)

func newSchemaCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Create or print the Open Dental tables odsim reads",
	}
	var dsn string
	apply := &cobra.Command{
		Use:   "apply",
		Short: "Create the missing Open Dental tables (and seed definitions) in a database",
		Long: `Create the Open Dental tables that events read (appointment, histappointment, patient,
patfield, patfielddef, operatory, provider, schedule, scheduleop, definition, clinic, site,
toothinitial, apisubscription and a few neighbours) in the database named by --dsn.

Existing tables are left exactly as they are, so this is safe against a real Open Dental
database. When it creates the definition table it also seeds Open Dental's standard
definitions (confirmation statuses, billing types, ...).`,
		Example: `  odsim schema apply --dsn 'root@tcp(127.0.0.1:3306)/opendental'`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dsn == "" {
				return fmt.Errorf("--dsn is required, e.g. --dsn 'root@tcp(127.0.0.1:3306)/opendental'")
			}
			db, err := store.Open(cmd.Context(), dsn)
			if err != nil {
				return err
			}
			defer db.Close()
			created, err := db.Apply(cmd.Context())
			if err != nil {
				return err
			}
			if len(created) == 0 {
				fmt.Fprintln(e.stdout, "all Open Dental tables odsim reads already exist; nothing changed")
				return nil
			}
			fmt.Fprintf(e.stdout, "created %d tables: %s\n", len(created), strings.Join(created, ", "))
			return nil
		},
	}
	apply.Flags().StringVar(&dsn, "dsn", "", "MySQL/MariaDB database, as user:password@tcp(host:port)/opendental")
	settings(apply.Flags(), "dsn")
	printCmd := &cobra.Command{
		Use:   "print",
		Short: "Print the schema and seed definitions as SQL (for mysql clients and docker init scripts)",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := io.WriteString(e.stdout, store.SchemaSQL())
			return err
		},
	}
	cmd.AddCommand(apply, printCmd)
	return group(cmd)
}
