package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"winnow/cleaner"
	"winnow/config"
	"winnow/crawler"
	"winnow/daemon"
	"winnow/metrics"
	"winnow/output"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// crawlOptions are the flags of `winnow crawl`.
type crawlOptions struct {
	configPath, job, out, format, state, userAgent string
	warc                                           string // --warc DIR

	depth, maxPages, parallel int
	delay, timeout            time.Duration
	retries                   int

	allow, deny, article, sitemaps, feeds stringList
	ignoreRobots, allowPrivate            bool
	markdownLinks                         bool

	minWords int
	langs    stringList

	progressEvery time.Duration // log-line interval when stderr is not a terminal
	log           logFlags
	profile       cpuProfile
	urls          []string
	set           map[string]bool // flags given on the command line
}

func cmdCrawl(ctx context.Context, args []string, s streams) error {
	d := config.DefaultSettings()
	o := crawlOptions{}
	fs := newFlagSet("crawl", "[--config FILE] [--job NAME] [--out DIR] [flags] [URL...]", s)
	fs.StringVar(&o.configPath, "config", "", "configuration file: take the job's settings from it")
	fs.StringVar(&o.job, "job", "", "job of the configuration to run (default: its only job); the job name without --config")
	fs.StringVar(&o.out, "out", config.DefaultOutputDir, "output directory")
	fs.StringVar(&o.format, "format", config.DefaultFormat, "document format: "+output.Formats)
	fs.BoolVar(&o.markdownLinks, "markdown-links", false, "with --format markdown, write links as [text](URL)")
	fs.StringVar(&o.warc, "warc", "", "archive every response as WARC/1.1 files in `DIR` (rotated at 1GiB, or the config's archive.max_size)")
	fs.StringVar(&o.state, "state", "", "incremental state file (default <out>/.winnow/state.db; with --config and no --out, the config's state)")
	fs.StringVar(&o.userAgent, "user-agent", d.UserAgent, "User-Agent header")
	fs.IntVar(&o.depth, "depth", d.MaxDepth, "how many links deep to follow from the seeds")
	fs.IntVar(&o.maxPages, "max-pages", d.MaxPages, "stop after this many fetches (0: no limit)")
	fs.IntVar(&o.parallel, "parallel", d.Parallel, "concurrent requests")
	fs.DurationVar(&o.delay, "delay", d.Delay, "delay between requests to one host")
	fs.DurationVar(&o.timeout, "timeout", d.Timeout, "per-request timeout")
	fs.IntVar(&o.retries, "retries", d.Retries, "retries of a fetch that timed out or got 408, 429 or 5xx")
	fs.Var(&o.allow, "allow", "regular expression of URLs to follow (repeatable; default: the seeds' hosts)")
	fs.Var(&o.deny, "deny", "regular expression of URLs never to fetch (repeatable)")
	fs.Var(&o.article, "article", "regular expression of article URLs to clean and write (repeatable; default: every page)")
	fs.Var(&o.sitemaps, "sitemap", "sitemap URL to read (repeatable)")
	fs.Var(&o.feeds, "feed", "RSS, Atom or JSON feed URL to read (repeatable)")
	fs.BoolVar(&o.ignoreRobots, "ignore-robots", false, "do not obey robots.txt")
	fs.BoolVar(&o.allowPrivate, "allow-private", false, "allow loopback, private and link-local targets")
	fs.IntVar(&o.minWords, "min-words", config.DefaultFilter().MinWords, "do not write articles of fewer than `N` words (each Chinese, Japanese or Thai character counts as one); 0: no minimum")
	fs.Var(&o.langs, "lang", "write only articles in language `CODE` (ISO 639-1); repeatable or comma-separated (--lang en,de); articles of unknown language are written (default: any language)")
	fs.DurationVar(&o.progressEvery, "progress-interval", 5*time.Second, "interval of progress log lines when stderr is not a terminal")
	o.log.register(fs)
	o.profile.register(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	o.urls = rest
	o.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })

	// On a terminal, log lines go through the live progress line, which
	// steps aside for them.
	pr := newProgressReporter(s.stderr, o.progressEvery)
	logOut := io.Writer(s.stderr)
	if pr.bar != nil {
		logOut = pr
	}
	log, err := o.log.logger(logOut)
	if err != nil {
		return err
	}
	pr.log = log
	opts, stateCfg, err := o.runOptions(s)
	if err != nil {
		return err
	}
	if err := output.CheckFormat(o.format); err != nil {
		return usagef("--format: %v", err)
	}
	tuneCrawlGC()
	return o.profile.run(func() error { return runCrawl(ctx, o, opts, stateCfg, log, pr, s) })
}

// runOptions builds the crawl from the config's job (when given), the
// flags set on the command line and the URLs.
func (o *crawlOptions) runOptions(s streams) (daemon.RunOptions, config.State, error) {
	var (
		opts daemon.RunOptions
		st   = config.State{Backend: config.DefaultBackend}
	)
	if o.configPath != "" {
		cfg, err := config.Load(o.configPath)
		if err != nil {
			return opts, st, configError(err, s.stderr)
		}
		var job config.Job
		switch {
		case o.job != "":
			j, ok := cfg.Job(o.job)
			if !ok {
				return opts, st, usagef("--job %q: no such job in %s", o.job, o.configPath)
			}
			job = j
		case len(cfg.Jobs) == 1:
			job = cfg.Jobs[0]
		default:
			return opts, st, usagef("--job: %s has %d jobs; name one", o.configPath, len(cfg.Jobs))
		}
		opts = daemon.JobOptions(cfg, job)
		st = cfg.State
		if !o.set["out"] {
			o.out = cfg.Output.Dir
		}
		if !o.set["format"] {
			o.format = cfg.Output.Format
		}
		if !o.set["markdown-links"] {
			o.markdownLinks = cfg.Output.MarkdownLinks
		}
	} else {
		name := o.job
		if name == "" {
			name = "crawl"
		}
		opts = daemon.RunOptions{Options: crawler.Options{Job: name, RespectRobots: true}}
		for _, f := range []string{"user-agent", "depth", "max-pages", "parallel", "delay", "timeout", "retries"} {
			o.set[f] = true // flag defaults are the config defaults
		}
	}
	if len(o.urls) > 0 {
		opts.Seeds = o.urls
	}
	for _, u := range append(append(append([]string{}, o.urls...), o.sitemaps...), o.feeds...) {
		if _, err := crawler.Normalize(u); err != nil {
			return opts, st, usagef("%v", err)
		}
	}
	opts.Sitemaps = append(opts.Sitemaps, o.sitemaps...)
	opts.Feeds = append(opts.Feeds, o.feeds...)
	if len(opts.Seeds)+len(opts.Sitemaps)+len(opts.Feeds) == 0 {
		return opts, st, usagef("crawl: give at least one URL, --sitemap, --feed or --config with seeds")
	}
	for _, re := range []struct {
		flag string
		list stringList
		dst  *[]*regexp.Regexp
	}{{"allow", o.allow, &opts.Allow}, {"deny", o.deny, &opts.Deny}, {"article", o.article, &opts.Article}} {
		if len(re.list) == 0 {
			continue
		}
		var compiled []*regexp.Regexp
		for _, expr := range re.list {
			r, err := regexp.Compile(expr)
			if err != nil {
				return opts, st, usagef("--%s %q: %v", re.flag, expr, err)
			}
			compiled = append(compiled, r)
		}
		*re.dst = compiled
	}
	switch {
	case o.parallel < 1:
		return opts, st, usagef("--parallel %d: want at least 1", o.parallel)
	case o.depth < 0:
		return opts, st, usagef("--depth %d: want 0 or more", o.depth)
	case o.maxPages < 0:
		return opts, st, usagef("--max-pages %d: want 0 or more", o.maxPages)
	case o.delay < 0:
		return opts, st, usagef("--delay %v: want 0 or more", o.delay)
	case o.timeout <= 0:
		return opts, st, usagef("--timeout %v: want more than 0", o.timeout)
	case o.retries < 0:
		return opts, st, usagef("--retries %d: want 0 or more", o.retries)
	case o.minWords < 0:
		return opts, st, usagef("--min-words %d: want 0 or more", o.minWords)
	}
	if o.set["min-words"] {
		opts.Filter.MinWords = o.minWords
	}
	if o.set["lang"] {
		var langs []string
		for _, v := range o.langs {
			for _, code := range strings.Split(v, ",") {
				if err := config.CheckLanguage(strings.TrimSpace(code)); err != nil {
					return opts, st, usagef("--lang: %v", err)
				}
				if code = strings.TrimSpace(code); !slices.Contains(langs, code) {
					langs = append(langs, code)
				}
			}
		}
		opts.Filter.Languages = langs
	}
	if o.set["user-agent"] {
		opts.UserAgent = o.userAgent
	}
	if o.set["depth"] {
		opts.MaxDepth = o.depth
	}
	if o.set["max-pages"] {
		opts.MaxPages = o.maxPages
	}
	if o.set["parallel"] {
		opts.Parallel = o.parallel
	}
	if o.set["delay"] {
		opts.Delay = o.delay
	}
	if o.set["timeout"] {
		opts.Timeout = o.timeout
	}
	if o.set["retries"] {
		opts.Retries = o.retries
	}
	if o.warc != "" {
		opts.Archive.Dir = o.warc
		if opts.Archive.MaxSize == 0 {
			opts.Archive.MaxSize = config.DefaultSettings().Archive.MaxSize
		}
	}
	if o.ignoreRobots {
		opts.RespectRobots = false
	}
	if o.allowPrivate {
		opts.AllowPrivate = true
	}
	// The state says what the output directory already holds: an --out of
	// its own gets a state of its own (unless --state names one), or a
	// crawl into a fresh directory would find every article "unchanged" in
	// the config's state and write nothing.
	if o.state != "" {
		st = config.State{Backend: "bolt", Path: o.state}
	} else if st.Backend == "bolt" && (st.Path == "" || o.configPath == "" || o.set["out"]) {
		st.Path = filepath.Join(o.out, ".winnow", "state.db")
	}
	return opts, st, nil
}

// runCrawl does the crawl with the same Runner as the daemon, once.
func runCrawl(ctx context.Context, o crawlOptions, opts daemon.RunOptions, st config.State, log *slog.Logger, pr *progressReporter, s streams) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := metrics.New(reg)
	ver, _ := buildVersion()
	m.SetBuildInfo(ver)
	m.InitJob(opts.Job)
	m.InitRules(cleaner.Rules())

	sink, err := output.NewSink(o.out, o.format, output.WithLogger(log),
		output.WithMarkdown(output.MarkdownOptions{Links: o.markdownLinks}))
	if err != nil {
		return fmt.Errorf("crawl: %w", err)
	}
	defer sink.Close()
	crawler.RouteRedisLogs(log)
	store, err := daemon.OpenStore(st, log)
	if err != nil {
		return fmt.Errorf("crawl: %w", err)
	}
	defer store.Close()
	pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
	err = store.Ping(pctx)
	pcancel()
	if err != nil {
		return fmt.Errorf("crawl: state backend %s: %w", st.Backend, err)
	}

	runner := daemon.NewRunner(cleaner.New(cleaner.Options{}), sink, store, m, log)
	pr.start = time.Now()
	start := pr.start
	res := runner.Run(ctx, fmt.Sprintf("crawl-%d", start.Unix()), opts, pr.update)
	pr.finish()

	printSummary(s.stdout, res, o.out)
	switch {
	case res.Fetched == 0:
		return nothingFetched(res, counterValue(m.FetchErrors.WithLabelValues(opts.Job, "private_address")))
	case res.Result == "failed":
		return fmt.Errorf("crawl %s: %s", opts.Job, res.Err)
	case ctx.Err() != nil:
		return errors.New("crawl interrupted; run the same command again to resume")
	}
	return nil
}

// nothingFetched is the error of a crawl that got no response at all,
// with the way out when every fetch was refused as a private address.
func nothingFetched(r daemon.RunResult, private int) error {
	msg := fmt.Sprintf("nothing could be fetched (%d fetch %s)", r.FetchErrors, plural(r.FetchErrors, "error", "errors"))
	if private > 0 {
		msg += "; loopback, private and link-local addresses are refused unless --allow-private is given"
	}
	if r.Disallowed > 0 {
		msg += fmt.Sprintf("; %d %s disallowed by robots.txt (--ignore-robots to fetch anyway)", r.Disallowed, plural(r.Disallowed, "URL", "URLs"))
	}
	return errors.New(msg)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// counterValue reads a counter's current value.
func counterValue(c prometheus.Counter) int {
	var d dto.Metric
	if err := c.Write(&d); err != nil {
		return 0
	}
	return int(d.GetCounter().GetValue())
}

func printSummary(w io.Writer, r daemon.RunResult, out string) {
	el := r.End.Sub(r.Start)
	rate := 0.0
	if el > 0 {
		rate = float64(r.Fetched) / el.Seconds()
	}
	fmt.Fprintf(w, "job %s: %s in %s\n", r.Job, r.Result, el.Round(time.Millisecond))
	fmt.Fprintf(w, "  fetched      %d (%.1f pages/s)\n", r.Fetched, rate)
	fmt.Fprintf(w, "  written      %d (%d new, %d replaced)\n", r.Written+r.Replaced, r.Written, r.Replaced)
	fmt.Fprintf(w, "  unchanged    %d\n", r.Unchanged)
	fmt.Fprintf(w, "  skipped      %d%s\n", r.Skipped, skippedBy(r.SkippedBy))
	fmt.Fprintf(w, "  fetch errors %d\n", r.FetchErrors)
	if r.Disallowed > 0 {
		fmt.Fprintf(w, "  disallowed   %d (by robots.txt; --ignore-robots to fetch them)\n", r.Disallowed)
	}
	fmt.Fprintf(w, "  page errors  %d\n", r.PageErrors)
	fmt.Fprintf(w, "  output       %s\n", out)
	if r.Err != "" {
		fmt.Fprintf(w, "  error        %s\n", r.Err)
	}
}

// skippedBy lists the reasons documents were skipped for, like
// " (language 1, too_short 2)", in the order of the reasons' names.
func skippedBy(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for _, reason := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", reason, m[reason]))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// progressReporter shows a live line on a terminal, or logs now and then.
// On a terminal it is also the log's writer: each log line clears the live
// line and takes its place, and the live line is drawn again below it.
type progressReporter struct {
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	term  *terminal    // stderr, shared by the bar and the log lines
	log   *slog.Logger // set once the logger exists, before the crawl starts
	every time.Duration
	start time.Time
	last  time.Time
}

func newProgressReporter(stderr io.Writer, every time.Duration) *progressReporter {
	p := &progressReporter{every: every, start: time.Now()}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.term = &terminal{w: stderr}
		p.bar = newProgressBar(p.term, 200*time.Millisecond)
	}
	return p
}

func newProgressBar(w io.Writer, throttle time.Duration) *progressbar.ProgressBar {
	return progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetDescription("crawling"),
		progressbar.OptionThrottle(throttle),
		progressbar.OptionClearOnFinish(),
	)
}

// terminal serialises the writes of the live line (the bar redraws itself
// from its own goroutine) and of the log lines.
type terminal struct {
	mu sync.Mutex
	w  io.Writer
}

func (t *terminal) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.w.Write(b)
}

// Write writes a log line over the live line: carriage return and "erase
// to end of line" first, in the same locked write.
func (p *progressReporter) Write(b []byte) (int, error) {
	const clearLine = "\r\x1b[K"
	if _, err := p.term.Write(append([]byte(clearLine), b...)); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (p *progressReporter) update(pr daemon.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	el := time.Since(p.start)
	rate := float64(pr.Fetched) / max(el.Seconds(), 0.001)
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("fetched %d · written %d · skipped %d · errors %d · queue %d · %.1f pages/s",
			pr.Fetched, pr.Written, pr.Skipped, pr.Errors, pr.Queue, rate))
		_ = p.bar.Set(pr.Fetched)
		return
	}
	if time.Since(p.last) < p.every {
		return
	}
	p.last = time.Now()
	p.log.Info("progress", "fetched", pr.Fetched, "written", pr.Written, "skipped", pr.Skipped,
		"errors", pr.Errors, "queue", pr.Queue, "pages_per_second", fmt.Sprintf("%.1f", rate))
}

func (p *progressReporter) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
