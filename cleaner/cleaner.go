// Package cleaner turns the bytes of one HTML page into a clean Document:
// decoding, readability extraction, boilerplate removal and metadata.
//
// The pipeline, once per page: decode to UTF-8 (decode.go: header charset,
// BOM, <meta>, then detection); parse the DOM once (depth.go); read the
// metadata from it (meta.go); detach chrome elements by tag, ARIA role and
// id/class words (preclean.go, rules "structure:*"); extract the article
// with readeck's go-readability v2, the only file importing it (extract.go),
// falling back to a densest-text-block pass when it finds little
// (fallback.go), and putting back a lead it lost when the page's marked
// article body has one (second.go); cut the result into paragraphs
// (paragraphs.go); drop
// boilerplate paragraph by paragraph with named, multilingual rules
// (rules.go). Every removal is reported with its rule's name.
package cleaner

import (
	"bytes"
	"fmt"
	"mime"
	nurl "net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/abadojack/whatlanggo"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

const (
	defaultMaxBytes = 16 << 20
	defaultMaxDepth = 512
	// fallbackBelow: when readability's text has fewer non-space runes than
	// this, the densest-block pass gets a chance too.
	fallbackBelow = 250
	// dupMinRunes: paragraphs shorter than this are never dropped as repeats.
	dupMinRunes = 100
)

// Options tune the cleaner. The zero value is usable.
type Options struct {
	MaxBytes int // inputs larger than this fail with ErrTooLarge; 0 means the default (16 MiB)
	MaxDepth int // element nesting deeper than this fails with ErrTooLarge; 0 means the default (512)
	// Off switches parts of the cleaner off, to measure what each is worth
	// (`winnow eval --ablate`). The zero value runs everything.
	Off Ablation
}

// Ablation names the parts of the cleaner that can be switched off one by
// one. Production runs leave every field false.
type Ablation struct {
	Structure       bool // no structural pre-clean (tag, ARIA role, id/class words)
	Phrases         bool // no phrase rules (login, cookie, newsletter … wordings)
	Template        bool // no evidence from the site's learnt template
	SecondExtractor bool // no second opinion from another extractor
}

// Cleaner cleans pages. It holds no mutable state and is safe for concurrent use.
type Cleaner struct {
	opts     Options
	rules    *ruleSet
	extract  extractor
	fallback densestBlock
	second   func(body *html.Node) []para // the second opinion's reading of the pre-cleaned body
}

// New returns a Cleaner.
func New(opts Options) *Cleaner {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = defaultMaxBytes
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = defaultMaxDepth
	}
	return &Cleaner{opts: opts, rules: newRuleSet(), extract: readabilityExtractor{}, second: secondReading}
}

// Rules lists the names of every boilerplate rule, for metric initialisation.
func Rules() []string {
	out := append([]string(nil), paragraphRules...)
	out = append(out, ruleSiteTemplate)
	return append(out, structureRules()...)
}

// Clean extracts the article of one page. It never panics on bad input: an
// oversized or too deeply nested page fails with ErrTooLarge, something that
// is not HTML with ErrNotHTML, a page without article text with
// ErrNotArticle, each wrapped with a one-line reason.
func (c *Cleaner) Clean(in Input) (Document, Report, error) {
	var rep Report
	doc := Document{URL: in.URL}
	root := in.Tree
	if root == nil {
		var err error
		if root, err = c.Parse(in); err != nil {
			return doc, rep, err
		}
	}
	pageURL, _ := nurl.Parse(in.URL)
	if pageURL != nil && pageURL.Scheme == "" {
		pageURL = nil
	}

	meta := readMeta(root)
	doc.CanonicalURL = canonicalURL(meta, in.URL)
	doc.Published = publishedDate(root, meta, in.URL)
	doc.SiteName = firstNonEmpty(meta.siteName, meta.ldPublisher, meta.appName)

	nearHeading := linesAfterHeading(body(root))
	// The page's text blocks before anything is detached: the chrome the
	// pre-clean and the extractor drop is template evidence too.
	var blocks []para
	if !c.opts.Off.Template {
		blocks = paragraphs(body(root))
	}
	if !c.opts.Off.Structure {
		(&precleaner{pageURL: pageURL}).clean(body(root), &rep)
	}
	var second []para
	var descriptions []string
	if !c.opts.Off.SecondExtractor {
		// Read before readability mutates the tree.
		second, descriptions = c.second(body(root)), pageDescriptions(root)
	}
	ex, exErr := c.extract.extract(root, pageURL)
	paras := paragraphs(ex.node)
	rep.Extractor = "readability"
	if exErr != nil || runesOf(paras) < fallbackBelow {
		// Readability gave up or kept a scrap. Its pass mutated the tree,
		// so the second pass starts from a fresh parse of the same bytes.
		if fresh, err := parseHTML(decode(in.Body, in.ContentType).text); err == nil {
			var frep Report
			if !c.opts.Off.Structure {
				(&precleaner{pageURL: pageURL}).clean(body(fresh), &frep)
			}
			if alt := paragraphs(c.fallback.find(body(fresh))); runesOf(alt) > runesOf(paras)*3/2 {
				paras, rep = alt, frep
				rep.Extractor = "densest_block"
			}
		}
	}
	if !c.opts.Off.SecondExtractor && rep.Extractor == "readability" {
		if merged, how := secondOpinion(paras, second, descriptions); how != "" {
			paras, rep.Extractor = merged, rep.Extractor+"+"+how
		}
	}
	if !c.opts.Off.Template {
		rep.Fingerprints = pageFingerprints(paras, blocks)
		if in.Template != nil {
			annotate(paras, rep.Fingerprints, in.Template.Counts(rep.Fingerprints))
		}
	}
	rep.body, rep.contentType = in.Body, in.ContentType
	host := ""
	if pageURL != nil {
		host = pageURL.Hostname()
	}
	doc.Title = titleFromHeading(firstNonEmpty(meta.ogTitle, meta.ldHeadline, meta.twTitle, meta.htmlTitle, ex.title, meta.h1), meta.h1, doc.SiteName)
	if collapse(doc.Title) != collapse(meta.h1) {
		// The page's own heading carries no site suffix: only a title
		// that is not the heading is trimmed ("Storm – live" stays).
		doc.Title = cleanTitle(doc.Title, doc.SiteName, host)
	}

	f := c.filter(paras, pageFacts{title: doc.Title, h1: meta.h1, declared: declaredLang(meta), siteName: doc.SiteName, host: strings.TrimPrefix(host, "www."), urls: []string{in.URL, doc.CanonicalURL}}, &rep)
	kept, author, stamp := f.kept, f.author, f.stamp
	doc.Paragraphs = kept
	doc.Blocks = keptBlocks(paras, kept)
	headAuthor, headDate := c.rules.bylineNearHeading(nearHeading)
	if doc.Published.IsZero() {
		// The page had no machine-readable date; a timestamp line moved
		// out of the body, or the dateline under the heading, is the next
		// best thing.
		doc.Published = stamp
		if doc.Published.IsZero() {
			doc.Published = headDate
		}
	}
	rep.Kept = kept
	byline := firstNonEmpty(meta.ldAuthor, meta.author, ex.byline, author, headAuthor)
	if rule, name := c.rules.bylineOrStamp(collapse(byline), false); rule == ruleByline && name != "" {
		byline = name // a name glued to its timestamp ("Jane Doe14 March 2023 07:02")
	}
	doc.Byline = cleanByline(byline)
	doc.Lang = language(meta, kept)
	if len(kept) == 0 {
		return doc, rep, fmt.Errorf("clean %s: %w", label(in.URL), ErrNotArticle)
	}
	return doc, rep, nil
}

// Parse decodes a page to UTF-8 and parses it, as Clean does first; a
// caller that reads the page too (a crawler taking its links) parses it
// once this way and hands the tree to Clean in Input.Tree. It fails as Clean
// does: ErrTooLarge, ErrNotHTML, each wrapped with a one-line reason.
func (c *Cleaner) Parse(in Input) (*html.Node, error) {
	if len(in.Body) > c.opts.MaxBytes {
		return nil, fmt.Errorf("clean %s: page is %d bytes, over the %d-byte limit: %w", label(in.URL), len(in.Body), c.opts.MaxBytes, ErrTooLarge)
	}
	if len(bytes.TrimSpace(in.Body)) == 0 {
		return nil, fmt.Errorf("clean %s: empty input: %w", label(in.URL), ErrNotHTML)
	}
	if mt, ok := notHTMLType(in.ContentType); ok {
		return nil, fmt.Errorf("clean %s: content type %s: %w", label(in.URL), mt, ErrNotHTML)
	}
	dec := decode(in.Body, in.ContentType)
	if why := binaryReason(dec.text); why != "" {
		return nil, fmt.Errorf("clean %s: %s: %w", label(in.URL), why, ErrNotHTML)
	}
	root, err := parseHTML(dec.text)
	if err != nil {
		return nil, fmt.Errorf("clean %s: parse html: %v: %w", label(in.URL), err, ErrNotHTML)
	}
	if d := depth(root, c.opts.MaxDepth); d > c.opts.MaxDepth {
		return nil, fmt.Errorf("clean %s: elements nest deeper than %d levels: %w", label(in.URL), c.opts.MaxDepth, ErrTooLarge)
	}
	return root, nil
}

// cleanByline drops the "By" word a byline starts with, whatever the
// language.
func cleanByline(s string) string {
	s = collapse(s)
	if bylinePrefix(s) {
		s = stripBylinePrefix(s)
	}
	return s
}

// proseWeight measures a paragraph for the repeat rule in Latin-script
// letters: a Han, kana or Hangul character carries about as much as three.
func proseWeight(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x2E80 && runeScript(r) == "cjk" {
			n += 2
		}
	}
	return n
}

// endsSentence says whether a paragraph ends like a statement.
func endsSentence(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	switch r {
	case '.', '!', '"', '”', '»', '’', '…', '。', '！', '」':
		return true
	}
	return false
}

// articleScript is the writing system of most of the article's letters.
func articleScript(paras []para) string {
	counts := map[string]int{}
	latin := 0 // ASCII letters, counted apart: most text is made of them
	for _, p := range paras {
		for _, r := range p.text {
			if r < utf8.RuneSelf {
				if ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') {
					latin++
				}
			} else if s := runeScript(r); s != "" {
				counts[s]++
			}
		}
	}
	counts["latin"] += latin
	best, n := "", 0
	for _, s := range []string{"latin", "cjk", "cyrillic", "arabic", "greek", "hebrew", "thai", "devanagari"} {
		if counts[s] > n {
			best, n = s, counts[s]
		}
	}
	return best
}

// foreign says whether a paragraph is written in another script than the
// article: almost none of its letters are in the article's script. Chrome
// in another script is the site's own language (a Chinese portal around an
// English article), so when the page declares a language written in the
// article's script, a foreign line is a quotation and stays.
func foreign(s, script, declared string) bool {
	if declared != "" && scriptOfLang(declared) == script {
		return false
	}
	same, total := 0, 0
	for _, r := range s {
		if sc := runeScript(r); sc != "" {
			total++
			if sc == script {
				same++
			}
		}
	}
	return total >= 2 && same*10 < total
}

// linkDense: text that is mostly link text, like a row of related
// headlines. Bare URLs (a citation written out) and long prose that
// happens to be one link stay.
func linkDense(p para, runes int) bool {
	if p.heading || p.runes == 0 || p.linkRunes*10 < p.runes*8 {
		return false
	}
	if !strings.ContainsRune(p.text, ' ') && (strings.HasPrefix(p.text, "http") || strings.HasPrefix(p.text, "www.")) {
		return false
	}
	return runes <= 200 || !endsSentence(p.text)
}

func scriptOfLang(code string) string {
	if s := langScripts[code]; s != "" {
		return s
	}
	return "latin"
}

// declaredLang is the page's own statement of its language.
func declaredLang(m pageMeta) string {
	for _, l := range []string{m.lang, m.contentLang, m.ogLocale} {
		if p := primaryTag(l); p != "" {
			return p
		}
	}
	return ""
}

func runeScript(r rune) string {
	switch {
	case r < 0x80:
		if unicode.IsLetter(r) {
			return "latin"
		}
		return ""
	case !unicode.IsLetter(r):
		return ""
	case unicode.Is(unicode.Latin, r):
		return "latin"
	case unicode.Is(unicode.Han, r), unicode.Is(unicode.Hiragana, r), unicode.Is(unicode.Katakana, r), unicode.Is(unicode.Hangul, r):
		return "cjk"
	case unicode.Is(unicode.Cyrillic, r):
		return "cyrillic"
	case unicode.Is(unicode.Arabic, r):
		return "arabic"
	case unicode.Is(unicode.Greek, r):
		return "greek"
	case unicode.Is(unicode.Hebrew, r):
		return "hebrew"
	case unicode.Is(unicode.Thai, r):
		return "thai"
	case unicode.Is(unicode.Devanagari, r):
		return "devanagari"
	}
	return ""
}

// langScripts names the script of declared languages not written in Latin.
var langScripts = map[string]string{
	"zh": "cjk", "ja": "cjk", "ko": "cjk", "ru": "cyrillic", "uk": "cyrillic", "bg": "cyrillic", "sr": "cyrillic",
	"be": "cyrillic", "mk": "cyrillic", "kk": "cyrillic", "ar": "arabic", "fa": "arabic", "ur": "arabic",
	"el": "greek", "he": "hebrew", "th": "thai", "hi": "devanagari", "mr": "devanagari", "ne": "devanagari",
}

// language is the ISO 639-1 code: the declared one (html lang, meta,
// og:locale) unless the text is plainly in another script, else the one
// whatlanggo detects in the text.
func language(m pageMeta, paras []string) string {
	declared := declaredLang(m)
	var sample strings.Builder
	for _, p := range paras {
		if sample.Len() > 3000 {
			break
		}
		sample.WriteString(p)
		sample.WriteByte('\n')
	}
	text := sample.String()
	if text == "" {
		return declared
	}
	textScript := articleScript([]para{{text: text}})
	if declared != "" {
		if scriptOfLang(declared) == textScript || textScript == "" {
			return declared
		}
	}
	info := whatlanggo.Detect(text)
	if code := info.Lang.Iso6391(); code != "" && (info.IsReliable() || declared == "") {
		return code
	}
	return declared
}

// primaryTag returns the two-letter primary subtag of a language tag.
func primaryTag(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if len(tag) != 2 || tag[0] < 'a' || tag[0] > 'z' || tag[1] < 'a' || tag[1] > 'z' {
		return ""
	}
	return tag
}

// runesOf counts the text of paragraphs outside links: what an extractor
// found that could be article text.
func runesOf(ps []para) int {
	n := 0
	for _, p := range ps {
		n += p.runes - p.linkRunes
	}
	return n
}

func body(doc *html.Node) *html.Node {
	for n := doc; n != nil; n = next(n, doc, false) {
		if n.Type == html.ElementNode && n.DataAtom == atom.Body {
			return n
		}
	}
	return nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

func hasLetterOrDigit(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_'
}

func label(u string) string {
	if u == "" {
		return "page"
	}
	return u
}

// notHTMLType reports content types that are certainly not a web page.
func notHTMLType(ct string) (string, bool) {
	if ct == "" {
		return "", false
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", false
	}
	switch {
	case strings.HasPrefix(mt, "image/"), strings.HasPrefix(mt, "audio/"), strings.HasPrefix(mt, "video/"), strings.HasPrefix(mt, "font/"):
		return mt, true
	}
	switch mt {
	case "application/pdf", "application/zip", "application/gzip", "application/octet-stream", "application/x-gzip", "application/json":
		return mt, true
	}
	return "", false
}

// binaryReason says why decoded text is not an HTML page, or "" when it
// may be one: control characters or replacement characters in bulk mean
// binary data, and a page without a single tag is not HTML.
func binaryReason(text []byte) string {
	head := text
	if len(head) > 8192 {
		head = head[:8192]
	}
	ctrl, bad, total := 0, 0, 0
	for len(head) > 0 {
		r, n := utf8.DecodeRune(head)
		head = head[n:]
		total++
		switch {
		case r == utf8.RuneError:
			bad++
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r' && r != '\f':
			ctrl++
		}
	}
	if total == 0 {
		return "empty input"
	}
	if ctrl*20 > total {
		return "binary data (control characters)"
	}
	if bad*3 > total {
		return "binary data (undecodable bytes)"
	}
	if bytes.IndexByte(text, '<') < 0 {
		return "no HTML markup"
	}
	return ""
}
