package main

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"time"

	readeck "codeberg.org/readeck/go-readability/v2"
	"github.com/markusmobius/go-trafilatura"
	"golang.org/x/net/html"

	"winnow/cleaner"
	"winnow/eval"
)

// extractor turns one page into body text. score is false for a floor
// (html.Parse) that extracts nothing.
type extractor struct {
	name    string
	score   bool
	extract func(body []byte, u *url.URL) (string, error)
}

func extractors() []extractor {
	cl := cleaner.New(cleaner.Options{})
	// The speed budget: the second extractor and the template
	// lookup together add at most 30 % to the cleaner's ms/page. This row
	// is the cleaner without both, timed in the same interleaved rounds.
	bare := cleaner.New(cleaner.Options{Off: cleaner.Ablation{SecondExtractor: true, Template: true}})
	return []extractor{
		{"html.Parse alone (floor)", false, func(body []byte, u *url.URL) (string, error) {
			_, err := html.Parse(bytes.NewReader(body))
			return "", err
		}},
		{"winnow cleaner", true, func(body []byte, u *url.URL) (string, error) {
			doc, _, err := cl.Clean(cleaner.Input{Body: body, URL: u.String()})
			return doc.Text(), err
		}},
		{"winnow cleaner, second extractor and template off", true, func(body []byte, u *url.URL) (string, error) {
			doc, _, err := bare.Clean(cleaner.Input{Body: body, URL: u.String()})
			return doc.Text(), err
		}},
		{"readeck/go-readability/v2", true, func(body []byte, u *url.URL) (string, error) {
			a, err := readeck.FromReader(bytes.NewReader(body), u)
			if err != nil || a.Node == nil {
				return "", err
			}
			var b strings.Builder
			err = a.RenderText(&b)
			return b.String(), err
		}},
		{"go-trafilatura", true, func(body []byte, u *url.URL) (string, error) {
			r, err := trafilatura.Extract(bytes.NewReader(body), trafilatura.Options{OriginalURL: u})
			if err != nil || r == nil {
				return "", err
			}
			return r.ContentText, nil
		}},
	}
}

type extractRow struct {
	name          string
	score         bool
	res           eval.Result
	spread        eval.Spread
	errors        int
	msPerPage     float64 // median pass
	allocsPerPage float64
	kibPerPage    float64
}

// extractBench times each extractor over the dataset's pages in one
// goroutine: one untimed pass (scored), then rounds timed passes, the
// extractors interleaved so that load on the machine weighs on all alike.
func extractBench(w io.Writer, dir string, rounds int) ([]extractRow, error) {
	ds, err := eval.LoadDataset(dir)
	if err != nil {
		return nil, err
	}
	bodies := make([][]byte, len(ds.Pages))
	urls := make([]*url.URL, len(ds.Pages))
	for i, p := range ds.Pages {
		if bodies[i], err = p.HTML(); err != nil {
			return nil, err
		}
		if urls[i], err = url.Parse(p.URL); err != nil {
			return nil, fmt.Errorf("page %s: url %q: %w", p.ID, p.URL, err)
		}
	}
	truth := ds.Truth()
	exs := extractors()
	preds := make([]map[string]string, len(exs))
	errs := make([]int, len(exs))
	times := make([][]time.Duration, len(exs))
	mallocs := make([]uint64, len(exs))
	allocBytes := make([]uint64, len(exs))
	for e, ex := range exs {
		preds[e] = make(map[string]string, len(ds.Pages))
		for i, p := range ds.Pages {
			text, err := ex.extract(bodies[i], urls[i])
			if err != nil {
				errs[e]++
				text = ""
			}
			preds[e][p.ID] = text
		}
	}
	var ms runtime.MemStats
	for range rounds {
		for e, ex := range exs {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			m0, b0 := ms.Mallocs, ms.TotalAlloc
			start := time.Now()
			for i := range ds.Pages {
				_, _ = ex.extract(bodies[i], urls[i])
			}
			times[e] = append(times[e], time.Since(start))
			runtime.ReadMemStats(&ms)
			mallocs[e] += ms.Mallocs - m0
			allocBytes[e] += ms.TotalAlloc - b0
		}
	}
	n := float64(len(ds.Pages))
	var rows []extractRow
	for e, ex := range exs {
		slices.Sort(times[e])
		r := extractRow{
			name: ex.name, score: ex.score, errors: errs[e],
			msPerPage:     float64(times[e][len(times[e])/2].Microseconds()) / 1000 / n,
			allocsPerPage: float64(mallocs[e]) / float64(rounds) / n,
			kibPerPage:    float64(allocBytes[e]) / float64(rounds) / n / 1024,
		}
		if ex.score {
			// Upstream deletes U+00AD from its Go extractors' output before scoring.
			r.res = eval.Score(truth, preds[e], eval.Options{DeleteSoftHyphens: true})
			r.spread = eval.Bootstrap(r.res.Pages, 1000, 1)
		}
		rows = append(rows, r)
	}
	fmt.Fprintf(w, "%d pages, one goroutine, median of %d interleaved timed passes after one untimed pass; allocations averaged over the timed passes; ± is the bootstrap standard deviation (1000 resamples, seed 1)\n\n", len(ds.Pages), rounds)
	fmt.Fprintln(w, "| extractor | ms/page | allocs/page | KiB allocated/page | F1 | precision | recall | errors |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		q := "– | – | –"
		if r.score {
			q = fmt.Sprintf("%.3f ± %.3f | %.3f ± %.3f | %.3f ± %.3f", r.res.F1, r.spread.F1, r.res.Precision, r.spread.Precision, r.res.Recall, r.spread.Recall)
		}
		fmt.Fprintf(w, "| %s | %.2f | %.0f | %.0f | %s | %d |\n", r.name, r.msPerPage, r.allocsPerPage, r.kibPerPage, q, r.errors)
	}
	perPage := map[string]float64{}
	for _, r := range rows {
		perPage[r.name] = r.msPerPage
	}
	fmt.Fprintf(w, "\n- winnow cleaner ÷ plain readeck/go-readability/v2, ms/page: **%.2f** (target ≤ 1.0)\n", perPage["winnow cleaner"]/perPage["readeck/go-readability/v2"])
	return rows, nil
}
