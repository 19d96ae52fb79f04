package cleaner

import (
	"math"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/net/html"
)

// Decision is one paragraph of a page as the cleaner judged it.
type Decision struct {
	Rule string // the rule that removed it; "" when kept
	Text string
}

// InPageOrder lists every paragraph the cleaner kept or removed, in the
// order the page shows them, for `winnow clean --explain`.
//
// Kept paragraphs keep their order. Removed ones are reported in the order
// their rules ran (the structural pre-clean before the paragraph rules), so
// each is placed by where its text first occurs in the page's visible text
// as the cleaner decoded it; those not found go last, and a kept paragraph
// not found takes its predecessor's place.
func (r Report) InPageOrder() []Decision {
	page := strippedVisibleText(string(decode(r.body, r.contentType).text))
	type placed struct {
		Decision
		pos int
	}
	kept := make([]placed, len(r.Kept))
	prev := 0
	for i, t := range r.Kept {
		pos := findStripped(page, t)
		if pos < 0 {
			pos = prev
		}
		kept[i] = placed{Decision{Text: t}, pos}
		prev = pos
	}
	removed := make([]placed, len(r.Removed))
	for i, rm := range r.Removed {
		pos := findStripped(page, rm.Text)
		if pos < 0 {
			pos = math.MaxInt
		}
		removed[i] = placed{Decision{Rule: rm.Rule, Text: rm.Text}, pos}
	}
	sort.SliceStable(removed, func(a, b int) bool { return removed[a].pos < removed[b].pos })
	out := make([]Decision, 0, len(kept)+len(removed))
	for i, j := 0, 0; i < len(kept) || j < len(removed); {
		if j < len(removed) && (i == len(kept) || removed[j].pos < kept[i].pos) {
			out, j = append(out, removed[j].Decision), j+1
		} else {
			out, i = append(out, kept[i].Decision), i+1
		}
	}
	return out
}

// findStripped returns where the start of text (its first 60 non-space
// runes) occurs in page, a text without white space, or -1. Spacing is
// left out on both sides because a paragraph's spaces between inline
// elements need not match the page's.
func findStripped(page, text string) int {
	key := stripSpace(text)
	n := 0
	for i := range key {
		if n == 60 {
			key = key[:i]
			break
		}
		n++
	}
	if key == "" || page == "" {
		return -1
	}
	return strings.Index(page, key)
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// strippedVisibleText is the text of a decoded page outside script, style,
// template and noscript elements, with white space removed.
func strippedVisibleText(src string) string {
	if src == "" {
		return ""
	}
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return stripSpace(b.String())
		case html.StartTagToken:
			if n, _ := z.TagName(); hiddenTag(string(n)) {
				skip++
			}
		case html.EndTagToken:
			if n, _ := z.TagName(); hiddenTag(string(n)) && skip > 0 {
				skip--
			}
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text()) // unescaped by the tokenizer
			}
		}
	}
}

func hiddenTag(tag string) bool {
	return tag == "script" || tag == "style" || tag == "template" || tag == "noscript"
}
