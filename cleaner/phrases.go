package cleaner

import (
	"regexp"
	"slices"
	"strings"
	"sync"
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
	// gate: per pattern of the group, sets of substrings of which every
	// match of that pattern contains one each; when no pattern's sets are
	// all present, the regexp is not run. nil: the regexp always runs.
	gate [][][]string
}

// phrase is a phraseGroup and its regexp, compiled when first run.
type phrase struct {
	phraseGroup
	re *lazyRegexp
	// gate is phraseGroup.gate with each string replaced by its index in
	// the rule set's gateLits.
	gate [][][]int32
}

// gateLits are the distinct strings of every phrase gate, with the hashed
// trigrams of each: a string whose trigrams the text lacks is not in it,
// which spares most substring searches.
type gateLits struct {
	lits []string
	tris [][]uint16 // empty for strings under three bytes
}

// compilePhrases readies the table (each regexp compiles when first run)
// and indexes the strings of its gates. The gates' slices share a few
// backing arrays sized beforehand: every process pays for this at start.
func compilePhrases(table []phraseGroup) ([]phrase, *gateLits) {
	var nPats, nSets, nIDs, nTris int
	for _, g := range table {
		nPats += len(g.gate)
		for _, sets := range g.gate {
			nSets += len(sets)
			for _, set := range sets {
				nIDs += len(set)
				for _, lit := range set {
					nTris += max(0, len(lit)-2)
				}
			}
		}
	}
	// Appends below never pass these capacities, so the sub-slices taken
	// from them stay valid.
	pats, sets, idList, tris := make([][][]int32, 0, nPats), make([][]int32, 0, nSets), make([]int32, 0, nIDs), make([]uint16, 0, nTris)
	gl := &gateLits{lits: make([]string, 0, nIDs), tris: make([][]uint16, 0, nIDs)}
	ids := make(map[string]int32, nIDs)
	out := make([]phrase, len(table))
	for i, g := range table {
		out[i] = phrase{phraseGroup: g, re: lazyCompile(g.source)}
		if g.gate == nil {
			continue
		}
		p0 := len(pats)
		for _, pat := range g.gate {
			s0 := len(sets)
			for _, set := range pat {
				d0 := len(idList)
				for _, lit := range set {
					id, ok := ids[lit]
					if !ok {
						id = int32(len(gl.lits))
						ids[lit] = id
						gl.lits = append(gl.lits, lit)
						t0 := len(tris)
						for m := 0; m+3 <= len(lit); m++ {
							tris = append(tris, trigram(lit[m], lit[m+1], lit[m+2]))
						}
						gl.tris = append(gl.tris, tris[t0:len(tris):len(tris)])
					}
					idList = append(idList, id)
				}
				sets = append(sets, idList[d0:len(idList):len(idList)])
			}
			patSets := sets[s0:len(sets):len(sets)]
			// The set whose shortest string is longest is the least
			// likely present: tried first, it closes the gate soonest.
			slices.SortStableFunc(patSets, func(a, b []int32) int {
				return shortest(gl, b) - shortest(gl, a)
			})
			pats = append(pats, patSets)
		}
		out[i].gate = pats[p0:len(pats):len(pats)]
	}
	return out, gl
}

// shortest is the length of the shortest string of a gate set.
func shortest(gl *gateLits, set []int32) int {
	n := -1
	for _, id := range set {
		if l := len(gl.lits[id]); n < 0 || l < n {
			n = l
		}
	}
	return n
}

// trigram hashes three bytes to one of 4096 bits.
func trigram(a, b, c byte) uint16 {
	return uint16((uint32(a)<<16 | uint32(b)<<8 | uint32(c)) * 2654435761 >> 20)
}

// gateScan answers the gates of one text at a time; one per goroutine,
// reset for every text.
type gateScan struct {
	gl    *gateLits
	text  string
	ready bool       // bits and state are for text
	bits  [64]uint64 // the text's trigrams
	state []uint8    // per string: 0 not looked up, 1 present, 2 absent
}

func newGateScan(gl *gateLits) *gateScan {
	return &gateScan{gl: gl, state: make([]uint8, len(gl.lits))}
}

// reset makes the scan answer for text; the work is done on first use.
func (s *gateScan) reset(text string) {
	s.text, s.ready = text, false
}

func (s *gateScan) has(id int32) bool {
	if !s.ready {
		s.bits = [64]uint64{}
		for i := 0; i+3 <= len(s.text); i++ {
			h := trigram(s.text[i], s.text[i+1], s.text[i+2])
			s.bits[h>>6] |= 1 << (h & 63)
		}
		clear(s.state)
		s.ready = true
	}
	switch s.state[id] {
	case 1:
		return true
	case 2:
		return false
	}
	in := true
	for _, h := range s.gl.tris[id] {
		if s.bits[h>>6]&(1<<(h&63)) == 0 {
			in = false
			break
		}
	}
	in = in && strings.Contains(s.text, s.gl.lits[id])
	s.state[id] = 2
	if in {
		s.state[id] = 1
	}
	return in
}

// open says whether the text passes a gate: some pattern has one of each
// of its sets' strings in the text.
func (s *gateScan) open(gate [][][]int32) bool {
	if gate == nil {
		return true
	}
	for _, sets := range gate {
		all := true
		for _, set := range sets {
			any := false
			for _, id := range set {
				if s.has(id) {
					any = true
					break
				}
			}
			if !any {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// lazyRegexp is a regexp compiled on first use, once, so that a process
// that cleans one page compiles only the patterns its paragraphs reach
// (compiling all of the rule set's took about a third of such a
// process's CPU). Safe for concurrent use. Every pattern is compiled by
// a test (TestRuleSetCompiles), so a bad one fails there, not at a use.
type lazyRegexp struct {
	once sync.Once
	src  string
	re   *regexp.Regexp
}

func lazyCompile(src string) *lazyRegexp { return &lazyRegexp{src: src} }

func (l *lazyRegexp) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.src) })
	return l.re
}

// MatchString is regexp.Regexp's.
func (l *lazyRegexp) MatchString(s string) bool { return l.get().MatchString(s) }

// FindStringSubmatchIndex is regexp.Regexp's.
func (l *lazyRegexp) FindStringSubmatchIndex(s string) []int {
	return l.get().FindStringSubmatchIndex(s)
}

// FindStringIndex is regexp.Regexp's.
func (l *lazyRegexp) FindStringIndex(s string) []int { return l.get().FindStringIndex(s) }

// FindAllStringIndex is regexp.Regexp's.
func (l *lazyRegexp) FindAllStringIndex(s string, n int) [][]int {
	return l.get().FindAllStringIndex(s, n)
}

// socialEnds are the ways rs.social's network names end.
var socialEnds = []string{"book", "twitter", "x", "whatsapp", "linkedin", "pinterest", "reddit", "telegram", "mail", "messenger",
	"flipboard", "vk", "вконтакте", "одноклассники", "weibo", "微博", "微信", "wechat", "qq", "link", "print", "sms", "imprimir",
	"drucken", "imprimer", "печать", "打印", "correo", "senden", "teilen"}

// socialTail is a necessary condition for rs.social to match lower: a
// match ends with a network name and nothing after it but separators, so
// the line, without trailing separators, ends like one (socialEnds).
func socialTail(lower string) bool {
	t := strings.TrimRight(lower, " \t\n\f\r,|/•·")
	for _, e := range socialEnds {
		if strings.HasSuffix(t, e) {
			return true
		}
	}
	return false
}

// phrase returns the first phrase rule matching the paragraph, and how
// much the match weighs. scan answers the gates of lower.
func (rs *ruleSet) phrase(text, lower string, runes int, scan *gateScan) (string, phraseKind) {
	scan.reset(lower)
	for _, p := range rs.phrases {
		if runes <= p.max && scan.open(p.gate) && p.re.MatchString(lower) {
			return p.rule, p.kind
		}
	}
	// "Headline | Author Name": a teaser's shape, whatever its words.
	if runes <= 160 && strings.Contains(text, " | ") && rs.teaser.MatchString(text) {
		return ruleRelated, kindShape
	}
	// A line made only of social network names.
	if runes <= 200 && socialTail(lower) && rs.social.MatchString(lower) {
		return ruleShare, kindShape
	}
	return "", ""
}
