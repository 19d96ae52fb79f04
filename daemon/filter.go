package daemon

import (
	"slices"
	"strings"
	"unicode"

	"winnow/cleaner"
	"winnow/config"
	"winnow/crawler"
)

// RunOptions is what one run of a job does: the crawl, and which of the
// cleaned documents to write.
type RunOptions struct {
	crawler.Options
	Filter config.Filter
	// Archive: where the run's WARC files go; no archive when Dir is "".
	Archive config.Archive
}

// skipReason returns the winnow_documents_skipped_total reason for which f
// keeps doc out of the output, or "" when doc is to be written. A document
// of unknown language passes a language filter: the cleaner could not tell,
// and dropping it would lose articles in the wanted language too.
func skipReason(f config.Filter, doc cleaner.Document) string {
	if f.MinWords > 0 && Words(doc.Text()) < f.MinWords {
		return "too_short"
	}
	if len(f.Languages) > 0 && doc.Lang != "" && !slices.Contains(f.Languages, strings.ToLower(doc.Lang)) {
		return "language"
	}
	return ""
}

// Words counts the words of text the way min_words means them. Text is
// split at white space (strings.Fields); in scripts written without spaces
// between words (Chinese, Japanese, Thai) each letter counts as a word, so
// that a Chinese article is not one "word" per paragraph. Latin words or
// numbers inside such a run ("2024年") count once each. Korean puts spaces
// between words, so Hangul is counted like Latin text.
func Words(text string) int {
	n := 0
	for _, field := range strings.Fields(text) {
		if !strings.ContainsFunc(field, unspaced) {
			n++
			continue
		}
		inWord := false // inside a run of spaced-script letters or digits
		for _, r := range field {
			switch {
			case unspaced(r):
				inWord = false
				if unicode.IsLetter(r) {
					n++
				}
			case unicode.IsLetter(r) || unicode.IsDigit(r):
				if !inWord {
					n++
				}
				inWord = true
			default: // punctuation, marks: part of no word
				inWord = false
			}
		}
	}
	return n
}

// unspaced reports whether r belongs to a script written without spaces
// between words.
func unspaced(r rune) bool {
	return r >= 0x0E00 && (unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai))
}
