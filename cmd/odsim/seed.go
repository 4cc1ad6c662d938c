package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/odsim/odsim/store/demo"
)

func newSeedCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Load sample data into an Open Dental database",
	}
	var (
		dsn     string
		anchor  string
		force   bool
		ifEmpty bool
	)
	demoCmd := &cobra.Command{
		Use:   "demo",
		Short: "Load the demo practice: 2 clinics, 4 providers, 60 patients, two weeks of appointments",
		Long: `Load odsim's demo practice, a small synthetic US dental office, into the database named by
--dsn: 2 clinics, 2 sites, 4 providers, 6 operatories, 60 patients in families with patient
fields, two weeks of provider schedules, practice notes and blockouts, and about 300
appointments in every status.

The appointment book covers the two working weeks that start on the Monday of --anchor (by
default the current week, or the next one at a weekend). The same anchor always gives the
same rows with the same primary keys. A missing database and missing Open Dental tables are
created first, as by "odsim schema apply".

The demo needs an empty database: it refuses when its tables already hold rows, unless
--force, which deletes those tables' rows first, or --if-empty, which then loads nothing
and succeeds.`,
		Example: `  odsim seed demo --dsn 'root@tcp(127.0.0.1:3306)/opendental'
  odsim seed demo --dsn 'root@tcp(127.0.0.1:3306)/opendental' --anchor 2026-11-30 --force`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dsn == "" {
				return fmt.Errorf("--dsn is required, e.g. --dsn 'root@tcp(127.0.0.1:3306)/opendental'")
			}
			opts := demo.Options{Anchor: demo.BookStart(time.Now()), Force: force}
			if anchor != "" {
				t, err := time.Parse(time.DateOnly, anchor)
				if err != nil {
					return fmt.Errorf("bad --anchor %q: want a date like 2026-11-30", anchor)
				}
				opts.Anchor = t
			}
			ctx := cmd.Context()
			db, err := openCreating(ctx, e, dsn)
			if err != nil {
				return err
			}
			defer db.Close()
			created, err := db.Apply(ctx)
			if err != nil {
				return err
			}
			if len(created) > 0 {
				fmt.Fprintf(e.stdout, "created %d Open Dental tables\n", len(created))
			}
			sum, err := demo.Load(ctx, db.SQL(), opts)
			if errors.Is(err, demo.ErrNotEmpty) && ifEmpty {
				fmt.Fprintf(e.stdout, "demo not loaded: %v\n", err)
				return nil
			}
			if errors.Is(err, demo.ErrNotEmpty) {
				return fmt.Errorf("%w (--force replaces the rows of the demo's tables)", err)
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, sum)
			return nil
		},
	}
	demoCmd.Flags().StringVar(&dsn, "dsn", "", "MySQL/MariaDB database, as user:password@tcp(host:port)/opendental")
	settings(demoCmd.Flags(), "dsn")
	demoCmd.Flags().StringVar(&anchor, "anchor", "", "a date in the first week of the appointment book, as yyyy-mm-dd (default: this week, or next week at a weekend)")
	demoCmd.Flags().BoolVar(&force, "force", false, "delete the rows of the tables the demo fills before loading")
	demoCmd.Flags().BoolVar(&ifEmpty, "if-empty", false, "load only into an empty database; otherwise say so and exit 0 (for init containers that run on every start)")
	cmd.AddCommand(demoCmd)
	return group(cmd)
}
