package cleaner

import (
	"errors"
	"strings"
	"time"

	"golang.org/x/net/html"
)

// Document is one cleaned article.
type Document struct {
	URL          string    // the address the page was fetched from (or given)
	CanonicalURL string    // <link rel=canonical> resolved against URL, else URL
	Title        string    // without the " | Site" suffix
	Byline       string    // author(s), empty when unknown
	Published    time.Time // zero when unknown
	SiteName     string
	Lang         string // ISO 639-1, empty when unknown
	Paragraphs   []string
	// Blocks say what each paragraph was (heading, list item, quote, table
	// cell) and hold its links: Blocks[i] is Paragraphs[i], same length and
	// order. Documents built by hand may leave it nil: each paragraph is
	// then a plain one.
	Blocks    []Block
	FetchedAt time.Time // set by the caller; the cleaner leaves it as given
}

// Text is the body: the paragraphs joined by "\n".
func (d Document) Text() string { return strings.Join(d.Paragraphs, "\n") }

// Removal is one paragraph (or block) the cleaner dropped.
type Removal struct {
	Rule string // the rule's name; the rule label of winnow_boilerplate_removed_total
	Text string // the text removed, whitespace collapsed
}

// Report says what the cleaner did to a page.
type Report struct {
	Removed []Removal
	// Kept lists the paragraphs kept, in order (same as Document.Paragraphs);
	// with Removed it lets `winnow clean --explain` show every decision.
	Kept []string
	// Extractor names the pass that produced the text: "readability",
	// "readability+lead" when the second opinion put back a lost lead
	// (second.go), or "densest_block" (the fallback).
	Extractor string
	// Fingerprints of the page's blocks: the extracted paragraphs and the
	// other text blocks of the page (chrome the extractor dropped), distinct,
	// at most 256. The caller records them as its host's template evidence
	// and answers later pages' Input.Template from them.
	Fingerprints []uint64
	// body and contentType are the page as given: InPageOrder places
	// paragraphs in its text as the cleaner decodes it (decoded only then,
	// so that cleaning holds no second copy of every page).
	body        []byte
	contentType string
}

// Counts returns the number of removals per rule.
func (r Report) Counts() map[string]int {
	c := make(map[string]int)
	for _, rm := range r.Removed {
		c[rm.Rule]++
	}
	return c
}

// Input is one page to clean.
type Input struct {
	Body        []byte
	URL         string // the page's address; may be empty when unknown
	ContentType string // HTTP Content-Type header value, if known
	// Template, when not nil, tells how often this page's blocks occur on
	// the other pages of its host; blocks the site repeats enough are
	// removed by the site_template rule.
	Template TemplateEvidence
	// Tree, when not nil, is Body already decoded and parsed by
	// Cleaner.Parse, so that a page is parsed once however many readers it
	// has. Clean mutates it (pre-cleaning detaches elements): read what
	// else is wanted from it first. Body is still needed: the fallback
	// extractor parses it afresh.
	Tree *html.Node
}

// Errors callers branch on.
var (
	// ErrNotArticle: the page has no article text (an index, an empty page).
	ErrNotArticle = errors.New("no article found")
	// ErrTooLarge: the input is over Options.MaxBytes or nests too deep.
	ErrTooLarge = errors.New("page too large")
	// ErrNotHTML: the input is not an HTML document (binary garbage, an image).
	ErrNotHTML = errors.New("not an HTML page")
)
