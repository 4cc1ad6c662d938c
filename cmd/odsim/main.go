// Command odsim simulates Open Dental's API Service for developers of webhook consumers.
//
// This package only wires: it parses flags and ODSIM_* environment variables into config structs and
// hands them to the domain packages. See README.md for what each subcommand does.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "odsim: "+err.Error())
		os.Exit(1)
	}
}

// env is what every subcommand receives from main: the process's environment and standard streams,
// injected so that tests can run subcommands in process.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// run builds the command tree and executes the subcommand named in args.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCmd(e)
	root.SetArgs(defaultToServe(args))
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return root.ExecuteContext(ctx)
}

// exitError ends the process with a chosen exit code after its message was already printed
// (for example `odsim replay` reporting which steps failed).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// defaultToServe makes a bare `odsim` (or `odsim --dsn ...`) mean `odsim serve`, so that the first
// command a new user types starts the simulator.
func defaultToServe(args []string) []string {
	if len(args) == 0 {
		return []string{"serve"}
	}
	switch a := args[0]; {
	case a == "-h" || a == "--help" || a == "--version" || a == "-v":
		return args
	case len(a) > 1 && a[0] == '-':
		return append([]string{"serve"}, args...)
	}
	return args
}
