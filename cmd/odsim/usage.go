package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// arg is a positional argument a command takes: its name as in the usage line and what it is.
type arg struct {
	name string
	what string
}

// exactArgs takes exactly the positional arguments named, and says which is missing or what is extra.
func exactArgs(want ...arg) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < len(want) {
			a := want[len(args)]
			return fmt.Errorf("missing %s, %s (usage: %s; --help has examples)", a.name, a.what, cmd.UseLine())
		}
		return extraArgs(cmd, args, len(want))
	}
}

// optionalArgs takes up to len(want) positional arguments.
func optionalArgs(want ...arg) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		return extraArgs(cmd, args, len(want))
	}
}

// noArgs takes no positional argument.
func noArgs(cmd *cobra.Command, args []string) error { return extraArgs(cmd, args, 0) }

// extraArgs refuses arguments past the first n, naming them.
func extraArgs(cmd *cobra.Command, args []string, n int) error {
	if len(args) <= n {
		return nil
	}
	extra := strings.Join(quoteAll(args[n:]), " ")
	if n == 0 {
		return fmt.Errorf("unexpected argument %s: %s takes none (usage: %s)", extra, cmd.CommandPath(), cmd.UseLine())
	}
	return fmt.Errorf("unexpected argument %s: %s takes at most %d (usage: %s)", extra, cmd.CommandPath(), n, cmd.UseLine())
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

// group makes cmd a command that only holds subcommands: alone it shows its help; with an unknown
// subcommand it says so on one line, with the ones it has (cobra would show the help and exit 0).
func group(cmd *cobra.Command) *cobra.Command {
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		return unknownCommand(cmd, args[0])
	}
	return cmd
}

// unknownCommand names an unknown subcommand of cmd and the closest ones it has.
func unknownCommand(cmd *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q for %s", name, cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(name); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	} else {
		var names []string
		for _, c := range cmd.Commands() {
			if c.IsAvailableCommand() {
				names = append(names, c.Name())
			}
		}
		msg += " (its commands: " + strings.Join(names, ", ") + ")"
	}
	return errors.New(msg)
}

// flagSynonyms are names people type for a flag that odsim calls otherwise; the first that the
// command has is suggested.
var flagSynonyms = map[string][]string{
	"port":     {"listen", "addr"},
	"address":  {"listen", "addr", "url"},
	"addr":     {"listen", "url"},
	"host":     {"listen", "addr", "url"},
	"bind":     {"listen", "addr"},
	"listen":   {"addr", "url"},
	"server":   {"url"},
	"database": {"dsn"},
	"db":       {"dsn"},
	"mysql":    {"dsn"},
	"token":    {"control-token"},
	"machine":  {"workstation"},
	"ws":       {"workstation"},
	"interval": {"polling-seconds", "subscribe-polling-seconds"},
	"polling":  {"polling-seconds", "subscribe-polling-seconds"},
	"table":    {"subscribe"},
	"endpoint": {"endpoint-url", "subscribe", "to"},
	"url":      {"endpoint-url", "to"},
}

// flagError makes pflag's "unknown flag: --port" one line that names the command and, for a near miss,
// the flag meant.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	var given string
	switch {
	case strings.HasPrefix(msg, "unknown flag: --"):
		given = strings.TrimPrefix(msg, "unknown flag: --")
	case strings.HasPrefix(msg, "unknown shorthand flag: "):
		// "unknown shorthand flag: 'x' in -x"
		if i := strings.Index(msg, "'"); i >= 0 && len(msg) > i+1 {
			given = msg[i+1 : i+2]
		}
	default:
		return fmt.Errorf("%w (%s)", err, cmd.CommandPath())
	}
	if given == "" {
		return fmt.Errorf("%w (%s)", err, cmd.CommandPath())
	}
	flag := "--" + given
	if len(given) == 1 {
		flag = "-" + given
	}
	if s := suggestFlag(cmd, given); s != "" {
		return fmt.Errorf("unknown flag %s for %s; did you mean --%s? (%s --help lists the flags)", flag, cmd.CommandPath(), s, cmd.CommandPath())
	}
	return fmt.Errorf("unknown flag %s for %s (%s --help lists the flags)", flag, cmd.CommandPath(), cmd.CommandPath())
}

// suggestFlag is the flag of cmd that given most likely meant: a synonym (--port for --listen), a flag
// that given starts or that starts given, or one within a small edit distance.
func suggestFlag(cmd *cobra.Command, given string) string {
	given = strings.ToLower(strings.TrimLeft(given, "-"))
	if eq := strings.IndexByte(given, '='); eq >= 0 {
		given = given[:eq]
	}
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && f.Name != "help" {
			names = append(names, f.Name)
		}
	})
	has := func(n string) bool {
		for _, name := range names {
			if name == n {
				return true
			}
		}
		return false
	}
	for _, s := range flagSynonyms[given] {
		if has(s) {
			return s
		}
	}
	if given == "" || len(given) == 1 {
		return ""
	}
	best, bestDist := "", 0
	for _, n := range names {
		d := editDistance(given, n)
		if len(given) >= 3 && (strings.HasPrefix(n, given) || strings.HasPrefix(given, n)) {
			d = min(d, 1)
		}
		if limit := max(1, len(given)/3); d <= limit && (best == "" || d < bestDist) {
			best, bestDist = n, d
		}
	}
	return best
}

// editDistance is the number of single-letter insertions, deletions, substitutions and swaps of
// neighbours that turn a into b (optimal string alignment), so that --dns is one edit from --dsn.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
