// Command bench measures winnow beside its peers in one run and writes one
// table, with the machine's description, to a Markdown file:
//
//	(a) in process, over a dataset in the article-extraction-benchmark
//	    layout: winnow's cleaner, plain readeck go-readability v2 and
//	    go-trafilatura in ms/page and allocations/page, html.Parse alone as
//	    the floor, and each one's extraction quality (winnow/eval);
//	(b) a crawl of a generated loopback site of real-size article pages
//	    (the benchmark pages and the cleaner's golden pages, their links
//	    pointed into the site, their text varied per article) by the built
//	    `winnow crawl` (cleaning and writing everything), by a fetch-only
//	    colly crawler and by a fetch-only Scrapy CrawlSpider, alternated
//	    round by round: pages/s, CPU time per page, peak RSS;
//	(c) `winnow version` and `winnow clean` of one page as whole processes.
//
// It is a module of its own so that the peers it measures never enter
// winnow's dependencies. Run it from the repository with `make bench`.
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

type options struct {
	repo        string
	out         string
	rounds      int
	crawlRounds int
	warcPairs   int
	articles    int
	large       int
	parallel    int
	depth       int
	procRuns    int
	cpuprofile  string
	skipExtract bool
	only        string
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "colly-crawl" {
		if err := collyCrawl(os.Args[2:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench colly-crawl:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		if err := serveSite(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench serve:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.StringVar(&o.repo, "repo", "..", "winnow's repository (the binary is built from it, the pages read from its testdata)")
	flag.StringVar(&o.out, "out", "", "also write the results to this Markdown file")
	flag.IntVar(&o.rounds, "rounds", 3, "timed in-process passes over the benchmark pages per extractor; the median is reported")
	flag.IntVar(&o.crawlRounds, "crawl-rounds", 3, "rounds of the crawl comparison (each runs every crawler once); the ratios' median round is the verdict")
	flag.IntVar(&o.warcPairs, "warc-pairs", 3, "pairs of `winnow crawl` and `winnow crawl --warc` run back to back after the rounds, for the archive's overhead (each round is a pair too)")
	flag.IntVar(&o.articles, "articles", 2000, "articles of the generated site")
	flag.IntVar(&o.large, "large", 0, "also crawl a site of this many articles with winnow once, for the RSS growth check (0: skip)")
	flag.IntVar(&o.parallel, "parallel", 8, "concurrent requests of every crawler")
	flag.IntVar(&o.depth, "depth", 3, "link depth of every crawler (the seed is depth 0)")
	flag.IntVar(&o.procRuns, "proc-runs", 10, "runs of each whole-process measurement; the median wall time is reported")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of winnow's first crawl to this file (winnow crawl --cpuprofile)")
	flag.BoolVar(&o.skipExtract, "skip-extract", false, "skip part (a), the in-process extractor table")
	flag.StringVar(&o.only, "only", "", "run only these parts, e.g. a or a,c (default: all); reclean: only the reclean ÷ clean --out comparison of part b; warc: only the archive's overhead (winnow's crawls of part b, rounds and pairs)")
	flag.Parse()
	if o.rounds < 1 || o.crawlRounds < 1 || o.articles < perSection || o.procRuns < 1 || o.warcPairs < 0 {
		fmt.Fprintln(os.Stderr, "bench: -rounds, -crawl-rounds and -proc-runs must be at least 1, -warc-pairs at least 0, -articles at least", perSection)
		os.Exit(2)
	}
	var buf bytes.Buffer
	err := run(o, &buf)
	os.Stdout.Write(buf.Bytes())
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if o.out != "" {
		if err := os.WriteFile(o.out, buf.Bytes(), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
}

func run(o options, w io.Writer) error {
	repo, err := filepath.Abs(o.repo)
	if err != nil {
		return err
	}
	dataset := filepath.Join(repo, "testdata", "article-extraction-benchmark")
	golden := filepath.Join(repo, "cleaner", "testdata")
	work, err := os.MkdirTemp("", "winnow-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	python, scrapyVersion, scrapyOK := findScrapy()

	done := timeIt("build winnow")
	bin := filepath.Join(work, "winnow")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "./cmd/winnow")
	build.Dir, build.Stderr = repo, os.Stderr
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if err := build.Run(); err != nil {
		return fmt.Errorf("build winnow: %w", err)
	}
	done()

	started := time.Now()
	fmt.Fprintln(w, "# winnow benchmark")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Measured by `make bench` (bench/, a module of its own) on %s.\n\n", started.UTC().Format("2006-01-02 15:04 MST"))
	machine(w, repo, scrapyVersion)

	// targets collects each issue target against this run's figures.
	var targets []string
	target := func(what string, ok bool) {
		verdict := "not met"
		if ok {
			verdict = "met"
		}
		targets = append(targets, fmt.Sprintf("- %s: **%s**", what, verdict))
	}
	part := func(name string) bool {
		return o.only == "" || slices.Contains(strings.Split(o.only, ","), name)
	}
	if !o.skipExtract && part("a") {
		fmt.Fprintln(w, "\n## (a) Extraction in process")
		fmt.Fprintln(w)
		done = timeIt("extractors in process")
		rows, err := extractBench(w, dataset, o.rounds)
		if err != nil {
			return err
		}
		perPage := map[string]float64{}
		for _, r := range rows {
			perPage[r.name] = r.msPerPage
		}
		ratio := perPage["winnow cleaner"] / perPage["readeck/go-readability/v2"]
		target(fmt.Sprintf("cleaner ÷ plain readeck go-readability, ms/page in process ≤ 1.0: %.2f", ratio), ratio <= 1.0)
		done()

		done = timeIt("clean --out over the benchmark pages")
		figs, err := cleanOutBench(bin, dataset, work, o.procRuns)
		if err != nil {
			return err
		}
		writeCleanOut(w, figs, perPage["readeck/go-readability/v2"])
		r := ms(figs[0].wall) / (perPage["readeck/go-readability/v2"] * float64(figs[0].pages))
		target(fmt.Sprintf("`winnow clean --out` over the %d pages as a whole process ÷ readeck go-readability alone in process, wall ≤ 1.2: %.2f", figs[0].pages, r), r <= 1.2)
		done()
	}
	if part("b") || part("reclean") || part("warc") {
		if err := crawlPart(w, o, runEnv{bin: bin, self: self, python: python, scrapyOK: scrapyOK, repo: repo, dataset: dataset, golden: golden, work: work}, target); err != nil {
			return err
		}
	}
	if part("c") {
		fmt.Fprintln(w, "\n## (c) Whole processes")
		fmt.Fprintln(w)
		done = timeIt("whole processes")
		procs, err := procBench(w, bin, dataset, work, o.procRuns)
		if err != nil {
			return err
		}
		done()
		if len(procs) == 2 {
			target(fmt.Sprintf("`winnow version` ≤ 30 ms and ≤ 25 MiB: %.1f ms, %.1f MiB", procs[0].ms, procs[0].mib), procs[0].ms <= 30 && procs[0].mib <= 25)
			target(fmt.Sprintf("`winnow clean` of one page ≤ 60 ms: %.1f ms", procs[1].ms), procs[1].ms <= 60)
		}
	}
	return finish(w, targets, started)
}

// finish writes the targets against this run and the run's duration.
func finish(w io.Writer, targets []string, started time.Time) error {
	fmt.Fprintln(w, "\n## Targets against this run")
	fmt.Fprintln(w)
	fmt.Fprintln(w, strings.Join(targets, "\n"))
	fmt.Fprintf(w, "\nThe whole run took %.0f s.\n", time.Since(started).Seconds())
	return nil
}

// runEnv is what the crawl part needs of the run.
type runEnv struct {
	bin, self, python, repo, dataset, golden, work string
	scrapyOK                                       bool
}

// crawlPart is part (b): the crawl comparison, the reclean comparison and,
// with -large, the RSS growth check; with -only reclean, the reclean
// comparison alone.
func crawlPart(w io.Writer, o options, e runEnv, target func(string, bool)) error {
	bin, self, python, scrapyOK, repo, dataset, golden, work := e.bin, e.self, e.python, e.scrapyOK, e.repo, e.dataset, e.golden, e.work
	only := strings.Split(o.only, ",")
	onlyReclean := o.only != "" && !slices.Contains(only, "b") && slices.Contains(only, "reclean")
	onlyWarc := o.only != "" && !slices.Contains(only, "b") && !onlyReclean
	fmt.Fprintln(w, "\n## (b) Crawl of a generated loopback site")
	fmt.Fprintln(w)
	done := timeIt("load site templates")
	tpls, titles, err := loadTemplates(dataset, golden)
	if err != nil {
		return err
	}
	done()
	env := &crawlEnv{winnow: bin, self: self, python: python, scrapyScript: filepath.Join(repo, "bench", "scrapy_crawl.py"), work: work,
		parallel: o.parallel, depth: o.depth, haveScrapy: scrapyOK, cpuprofile: o.cpuprofile}
	small := newSite(o.articles, tpls, titles)
	// reclean is the reclean comparison: its heading and its table.
	reclean := func() error {
		fmt.Fprintln(w, "\n### Rebuilding the documents: `winnow reclean` against `winnow clean --out`")
		fmt.Fprintln(w)
		defer timeIt("reclean comparison")()
		return archiveBench(w, env, small, o.crawlRounds)
	}
	if onlyReclean {
		fmt.Fprintf(w, "%d articles made from %d real pages (%s), %d section pages and a front page, crawled once with `--warc`; %d rounds.\n",
			o.articles, len(tpls), sizes(small), small.sections, o.crawlRounds)
		return reclean()
	}
	intro, step := "%d articles made from %d real pages (%s), %d section pages and a front page; parallel %d, no delay, depth %d, robots.txt obeyed, %d rounds (in each, winnow crawl runs between colly and `--warc`, which of the two going first flips every round, Scrapy last), then %d more pairs of `winnow crawl` and `winnow crawl --warc` for the archive's overhead. winnow crawls with `--article '%s'` and cleans and writes every article (fresh output and state each time, all kept until the bench ends: an ext4 without a journal skips the inodes freed in the last minutes when it allocates one, so a crawl right after thousands of files were deleted, a previous bench's included, is slower); the peers only fetch and extract links. Pages are counted by the site (robots.txt excluded); CPU time and peak RSS come from each process's rusage, wall time from start to exit.\n\n",
		"crawl comparison"
	if onlyWarc {
		intro, step = "%d articles made from %d real pages (%s), %d section pages and a front page; parallel %d, no delay, depth %d, robots.txt obeyed; `winnow crawl` and `winnow crawl --warc` in %d rounds and %d more pairs run back to back, with `--article '%s'`, cleaning and writing every article (fresh output and state each time, all kept until the bench ends). Pages are counted by the site (robots.txt excluded); CPU time and peak RSS come from each process's rusage, wall time from start to exit.\n\n",
			"WARC archive overhead"
	}
	fmt.Fprintf(w, intro, o.articles, len(tpls), sizes(small), small.sections, o.parallel, o.depth, o.crawlRounds, o.warcPairs, articlePattern)
	done = timeIt(step)
	runs, err := crawlBench(w, env, small, o.crawlRounds, o.warcPairs, onlyWarc)
	if err != nil {
		return err
	}
	done()
	warcTarget(runs, target)
	if onlyWarc {
		return nil
	}
	if err := reclean(); err != nil {
		return err
	}
	smallRSS := slices.Max(rssOf(runs["winnow crawl"]))
	for _, c := range []struct {
		peer string
		min  float64
	}{{"colly fetch-only", 0.60}, {"Scrapy fetch-only", 3}} {
		if len(runs[c.peer]) == 0 {
			continue
		}
		var rs []float64
		for i := range runs[c.peer] {
			rs = append(rs, runs["winnow crawl"][i].rate()/runs[c.peer][i].rate())
		}
		slices.Sort(rs)
		med := rs[len(rs)/2]
		target(fmt.Sprintf("winnow crawl ÷ %s pages/s ≥ %.2f (median round): %.2f", c.peer, c.min, med), med >= c.min)
	}
	target(fmt.Sprintf("winnow crawl peak RSS ≤ 60 MiB at %d articles (highest of %d runs): %.1f MiB", o.articles, len(runs["winnow crawl"]), smallRSS), smallRSS <= 60)
	if o.large > 0 {
		done = timeIt("large crawl")
		large := newSite(o.large, tpls, titles)
		base, stop, err := large.serve()
		if err != nil {
			return err
		}
		env.cpuprofile = ""
		r, err := env.crawlOnce(large, base, "winnow crawl", 0)
		stop()
		if err != nil {
			return err
		}
		done()
		target(fmt.Sprintf("peak RSS at %d articles ≤ 1.10 × at %d: %.2f", o.large, o.articles, r.rssMiB()/smallRSS), r.rssMiB()/smallRSS <= 1.10)
		fmt.Fprintf(w, "\nRSS growth: winnow crawl of a %d-article site: %d pages, %.1f pages/s, %.2f ms CPU/page, peak RSS %.1f MiB = **%.2f×** the %d-article crawl's highest (target ≤ 1.10)\n",
			o.large, r.fetched, r.rate(), 1000*r.cpuPerPage(), r.rssMiB(), r.rssMiB()/smallRSS, o.articles)
	}

	return nil
}

// warcTarget adds the archive's overhead target: the median of the pairs.
func warcTarget(runs map[string][]crawlRun, target func(string, bool)) {
	o := measureWarcOverhead(runs["winnow crawl"], runs["winnow crawl --warc"])
	target(fmt.Sprintf("WARC archive overhead on crawl pages/s ≤ 15 %% (median of %d pairs): %.1f %%", len(o.perPair), o.median), o.median <= 15)
}

// serveSite serves the generated site until interrupted, for profiling a
// crawl by hand: bench serve -articles 2000 -addr 127.0.0.1:8099
func serveSite(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	repo := fs.String("repo", "..", "winnow's repository")
	n := fs.Int("articles", 2000, "articles of the site")
	addr := fs.String("addr", "127.0.0.1:8099", "loopback address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tpls, titles, err := loadTemplates(filepath.Join(*repo, "testdata", "article-extraction-benchmark"), filepath.Join(*repo, "cleaner", "testdata"))
	if err != nil {
		return err
	}
	s := newSite(*n, tpls, titles)
	fmt.Fprintf(os.Stderr, "serving %d articles on http://%s/\n", *n, *addr)
	return http.ListenAndServe(*addr, s)
}

func rssOf(rs []crawlRun) []float64 {
	var out []float64
	for _, r := range rs {
		out = append(out, r.rssMiB())
	}
	return out
}

// sizes describes the article sizes of a site.
func sizes(s *site) string {
	var ns []int
	for i := range min(s.n, len(s.templates)) {
		var b bytes.Buffer
		s.article(&b, i)
		ns = append(ns, b.Len())
	}
	slices.Sort(ns)
	return fmt.Sprintf("%d–%d KiB, median %d KiB", ns[0]/1024, ns[len(ns)-1]/1024, ns[len(ns)/2]/1024)
}

// procBench runs `winnow version` and `winnow clean` of one benchmark page
// as whole processes.
// procFigure is one whole-process measurement: median wall, highest RSS.
type procFigure struct{ ms, mib float64 }

func procBench(w io.Writer, bin, dataset, work string, runs int) ([]procFigure, error) {
	files, err := filepath.Glob(filepath.Join(dataset, "html", "*.html.gz"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no benchmark pages in %s: %v", dataset, err)
	}
	slices.Sort(files)
	page := filepath.Join(work, "page.html")
	if err := gunzip(files[0], page); err != nil {
		return nil, err
	}
	var out []procFigure
	fmt.Fprintln(w, "| command | median wall ms | highest peak RSS MiB | runs |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	for _, c := range []struct {
		label string
		args  []string
	}{
		{"winnow version", []string{"version"}},
		{"winnow clean PAGE (" + filepath.Base(files[0])[:12] + "…, one benchmark page)", []string{"clean", page}},
	} {
		var walls []time.Duration
		var rss int64
		for range runs {
			p, err := runProc(work, nil, bin, c.args...)
			if err != nil {
				return nil, err
			}
			walls = append(walls, p.wall)
			rss = max(rss, p.rssKiB)
		}
		slices.Sort(walls)
		f := procFigure{ms: float64(walls[len(walls)/2].Microseconds()) / 1000, mib: float64(rss) / 1024}
		out = append(out, f)
		fmt.Fprintf(w, "| `%s` | %.1f | %.1f | %d |\n", c.label, f.ms, f.mib, runs)
	}
	return out, nil
}

func gunzip(src, dst string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// machine describes where the figures were measured.
func machine(w io.Writer, repo, scrapy string) {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "MemTotal:") {
				var kib int64
				fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "MemTotal:")), "%d", &kib)
				mem = fmt.Sprintf(", %.1f GiB memory", float64(kib)/(1<<20))
			}
		}
	}
	kernel := ""
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = ", Linux " + strings.TrimSpace(string(b))
	}
	commit := "unknown"
	if out, err := exec.Command("git", "-C", repo, "describe", "--always", "--dirty").Output(); err == nil {
		commit = strings.TrimSpace(string(out))
	}
	if scrapy == "" {
		scrapy = "not installed"
	}
	var load string
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			load = fmt.Sprintf("; load average at the start %s %s %s", f[0], f[1], f[2])
		}
	}
	fmt.Fprintf(w, "Machine: %s, %d logical CPUs%s%s, %s/%s; %s; winnow %s; Scrapy %s%s.\n",
		cpu, runtime.NumCPU(), mem, kernel, runtime.GOOS, runtime.GOARCH, runtime.Version(), commit, scrapy, load)
}
