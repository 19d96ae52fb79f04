package cleaner

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Site template evidence. Chrome repeats across a site's pages and article
// text does not, so a block that many distinct pages of the same host carry
// is the site's template. The cleaner keeps no such state itself: the
// caller records the fingerprints a Report returns and passes the counts
// back in through Input.Template. Nothing here depends on a language: the
// evidence is repetition alone.

// RuleSiteTemplate names the removals of blocks the site repeats.
const RuleSiteTemplate = ruleSiteTemplate

const ruleSiteTemplate = "site_template"

const (
	// maxFingerprints bounds the fingerprints of one page, so one huge
	// page cannot flood its host's template.
	maxFingerprints = 256
	// maxBlockRunes: longer blocks are article prose, never fingerprinted.
	maxBlockRunes = 1000
)

// TemplateEvidence answers, for the host of the page being cleaned, how
// often the page's blocks occur on the host's other pages. The cleaner
// calls Counts at most once per page, from the goroutine running Clean.
type TemplateEvidence interface {
	Counts(fps []uint64) SiteCounts
}

// SiteCounts is what is known of a host's other pages (the page being
// cleaned excluded): how many distinct pages were seen, how many of them
// were articles, and per fingerprint (in the order asked) on how many of
// those pages, and of those article pages, it occurs.
type SiteCounts struct {
	Pages, ArticlePages int
	Count, Articles     []int
}

// siteEvidence is the template evidence of one paragraph, for the rules.
type siteEvidence struct {
	count, articles     int // other distinct pages (articles among them) carrying this block
	pages, articlePages int // other distinct pages (articles among them) of the host seen
}

// templateChrome says whether the site's other pages show that a paragraph
// is the site's template. Guards: a block must recur on at least two other
// article pages (index pages alone show teasers of the very article) and
// three pages in all; a short or non-sentence block on at least one page in
// eight of those seen; a sentence of prose (a quote several stories share)
// on at least three article pages and three in five of the host's article
// pages. The same URL fetched again (a live blog's updates) is one page.
func templateChrome(p para) bool {
	s := p.site
	if !templateCandidate(s.count, s.articles) {
		return false
	}
	if proseWeight(p.text) >= dupMinRunes && endsSentence(p.text) {
		return s.articles >= 3 && s.articles*5 >= s.articlePages*3
	}
	return s.count*8 >= s.pages
}

// templateCandidate is templateChrome's first guard, on the counts alone:
// below it no amount of the host's other pages makes a block template.
func templateCandidate(count, articles int) bool { return articles >= 2 && count >= 3 }

// Decisive reports whether the counts could change what Clean keeps: when
// no block reaches templateChrome's first guard, cleaning with them gives
// the same Document as cleaning without evidence, so a caller that has
// already cleaned the page without evidence can keep that result.
func (sc SiteCounts) Decisive() bool {
	for i, n := range sc.Count {
		if i < len(sc.Articles) && templateCandidate(n, sc.Articles[i]) {
			return true
		}
	}
	return false
}

// fingerprint hashes a block's normalised text (FNV-1a, 64 bits): letters
// lower-cased, each run of digits one '0', everything else one space
// between words, so "3 comments" and "12 Comments" agree. Blocks without a
// letter, and longer ones than maxBlockRunes, have none.
func fingerprint(s string) (uint64, bool) {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	add := func(r rune) {
		var buf [utf8.UTFMax]byte
		n := utf8.EncodeRune(buf[:], r)
		for _, b := range buf[:n] {
			h ^= uint64(b)
			h *= prime
		}
	}
	letters, runes, started, space, digit := false, 0, false, false, false
	for _, r := range s {
		runes++
		if runes > maxBlockRunes {
			return 0, false
		}
		isL, isD := unicode.IsLetter(r), unicode.IsDigit(r)
		if !isL && !isD {
			space, digit = started, false
			continue
		}
		if space {
			add(' ')
			space = false
		}
		started = true
		if isD {
			if !digit {
				add('0')
			}
			digit = true
			continue
		}
		digit, letters = false, true
		add(unicode.ToLower(r))
	}
	return h, letters
}

// pageFingerprints returns the distinct fingerprints of the extracted
// paragraphs (setting each one's fp) and of the page's other text blocks,
// at most maxFingerprints.
func pageFingerprints(paras []para, blocks []para) []uint64 {
	seen := make(map[uint64]bool, len(paras)+len(blocks))
	out := make([]uint64, 0, min(len(paras)+len(blocks), maxFingerprints))
	add := func(p *para) {
		fp, ok := fingerprint(p.text)
		if !ok {
			return
		}
		p.fp, p.hasFP = fp, true
		if !seen[fp] && len(out) < maxFingerprints {
			seen[fp] = true
			out = append(out, fp)
		}
	}
	for i := range paras {
		add(&paras[i])
	}
	for i := range blocks {
		add(&blocks[i])
	}
	return out
}

// annotate gives each paragraph its site evidence.
func annotate(paras []para, fps []uint64, sc SiteCounts) {
	idx := make(map[uint64]int, len(fps))
	for i, fp := range fps {
		idx[fp] = i
	}
	for i := range paras {
		p := &paras[i]
		p.site = siteEvidence{pages: sc.Pages, articlePages: sc.ArticlePages}
		j, ok := idx[p.fp]
		if !p.hasFP || !ok {
			continue
		}
		if j < len(sc.Count) {
			p.site.count = sc.Count[j]
		}
		if j < len(sc.Articles) {
			p.site.articles = sc.Articles[j]
		}
	}
}

// Fingerprint returns the fingerprints of a page's text blocks without
// cleaning it: for pages read only for their links (sections, indexes),
// whose chrome is the site's template evidence as well.
func (c *Cleaner) Fingerprint(in Input) ([]uint64, error) {
	if in.Tree != nil { // already parsed by Parse; only read here
		return pageFingerprints(nil, paragraphs(body(in.Tree))), nil
	}
	if len(in.Body) > c.opts.MaxBytes {
		return nil, fmt.Errorf("fingerprint %s: page is %d bytes, over the %d-byte limit: %w", label(in.URL), len(in.Body), c.opts.MaxBytes, ErrTooLarge)
	}
	dec := decode(in.Body, in.ContentType)
	if why := binaryReason(dec.text); why != "" {
		return nil, fmt.Errorf("fingerprint %s: %s: %w", label(in.URL), why, ErrNotHTML)
	}
	root, err := parseHTML(dec.text)
	if err != nil {
		return nil, fmt.Errorf("fingerprint %s: parse html: %v: %w", label(in.URL), err, ErrNotHTML)
	}
	if d := depth(root, c.opts.MaxDepth); d > c.opts.MaxDepth {
		return nil, fmt.Errorf("fingerprint %s: elements nest deeper than %d levels: %w", label(in.URL), c.opts.MaxDepth, ErrTooLarge)
	}
	return pageFingerprints(nil, paragraphs(body(root))), nil
}

// keepTemplatedProse undoes the site_template removals of prose when they
// would leave the page without any: a site whose articles are all cut from
// one text (generated reports, one story under several addresses) still
// has articles, and the template is evidence only of what surrounds them.
func keepTemplatedProse(paras []para, removed []string) {
	var templated []int
	for i, p := range paras {
		if proseWeight(p.text) < dupMinRunes || !endsSentence(p.text) {
			continue
		}
		switch removed[i] {
		case "":
			return
		case ruleSiteTemplate:
			templated = append(templated, i)
		}
	}
	for _, i := range templated {
		removed[i] = ""
	}
}
