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
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		// The first Ctrl-C ends the command cleanly; a second one, with the default action restored,
		// kills it at once.
		signal.Stop(sigs)
		cancel(signalError{sig})
	}()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	signal.Stop(sigs)
	if err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "odsim: "+err.Error())
		os.Exit(1)
	}
}

// signalError is the cause of the context's end when a signal stopped the command.
type signalError struct{ sig os.Signal }

func (e signalError) Error() string { return "interrupted by " + e.sig.String() }

// interrupted is the exit status of a command that a signal (or the end of ctx, in tests) stopped after
// it printed its summary: 128 + the signal's number, as shells report it (130 for Ctrl-C, 143 for
// SIGTERM).
func interrupted(ctx context.Context) exitError {
	var se signalError
	if errors.As(context.Cause(ctx), &se) {
		if s, ok := se.sig.(syscall.Signal); ok {
			return exitError{128 + int(s)}
		}
	}
	return exitError{130}
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
	err := root.ExecuteContext(ctx)
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		// Stopped by Ctrl-C in the middle of a request: say so rather than "context canceled".
		fmt.Fprintf(stderr, "%s: interrupted\n", strings.Join(append([]string{"odsim"}, commandWords(root, args)...), " "))
		return interrupted(ctx)
	}
	return err
}

// commandWords is the subcommand args names, e.g. ["poll"], for messages.
func commandWords(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(defaultToServe(args))
	if err != nil || cmd == root {
		return nil
	}
	return strings.Fields(strings.TrimPrefix(cmd.CommandPath(), root.Name()+" "))
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
