package main

import (
	"os"
	"runtime/debug"
)

// oneShotGCPercent is the collector's target for a command that cleans one
// page and exits. Building the cleaner's rule set and the page's tree
// allocates about 15 MB while only a few MB stay live, so at the default
// GOGC=100 (a 4 MB minimum heap goal) the collector runs over and over and
// takes about a third of such a process's CPU. At 400 it mostly does not
// run; the peak RSS grows by a few MB. Long-running commands (crawl,
// daemon, clean --out) keep the default.
const oneShotGCPercent = 400

// tuneOneShotGC applies oneShotGCPercent unless the user set GOGC.
func tuneOneShotGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(oneShotGCPercent)
	}
}
