// Package phrasedata reads the cleaner's phrase files (cleaner/phrases/*.yaml)
// and groups their entries into the alternations the cleaner compiles. The
// cleaner itself runs on a table generated from them (phrases_table.go), so
// no process pays for decoding YAML; the generator and the cleaner's tests
// use this package.
package phrasedata

import (
	"fmt"
	"io/fs"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Kinds of entry: how much a match weighs (see the head of each file).
const (
	Shape    = "shape"
	Specific = "specific"
	Cue      = "cue"
	Aside    = "aside"
)

// Entry is one entry of a phrases/*.yaml file.
type Entry struct {
	Rule    string   `yaml:"rule"`
	Max     int      `yaml:"max"`
	Kind    string   `yaml:"kind"`
	Langs   []string `yaml:"langs"`
	Pattern string   `yaml:"pattern"`
	Example string   `yaml:"example"`
	Where   string   `yaml:"where"`
	File    string   `yaml:"-"`
}

// Group is the entries of one rule, length limit, kind and anchoring,
// joined into one alternation: one regexp call per group instead of one per
// pattern. Anchored patterns (^...) are kept apart from the others: an
// anchored alternation is tried at the start of the text only, which is
// cheap, while one unanchored member would make the whole group scan.
type Group struct {
	Rule   string
	Kind   string
	Max    int
	Source string // the regexp
	// Gate: a test on literal substrings that every match passes, derived
	// from the patterns themselves, so that the regexp runs only on text
	// that could match. One entry per pattern of the group: a match of that
	// pattern contains, for each of the entry's sets, one of the set's
	// strings. nil when some pattern yields no such set (the regexp always
	// runs).
	Gate [][][]string
}

// Load reads every *.yaml file of fsys in name order, checking each entry.
func Load(fsys fs.FS) ([]Entry, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no phrase files")
	}
	var all []Entry
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		var es []Entry
		dec := yaml.NewDecoder(strings.NewReader(string(raw)))
		dec.KnownFields(true)
		if err := dec.Decode(&es); err != nil {
			return nil, fmt.Errorf("decode %s: %w", name, err)
		}
		for i := range es {
			e := &es[i]
			e.File = name
			switch e.Kind {
			case Shape, Specific, Cue, Aside:
			default:
				return nil, fmt.Errorf("%s: entry %d (%s): kind %q: want shape, specific, cue or aside", name, i+1, e.Rule, e.Kind)
			}
			if e.Rule == "" || e.Max <= 0 || e.Pattern == "" || e.Example == "" || e.Where == "" {
				return nil, fmt.Errorf("%s: entry %d (%s): rule, max, pattern, example and where are all required", name, i+1, e.Rule)
			}
			if _, err := regexp.Compile(e.Pattern); err != nil {
				return nil, fmt.Errorf("%s: entry %d (%s): %w", name, i+1, e.Rule, err)
			}
		}
		all = append(all, es...)
	}
	return all, nil
}

// Groups joins the entries into groups, the strongest kind first and
// otherwise in the order each group first appears: the first group that
// matches names the rule.
func Groups(es []Entry) []Group {
	type key struct {
		rule     string
		max      int
		kind     string
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
	// A line that is a shape ("Read more: …") is one whatever cue it
	// also matches.
	rank := map[string]int{Shape: 0, Specific: 1, Cue: 2, Aside: 3}
	slices.SortStableFunc(order, func(a, b key) int { return rank[a.kind] - rank[b.kind] })
	out := make([]Group, 0, len(order))
	for _, k := range order {
		ps := pats[k]
		src := `(?:(?:` + strings.Join(ps, `)|(?:`) + `))`
		g := Group{Rule: k.rule, Kind: k.kind, Max: k.max, Source: src, Gate: gate(ps)}
		if k.anchored {
			g.Source = "^" + src
		}
		out = append(out, g)
	}
	return out
}

// gate returns, for each pattern, the sets of substrings of which a match
// contains one each: the required literals of every part of the pattern's
// top-level sequence that has some. nil when a pattern has none.
func gate(pats []string) [][][]string {
	var out [][][]string
	for _, p := range pats {
		re, err := syntax.Parse(p, syntax.Perl)
		if err != nil {
			return nil
		}
		re = re.Simplify()
		for re.Op == syntax.OpCapture {
			re = re.Sub[0]
		}
		parts := []*syntax.Regexp{re}
		if re.Op == syntax.OpConcat {
			parts = re.Sub
		}
		var sets [][]string
		for _, part := range parts {
			if lits := required(part); lits != nil && !slices.ContainsFunc(sets, func(s []string) bool { return slices.Equal(s, lits) }) {
				sets = append(sets, lits)
			}
		}
		if len(sets) == 0 {
			return nil
		}
		out = append(out, sets)
	}
	return out
}

// required returns literals one of which every match of re contains (for a
// sequence, the part whose shortest literal is longest), or nil.
func required(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		lit := string(re.Rune)
		if re.Flags&syntax.FoldCase != 0 {
			// Matched against lower-cased text, a case-folded literal is
			// its lower case, unless a letter folds to one that lower-casing
			// keeps apart (ſ and s; any non-ASCII letter, to be safe).
			lit = strings.ToLower(lit)
			if strings.ContainsRune(lit, 's') || strings.IndexFunc(lit, func(r rune) bool { return r >= utf8.RuneSelf }) >= 0 {
				return nil
			}
		}
		return []string{lit}
	case syntax.OpCharClass:
		// A small class ([:：], [↑▲]) is an alternation of its characters.
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if len(out) == 8 {
					return nil
				}
				out = append(out, string(r))
			}
		}
		return out
	case syntax.OpCapture, syntax.OpPlus:
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
