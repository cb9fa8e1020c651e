package main

import (
	"fmt"
	"runtime/debug"
)

// version is the release of the fullserver; a build from a tagged module
// version reports that instead.
const version = "0.1.0"

// versionString is what --version prints and the start-up line logs: the
// version, the module version and VCS revision when the build recorded
// them, and the Go version.
func versionString() string {
	v, extra := version, ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if mv := bi.Main.Version; mv != "" && mv != "(devel)" {
			v = mv
		}
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "+dirty"
				}
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			extra = " " + rev + dirty
		}
		extra += " " + bi.GoVersion
	}
	return fmt.Sprintf("dittofs fullserver %s%s", v, extra)
}
