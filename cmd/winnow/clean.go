package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"winnow/cleaner"
	"winnow/output"
)

// maxInput bounds what clean reads from one file (after gunzip), so a gzip
// bomb or a huge file cannot exhaust memory. The cleaner applies its own,
// smaller, limit with a clear error.
const maxInput = 64 << 20

type cleanOptions struct {
	url         string
	format      string
	mdLinks     bool
	contentType string
	explain     bool
	out         string
	site        string
	workers     int
	args        []string
	log         logFlags
	profile     cpuProfile
}

const cleanUsage = `[--url URL] [--format txt|json|jsonl|markdown] [--content-type CT] FILE|-
       winnow clean --explain [--url URL] [--site DIR] FILE|-
       winnow clean --out DIR [--format txt|json|jsonl|markdown] FILE|DIR...
       (every form takes --cpuprofile FILE)`

func cmdClean(ctx context.Context, args []string, s streams) error {
	var o cleanOptions
	fs := newFlagSet("clean", cleanUsage, s)
	fs.StringVar(&o.url, "url", "", "the page's address, when the page does not say (used for the canonical URL and relative links)")
	fs.StringVar(&o.format, "format", "txt", "output format: "+output.Formats)
	fs.BoolVar(&o.mdLinks, "markdown-links", false, "with --format markdown, write links as [text](URL)")
	fs.StringVar(&o.contentType, "content-type", "", "the page's HTTP Content-Type (its charset wins over the page's own)")
	fs.BoolVar(&o.explain, "explain", false, "show every paragraph kept or dropped, and the rule that dropped it")
	fs.StringVar(&o.out, "out", "", "clean every FILE and every *.html, *.htm, *.html.gz under each DIR into `DIR`, as a crawl would")
	fs.StringVar(&o.site, "site", "", "learn the site's template from the saved pages under `DIR` (pages of the same site) before cleaning FILE; --out learns from its own inputs")
	fs.IntVar(&o.workers, "workers", runtime.GOMAXPROCS(0), "pages cleaned at once with --out")
	o.log.register(fs)
	o.profile.register(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	o.args = rest
	if err := output.CheckFormat(o.format); err != nil {
		return usagef("clean: --%w", err)
	}
	switch {
	case len(o.args) == 0:
		return usagef("clean: missing FILE (use - for stdin)")
	case o.explain && o.out != "":
		return usagef("clean: --explain and --out cannot be combined")
	case o.out == "" && len(o.args) > 1:
		return usagef("clean: one FILE at a time without --out (got %d)", len(o.args))
	case o.site != "" && o.out != "":
		return usagef("clean: --site is for one FILE; --out learns the template from its own inputs")
	case o.workers < 1:
		return usagef("clean: --workers %d: want at least 1", o.workers)
	}
	return o.profile.run(func() error {
		if o.out != "" {
			return runCleanOut(ctx, o, s)
		}
		tuneOneShotGC()
		return runCleanOne(o, s)
	})
}

// readPage reads a file (or stdin for "-"), gunzipping it when it starts
// with the gzip magic bytes. The buffers are sized from the file's size
// and the gzip trailer's, so a page is read without growing them.
func readPage(name string, stdin io.Reader) ([]byte, error) {
	var r io.Reader = stdin
	hint := 0
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			hint = int(min(fi.Size(), maxInput))
		}
	}
	b, err := readLimited(r, hint)
	if err != nil {
		return nil, err
	}
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("gunzip: %w", err)
		}
		// The trailer's last four bytes are the size of the (last
		// member's) content, modulo 4 GiB: a hint, no more, and never
		// more than deflate can expand the bytes read (1032:1).
		hint = 0
		if len(b) >= 18 {
			hint = min(int(binary.LittleEndian.Uint32(b[len(b)-4:])), maxInput, 1032*len(b))
		}
		if b, err = readLimited(zr, hint); err != nil {
			return nil, fmt.Errorf("gunzip: %w", err)
		}
	}
	return b, nil
}

// readLimited reads r to its end, up to maxInput bytes, into a buffer of
// hint bytes to start with.
func readLimited(r io.Reader, hint int) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 0, hint+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(r, maxInput+1)); err != nil {
		return nil, err
	}
	if buf.Len() > maxInput {
		return nil, fmt.Errorf("%w: more than %d MiB", cleaner.ErrTooLarge, maxInput>>20)
	}
	return buf.Bytes(), nil
}

// cleanFile reads and cleans one page. An empty result is ErrNotArticle.
// tpl, when not nil, is the evidence of the site's template.
func cleanFile(cl *cleaner.Cleaner, name, pageURL, contentType string, stdin io.Reader, tpl cleaner.TemplateEvidence) (cleaner.Document, cleaner.Report, []byte, error) {
	body, err := readPage(name, stdin)
	if err != nil {
		return cleaner.Document{}, cleaner.Report{}, nil, fmt.Errorf("clean %s: %w", name, err)
	}
	doc, rep, err := cl.Clean(cleaner.Input{Body: body, URL: pageURL, ContentType: contentType, Template: tpl})
	if err != nil {
		// The cleaner names the page by its URL ("clean URL: …", or "clean
		// page: …" without one); the user gave a file name.
		msg := err.Error()
		if rest, ok := strings.CutPrefix(msg, "clean "); ok {
			if subject, reason, ok := strings.Cut(rest, ": "); ok && !strings.ContainsAny(subject, " \t") {
				msg = reason
			}
		}
		return doc, rep, body, fmt.Errorf("clean %s: %w", name, reasonError{msg, err})
	}
	if len(doc.Paragraphs) == 0 {
		return doc, rep, body, fmt.Errorf("clean %s: %w", name, cleaner.ErrNotArticle)
	}
	return doc, rep, body, nil
}

// reasonError shows msg but unwraps to the cleaner's error.
type reasonError struct {
	msg string
	err error
}

func (e reasonError) Error() string { return e.msg }
func (e reasonError) Unwrap() error { return e.err }

func runCleanOne(o cleanOptions, s streams) error {
	cl := cleaner.New(cleaner.Options{})
	name := o.args[0]
	var tpl cleaner.TemplateEvidence
	if o.site != "" {
		ev, stdin, err := siteEvidence(cl, o, name, s.stdin)
		if err != nil {
			return err
		}
		tpl, s.stdin = ev, stdin
	}
	doc, rep, body, err := cleanFile(cl, name, o.url, o.contentType, s.stdin, tpl)
	if o.explain && body != nil {
		printExplain(s.stdout, rep)
	}
	if err != nil {
		return err
	}
	if o.explain {
		return nil
	}
	var b []byte
	if o.format == "markdown" {
		b, err = output.EncodeMarkdown(doc, output.MarkdownOptions{Links: o.mdLinks})
	} else {
		b, err = output.Encode(doc, o.format)
	}
	if err != nil {
		return fmt.Errorf("clean %s: %w", name, err)
	}
	_, err = s.stdout.Write(b)
	return err
}

// printExplain prints every paragraph the cleaner kept or dropped, in page
// order as the cleaner's Report gives it, then the count per rule.
func printExplain(w io.Writer, rep cleaner.Report) {
	for _, d := range rep.InPageOrder() {
		if d.Rule == "" {
			fmt.Fprintf(w, "KEEP  %s\n", collapseSpace(d.Text))
		} else {
			fmt.Fprintf(w, "DROP  %s  %s\n", d.Rule, collapseSpace(d.Text))
		}
	}
	counts := rep.Counts()
	rules := make([]string, 0, len(counts))
	for r := range counts {
		rules = append(rules, r)
	}
	sort.Slice(rules, func(a, b int) bool {
		if counts[rules[a]] != counts[rules[b]] {
			return counts[rules[a]] > counts[rules[b]]
		}
		return rules[a] < rules[b]
	})
	fmt.Fprintf(w, "\nkept %d, dropped %d", len(rep.Kept), len(rep.Removed))
	if rep.Extractor != "" {
		fmt.Fprintf(w, " (extractor: %s)", rep.Extractor)
	}
	fmt.Fprintln(w)
	for _, r := range rules {
		fmt.Fprintf(w, "  %-24s %d\n", r, counts[r])
	}
}

func collapseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// pageFiles expands the arguments: files as given, directories walked for
// *.html, *.htm and *.html.gz.
func pageFiles(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			files = append(files, a)
			continue
		}
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			n := strings.ToLower(d.Name())
			if !d.IsDir() && (strings.HasSuffix(n, ".html") || strings.HasSuffix(n, ".htm") || strings.HasSuffix(n, ".html.gz")) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}

// fileURL is the address of a saved page that names none: its file URL.
func fileURL(name string) string {
	abs, err := filepath.Abs(name)
	if err != nil {
		abs = name
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}

func runCleanOut(ctx context.Context, o cleanOptions, s streams) error {
	log, err := o.log.logger(s.stderr)
	if err != nil {
		return err
	}
	for _, a := range o.args {
		if a == "-" {
			return usagef("clean: --out reads files, not stdin")
		}
	}
	files, err := pageFiles(o.args)
	if err != nil {
		return fmt.Errorf("clean: %w", err)
	}
	if len(files) == 0 {
		return fmt.Errorf("clean: no *.html, *.htm or *.html.gz files in %s", strings.Join(o.args, " "))
	}
	if o.url != "" && len(files) > 1 {
		return usagef("clean: --url names one page, but --out got %d files", len(files))
	}
	sink, err := output.NewSink(o.out, o.format, output.WithLogger(log),
		output.WithMarkdown(output.MarkdownOptions{Links: o.mdLinks}))
	if err != nil {
		return fmt.Errorf("clean: %w", err)
	}
	cl := cleaner.New(cleaner.Options{})
	// Two passes: the first cleans every page and learns each site's
	// template from all of them, the second writes them, cleaning again
	// with the template only the pages it could change.
	sites := learnSites(ctx, cl, files, o, o.workers, keepBudget, log)

	var mu sync.Mutex
	counts := make(map[string]int)
	names := make(chan string)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(names)
		for _, f := range files {
			select {
			case names <- f:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for range o.workers {
		g.Go(func() error {
			for name := range names {
				res := cleanOneInto(gctx, cl, sink, name, o, sites, log)
				mu.Lock()
				counts[res]++
				mu.Unlock()
			}
			return nil
		})
	}
	werr := g.Wait()
	log.Debug("pages cleaned again with their site's template", "component", "clean", "pages", sites.again)
	if err := sink.Close(); err != nil && werr == nil {
		werr = err
	}
	fmt.Fprintf(s.stdout, "%s: written %d, replaced %d, unchanged %d, duplicate %d, failed %d\n",
		o.out, counts[output.Written.String()], counts[output.Replaced.String()],
		counts[output.Unchanged.String()], counts[output.Duplicate.String()], counts["failed"])
	if werr != nil {
		return fmt.Errorf("clean: %w", werr)
	}
	if counts["failed"] == len(files) {
		return fmt.Errorf("clean: all %d pages failed", len(files))
	}
	return nil
}

// cleanOneInto writes one file's clean into the sink (the first pass's,
// when the site's template cannot change it) and returns the result's
// name, or "failed" (logged).
func cleanOneInto(ctx context.Context, cl *cleaner.Cleaner, sink *output.Sink, name string, o cleanOptions, sites *siteTemplates, log *slog.Logger) string {
	doc, err, ok := sites.reuse(name)
	if !ok {
		doc, _, _, err = cleanFile(cl, name, o.url, o.contentType, nil, sites.evidence(name))
	}
	if err == nil {
		if doc.URL == "" && doc.CanonicalURL == "" {
			doc.URL = fileURL(name)
		}
		var res output.Result
		if res, err = sink.Write(ctx, "clean", doc); err == nil {
			log.Debug("page cleaned", "component", "clean", "file", name, "result", res.String())
			return res.String()
		}
		err = fmt.Errorf("clean %s: %w", name, err)
	}
	if !errors.Is(err, context.Canceled) {
		log.Warn("page skipped", "component", "clean", "file", name, "err", err)
	}
	return "failed"
}
