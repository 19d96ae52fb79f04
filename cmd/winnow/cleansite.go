package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"winnow/cleaner"
)

// siteTemplates is what a first pass over saved pages learnt of each
// site's template, for the second pass that writes them: the fingerprints
// of every page's blocks and the host each page belongs to, and, within
// keepBudget, each page's clean without evidence. The template can change
// a page's clean only when some block of it recurs on enough of the host's
// other pages (cleaner.SiteCounts.Decisive); every other page is written
// as the first pass cleaned it, so most pages are cleaned once.
type siteTemplates struct {
	mem   cleaner.SiteMemory
	mu    sync.Mutex
	host  map[string]string     // page key -> host
	first map[string]firstClean // page key -> its clean without evidence, when kept
	kept  int                   // bytes held in first, about
	limit int                   // most bytes to hold in first
	again int                   // pages the second pass cleaned again
}

// firstClean is one page's clean without template evidence.
type firstClean struct {
	doc cleaner.Document
	err error
	fps []uint64
}

// keepBudget bounds what `clean --out`'s first pass keeps of its cleans,
// about, so a batch of any size is held in bounded memory: pages beyond it
// are cleaned again in the second pass, with the same outcome.
const keepBudget = 64 << 20

// size is about what holding the clean costs.
func (f firstClean) size() int {
	n := 512 + 8*len(f.fps)
	for _, p := range f.doc.Paragraphs {
		n += 2*len(p) + 64
	}
	return n
}

// siteHost is the host a saved page belongs to: its canonical URL's (or
// the --url given), or "" for pages that name none, which a batch treats
// as one site.
func siteHost(doc cleaner.Document, pageURL string) string {
	for _, u := range []string{doc.CanonicalURL, pageURL} {
		if pu, err := url.Parse(u); err == nil && pu.Host != "" {
			return strings.ToLower(pu.Host)
		}
	}
	return ""
}

// pageKey names a saved page among the batch's pages.
func pageKey(name string) string {
	if abs, err := filepath.Abs(name); err == nil {
		return abs
	}
	return name
}

// learnSites cleans every file once, without evidence, and records its
// blocks' fingerprints under its host; it also holds the cleans, up to
// about keep bytes, for the second pass (reuse). Files that cannot be read
// are left to the second pass to report.
func learnSites(ctx context.Context, cl *cleaner.Cleaner, files []string, o cleanOptions, workers, keep int, log *slog.Logger) *siteTemplates {
	st := &siteTemplates{host: make(map[string]string, len(files)), limit: keep}
	if keep > 0 {
		st.first = make(map[string]firstClean, len(files))
	}
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
	for range workers {
		g.Go(func() error {
			for name := range names {
				st.learn(cl, name, o)
			}
			return nil
		})
	}
	_ = g.Wait()
	log.Debug("site templates learnt", "component", "clean", "pages", len(st.host), "kept", len(st.first))
	return st
}

func (st *siteTemplates) learn(cl *cleaner.Cleaner, name string, o cleanOptions) {
	doc, rep, body, err := cleanFile(cl, name, o.url, o.contentType, nil, nil)
	if body == nil {
		return
	}
	key, host := pageKey(name), siteHost(doc, o.url)
	recorded := len(rep.Fingerprints) > 0
	if recorded {
		st.mem.Record(host, key, rep.Fingerprints, err == nil)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if recorded {
		st.host[key] = host
	}
	if st.first != nil {
		f := firstClean{doc: doc, err: err, fps: rep.Fingerprints}
		if n := f.size(); st.kept+n <= st.limit {
			st.first[key] = f
			st.kept += n
		}
	}
}

// evidence returns the template evidence for file name (nil when st is nil
// or the first pass did not read it).
func (st *siteTemplates) evidence(name string) cleaner.TemplateEvidence {
	if st == nil {
		return nil
	}
	key := pageKey(name)
	st.mu.Lock()
	host, ok := st.host[key]
	st.mu.Unlock()
	if !ok {
		return nil
	}
	return st.mem.Evidence(host, key)
}

// reuse returns the first pass's clean of file name, and false when there
// is none or the site's template could change it (then the page is
// cleaned again, with evidence). A clean is handed out once.
func (st *siteTemplates) reuse(name string) (cleaner.Document, error, bool) {
	if st == nil {
		return cleaner.Document{}, nil, false
	}
	key := pageKey(name)
	st.mu.Lock()
	f, ok := st.first[key]
	delete(st.first, key)
	st.mu.Unlock()
	if ok {
		if ev := st.evidence(name); ev == nil || !ev.Counts(f.fps).Decisive() {
			return f.doc, f.err, true
		}
	}
	st.mu.Lock()
	st.again++
	st.mu.Unlock()
	return cleaner.Document{}, nil, false
}

// siteEvidence learns the template of the pages under --site and returns
// the evidence for the page name (whose host a first cleaning tells), and
// what to read stdin from afterwards (the page, when it came from stdin).
func siteEvidence(cl *cleaner.Cleaner, o cleanOptions, name string, stdin io.Reader) (cleaner.TemplateEvidence, io.Reader, error) {
	files, err := pageFiles([]string{o.site})
	if err != nil {
		return nil, stdin, fmt.Errorf("clean: --site: %w", err)
	}
	if len(files) == 0 {
		return nil, stdin, fmt.Errorf("clean: --site: no *.html, *.htm or *.html.gz files in %s", o.site)
	}
	learnOpts := o
	learnOpts.url = "" // --url is the page's, not the site's pages'
	st := learnSites(context.Background(), cl, files, learnOpts, o.workers, 0, slog.New(slog.DiscardHandler))
	if name == "-" {
		body, err := readPage("-", stdin)
		if err != nil {
			return nil, stdin, fmt.Errorf("clean -: %w", err)
		}
		stdin = bytes.NewReader(body)
		defer func() { _, _ = stdin.(*bytes.Reader).Seek(0, io.SeekStart) }()
	}
	doc, _, _, _ := cleanFile(cl, name, o.url, o.contentType, stdin, nil)
	return st.mem.Evidence(siteHost(doc, o.url), pageKey(name)), stdin, nil
}
