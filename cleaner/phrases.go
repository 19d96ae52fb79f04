package cleaner

import (
	"regexp"
	"strings"
)

// The phrase lists are data: one YAML file per language under phrases/,
// each entry with the example it was written for and where such chrome is
// found (see the head of each file). `go generate ./cleaner` turns them into
// phraseTable (phrases_table.go), so no process decodes YAML; a test fails
// while the table is stale.
//
//go:generate go run ./internal/phrasegen

// phraseKind says how much a phrase match weighs (phrases/*.yaml).
type phraseKind string

const (
	kindShape    phraseKind = "shape"    // describes a whole line; holds anywhere
	kindSpecific phraseKind = "specific" // chrome's own wording; holds when it addresses the reader
	kindCue      phraseKind = "cue"      // news may say it too; needs corroboration
	// kindAside: a line that annotates the article (a photo credit, an
	// agency or copyright line, a disclosure): inside the body of an
	// article it is the article's (the benchmark's ground truth counts it
	// so); inside a caption, form or aside, or next to other chrome, it
	// goes.
	kindAside phraseKind = "aside"
)

// phraseGroup is one alternation of phraseTable: the entries of one rule,
// length limit, kind and anchoring.
type phraseGroup struct {
	rule   string
	kind   phraseKind
	max    int
	source string
	// needs: substrings one of which every match contains; when none is
	// present the regexp is not run. nil: no such set.
	needs []string
}

// phrase is a compiled phraseGroup.
type phrase struct {
	phraseGroup
	re *regexp.Regexp
}

// compilePhrases compiles the table.
func compilePhrases(table []phraseGroup) []phrase {
	out := make([]phrase, len(table))
	for i, g := range table {
		out[i] = phrase{phraseGroup: g, re: regexp.MustCompile(g.source)}
	}
	return out
}

// phrase returns the first phrase rule matching the paragraph, and how
// much the match weighs.
func (rs *ruleSet) phrase(text, lower string, runes int) (string, phraseKind) {
	for _, p := range rs.phrases {
		if runes <= p.max && (p.needs == nil || containsAny(lower, p.needs)) && p.re.MatchString(lower) {
			return p.rule, p.kind
		}
	}
	// "Headline | Author Name": a teaser's shape, whatever its words.
	if runes <= 160 && strings.Contains(text, " | ") && rs.teaser.MatchString(text) {
		return ruleRelated, kindShape
	}
	// A line made only of social network names.
	if runes <= 200 && rs.social.MatchString(lower) {
		return ruleShare, kindShape
	}
	return "", ""
}
