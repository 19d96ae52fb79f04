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
// run; the peak RSS grows by a few MB. The daemon and clean --out keep the
// default; crawl has its own setting (crawlGCPercent).
const oneShotGCPercent = 400

// tuneOneShotGC applies oneShotGCPercent unless the user set GOGC.
func tuneOneShotGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(oneShotGCPercent)
	}
}

// crawlGCPercent and crawlMemoryLimit are the collector's settings for
// winnow crawl. A crawl allocates a page's tree, the cleaner's work and the
// document for every page while its live heap stays near 20 MB, so at the
// default GOGC=100 the collector (its marking and the assists it asks of
// the allocating goroutines) ran about a tenth of the crawl's CPU. At 200
// it runs half as often; the soft memory limit keeps the heap's peak where
// GOGC=100 put it, so the peak RSS does not grow: when the live heap nears
// the limit, the collector runs earlier again. The live heap is about 8 MB
// between collections and up to 13 MB when large pages meet, so the limit
// only binds at those peaks: on a crawl of the bench's 2,000-article site,
// 38 MiB instead of 40 lowered the peak RSS from 58.6 to 57.7 MiB (median
// of five runs; highest 59.9 and 58.6) with no CPU cost the runs could tell
// from their noise.
const (
	crawlGCPercent   = 200
	crawlMemoryLimit = 38 << 20
)

// tuneCrawlGC applies crawlGCPercent and crawlMemoryLimit, each unless the
// user set GOGC or GOMEMLIMIT.
func tuneCrawlGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(crawlGCPercent)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(crawlMemoryLimit)
	}
}
