//go:build !race

package main

// raceEnabled: the tests run without -race, so the binary they start is
// built without it: a race-instrumented process costs several times the CPU
// and memory to start, and these tests start dozens.
const raceEnabled = false
