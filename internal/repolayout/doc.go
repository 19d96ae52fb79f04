// Package repolayout holds checks on the repository itself rather than on
// winnow's code: that a fresh clone carries everything its tests, benchmarks
// and examples refer to.
package repolayout
