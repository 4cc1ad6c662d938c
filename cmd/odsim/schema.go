package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/odsim/odsim/store"
)

// openCreating opens the database dsn names, creating it first when the server has none of that name.
func openCreating(ctx context.Context, e env, dsn string) (*store.DB, error) {
	db, err := store.Open(ctx, dsn)
	if !errors.Is(err, store.ErrUnknownDatabase) {
		return db, err
	}
	if err := store.CreateDatabase(ctx, dsn); err != nil {
		return nil, err
	}
	cfg, err := store.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(e.stdout, "created database %s\n", cfg.DBName)
	return store.Open(ctx, dsn)
}

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
toothinitial, apisubscription and a few neighbours) in the database named by --dsn. When the
server has no database of that name, it is created first (character set utf8mb3, as Open
Dental's), which needs the CREATE privilege.

Existing tables are left exactly as they are, so this is safe against a real Open Dental
database. When it creates the definition table it also seeds Open Dental's standard
definitions (confirmation statuses, billing types, ...).`,
		Example: `  odsim schema apply --dsn 'root@tcp(127.0.0.1:3306)/opendental'
  ODSIM_DSN='odsim:secret@tcp(db:3306)/od_test' odsim schema apply`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dsn == "" {
				return fmt.Errorf("--dsn is required, e.g. --dsn 'root@tcp(127.0.0.1:3306)/opendental'")
			}
			db, err := openCreating(cmd.Context(), e, dsn)
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
