package cleaner

import "testing"

// BenchmarkNew: what every process that cleans pays once before its first
// page (every rule's regexp compiled from the generated phrase table). It is
// part of the start-up of `winnow clean`.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = New(Options{})
	}
}
