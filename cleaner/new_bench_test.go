package cleaner

import "testing"

// BenchmarkNew: what every process that cleans pays once before its first
// page (the phrase files decoded, every rule's regexp compiled). It is
// part of the start-up of `winnow clean`.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = New(Options{})
	}
}

// BenchmarkLoadPhrases: the decoding of the embedded phrase files alone.
func BenchmarkLoadPhrases(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := loadPhrases(phraseFiles); err != nil {
			b.Fatal(err)
		}
	}
}
