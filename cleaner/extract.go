package cleaner

import (
	"bytes"
	"fmt"
	"log/slog"
	nurl "net/url"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
)

// extraction is what an extractor found: the article's root element plus
// whatever metadata the extractor read on the way.
type extraction struct {
	node   *html.Node
	title  string
	byline string
}

// extractor finds the article element of a parsed page. The document is the
// extractor's to mutate.
type extractor interface {
	extract(doc *html.Node, pageURL *nurl.URL) (extraction, error)
}

// readabilityExtractor is Mozilla's Readability (readeck's Go port, which
// follows Readability.js 0.6). This is the only file that imports it.
type readabilityExtractor struct {
	charThreshold int
}

func (r readabilityExtractor) extract(doc *html.Node, pageURL *nurl.URL) (extraction, error) {
	p := readability.NewParser()
	p.Logger = slog.New(slog.DiscardHandler)
	if r.charThreshold > 0 {
		p.CharThresholds = r.charThreshold
	}
	art, err := p.ParseAndMutate(doc, pageURL)
	if err != nil {
		return extraction{}, fmt.Errorf("readability: %w", err)
	}
	return extraction{node: art.Node, title: art.Title(), byline: art.Byline()}, nil
}

// plainReadability runs go-readability alone on raw bytes, the way a
// caller without this package would. Benchmarks use it as the baseline.
func plainReadability(body []byte, pageURL *nurl.URL) (*html.Node, error) {
	p := readability.NewParser()
	p.Logger = slog.New(slog.DiscardHandler)
	art, err := p.Parse(bytes.NewReader(body), pageURL)
	if err != nil {
		return nil, fmt.Errorf("readability: %w", err)
	}
	return art.Node, nil
}
