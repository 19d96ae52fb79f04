package main

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"time"
)

// cleanOutFigure is `winnow clean --out` over the benchmark pages as a
// whole process: median wall and CPU time, highest peak RSS.
type cleanOutFigure struct {
	label      string
	wall, cpu  time.Duration
	rssMiB     float64
	pages      int
	runs       int
	workersArg []string
}

// cleanOutBench runs `winnow clean --out DIR` over the dataset's html/
// directory (gzipped pages, read and gunzipped by winnow) runs times with
// the default workers (one per CPU) and with --workers 1, alternated, each
// into a fresh output directory.
func cleanOutBench(bin, dataset, work string, runs int) ([]cleanOutFigure, error) {
	pages, err := filepath.Glob(filepath.Join(dataset, "html", "*.html.gz"))
	if err != nil || len(pages) == 0 {
		return nil, fmt.Errorf("no benchmark pages in %s: %v", dataset, err)
	}
	figs := []cleanOutFigure{
		{label: "`winnow clean --out DIR PAGES`"},
		{label: "`winnow clean --out DIR --workers 1 PAGES`", workersArg: []string{"--workers", "1"}},
	}
	walls := make([][]time.Duration, len(figs))
	cpus := make([][]time.Duration, len(figs))
	for r := range runs {
		for i := range figs {
			out := filepath.Join(work, fmt.Sprintf("clean-out-%d-%d", i, r))
			args := append([]string{"clean", "--log-level", "warn", "--out", out}, figs[i].workersArg...)
			// The output stays until the bench ends, as the crawls' do
			// (crawlOnce): thousands of files deleted here would slow the
			// file creations of the crawls that follow.
			p, err := runProc(work, nil, bin, append(args, filepath.Join(dataset, "html"))...)
			if err != nil {
				return nil, err
			}
			walls[i], cpus[i] = append(walls[i], p.wall), append(cpus[i], p.cpu)
			figs[i].rssMiB = max(figs[i].rssMiB, float64(p.rssKiB)/1024)
		}
	}
	for i := range figs {
		slices.Sort(walls[i])
		slices.Sort(cpus[i])
		figs[i].wall, figs[i].cpu = walls[i][len(walls[i])/2], cpus[i][len(cpus[i])/2]
		figs[i].pages, figs[i].runs = len(pages), runs
	}
	return figs, nil
}

// writeCleanOut writes the figures against readeck's in-process time for
// the same pages (its median ms/page in (a) × the pages).
func writeCleanOut(w io.Writer, figs []cleanOutFigure, readeckMsPerPage float64) {
	readeck := readeckMsPerPage * float64(figs[0].pages)
	fmt.Fprintf(w, "\n### `winnow clean --out` over the same %d pages as a whole process\n\n", figs[0].pages)
	fmt.Fprintf(w, "Start-up, reading and gunzipping the files, the site-template pass, cleaning and writing every document; median of %d runs alternated, against readeck go-readability alone in process over the same pages (its ms/page above × %d = %.0f ms).\n\n", figs[0].runs, figs[0].pages, readeck)
	fmt.Fprintln(w, "| command | median wall ms | median CPU ms | peak RSS MiB | wall ÷ readeck in process |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	for _, f := range figs {
		fmt.Fprintf(w, "| %s | %.0f | %.0f | %.1f | %.2f |\n", f.label, ms(f.wall), ms(f.cpu), f.rssMiB, ms(f.wall)/readeck)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
