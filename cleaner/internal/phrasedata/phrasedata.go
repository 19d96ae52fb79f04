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
	// Needs: for unanchored groups, substrings one of which every match
	// contains, derived from the patterns themselves; nil when no such
	// set could be derived.
	Needs []string
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
		g := Group{Rule: k.rule, Kind: k.kind, Max: k.max}
		if k.anchored {
			g.Source = "^" + src
		} else {
			g.Source = src
			g.Needs = requiredAny(ps)
		}
		out = append(out, g)
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

// required returns literals one of which every match of re contains (for a
// sequence, the part whose shortest literal is longest), or nil.
func required(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return []string{strings.ToLower(string(re.Rune))}
		}
		return []string{string(re.Rune)}
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
