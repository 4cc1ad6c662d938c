package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// secretFlags are a secret (a control token, API keys) given one of three ways: as a flag, which other
// users of the machine can read in ps; in the environment; or in a file (--NAME-file), as Docker and
// Kubernetes secrets are mounted. A way given on the command line wins over one from the environment.
type secretFlags struct {
	name   string   // the flag: control-token, api-key
	values []string // from --NAME (repeatable for API keys)
	file   string   // from --NAME-file
}

// registerSecret adds --NAME (one value, or repeatable when many) and --NAME-file to f, both settings.
func registerSecret(f *pflag.FlagSet, s *secretFlags, name string, many bool, usage string) {
	s.name = name
	hint := fmt.Sprintf("; other users can read a flag in ps: prefer the variable or --%s-file", name)
	if many {
		f.StringArrayVar(&s.values, name, nil, usage+hint)
	} else {
		f.Var(&lastString{&s.values}, name, usage+hint)
	}
	what := "the first line"
	if many {
		what = "one per line; blank lines and lines starting with # are skipped"
	}
	f.StringVar(&s.file, name+"-file", "", fmt.Sprintf("read --%s from this `file` (%s)", name, what))
	settings(f, name, name+"-file")
}

// resolve returns the secret's values: from the file or from the flag, whichever was given on the
// command line, else whichever the environment set. Both from the same source is an error.
func (s *secretFlags) resolve(f *pflag.FlagSet) ([]string, error) {
	valueCLI, fileCLI := f.Lookup(s.name).Changed, f.Lookup(s.name+"-file").Changed
	useValue := len(s.values) > 0 && (valueCLI || !fileCLI)
	useFile := s.file != "" && (fileCLI || !valueCLI)
	switch {
	case useValue && useFile:
		if valueCLI {
			return nil, fmt.Errorf("give --%s or --%s-file, not both", s.name, s.name)
		}
		return nil, fmt.Errorf("%s and %s are both set: keep one", envName(s.name), envName(s.name+"-file"))
	case useValue:
		return s.values, nil
	case !useFile:
		return nil, nil
	}
	data, err := os.ReadFile(s.file)
	if err != nil {
		return nil, fmt.Errorf("--%s-file: %w", s.name, err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
		if f.Lookup(s.name).Value.Type() != "stringArray" {
			break // one value: the first line
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--%s-file %s: %w", s.name, s.file, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--%s-file %s holds no %s", s.name, s.file, strings.ReplaceAll(s.name, "-", " "))
	}
	return out, nil
}

// one returns the single value of a one-value secret, "" when none was given.
func (s *secretFlags) one(f *pflag.FlagSet) (string, error) {
	v, err := s.resolve(f)
	if err != nil || len(v) == 0 {
		return "", err
	}
	return v[0], nil
}

// lastString is a one-value string flag stored in a slice, so that secretFlags handles one value and
// many alike.
type lastString struct{ s *[]string }

func (l *lastString) String() string {
	if l.s == nil || len(*l.s) == 0 {
		return ""
	}
	return (*l.s)[0]
}

func (l *lastString) Set(v string) error {
	*l.s = nil
	if v != "" {
		*l.s = []string{v}
	}
	return nil
}

func (l *lastString) Type() string { return "string" }
