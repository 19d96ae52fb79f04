package cleaner

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// The word lists the byline, dateline and timestamp logic share: one by-word
// list and one month table (meta.go's monthNames), so a language added to
// one is known to all.

// byWords open a byline ("By Jane Doe", "Von Max Muster", "Текст: …").
var byWords = []string{"by", "von", "par", "por", "door", "di", "av", "автор", "текст"}

// byLabels are the words of an author label ("Author: …") that also mark a
// name as the author's when they precede it inside a line.
var byLabels = []string{"author", "autor", "auteur"}

// cjkByPrefixes open a Chinese byline (作者：…, 记者 …), longest first.
var cjkByPrefixes = []string{"责任编辑", "作者", "记者", "编辑"}

// isByWord: the word a byline starts with ("By", "Von", "Текст:"), or an
// author label.
func isByWord(w string) bool {
	w = strings.ToLower(strings.TrimRight(w, ":："))
	return slices.Contains(byWords, w) || slices.Contains(byLabels, w)
}

// bylinePrefix is a cheap test for the words a byline starts with.
func bylinePrefix(s string) bool {
	for _, p := range cjkByPrefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	w := s
	if i := strings.IndexFunc(s, unicode.IsSpace); i > 0 {
		w = s[:i]
	}
	return slices.Contains(byWords, strings.ToLower(strings.TrimRight(w, ":")))
}

// stripBylinePrefix returns the name(s) of a byline without its by-word and
// without a place after it ("By Jane Doe in Kyiv" → "Jane Doe").
func stripBylinePrefix(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if i := strings.IndexFunc(s, unicode.IsSpace); i > 0 {
		if slices.Contains(byWords, strings.ToLower(strings.TrimRight(s[:i], ":："))) {
			s = strings.TrimSpace(s[i:])
		}
	}
	for _, p := range cjkByPrefixes {
		s = strings.TrimPrefix(s, p)
	}
	s = strings.TrimLeft(s, ":： ")
	// "Jane Doe in Kyiv": the place is not part of the name.
	for _, sep := range []string{" in ", " en ", " à ", " aus ", " в ", " from "} {
		if i := strings.Index(s, sep); i > 0 {
			s = s[:i]
		}
	}
	return s
}

// bylineRe builds the byline pattern from byWords and cjkByPrefixes.
func bylineRe() *lazyRegexp {
	var alts []string
	for _, w := range byWords {
		alts = append(alts, regexp.QuoteMeta(w)+":?")
	}
	for _, p := range cjkByPrefixes {
		alts = append(alts, regexp.QuoteMeta(p)+"[:：]?")
	}
	return lazyCompile(`^(?i:` + strings.Join(alts, "|") + `)\s*(\p{Lu}[\p{L}'’.\-]*|\p{Han}{2,4})((\s+|,\s*|\s+(?i:and|und|et|y|и)\s+)(\p{Lu}[\p{L}'’.\-]*|\p{Han}{2,4})){0,7}(\s+(?i:in|en|à|aus|в|from)\s+\p{Lu}[\p{L}'’.\-]*(\s+\p{Lu}[\p{L}'’.\-]*)?)?\.?$`)
}

// monthAlternation is a regexp alternation of every month name in
// monthNames, longest first so "january" wins over "jan".
func monthAlternation() string {
	names := make([]string, 0, len(monthNames))
	for n := range monthNames {
		names = append(names, regexp.QuoteMeta(n))
	}
	slices.SortFunc(names, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return `(` + strings.Join(names, "|") + `)`
}
