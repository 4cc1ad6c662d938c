package scenario

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// Builtin is a scenario shipped in the binary.
type Builtin struct {
	Name    string
	Summary string
}

// builtins is the registry of shipped scenarios; a test checks it against the files in builtin/.
var builtins = []Builtin{
	{"clinic-day", "a full day at the demo practice: about 150 changes from opening to closing"},
	{"patient-merge", "a duplicate patient merged into the original: appointments and patient fields move"},
	{"bulk-import", "3,500 appointments imported at once: batches of 1000, 1000, 1000 and 500"},
	{"cancellations", "broken, cancelled, unscheduled and deleted appointments"},
	{"new-patient", "a new patient at the front desk: PatientSelected, then patient and patient field events"},
}

// Builtins lists the shipped scenarios.
func Builtins() []Builtin { return append([]Builtin(nil), builtins...) }

// LoadBuiltin parses the shipped scenario called name.
func LoadBuiltin(name string) (*Scenario, error) {
	for _, b := range builtins {
		if b.Name == name {
			data, err := builtinFS.ReadFile("builtin/" + name + ".yaml")
			if err != nil {
				return nil, fmt.Errorf("built-in scenario %s: %w", name, err)
			}
			return Parse(name+".yaml", data)
		}
	}
	return nil, fmt.Errorf("no built-in scenario %q: the built-ins are %s", name, builtinNames())
}

// BuiltinSource returns the YAML of a shipped scenario, for users to copy and adapt.
func BuiltinSource(name string) ([]byte, error) {
	data, err := builtinFS.ReadFile("builtin/" + name + ".yaml")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no built-in scenario %q: the built-ins are %s", name, builtinNames())
	}
	return data, err
}

func builtinNames() string {
	names := make([]string, len(builtins))
	for i, b := range builtins {
		names[i] = b.Name
	}
	return strings.Join(names, ", ")
}

// Load parses a scenario given by the name of a built-in or by the path of a file. A path is anything
// with a slash or a .yaml/.yml extension, or a file that exists.
func Load(nameOrPath string) (*Scenario, error) {
	isPath := strings.ContainsAny(nameOrPath, `/\`) || strings.HasSuffix(nameOrPath, ".yaml") || strings.HasSuffix(nameOrPath, ".yml")
	if !isPath {
		if _, err := os.Stat(nameOrPath); err != nil {
			return LoadBuiltin(nameOrPath)
		}
	}
	data, err := os.ReadFile(nameOrPath)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	return Parse(nameOrPath, data)
}
