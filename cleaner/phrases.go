package cleaner

import (
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// The phrase lists are data: one YAML file per language under phrases/,
// each entry with the example it was written for and where such chrome is
// found (see the head of each file). They are read and compiled by New,
// never at package initialisation.
//
//go:embed phrases/*.yaml
var phraseFiles embed.FS

// phraseKind says how much a phrase match weighs (phrases/*.yaml).
type phraseKind string

const (
	kindShape    phraseKind = "shape"    // describes a whole line; holds anywhere
	kindSpecific phraseKind = "specific" // chrome's own wording; holds on labels and sentences
	kindCue      phraseKind = "cue"      // news may say it too; needs corroboration
	// kindAside: a line that annotates the article (a photo credit, an
	// agency or copyright line, a disclosure): inside the body of an
	// article it is the article's (the benchmark's ground truth counts it
	// so); inside a caption, form or aside, or next to other chrome, it
	// goes.
	kindAside phraseKind = "aside"
)

// phraseEntry is one entry of a phrases/*.yaml file.
type phraseEntry struct {
	Rule    string     `yaml:"rule"`
	Max     int        `yaml:"max"`
	Kind    phraseKind `yaml:"kind"`
	Langs   []string   `yaml:"langs"`
	Pattern string     `yaml:"pattern"`
	Example string     `yaml:"example"`
	Where   string     `yaml:"where"`
	file    string
}

// phrase is a group of entries of one rule, length limit and kind,
// compiled into one alternation: one regexp call per group instead of one
// per pattern. Anchored patterns (^...) are kept apart from the others: an
// anchored alternation is tried at the start of the text only, which is
// cheap, while one unanchored member would make the whole group scan.
type phrase struct {
	rule string
	kind phraseKind
	re   *regexp.Regexp
	max  int
	// needs: for unanchored groups, substrings one of which every match
	// contains, derived from the patterns themselves; when none is present
	// the regexp is not run. nil: no such set could be derived.
	needs []string
}

// loadPhrases reads every phrases/*.yaml file in name order.
func loadPhrases(fsys fs.FS) ([]phraseEntry, error) {
	names, err := fs.Glob(fsys, "phrases/*.yaml")
	if err != nil {
		return nil, err
	}
	var all []phraseEntry
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		var es []phraseEntry
		dec := yaml.NewDecoder(strings.NewReader(string(raw)))
		dec.KnownFields(true)
		if err := dec.Decode(&es); err != nil {
			return nil, fmt.Errorf("decode %s: %w", name, err)
		}
		for i := range es {
			e := &es[i]
			e.file = name
			if !slices.Contains(paragraphRules, e.Rule) {
				return nil, fmt.Errorf("%s: entry %d: unknown rule %q", name, i+1, e.Rule)
			}
			switch e.Kind {
			case kindShape, kindSpecific, kindCue, kindAside:
			default:
				return nil, fmt.Errorf("%s: entry %d (%s): kind %q: want shape, specific, cue or aside", name, i+1, e.Rule, e.Kind)
			}
			if e.Max <= 0 || e.Pattern == "" || e.Example == "" || e.Where == "" {
				return nil, fmt.Errorf("%s: entry %d (%s): max, pattern, example and where are all required", name, i+1, e.Rule)
			}
			// Parsing finds every error regexp.Compile would (Compile is
			// Parse, then code generation that cannot fail), at a fraction
			// of the cost: compilePhrases compiles the groups once, and every
			// process that cleans pays for this at start-up.
			if _, err := syntax.Parse(e.Pattern, syntax.Perl); err != nil {
				return nil, fmt.Errorf("%s: entry %d (%s): %w", name, i+1, e.Rule, err)
			}
		}
		all = append(all, es...)
	}
	return all, nil
}

// compilePhrases groups the entries by rule, limit, kind and anchoring,
// keeping the order in which each group first appears: the first group
// that matches names the rule.
func compilePhrases(es []phraseEntry) []phrase {
	type key struct {
		rule     string
		max      int
		kind     phraseKind
		anchored bool
	}
	var order []key
	pats := map[key][]string{}
	for _, e := range es {
		k := key{e.Rule, e.Max, e.Kind, strings.HasPrefix(e.Pattern, "^")}
		if _, ok := pats[k]; !ok {
			order = append(order, k)
		}
		p := e.Pattern
		if k.anchored {
			p = p[1:]
		}
		pats[k] = append(pats[k], p)
	}
	// The strongest evidence is tried first: a line that is a shape
	// ("Read more: …") is one whatever cue it also matches.
	rank := map[phraseKind]int{kindShape: 0, kindSpecific: 1, kindCue: 2, kindAside: 3}
	slices.SortStableFunc(order, func(a, b key) int { return rank[a.kind] - rank[b.kind] })
	out := make([]phrase, 0, len(order))
	for _, k := range order {
		ps := pats[k]
		src := `(?:(?:` + strings.Join(ps, `)|(?:`) + `))`
		if k.anchored {
			src = "^" + src
		}
		p := phrase{rule: k.rule, kind: k.kind, re: regexp.MustCompile(src), max: k.max}
		if !k.anchored {
			p.needs = requiredAny(ps)
		}
		out = append(out, p)
	}
	return out
}

// requiredAny returns substrings one of which every match of any of the
// patterns contains, or nil when some pattern has no such literal.
func requiredAny(pats []string) []string {
	var out []string
	for _, p := range pats {
		re, err := syntax.Parse(p, syntax.Perl)
		if err != nil {
			return nil
		}
		lits := required(re.Simplify())
		if lits == nil {
			return nil
		}
		for _, l := range lits {
			if !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	return out
}

// required returns literals one of which every match of re contains (the
// set with the shortest literal longest, for a sequence), or nil.
func required(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return []string{strings.ToLower(string(re.Rune))}
		}
		return []string{string(re.Rune)}
	case syntax.OpCapture:
		return required(re.Sub[0])
	case syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpAlternate:
		var out []string
		for _, s := range re.Sub {
			l := required(s)
			if l == nil {
				return nil
			}
			out = append(out, l...)
		}
		return out
	case syntax.OpConcat:
		var best []string
		bestLen := 0
		for _, s := range re.Sub {
			l := required(s)
			if l == nil {
				continue
			}
			short := len(l[0])
			for _, x := range l {
				short = min(short, len(x))
			}
			if short > bestLen {
				best, bestLen = l, short
			}
		}
		return best
	}
	return nil
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
