package cleaner

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"winnow/cleaner/internal/phrasedata"
)

// TestPhraseTableFresh: phrases_table.go is what the phrase files give, and
// names only rules the cleaner has.
func TestPhraseTableFresh(t *testing.T) {
	es, err := phrasedata.Load(os.DirFS("phrases"))
	if err != nil {
		t.Fatal(err)
	}
	var want []phraseGroup
	for _, g := range phrasedata.Groups(es) {
		want = append(want, phraseGroup{rule: g.Rule, kind: phraseKind(g.Kind), max: g.Max, source: g.Source, gate: g.Gate})
	}
	if diff := cmp.Diff(want, phraseTable, cmp.AllowUnexported(phraseGroup{})); diff != "" {
		t.Errorf("phrases_table.go is stale; run go generate ./cleaner (-want +got):\n%s", diff)
	}
	for _, e := range es {
		if !slices.Contains(paragraphRules, e.Rule) {
			t.Errorf("%s: entry %q names rule %q, which the cleaner does not have", e.File, e.Pattern, e.Rule)
		}
	}
}

// TestPhraseData checks every entry of phrases/*.yaml: it fires on the
// example it was written for, and an entry that holds on its own (a shape,
// or a specific wording on a label or a sentence) fires on no paragraph of
// the negative corpus: the article paragraphs of testdata/negative and of
// the benchmark's ground truth. Cues may match news sentences; the filter
// weighs them (TestNegativeCorpus checks that none is removed).
func TestPhraseData(t *testing.T) {
	entries, err := phrasedata.Load(os.DirFS("phrases"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 100 {
		t.Fatalf("only %d phrase entries loaded", len(entries))
	}
	negative := negativeParagraphs(t)
	rs := newRuleSet()
	for _, e := range entries {
		name := e.File + ": " + e.Rule + ": " + e.Example
		t.Run(name, func(t *testing.T) {
			g := phrasedata.Groups([]phrasedata.Entry{e})[0]
			ps, gl := compilePhrases([]phraseGroup{{source: g.Source, gate: g.Gate}})
			single, scan := ps[0], newGateScan(gl)
			lower := strings.ToLower(e.Example)
			if n := utf8.RuneCountInString(e.Example); n > e.Max {
				t.Errorf("example has %d characters, over the entry's max %d", n, e.Max)
			}
			scan.reset(lower)
			if !single.re.MatchString(lower) || !scan.open(single.gate) {
				t.Errorf("pattern %q does not fire on its example %q", e.Pattern, e.Example)
			}
			if e.Kind != phrasedata.Shape && e.Kind != phrasedata.Specific {
				return
			}
			for _, p := range negative {
				lp := strings.ToLower(p)
				if utf8.RuneCountInString(p) > e.Max || !single.re.MatchString(lp) {
					continue
				}
				if e.Kind == phrasedata.Specific && formOf(p) == formProse {
					continue // specific wordings on prose need the reader addressed too
				}
				if rs.reported(p, lp) {
					continue // reported speech is guarded before any phrase holds
				}
				t.Errorf("%s entry %q fires on article paragraph %q", e.Kind, e.Pattern, p)
			}
		})
	}
}

// TestPhraseGates: a gate never keeps a group's regexp from a text it
// matches. Checked on every example, every paragraph of the negative corpus
// and every paragraph cut from a quarter of the benchmark pages (chrome
// included): each group's regexp runs, whatever its gate says, on every
// text within the group's length limit.
func TestPhraseGates(t *testing.T) {
	entries, err := phrasedata.Load(os.DirFS("phrases"))
	if err != nil {
		t.Fatal(err)
	}
	texts := negativeParagraphs(t)
	for _, e := range entries {
		texts = append(texts, e.Example)
	}
	for i, p := range loadBenchmark(t) {
		if i%4 != 0 {
			continue // a quarter of the pages: their regexps are slow
		}
		root, err := parseHTML(decode(p.body, "").text)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range paragraphs(body(root)) {
			texts = append(texts, b.text)
		}
	}
	rs := newRuleSet()
	scan := newGateScan(rs.gateLits)
	gated, matched := 0, 0
	for _, text := range texts {
		lower := strings.ToLower(text)
		runes := utf8.RuneCountInString(text)
		scan.reset(lower)
		for _, p := range rs.phrases {
			if runes > p.max {
				continue // the cleaner never runs the group on it
			}
			open := scan.open(p.gate)
			if !open {
				gated++
			}
			if p.re.MatchString(lower) {
				matched++
				if !open {
					t.Errorf("group %s/%s matches %q, but its gate is closed", p.rule, p.kind, text)
				}
			}
		}
	}
	if matched == 0 || gated == 0 {
		t.Errorf("%d matches, %d closed gates over %d texts: the check checks nothing", matched, gated, len(texts))
	}
}

// negativeParagraphs reads the article paragraphs of the negative corpus.
func negativeParagraphs(t *testing.T) []string {
	t.Helper()
	var out []string
	files, err := filepath.Glob("testdata/negative/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no negative corpus under testdata/negative: %v", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(raw), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				out = append(out, line)
			}
		}
	}
	raw, err := os.ReadFile(filepath.Join(benchmarkDir, "ground-truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var truth map[string]struct {
		ArticleBody string `json:"articleBody"`
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		t.Fatal(err)
	}
	for _, e := range truth {
		for _, p := range strings.Split(e.ArticleBody, "\n") {
			if p = collapse(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// TestRuleSetCompiles compiles every pattern of the rule set, which the
// cleaner compiles only when a paragraph first reaches it: a pattern that
// does not compile fails here, not in the middle of a crawl.
func TestRuleSetCompiles(t *testing.T) {
	rs := newRuleSet()
	lazies := []*lazyRegexp{}
	for _, p := range rs.phrases {
		lazies = append(lazies, p.re)
	}
	v := reflect.ValueOf(rs).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Type() == reflect.TypeFor[*lazyRegexp]() {
			lazies = append(lazies, (*lazyRegexp)(unsafe.Pointer(f.Pointer())))
		}
	}
	if len(lazies) < len(phraseTable)+15 {
		t.Fatalf("%d patterns found, want the %d phrase groups and the rule set's 15", len(lazies), len(phraseTable))
	}
	for _, l := range lazies {
		if _, err := regexp.Compile(l.src); err != nil {
			t.Errorf("pattern %.80q: %v", l.src, err)
		} else if l.get() == nil {
			t.Errorf("pattern %.80q: not compiled", l.src)
		}
	}
}

// TestSocialTail: socialTail says yes to every line the social-names
// pattern matches: random runs of the network names, share words and
// separators, and the paragraphs of a quarter of the benchmark pages.
func TestSocialTail(t *testing.T) {
	rs := newRuleSet()
	rng := rand.New(rand.NewPCG(5, 6))
	names := []string{"facebook", "twitter", "x", "whatsapp", "linkedin", "pinterest", "reddit", "telegram", "email", "e-mail", "messenger",
		"flipboard", "vk", "вконтакте", "одноклассники", "weibo", "微博", "微信", "wechat", "qq", "copy link", "print", "sms", "imprimir",
		"drucken", "imprimer", "печать", "打印", "send by email", "enviar por correo", "envoyer par e-mail", "senden per email",
		"per e-mail senden", "per email teilen", "share", "share this article", "teilen", "partager", "поделиться", "分享到", "news"}
	seps := []string{"", " ", ", ", " | ", "/", " • ", "·", "\t", ": ", "：", "\n", "."}
	var texts []string
	for range 20000 {
		var b strings.Builder
		for range 1 + rng.IntN(5) {
			b.WriteString(names[rng.IntN(len(names))])
			b.WriteString(seps[rng.IntN(len(seps))])
		}
		texts = append(texts, strings.ToLower(b.String()))
	}
	for _, p := range sampleParagraphs(t) {
		texts = append(texts, strings.ToLower(p))
	}
	checkPrefilter(t, "social pattern", "socialTail", texts, socialTail, rs.social, 1000)
}
