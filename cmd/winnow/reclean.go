package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"winnow/archive"
	"winnow/cleaner"
	"winnow/config"
	"winnow/crawler"
	"winnow/daemon"
	"winnow/metrics"
	"winnow/output"
)

// recleanOptions are the flags of `winnow reclean`.
type recleanOptions struct {
	out, format, configPath, job, state string
	markdownLinks                       bool
	article, langs                      stringList
	minWords, workers                   int
	progressEvery                       time.Duration
	log                                 logFlags
	profile                             cpuProfile
	args                                []string
	set                                 map[string]bool
}

const recleanUsage = `--out DIR [--config FILE] [--job NAME] [--article REGEX] [flags] WARC|DIR...

Re-runs the cleaner over archived responses (WARC files, as --warc or the
archive key writes them) or saved pages, and writes the documents as a
crawl would: same layout, manifest, written/replaced/unchanged. No network
request is made. A DIR is searched for *.warc.gz, *.warc, *.html, *.htm and
*.html.gz files.`

func cmdReclean(ctx context.Context, args []string, s streams) error {
	o := recleanOptions{}
	fs := newFlagSet("reclean", recleanUsage, s)
	fs.StringVar(&o.out, "out", config.DefaultOutputDir, "output directory (with --config and no --out, the config's)")
	fs.StringVar(&o.format, "format", config.DefaultFormat, "document format: "+output.Formats)
	fs.BoolVar(&o.markdownLinks, "markdown-links", false, "with --format markdown, write links as [text](URL)")
	fs.StringVar(&o.configPath, "config", "", "configuration file: take the job's article patterns, filters and output from it")
	fs.StringVar(&o.job, "job", "", "job of the configuration (default: its only job); without --config, the job name of the manifest (default: the archive's)")
	fs.StringVar(&o.state, "state", "", "state file for the site templates learnt while cleaning (default: a temporary one)")
	fs.Var(&o.article, "article", "regular expression of article URLs (as requested, before redirects) to clean (repeatable; default: every page)")
	fs.IntVar(&o.minWords, "min-words", config.DefaultFilter().MinWords, "do not write articles of fewer than `N` words")
	fs.Var(&o.langs, "lang", "write only articles in language `CODE` (ISO 639-1); repeatable or comma-separated")
	fs.IntVar(&o.workers, "workers", recleanPerCPU*runtime.GOMAXPROCS(0), "pages handled at once: cleaned, or waiting for their document to reach the disk")
	fs.DurationVar(&o.progressEvery, "progress-interval", 5*time.Second, "interval of progress log lines when stderr is not a terminal")
	o.log.register(fs)
	o.profile.register(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	o.args = rest
	o.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	switch {
	case len(o.args) == 0:
		return usagef("reclean: give at least one WARC file or directory")
	case o.workers < 1:
		return usagef("reclean: --workers %d: want at least 1", o.workers)
	case o.minWords < 0:
		return usagef("reclean: --min-words %d: want 0 or more", o.minWords)
	}
	return o.profile.run(func() error { return runReclean(ctx, o, s.stdout, s.stderr) })
}

// recleanPerCPU is the default of --workers per CPU. A page spends about as
// long waiting for its document's fsync and the state's batched commit as
// being cleaned, so with one page per CPU the CPUs idle much of the time;
// with four, they seldom do.
const recleanPerCPU = 4

// recleanJob builds the run's options from the config's job (when given)
// and the flags.
func (o *recleanOptions) recleanJob(stderr io.Writer, files []string) (daemon.RunOptions, error) {
	var opts daemon.RunOptions
	if o.configPath != "" {
		cfg, err := config.Load(o.configPath)
		if err != nil {
			return opts, configError(err, stderr)
		}
		var job config.Job
		switch j, ok := cfg.Job(o.job); {
		case o.job != "" && !ok:
			return opts, usagef("--job %q: no such job in %s", o.job, o.configPath)
		case o.job != "":
			job = j
		case len(cfg.Jobs) == 1:
			job = cfg.Jobs[0]
		default:
			return opts, usagef("--job: %s has %d jobs; name one", o.configPath, len(cfg.Jobs))
		}
		opts = daemon.JobOptions(cfg, job)
		if !o.set["out"] {
			o.out = cfg.Output.Dir
		}
		if !o.set["format"] {
			o.format = cfg.Output.Format
		}
	} else {
		opts.Job = o.job
		if opts.Job == "" {
			opts.Job = archivedJob(files)
		}
	}
	if len(o.article) > 0 {
		opts.Article = nil
		for _, expr := range o.article {
			re, err := regexp.Compile(expr)
			if err != nil {
				return opts, usagef("--article %q: %v", expr, err)
			}
			opts.Article = append(opts.Article, re)
		}
	}
	if o.set["min-words"] {
		opts.Filter.MinWords = o.minWords
	}
	if o.set["lang"] {
		var langs []string
		for _, v := range o.langs {
			for _, code := range strings.Split(v, ",") {
				code = strings.TrimSpace(code)
				if err := config.CheckLanguage(code); err != nil {
					return opts, usagef("--lang: %v", err)
				}
				if !slices.Contains(langs, code) {
					langs = append(langs, code)
				}
			}
		}
		opts.Filter.Languages = langs
	}
	opts.Parallel = o.workers
	if err := output.CheckFormat(o.format); err != nil {
		return opts, usagef("--format: %v", err)
	}
	return opts, nil
}

// archivedJob is the job the first WARC file's warcinfo names, or "reclean".
func archivedJob(files []string) string {
	stop := errors.New("stop")
	for _, f := range files {
		if !isWARC(f) {
			continue
		}
		job := ""
		_ = archive.ReadResponses(f, func(r archive.Response) error { job = r.Job; return stop })
		if job != "" {
			return job
		}
	}
	return "reclean"
}

func isWARC(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".warc.gz") || strings.HasSuffix(n, ".warc")
}

// recleanInputs expands the arguments into WARC files and saved pages, in
// order; a directory's WARC files come in name order (the order a writer
// wrote them).
func recleanInputs(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, a)
			continue
		}
		warcs, err := archive.Files([]string{a})
		if err != nil {
			return nil, err
		}
		pages, err := pageFiles([]string{a})
		if err != nil {
			return nil, err
		}
		out = append(append(out, warcs...), pages...)
	}
	return out, nil
}

func runReclean(ctx context.Context, o recleanOptions, stdout, stderr io.Writer) error {
	pr := newProgressReporter(stderr, o.progressEvery)
	logOut := stderr
	if pr.bar != nil {
		logOut = pr
	}
	log, err := o.log.logger(logOut)
	if err != nil {
		return err
	}
	pr.log = log
	files, err := recleanInputs(o.args)
	if err != nil {
		return fmt.Errorf("reclean: %w", err)
	}
	if len(files) == 0 {
		return fmt.Errorf("reclean: no WARC files or saved pages in %s", strings.Join(o.args, " "))
	}
	opts, err := o.recleanJob(stderr, files)
	if err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	m.InitJob(opts.Job)
	sink, err := output.NewSink(o.out, o.format, output.WithLogger(log),
		output.WithMarkdown(output.MarkdownOptions{Links: o.markdownLinks}))
	if err != nil {
		return fmt.Errorf("reclean: %w", err)
	}
	defer sink.Close()
	var store *crawler.BoltStore
	if o.state != "" {
		store, err = crawler.OpenBolt(o.state)
	} else {
		tmp, terr := os.MkdirTemp("", "winnow-reclean-")
		if terr != nil {
			return fmt.Errorf("reclean: %w", terr)
		}
		defer os.RemoveAll(tmp)
		store, err = crawler.OpenScratchBolt(filepath.Join(tmp, "state.db"))
	}
	if err != nil {
		return fmt.Errorf("reclean: %w", err)
	}
	defer store.Close()

	runner := daemon.NewRunner(cleaner.New(cleaner.Options{}), sink, store, m, log)
	pr.start = time.Now()
	res := runner.Replay(ctx, fmt.Sprintf("reclean-%d", pr.start.Unix()), opts, replayPages(files, log), recleanProgress(pr))
	pr.finish()
	if err := sink.Close(); err != nil && res.Err == "" {
		res.Result, res.Err = "failed", err.Error()
	}
	printRecleanSummary(stdout, res, o.out)
	switch {
	case res.Result == "failed":
		return fmt.Errorf("reclean: %s", res.Err)
	case ctx.Err() != nil:
		return errors.New("reclean interrupted")
	}
	return nil
}

// replayPages reads the files in order and yields a page for every
// archived response (a saved page is a 200 response of its file URL). A
// response reached through redirects carries the URL first requested, as
// the crawl's page did. An unreadable file ends the reclean; a response
// whose body cannot be decoded is logged and skipped.
func replayPages(files []string, log *slog.Logger) iter.Seq2[crawler.Page, error] {
	return func(yield func(crawler.Page, error) bool) {
		stopped := errors.New("stopped")
		redirectedFrom := map[string]string{} // target -> the URL that redirected to it
		for _, f := range files {
			if !isWARC(f) {
				p, err := savedPage(f)
				if err != nil {
					log.Warn("page skipped", "component", "reclean", "file", f, "err", err)
					continue
				}
				if !yield(p, nil) {
					return
				}
				continue
			}
			err := archive.ReadResponses(f, func(r archive.Response) error {
				if r.Status >= 300 && r.Status < 400 {
					if to := location(r); to != "" && to != r.URI {
						redirectedFrom[to] = r.URI
					}
					return nil
				}
				requested := r.URI
				for range 10 { // the crawler follows at most 10 redirects
					from, ok := redirectedFrom[requested]
					if !ok {
						break
					}
					requested = from
				}
				p, err := crawler.ArchivedPage(requested, r.URI, r.Status, r.Header, r.Body, r.Date)
				if err != nil {
					log.Warn("archived response skipped", "component", "reclean", "file", f, "url", r.URI, "err", err)
					return nil
				}
				if !yield(p, nil) {
					return stopped
				}
				return nil
			})
			if errors.Is(err, stopped) {
				return
			}
			if err != nil {
				yield(crawler.Page{}, err)
				return
			}
		}
	}
}

// location is a redirect's target, resolved against its URL.
func location(r archive.Response) string {
	loc := r.Header.Get("Location")
	base, err := url.Parse(r.URI)
	if loc == "" || err != nil {
		return ""
	}
	to, err := base.Parse(loc)
	if err != nil {
		return ""
	}
	return to.String()
}

// savedPage is a saved HTML file as the 200 response of its file URL.
func savedPage(name string) (crawler.Page, error) {
	body, err := readPage(name, nil)
	if err != nil {
		return crawler.Page{}, err
	}
	fi, err := os.Stat(name)
	if err != nil {
		return crawler.Page{}, err
	}
	u := fileURL(name)
	return crawler.Page{URL: u, FinalURL: u, Status: http.StatusOK, Header: http.Header{"Content-Type": {"text/html"}},
		Body: body, FetchedAt: fi.ModTime().UTC()}, nil
}

// recleanProgress shows the live line on a terminal, or logs now and then.
func recleanProgress(p *progressReporter) func(daemon.Progress) {
	return func(pr daemon.Progress) {
		p.mu.Lock()
		defer p.mu.Unlock()
		rate := float64(pr.Fetched) / max(time.Since(p.start).Seconds(), 0.001)
		if p.bar != nil {
			p.bar.Describe(fmt.Sprintf("read %d · written %d · skipped %d · errors %d · %.1f responses/s",
				pr.Fetched, pr.Written, pr.Skipped, pr.Errors, rate))
			_ = p.bar.Set(pr.Fetched)
			return
		}
		if time.Since(p.last) < p.every {
			return
		}
		p.last = time.Now()
		p.log.Info("progress", "read", pr.Fetched, "written", pr.Written, "skipped", pr.Skipped,
			"errors", pr.Errors, "responses_per_second", fmt.Sprintf("%.1f", rate))
	}
}

func printRecleanSummary(w io.Writer, r daemon.RunResult, out string) {
	el := r.End.Sub(r.Start)
	rate := 0.0
	if el > 0 {
		rate = float64(r.Fetched) / el.Seconds()
	}
	fmt.Fprintf(w, "reclean %s: %s in %s\n", r.Job, r.Result, el.Round(time.Millisecond))
	fmt.Fprintf(w, "  read         %d responses (%.1f/s)\n", r.Fetched, rate)
	fmt.Fprintf(w, "  written      %d (%d new, %d replaced)\n", r.Written+r.Replaced, r.Written, r.Replaced)
	fmt.Fprintf(w, "  unchanged    %d\n", r.Unchanged)
	fmt.Fprintf(w, "  skipped      %d%s\n", r.Skipped, skippedBy(r.SkippedBy))
	fmt.Fprintf(w, "  page errors  %d\n", r.PageErrors)
	fmt.Fprintf(w, "  output       %s\n", out)
	if r.Err != "" {
		fmt.Fprintf(w, "  error        %s\n", r.Err)
	}
}
