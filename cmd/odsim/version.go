package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// version overrides the module version of the build info when set at build time with
// -ldflags "-X main.version=v1.2.3": the Docker image sets it, since its build context has no .git.
var version string

// buildInfo is the running binary's build information, read once.
var buildInfo, _ = debug.ReadBuildInfo()

// shortVersion is odsim's version for the banner and the User-Agent of every POST: the -X override, the
// module version the go command stamped (v1.2.3, or v0.0.0-20261128102314-1727edaad95a+dirty for a
// checkout), or "devel" when the build recorded none.
func shortVersion() string { return moduleVersion(version, buildInfo) }

// versionString is what --version prints: the version, the VCS revision and time, and the Go version.
func versionString() string { return describeBuild(version, buildInfo) }

func moduleVersion(override string, bi *debug.BuildInfo) string {
	switch {
	case override != "":
		return override
	case bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)":
		return bi.Main.Version
	}
	return "devel"
}

func describeBuild(override string, bi *debug.BuildInfo) string {
	var details []string
	settings := map[string]string{}
	if bi != nil {
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
	}
	if rev := settings["vcs.revision"]; rev != "" {
		d := "revision " + rev
		if t := settings["vcs.time"]; t != "" {
			d += ", committed " + t
		}
		if settings["vcs.modified"] == "true" {
			d += ", with uncommitted changes"
		}
		details = append(details, d)
	} else {
		details = append(details, "no VCS revision recorded: built outside a git checkout or with -buildvcs=false")
	}
	goVersion := runtime.Version()
	if bi != nil && bi.GoVersion != "" {
		goVersion = bi.GoVersion
	}
	details = append(details, fmt.Sprintf("%s %s/%s", goVersion, runtime.GOOS, runtime.GOARCH))
	return fmt.Sprintf("%s (%s)", moduleVersion(override, bi), strings.Join(details, "; "))
}
