package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// archiveBench measures rebuilding documents: `winnow reclean` over the
// WARC archive of a crawl of s against `winnow clean --out` over the same
// articles saved as files, rounds alternated. Both clean and write every
// article into a fresh output; reclean also reads the archive (gunzip, WARC
// parsing) and the section pages, for template learning, as a crawl does.
func archiveBench(w io.Writer, e *crawlEnv, s *site, rounds int) error {
	base, stop, err := s.serve()
	if err != nil {
		return err
	}
	warc := filepath.Join(e.work, "warc-reclean")
	out := filepath.Join(e.work, "out-warc")
	args := []string{"crawl", "--allow-private", "--delay", "0", "--parallel", fmt.Sprint(e.parallel),
		"--depth", fmt.Sprint(e.depth), "--article", articlePattern, "--log-level", "warn", "--out", out, "--warc", warc, base}
	_, err = runProc(e.work, nil, e.winnow, args...)
	stop()
	if err != nil {
		return err
	}
	// Every output here stays until the bench ends, as the crawls' do
	// (crawlOnce): thousands of files deleted between two runs would slow
	// the file creations of the next.
	pages := filepath.Join(e.work, "saved-pages")
	if err := os.MkdirAll(pages, 0o755); err != nil {
		return err
	}
	for i := range s.n {
		f, err := os.Create(filepath.Join(pages, "story-"+strconv.Itoa(i)+".html"))
		if err != nil {
			return err
		}
		s.article(f, i)
		if err := f.Close(); err != nil {
			return err
		}
	}
	type row struct {
		label string
		args  func(out string) []string
		runs  []procResult
	}
	rows := []*row{
		{label: "winnow clean --out DIR PAGES", args: func(out string) []string { return []string{"clean", "--log-level", "warn", "--out", out, pages} }},
		{label: "winnow reclean --out DIR WARC", args: func(out string) []string {
			return []string{"reclean", "--log-level", "warn", "--article", articlePattern, "--out", out, warc}
		}},
	}
	for round := range rounds {
		for k, r := range rows {
			out := filepath.Join(e.work, fmt.Sprintf("rebuild-%d-%d", round, k))
			p, err := runProc(e.work, nil, e.winnow, r.args(out)...)
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "  round %d  %-30s %6.2f ms/article  %5.2f ms CPU/article\n", round+1, r.label,
				1000*p.wall.Seconds()/float64(s.n), 1000*p.cpu.Seconds()/float64(s.n))
			r.runs = append(r.runs, p)
		}
	}
	perArticle := func(f func(procResult) float64) func(crawlRun) float64 {
		return func(c crawlRun) float64 { return 1000 * f(c.proc) / float64(s.n) }
	}
	fmt.Fprintln(w, "| command | wall ms/article | CPU ms/article | peak RSS MiB |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	for _, r := range rows {
		var cs []crawlRun
		for _, p := range r.runs {
			cs = append(cs, crawlRun{proc: p})
		}
		fmt.Fprintf(w, "| `%s` | %s | %s | %s |\n", r.label,
			spread(cs, perArticle(func(p procResult) float64 { return p.wall.Seconds() }), "%.2f"),
			spread(cs, perArticle(func(p procResult) float64 { return p.cpu.Seconds() }), "%.2f"),
			spread(cs, crawlRun.rssMiB, "%.1f"))
	}
	var ratios []float64
	for i := range rows[0].runs {
		ratios = append(ratios, rows[1].runs[i].wall.Seconds()/rows[0].runs[i].wall.Seconds())
	}
	fmt.Fprintf(w, "\n- reclean ÷ clean --out, wall time per article in the same round: %s (target ≤ 1.00)\n", fspread(ratios, "%.2f"))
	return nil
}
