package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// buildVersion returns the version and the VCS commit the binary was built from.
func buildVersion() (ver, commit string) {
	ver, commit = version, "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
		if ver == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			ver = bi.Main.Version
		}
	}
	return ver, commit
}

func cmdVersion(ctx context.Context, args []string, s streams) error {
	fs := newFlagSet("version", "", s)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	ver, commit := buildVersion()
	fmt.Fprintf(s.stdout, "winnow %s\ncommit %s\n%s %s/%s\n", ver, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
