package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sort"
	"sync"
	"text/tabwriter"
	"time"

	"golang.org/x/sync/errgroup"

	"winnow/cleaner"
	"winnow/eval"
)

type evalOptions struct {
	dataset   string
	split     string
	ablate    bool
	workers   int
	worst     int
	json      bool
	bootstrap int
	log       logFlags
}

func cmdEval(ctx context.Context, args []string, s streams) error {
	var o evalOptions
	fs := newFlagSet("eval", "--dataset DIR [--split dev|test|all] [--ablate] [flags]", s)
	fs.StringVar(&o.dataset, "dataset", "", "dataset directory in the article-extraction-benchmark layout (html/, ground-truth.json)")
	fs.StringVar(&o.split, "split", eval.SplitAll, "score only one half of the dataset: dev (tuned on), test (only scored) or all; the halves are fixed by each page's site")
	fs.BoolVar(&o.ablate, "ablate", false, "also score the cleaner with each part switched off in turn (structure, phrases, template, second extractor)")
	fs.IntVar(&o.workers, "workers", runtime.GOMAXPROCS(0), "pages cleaned at once")
	fs.IntVar(&o.worst, "worst", 0, "list the `K` pages with the lowest F1")
	fs.BoolVar(&o.json, "json", false, "print the result as one JSON object")
	fs.IntVar(&o.bootstrap, "bootstrap", 1000, "bootstrap resamples for the ± figures (0: none)")
	o.log.register(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return usagef("eval: unexpected argument %q", rest[0])
	case o.dataset == "":
		return usagef("eval: --dataset is required")
	case o.workers < 1:
		return usagef("eval: --workers %d: want at least 1", o.workers)
	case o.worst < 0:
		return usagef("eval: --worst %d: want 0 or more", o.worst)
	case o.bootstrap < 0:
		return usagef("eval: --bootstrap %d: want 0 or more", o.bootstrap)
	case o.split != eval.SplitAll && o.split != eval.SplitDev && o.split != eval.SplitTest:
		return usagef("eval: --split %q: want dev, test or all", o.split)
	}
	return runEval(ctx, o, s.stdout, s.stderr)
}

// evalReport is what `winnow eval` prints.
type evalReport struct {
	Dataset     string         `json:"dataset"`
	Split       string         `json:"split"`
	Pages       int            `json:"pages"`
	Precision   float64        `json:"precision"`
	Recall      float64        `json:"recall"`
	F1          float64        `json:"f1"`
	Accuracy    float64        `json:"accuracy"`
	Spread      *eval.Spread   `json:"bootstrap_stdev,omitempty"`
	Halves      []scoreRow     `json:"halves,omitempty"`
	Ablation    []scoreRow     `json:"ablation,omitempty"`
	Errors      int            `json:"errors"`
	ErrorKinds  map[string]int `json:"error_kinds"`
	Seconds     float64        `json:"seconds"`
	PagesPerSec float64        `json:"pages_per_second"`
	MsPerPage   float64        `json:"ms_per_page"`
	Workers     int            `json:"workers"`
	Worst       []worstPage    `json:"worst,omitempty"`
	SoftHyphens string         `json:"soft_hyphens"`
	Resamples   int            `json:"bootstrap_resamples,omitempty"`
}

// scoreRow is the score of one cleaner configuration on one split.
type scoreRow struct {
	Off       string  `json:"off,omitempty"` // the part switched off; "" = none
	Split     string  `json:"split"`
	Pages     int     `json:"pages"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Accuracy  float64 `json:"accuracy"`
	Errors    int     `json:"errors"`
	MsPerPage float64 `json:"ms_per_page"`
}

type worstPage struct {
	ID        string  `json:"id"`
	URL       string  `json:"url"`
	F1        float64 `json:"f1"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	Error     string  `json:"error,omitempty"`
}

// ablations are the configurations `--ablate` compares, all on first.
func ablations() []ablation {
	return []ablation{
		{"", cleaner.Ablation{}},
		{"structure", cleaner.Ablation{Structure: true}},
		{"phrases", cleaner.Ablation{Phrases: true}},
		{"template", cleaner.Ablation{Template: true}},
		{"second_extractor", cleaner.Ablation{SecondExtractor: true}},
	}
}

type ablation struct {
	off string
	abl cleaner.Ablation
}

// cleaned is one run of a cleaner over the pages.
type cleaned struct {
	preds   map[string]string
	errs    map[string]string // page id → error
	kinds   map[string]int
	elapsed time.Duration
}

// cleanPages cleans every page with cl on o.workers workers.
func cleanPages(ctx context.Context, cl *cleaner.Cleaner, pages []eval.Page, bodies [][]byte, workers int, log *slog.Logger) (cleaned, error) {
	out := cleaned{preds: make(map[string]string, len(pages)), errs: map[string]string{}, kinds: map[string]int{}}
	var mu sync.Mutex
	idx := make(chan int)
	g, gctx := errgroup.WithContext(ctx)
	start := time.Now()
	g.Go(func() error {
		defer close(idx)
		for i := range pages {
			select {
			case idx <- i:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for range workers {
		g.Go(func() error {
			for i := range idx {
				p := pages[i]
				ct := p.ContentType
				if ct == "" {
					ct = "text/html; charset=utf-8"
				}
				doc, _, err := cl.Clean(cleaner.Input{Body: bodies[i], URL: p.URL, ContentType: ct})
				mu.Lock()
				if err != nil {
					out.errs[p.ID] = err.Error()
					out.kinds[errorKind(err)]++
					log.Warn("clean failed; scored as an empty prediction", "component", "eval", "id", p.ID, "url", p.URL, "err", err)
				} else {
					out.preds[p.ID] = doc.Text()
				}
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return out, fmt.Errorf("eval: %w", err)
	}
	out.elapsed = time.Since(start)
	return out, nil
}

// score scores a run on the pages of one split.
func (c cleaned) score(pages []eval.Page, split string) eval.Result {
	truth := make(map[string]string, len(pages))
	for _, p := range pages {
		if split == eval.SplitAll || eval.SplitOf(p) == split {
			truth[p.ID] = p.Truth
		}
	}
	// Upstream deletes U+00AD from its Go extractors' output before scoring.
	return eval.Score(truth, c.preds, eval.Options{DeleteSoftHyphens: true})
}

func (c cleaned) row(pages []eval.Page, split, off string, workers int) scoreRow {
	res := c.score(pages, split)
	errs := 0
	for _, p := range res.Pages {
		if c.errs[p.ID] != "" {
			errs++
		}
	}
	return scoreRow{
		Off: off, Split: split, Pages: len(res.Pages),
		Precision: res.Precision, Recall: res.Recall, F1: res.F1, Accuracy: res.Accuracy, Errors: errs,
		MsPerPage: c.elapsed.Seconds() * 1000 * float64(workers) / float64(max(len(pages), 1)),
	}
}

// reportedSplits are the splits a report shows separately: both halves
// when all pages are scored.
func reportedSplits(split string) []string {
	if split == eval.SplitAll {
		return []string{eval.SplitDev, eval.SplitTest, eval.SplitAll}
	}
	return []string{split}
}

func runEval(ctx context.Context, o evalOptions, stdout, stderr io.Writer) error {
	log, err := o.log.logger(stderr)
	if err != nil {
		return err
	}
	ds, err := eval.LoadDataset(o.dataset)
	if err != nil {
		return usageError{fmt.Errorf("eval: --dataset: %w", err)}
	}
	if ds, err = ds.Subset(o.split); err != nil {
		return usageError{fmt.Errorf("eval: --split: %w", err)}
	}
	pages := ds.Pages
	// Read every page first so the timing covers cleaning only.
	bodies := make([][]byte, len(pages))
	for i, p := range pages {
		if bodies[i], err = p.HTML(); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
	}

	run, err := cleanPages(ctx, cleaner.New(cleaner.Options{}), pages, bodies, o.workers, log)
	if err != nil {
		return err
	}
	res := run.score(pages, eval.SplitAll)
	rep := evalReport{
		Dataset: o.dataset, Split: o.split, Pages: len(pages),
		Precision: res.Precision, Recall: res.Recall, F1: res.F1, Accuracy: res.Accuracy,
		Errors: len(run.errs), ErrorKinds: run.kinds,
		Seconds: run.elapsed.Seconds(), Workers: o.workers,
		PagesPerSec: float64(len(pages)) / run.elapsed.Seconds(),
		MsPerPage:   run.elapsed.Seconds() * 1000 * float64(o.workers) / float64(max(len(pages), 1)),
		SoftHyphens: "deleted from predictions",
		Resamples:   o.bootstrap,
	}
	if o.bootstrap > 0 {
		sp := eval.Bootstrap(res.Pages, o.bootstrap, 1)
		rep.Spread = &sp
	}
	if o.split == eval.SplitAll {
		for _, sp := range []string{eval.SplitDev, eval.SplitTest} {
			rep.Halves = append(rep.Halves, run.row(pages, sp, "", o.workers))
		}
	}
	if o.ablate {
		for _, a := range ablations() {
			r := run
			if a.abl != (cleaner.Ablation{}) {
				r, err = cleanPages(ctx, cleaner.New(cleaner.Options{Off: a.abl}), pages, bodies, o.workers, log.With("off", a.off))
				if err != nil {
					return err
				}
			}
			for _, sp := range reportedSplits(o.split) {
				rep.Ablation = append(rep.Ablation, r.row(pages, sp, a.off, o.workers))
			}
		}
	}
	urls := make(map[string]string, len(pages))
	for _, p := range pages {
		urls[p.ID] = p.URL
	}
	for _, p := range res.Worst(o.worst) {
		rep.Worst = append(rep.Worst, worstPage{ID: p.ID, URL: urls[p.ID], F1: p.F1(), Precision: p.Precision, Recall: p.Recall, Error: run.errs[p.ID]})
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printEval(stdout, rep)
	return nil
}

// errorKind names a cleaner error by the sentinel it wraps.
func errorKind(err error) string {
	switch {
	case errors.Is(err, cleaner.ErrNotArticle):
		return "not_article"
	case errors.Is(err, cleaner.ErrTooLarge):
		return "too_large"
	case errors.Is(err, cleaner.ErrNotHTML):
		return "not_html"
	}
	return "other"
}

func printEval(w io.Writer, r evalReport) {
	pm := func(v, sd float64) string {
		if r.Spread == nil {
			return fmt.Sprintf("%.3f", v)
		}
		return fmt.Sprintf("%.3f ± %.3f", v, sd)
	}
	var sp eval.Spread
	if r.Spread != nil {
		sp = *r.Spread
	}
	fmt.Fprintf(w, "dataset    %s (%s: %d pages)\n", r.Dataset, r.Split, r.Pages)
	fmt.Fprintf(w, "F1         %s\n", pm(r.F1, sp.F1))
	fmt.Fprintf(w, "precision  %s\n", pm(r.Precision, sp.Precision))
	fmt.Fprintf(w, "recall     %s\n", pm(r.Recall, sp.Recall))
	fmt.Fprintf(w, "accuracy   %s\n", pm(r.Accuracy, sp.Accuracy))
	fmt.Fprintf(w, "errors     %d", r.Errors)
	if r.Errors > 0 {
		kinds := make([]string, 0, len(r.ErrorKinds))
		for k := range r.ErrorKinds {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		fmt.Fprint(w, " (scored as empty:")
		for _, k := range kinds {
			fmt.Fprintf(w, " %s %d", k, r.ErrorKinds[k])
		}
		fmt.Fprint(w, ")")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "time       %.2fs, %.1f pages/s, %.2f ms/page per worker (%d workers)\n", r.Seconds, r.PagesPerSec, r.MsPerPage, r.Workers)
	if r.Spread != nil {
		fmt.Fprintf(w, "±          standard deviation over %d bootstrap resamples (seed 1)\n", r.Resamples)
	}
	if len(r.Halves) > 0 {
		fmt.Fprintf(w, "\nby half:\n")
		printRows(w, r.Halves, false)
	}
	if len(r.Ablation) > 0 {
		fmt.Fprintf(w, "\nablation (each part switched off in turn; ΔF1 against all on, same split):\n")
		printRows(w, r.Ablation, true)
	}
	if len(r.Worst) > 0 {
		fmt.Fprintf(w, "\nworst %d pages by F1:\n%-6s %-6s %-6s  %-16s  %s\n", len(r.Worst), "F1", "P", "R", "id", "url")
		for _, p := range r.Worst {
			fmt.Fprintf(w, "%.3f  %.3f  %.3f   %-16s  %s", p.F1, p.Precision, p.Recall, p.ID[:min(16, len(p.ID))], p.URL)
			if p.Error != "" {
				fmt.Fprintf(w, "  [%s]", p.Error)
			}
			fmt.Fprintln(w)
		}
	}
}

// printRows prints score rows as a table; with off, the part switched off
// and the F1 change against the all-on row of the same split.
func printRows(w io.Writer, rows []scoreRow, off bool) {
	base := map[string]float64{}
	for _, r := range rows {
		if r.Off == "" {
			base[r.Split] = r.F1
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if off {
		fmt.Fprint(tw, "off\t")
	}
	fmt.Fprint(tw, "split\tpages\tF1\tprecision\trecall\taccuracy\terrors\tms/page")
	if off {
		fmt.Fprint(tw, "\tΔF1")
	}
	fmt.Fprintln(tw)
	for _, r := range rows {
		if off {
			name := r.Off
			if name == "" {
				name = "none (all on)"
			}
			fmt.Fprintf(tw, "%s\t", name)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%d\t%.2f", r.Split, r.Pages, r.F1, r.Precision, r.Recall, r.Accuracy, r.Errors, r.MsPerPage)
		if off {
			fmt.Fprintf(tw, "\t%+.3f", r.F1-base[r.Split])
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}
