package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"winnow/cleaner"
	"winnow/internal/testsite"
)

// TestCleanOutReusesFirstPass: what `clean --out` writes from its first
// pass is what cleaning the page again with the site's template gives, for
// a batch where the template changes some pages (one site's saved pages)
// and not others (benchmark pages of other sites, a page without an
// article); and both ways are taken.
func TestCleanOutReusesFirstPass(t *testing.T) {
	t.Parallel()
	// Four pages of the site: each page's chrome is then on three others.
	arts, err := testsite.Articles(filepath.Join("..", "..", "testdata", "article-extraction-benchmark", "ground-truth.json"), 4)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := testsite.LoadTemplate(filepath.Join("..", "..", "cleaner", "testdata", "seed-002-news-site"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := []string{writeFile(t, filepath.Join(dir, "index.html"), "<html><body><ul><li><a href='/a'>A</a></li></ul></body></html>")}
	for i, a := range arts {
		b, err := tpl.Article(a, i)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, writeFile(t, filepath.Join(dir, fmt.Sprintf("%d.html", i)), string(b)))
	}
	bench, err := filepath.Glob(filepath.Join("..", "..", "testdata", "article-extraction-benchmark", "html", "*.html.gz"))
	if err != nil || len(bench) < 4 {
		t.Fatalf("benchmark pages: %d, %v", len(bench), err)
	}
	files = append(files, bench[:4]...)

	cl := cleaner.New(cleaner.Options{})
	sites := learnSites(context.Background(), cl, files, cleanOptions{}, 2, keepBudget, slog.New(slog.DiscardHandler))
	var reused, again int
	for _, f := range files {
		wantDoc, _, _, wantErr := cleanFile(cl, f, "", "", nil, sites.evidence(f))
		doc, err, ok := sites.reuse(f)
		if !ok {
			again++
			continue
		}
		reused++
		if diff := cmp.Diff(wantDoc, doc); diff != "" {
			t.Errorf("%s: first pass's document differs from a clean with the template (-want +got):\n%s", f, diff)
		}
		if fmt.Sprint(wantErr) != fmt.Sprint(err) {
			t.Errorf("%s: first pass's error %v, with the template %v", f, err, wantErr)
		}
	}
	if reused == 0 || again == 0 {
		t.Errorf("%d pages reused, %d cleaned again: want both ways taken", reused, again)
	}
	t.Logf("%d pages reused, %d cleaned again", reused, again)
}

// TestCleanOutKeepsWithinBudget: the first pass holds its cleans up to
// the budget; the pages beyond it are cleaned again in the second pass.
func TestCleanOutKeepsWithinBudget(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var files []string
	// No block of one page on another (digits would not tell them apart):
	// every page is kept from the first pass when the budget allows.
	for i, what := range []string{"schools", "roads", "harbour", "library"} {
		files = append(files, writeFile(t, filepath.Join(dir, fmt.Sprintf("%d.html", i)), fmt.Sprintf(
			"<html><body><article><h1>The %s</h1><p>The council met on Monday and approved the new budget for the %s after a long debate about what it should cost.</p></article></body></html>", what, what)))
	}
	cl := cleaner.New(cleaner.Options{})
	all := learnSites(context.Background(), cl, files, cleanOptions{}, 1, keepBudget, slog.New(slog.DiscardHandler))
	if len(all.first) != len(files) {
		t.Fatalf("within the budget: %d cleans held, want %d", len(all.first), len(files))
	}
	one := all.first[pageKey(files[0])].size()
	st := learnSites(context.Background(), cl, files, cleanOptions{}, 1, one, slog.New(slog.DiscardHandler))
	if len(st.first) != 1 || st.kept > one {
		t.Errorf("budget of one page (%d bytes): %d cleans held, %d bytes", one, len(st.first), st.kept)
	}
	var reused int
	for _, f := range files {
		if _, _, ok := st.reuse(f); ok {
			reused++
		}
	}
	if reused != 1 || st.again != len(files)-1 {
		t.Errorf("%d reused, %d cleaned again; want 1 and %d", reused, st.again, len(files)-1)
	}
}
