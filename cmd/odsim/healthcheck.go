package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

func newHealthcheckCmd(e env) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "healthcheck [URL]",
		Short: "Exit 0 when URL answers 200 (for container health checks)",
		Long: `Exit 0 when URL answers 200 within --timeout, 1 otherwise. Container images of odsim hold
only the binary, so docker compose health checks call it instead of curl.`,
		Example: `  odsim healthcheck                                  # odsim serve's /healthz
  odsim healthcheck http://127.0.0.1:2097/healthz    # odsim listen`,
		Args: optionalArgs(arg{"URL", "the URL to check"}),
		RunE: func(cmd *cobra.Command, args []string) error {
			url := "http://127.0.0.1:30223/healthz"
			if len(args) == 1 {
				url = args[0]
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return fmt.Errorf("bad URL %q: %w", url, err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("%s: %w", url, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s answered %s", url, resp.Status)
			}
			fmt.Fprintf(e.stdout, "%s: ok\n", url)
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "how long to wait for the answer")
	return cmd
}
