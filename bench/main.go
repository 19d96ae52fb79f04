// Command bench compares winnow's cleaner with plain extractors on a dataset
// in the article-extraction-benchmark layout: same pages, same metric
// (winnow/eval), each extractor timed in this one run.
//
// It is a module of its own so that the peers it measures never enter
// winnow's dependencies.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	shiori "github.com/go-shiori/go-readability"
	"github.com/markusmobius/go-trafilatura"

	readeck "codeberg.org/readeck/go-readability/v2"

	"winnow/cleaner"
	"winnow/eval"
)

// extractor turns one page into body text.
type extractor struct {
	name    string
	extract func(body []byte, u *url.URL) (string, error)
}

func extractors() []extractor {
	cl := cleaner.New(cleaner.Options{})
	return []extractor{
		{"winnow", func(body []byte, u *url.URL) (string, error) {
			doc, _, err := cl.Clean(cleaner.Input{Body: body, URL: u.String()})
			return doc.Text(), err
		}},
		{"go-shiori/go-readability", func(body []byte, u *url.URL) (string, error) {
			a, err := shiori.FromReader(bytes.NewReader(body), u)
			return a.TextContent, err
		}},
		{"readeck/go-readability/v2", func(body []byte, u *url.URL) (string, error) {
			a, err := readeck.FromReader(bytes.NewReader(body), u)
			if err != nil || a.Node == nil {
				return "", err
			}
			var b strings.Builder
			err = a.RenderText(&b)
			return b.String(), err
		}},
		{"go-trafilatura (fallback)", func(body []byte, u *url.URL) (string, error) {
			r, err := trafilatura.Extract(bytes.NewReader(body), trafilatura.Options{OriginalURL: u, EnableFallback: true})
			if err != nil || r == nil {
				return "", err
			}
			return r.ContentText, nil
		}},
	}
}

type row struct {
	name      string
	res       eval.Result
	spread    eval.Spread
	errors    int
	msPerPage float64
}

func main() {
	dir := flag.String("dataset", "", "dataset directory (html/, ground-truth.json)")
	rounds := flag.Int("rounds", 3, "timed passes over the pages per extractor; the median is reported")
	flag.Parse()
	if *dir == "" || *rounds < 1 {
		fmt.Fprintln(os.Stderr, "usage: bench -dataset DIR [-rounds N]")
		os.Exit(2)
	}
	if err := run(*dir, *rounds, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(dir string, rounds int, w io.Writer) error {
	ds, err := eval.LoadDataset(dir)
	if err != nil {
		return err
	}
	bodies := make([][]byte, len(ds.Pages))
	urls := make([]*url.URL, len(ds.Pages))
	for i, p := range ds.Pages {
		if bodies[i], err = p.HTML(); err != nil {
			return err
		}
		if urls[i], err = url.Parse(p.URL); err != nil {
			return fmt.Errorf("page %s: url %q: %w", p.ID, p.URL, err)
		}
	}
	truth := ds.Truth()
	exs := extractors()
	preds := make([]map[string]string, len(exs))
	errs := make([]int, len(exs))
	times := make([][]time.Duration, len(exs))
	// Rounds interleave the extractors so that load on the machine weighs on
	// all of them alike. The first round's texts are scored.
	for round := range rounds {
		for e, ex := range exs {
			if round == 0 {
				preds[e] = make(map[string]string, len(ds.Pages))
			}
			start := time.Now()
			for i, p := range ds.Pages {
				text, err := ex.extract(bodies[i], urls[i])
				if round > 0 {
					continue
				}
				if err != nil {
					errs[e]++
					text = ""
				}
				preds[e][p.ID] = text
			}
			times[e] = append(times[e], time.Since(start))
		}
	}
	var rows []row
	for e, ex := range exs {
		slices.Sort(times[e])
		// Upstream deletes U+00AD from its Go extractors' output before scoring.
		res := eval.Score(truth, preds[e], eval.Options{DeleteSoftHyphens: true})
		rows = append(rows, row{
			name: ex.name, res: res, spread: eval.Bootstrap(res.Pages, 1000, 1), errors: errs[e],
			msPerPage: float64(times[e][len(times[e])/2].Microseconds()) / 1000 / float64(len(ds.Pages)),
		})
	}

	fmt.Fprintf(w, "%d pages, one goroutine, median of %d interleaved timed passes; ± is the bootstrap standard deviation (1000 resamples, seed 1)\n\n", len(ds.Pages), rounds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "extractor\tF1\tprecision\trecall\taccuracy\terrors\tms/page\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%.3f ± %.3f\t%.3f ± %.3f\t%.3f ± %.3f\t%.3f ± %.3f\t%d\t%.2f\t\n",
			r.name, r.res.F1, r.spread.F1, r.res.Precision, r.spread.Precision,
			r.res.Recall, r.spread.Recall, r.res.Accuracy, r.spread.Accuracy, r.errors, r.msPerPage)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nwinnow ms/page ÷ plain readeck/go-readability/v2 ms/page: %.2f\n", rows[0].msPerPage/rows[2].msPerPage)
	return nil
}
