package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// crawlRun is one crawl of the generated site by one crawler.
type crawlRun struct {
	crawler string
	fetched int64 // pages the site served (robots.txt excluded)
	proc    procResult
}

func (r crawlRun) rate() float64       { return float64(r.fetched) / r.proc.wall.Seconds() }
func (r crawlRun) cpuPerPage() float64 { return r.proc.cpu.Seconds() / float64(r.fetched) }
func (r crawlRun) rssMiB() float64     { return float64(r.proc.rssKiB) / 1024 }

// crawlers are the contenders of part (b), in the order each round runs them.
type crawlEnv struct {
	winnow, self, python, scrapyScript, work string
	parallel, depth                          int
	haveScrapy                               bool
	cpuprofile                               string // when set, winnow's first crawl writes a CPU profile here
	crawls                                   int    // winnow crawls so far, which name their output directories
}

// articlePattern matches the site's article URLs (dated paths).
const articlePattern = `/\d{4}/\d{2}/\d{2}/`

func (e *crawlEnv) crawlOnce(s *site, base, who string, round int) (crawlRun, error) {
	before := s.served.Load()
	var (
		p   procResult
		err error
	)
	switch who {
	case "winnow crawl", "winnow crawl --warc":
		// Each crawl writes to a directory of its own, kept until the
		// bench ends (the work directory goes then): deleting a crawl's
		// thousands of files just before the next crawl made that crawl's
		// own file creations slower. On an ext4 without a journal the
		// kernel skips, when it allocates an inode, every inode freed in
		// the last minute (five when its block is still dirty), and
		// checking each one costs a lookup: in a crawl run right after
		// another's output was deleted, about 7 % of winnow's CPU went
		// there (perf). The peers, which write nothing, never pay it, and
		// a daemon pays it only when something deletes its output.
		e.crawls++
		out := filepath.Join(e.work, fmt.Sprintf("out-%d-%d-%d", s.n, round, e.crawls))
		args := []string{"crawl", "--allow-private", "--delay", "0", "--parallel", fmt.Sprint(e.parallel),
			"--depth", fmt.Sprint(e.depth), "--article", articlePattern, "--log-level", "warn", "--out", out}
		if who == "winnow crawl --warc" {
			warc := filepath.Join(e.work, fmt.Sprintf("warc-%d-%d-%d", s.n, round, e.crawls))
			args = append(args, "--warc", warc)
		}
		if e.cpuprofile != "" && round == 0 {
			args = append(args, "--cpuprofile", e.cpuprofile)
		}
		p, err = runProc(e.work, nil, e.winnow, append(args, base)...)
	case "colly fetch-only":
		p, err = runProc(e.work, nil, e.self, "colly-crawl", "-parallel", fmt.Sprint(e.parallel), "-depth", fmt.Sprint(e.depth), base)
	case "Scrapy fetch-only":
		p, err = runProc(e.work, nil, e.python, e.scrapyScript, base, fmt.Sprint(e.parallel), fmt.Sprint(e.depth))
	default:
		return crawlRun{}, fmt.Errorf("unknown crawler %q", who)
	}
	if err != nil {
		return crawlRun{}, err
	}
	r := crawlRun{crawler: who, fetched: s.served.Load() - before, proc: p}
	if r.fetched == 0 {
		return r, fmt.Errorf("%s fetched nothing", who)
	}
	return r, nil
}

// crawlBench runs every crawler on the same site, alternated round by
// round, then warcPairs more pairs of `winnow crawl` and `winnow crawl
// --warc`, and writes the table and the archive's overhead. With plainOnly
// set only winnow runs (the archive's overhead alone).
func crawlBench(w io.Writer, e *crawlEnv, s *site, rounds, warcPairs int, plainOnly bool) (map[string][]crawlRun, error) {
	base, stop, err := s.serve()
	if err != nil {
		return nil, err
	}
	defer stop()
	who := []string{"winnow crawl", "winnow crawl --warc", "colly fetch-only"}
	if plainOnly {
		who = who[:2]
	} else if e.haveScrapy {
		who = append(who, "Scrapy fetch-only")
	}
	runs := map[string][]crawlRun{}
	crawl := func(c string, round int) error {
		r, err := e.crawlOnce(s, base, c, round)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "  round %d  %-18s %6d pages  %6.1f pages/s  %5.2f ms CPU/page  %6.1f MiB\n",
			round+1, c, r.fetched, r.rate(), 1000*r.cpuPerPage(), r.rssMiB())
		runs[c] = append(runs[c], r)
		return nil
	}
	for round := range rounds {
		for _, c := range roundOrder(who, round) {
			if err := crawl(c, round); err != nil {
				return nil, err
			}
		}
	}
	// The extra pairs alternate which crawl goes first, so that a load
	// rising or falling through the run does not favour one side.
	for i := range warcPairs {
		pair := []string{"winnow crawl --warc", "winnow crawl"}
		if i%2 == 1 {
			pair[0], pair[1] = pair[1], pair[0]
		}
		for _, c := range pair {
			if err := crawl(c, rounds+i); err != nil {
				return nil, err
			}
		}
	}
	fmt.Fprintln(w, "| crawler | runs | pages fetched | pages/s | CPU ms/page | peak RSS MiB |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, c := range who {
		rs := runs[c]
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s |\n", c, len(rs),
			spread(rs, func(r crawlRun) float64 { return float64(r.fetched) }, "%.0f"),
			spread(rs, crawlRun.rate, "%.1f"),
			spread(rs, func(r crawlRun) float64 { return 1000 * r.cpuPerPage() }, "%.2f"),
			spread(rs, crawlRun.rssMiB, "%.1f"))
	}
	fmt.Fprintln(w)
	writeWarcOverhead(w, runs["winnow crawl"], runs["winnow crawl --warc"], rounds, warcPairs)
	if plainOnly {
		return runs, nil
	}
	ratio := func(peer string) {
		if len(runs[peer]) == 0 {
			return
		}
		var rs []float64
		for i := range rounds {
			rs = append(rs, runs["winnow crawl"][i].rate()/runs[peer][i].rate())
		}
		fmt.Fprintf(w, "- winnow ÷ %s, pages/s in the same round: %s\n", peer, fspread(rs, "%.2f"))
	}
	ratio("colly fetch-only")
	ratio("Scrapy fetch-only")
	if !e.haveScrapy {
		fmt.Fprintln(w, "- Scrapy: not measured (no python3 here imports scrapy; Debian package python3-scrapy)")
	}
	return runs, nil
}

// warcOverhead is the archive's cost in the pairs of crawls run back to
// back: pages/s lost by `--warc` in each pair and their median, and the
// CPU per page both ways (medians).
type warcOverhead struct {
	perPair               []float64 // % of pages/s lost
	median                float64
	plainCPU, warcCPU     float64 // ms/page
	cpuMedian, cpuPerPair []float64
}

func measureWarcOverhead(plain, warc []crawlRun) warcOverhead {
	var o warcOverhead
	var pc, wc []float64
	for i := range min(len(plain), len(warc)) {
		o.perPair = append(o.perPair, 100*(1-warc[i].rate()/plain[i].rate()))
		pc = append(pc, 1000*plain[i].cpuPerPage())
		wc = append(wc, 1000*warc[i].cpuPerPage())
		o.cpuPerPair = append(o.cpuPerPair, 1000*(warc[i].cpuPerPage()-plain[i].cpuPerPage()))
	}
	o.median, o.plainCPU, o.warcCPU = median(o.perPair), median(pc), median(wc)
	return o
}

// writeWarcOverhead writes the archive's overhead lines: each pair's, the
// median against the target, and the CPU per page as an extra figure.
func writeWarcOverhead(w io.Writer, plain, warc []crawlRun, rounds, extra int) {
	o := measureWarcOverhead(plain, warc)
	if len(o.perPair) == 0 {
		return
	}
	how := fmt.Sprintf("%d pairs of crawls run back to back", len(o.perPair))
	if rounds > 0 && extra > 0 {
		how = fmt.Sprintf("%d pairs of crawls run back to back (the %d rounds above, then %d more pairs alternating which runs first)", len(o.perPair), rounds, extra)
	}
	fmt.Fprintf(w, "- WARC archive overhead (`--warc`), pages/s lost against `winnow crawl` in %s: %s %%; median **%.1f %%** (target ≤ 15 %%)\n",
		how, joinf(o.perPair, "%.1f"), o.median)
	fmt.Fprintf(w, "- CPU per page in the same pairs (medians): `winnow crawl` %.2f ms, `--warc` %.2f ms; `--warc` − `winnow crawl` per pair: %s ms, median %+.2f ms\n",
		o.plainCPU, o.warcCPU, joinf(o.cpuPerPair, "%+.2f"), median(o.cpuPerPair))
}

func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func joinf(vs []float64, format string) string {
	var out []string
	for _, v := range vs {
		out = append(out, fmt.Sprintf(format, v))
	}
	return strings.Join(out, ", ")
}

// roundOrder returns the order in which round runs the crawlers of who
// (winnow crawl, winnow crawl --warc, then colly and Scrapy when compared).
// winnow crawl runs next to each crawler it is compared with in that
// round (colly for the rate, --warc for the overhead), and which of each
// pair runs first alternates from round to round, so that a change of the
// machine's load between two runs does not always favour the same side.
// Scrapy, the slowest by far, runs last.
func roundOrder(who []string, round int) []string {
	if len(who) < 3 { // winnow crawl and --warc alone
		if round%2 == 1 {
			return []string{who[1], who[0]}
		}
		return who
	}
	order := []string{who[2], who[0], who[1]} // colly, winnow, --warc
	if round%2 == 1 {
		order = []string{who[1], who[0], who[2]} // --warc, winnow, colly
	}
	return append(order, who[3:]...)
}

// spread formats the values of runs as "lo–hi" (one run: the value).
func spread(rs []crawlRun, f func(crawlRun) float64, format string) string {
	var vs []float64
	for _, r := range rs {
		vs = append(vs, f(r))
	}
	return fspread(vs, format)
}

func fspread(vs []float64, format string) string {
	if len(vs) == 0 {
		return "–"
	}
	lo, hi := slices.Min(vs), slices.Max(vs)
	if fmt.Sprintf(format, lo) == fmt.Sprintf(format, hi) {
		return fmt.Sprintf(format, lo)
	}
	return fmt.Sprintf(format+"–"+format, lo, hi)
}

// findScrapy returns the first Python interpreter that can import scrapy
// (Debian's python3-scrapy is for the system's /usr/bin/python3, which a
// python3 earlier in PATH may hide) and Scrapy's version.
func findScrapy() (python, version string, ok bool) {
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		out, err := exec.Command(py, "-c", "import scrapy; print(scrapy.__version__)").Output()
		if err == nil {
			return py, strings.TrimSpace(string(out)), true
		}
	}
	return "", "", false
}

// timeIt is a small helper for progress lines.
func timeIt(label string) func() {
	start := time.Now()
	fmt.Fprintf(os.Stderr, "%s ...\n", label)
	return func() { fmt.Fprintf(os.Stderr, "%s: %.1fs\n", label, time.Since(start).Seconds()) }
}
