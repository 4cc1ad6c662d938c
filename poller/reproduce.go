package poller

import (
	"fmt"
	"strings"
)

// Failure names a way Open Dental's API Service loses or mangles events that odsim avoids by default
// and reproduces only when asked (odsim serve --reproduce NAME), so that a consumer can test how it
// copes with the real thing.
type Failure string

// The failure modes odsim can reproduce.
const (
	// InFlightGap reproduces Open Dental's missed rows: a window ends at the database's NOW() with no
	// allowance for writes still running, so the rows of a statement or transaction that started before
	// a poll and became visible after it are never sent (their stamps are behind the moved cursor).
	InFlightGap Failure = "in-flight-gap"
)

// failureDocs describes each failure mode, in the order --help lists them.
var failureDocs = []struct {
	name Failure
	doc  string
}{
	{InFlightGap, "reproduces Open Dental's missed rows: windows end at NOW(), so rows of a write still running at a poll are never sent"},
}

// Failures is a set of failure modes to reproduce.
type Failures []Failure

// Has reports whether f is among fs.
func (fs Failures) Has(f Failure) bool {
	for _, x := range fs {
		if x == f {
			return true
		}
	}
	return false
}

// ParseFailures reads failure-mode names (as given to --reproduce, each possibly a comma-separated
// list), refusing an unknown one with a message that lists the known ones.
func ParseFailures(names []string) (Failures, error) {
	var out Failures
	for _, arg := range names {
		for _, name := range strings.Split(arg, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			f, ok := lookupFailure(name)
			if !ok {
				return nil, fmt.Errorf("--reproduce %q: not a failure mode odsim reproduces (known: %s)", name, strings.Join(FailureNames(), ", "))
			}
			if !out.Has(f) {
				out = append(out, f)
			}
		}
	}
	return out, nil
}

func lookupFailure(name string) (Failure, bool) {
	for _, d := range failureDocs {
		if string(d.name) == name {
			return d.name, true
		}
	}
	return "", false
}

// FailureNames lists the failure modes odsim can reproduce.
func FailureNames() []string {
	out := make([]string, len(failureDocs))
	for i, d := range failureDocs {
		out[i] = string(d.name)
	}
	return out
}

// FailureHelp describes every failure mode, one "name: what it does" line each, for --help.
func FailureHelp() string {
	lines := make([]string, len(failureDocs))
	for i, d := range failureDocs {
		lines[i] = string(d.name) + ": " + d.doc
	}
	return strings.Join(lines, "; ")
}
