package crawler

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// replayPage is version v of url, an HTML 200 unless status says otherwise.
func replayPage(url string, v, status int, ctype string) Page {
	if status == 0 {
		status = http.StatusOK
	}
	if ctype == "" {
		ctype = "text/html; charset=utf-8"
	}
	return Page{URL: url, FinalURL: url, Status: status, Header: http.Header{"Content-Type": {ctype}}, Body: []byte(fmt.Sprint(v))}
}

func pagesOf(pages []Page, tail error) iter.Seq2[Page, error] {
	return func(yield func(Page, error) bool) {
		for _, p := range pages {
			if !yield(p, nil) {
				return
			}
		}
		if tail != nil {
			yield(Page{}, tail)
		}
	}
}

// Replay emits each article once and hands the other HTML pages to
// LinksPage; non-HTML pages and non-2xx responses are read but not
// handled; the versions of one URL are handled one at a time, in archive
// order; errors of the archive and of emit end the run, ErrPageFailed
// does not.
func TestReplayRun(t *testing.T) {
	errArchive := errors.New("archive broken")
	errEmit := errors.New("sink broken")
	var many []Page
	for i := range 60 {
		// Ten URLs, six versions each, interleaved: the versions of a URL
		// are close enough to meet in the queue.
		many = append(many, replayPage(fmt.Sprintf("http://a.example/2024/story-%d", i%10), i/10, 0, ""))
	}
	tests := []struct {
		name     string
		pages    []Page
		tail     error
		failOn   string // emit's answer for this URL (version 0): errFail's
		errFail  error
		wantErr  error
		wantEmit map[string][]string // versions emitted, by URL
		wantLink []string            // LinksPage, by URL
		wantStat Stats
	}{
		{
			name: "articles, links pages, and what is not handled",
			pages: []Page{
				replayPage("http://a.example/", 0, 0, ""),
				replayPage("http://a.example/2024/one", 0, 0, ""),
				replayPage("http://a.example/2024/gone", 0, http.StatusNotFound, ""),
				replayPage("http://a.example/2024/moved", 0, http.StatusMovedPermanently, ""),
				replayPage("http://a.example/2024/photo.jpg", 0, 0, "image/jpeg"),
				replayPage("http://a.example/2024/two", 0, 0, "TEXT/HTML"),
				replayPage("http://a.example/section/", 0, 0, ""),
			},
			wantEmit: map[string][]string{"http://a.example/2024/one": {"0"}, "http://a.example/2024/two": {"0"}},
			wantLink: []string{"http://a.example/", "http://a.example/section/"},
			wantStat: Stats{Fetched: 7, Emitted: 2},
		},
		{
			name:  "versions of one URL stay in order",
			pages: many,
			wantEmit: func() map[string][]string {
				m := map[string][]string{}
				for i := range 60 {
					u := fmt.Sprintf("http://a.example/2024/story-%d", i%10)
					m[u] = append(m[u], fmt.Sprint(i/10))
				}
				return m
			}(),
			wantStat: Stats{Fetched: 60, Emitted: 60},
		},
		{
			name:     "a failed page is counted, the run goes on",
			pages:    []Page{replayPage("http://a.example/2024/bad", 0, 0, ""), replayPage("http://a.example/2024/good", 0, 0, "")},
			failOn:   "http://a.example/2024/bad",
			errFail:  fmt.Errorf("clean: %w", ErrPageFailed),
			wantEmit: map[string][]string{"http://a.example/2024/bad": {"0"}, "http://a.example/2024/good": {"0"}},
			wantStat: Stats{Fetched: 2, Emitted: 1, PageErrors: 1},
		},
		{
			name:     "an emit error ends the run",
			pages:    []Page{replayPage("http://a.example/2024/bad", 0, 0, "")},
			failOn:   "http://a.example/2024/bad",
			errFail:  errEmit,
			wantErr:  errEmit,
			wantEmit: map[string][]string{"http://a.example/2024/bad": {"0"}},
			wantStat: Stats{Fetched: 1},
		},
		{
			name:     "an archive error ends the run",
			tail:     errArchive,
			wantErr:  errArchive,
			wantEmit: map[string][]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				mu      sync.Mutex
				emitted = map[string][]string{}
				links   []string
				inHand  = map[string]bool{}
				overlap []string
			)
			opts := Options{Job: "replay", Parallel: 4, Article: []*regexp.Regexp{regexp.MustCompile(`/2024/`)},
				LinksPage: func(_ context.Context, p Page) {
					mu.Lock()
					links = append(links, p.URL)
					mu.Unlock()
				}}
			r := NewReplay(opts, pagesOf(tt.pages, tt.tail), nil)
			err := r.Run(context.Background(), func(_ context.Context, p Page) error {
				mu.Lock()
				if inHand[p.URL] {
					overlap = append(overlap, p.URL)
				}
				inHand[p.URL] = true
				emitted[p.URL] = append(emitted[p.URL], string(p.Body))
				mu.Unlock()
				time.Sleep(time.Millisecond) // let another version of the URL catch up, if it could
				mu.Lock()
				delete(inHand, p.URL)
				mu.Unlock()
				if p.URL == tt.failOn {
					return tt.errFail
				}
				return nil
			})
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Errorf("Run: %v, want %v", err, tt.wantErr)
			}
			if len(overlap) > 0 {
				t.Errorf("versions of one URL handled at once: %v", overlap)
			}
			if diff := cmp.Diff(tt.wantEmit, emitted); diff != "" {
				t.Errorf("emitted (-want +got):\n%s", diff)
			}
			// LinksPage runs from several goroutines: compare as a set.
			got := map[string]bool{}
			for _, l := range links {
				got[l] = true
			}
			want := map[string]bool{}
			for _, l := range tt.wantLink {
				want[l] = true
			}
			if diff := cmp.Diff(want, got); diff != "" || len(links) != len(tt.wantLink) {
				t.Errorf("LinksPage %v, want %v (-want +got):\n%s", links, tt.wantLink, diff)
			}
			if diff := cmp.Diff(tt.wantStat, r.Stats()); diff != "" {
				t.Errorf("Stats (-want +got):\n%s", diff)
			}
		})
	}
}

// Replay hands Parallel pages to emit at once: a page waiting on the disk
// leaves the others to be cleaned.
func TestReplayRunParallel(t *testing.T) {
	const parallel = 6
	var pages []Page
	for i := range 3 * parallel {
		pages = append(pages, replayPage(fmt.Sprintf("http://a.example/%d", i), 0, 0, ""))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	arrived := make(chan struct{}, parallel)
	all := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	n := 0
	r := NewReplay(Options{Job: "replay", Parallel: parallel}, pagesOf(pages, nil), nil)
	err := r.Run(ctx, func(ctx context.Context, p Page) error {
		mu.Lock()
		n++
		first := n <= parallel
		mu.Unlock()
		if !first {
			return nil
		}
		arrived <- struct{}{}
		if len(arrived) == parallel {
			once.Do(func() { close(all) })
		}
		select {
		case <-all: // the first parallel pages were all in emit at once
			return nil
		case <-ctx.Done():
			return fmt.Errorf("only %d pages in emit at once, want %d: %w", len(arrived), parallel, ctx.Err())
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Stats().Emitted; got != int64(len(pages)) {
		t.Errorf("emitted %d pages, want %d", got, len(pages))
	}
}

// A cancelled replay returns the context's error and handles nothing more.
func TestReplayRunCancelled(t *testing.T) {
	var pages []Page
	for i := range 100 {
		pages = append(pages, replayPage(fmt.Sprintf("http://a.example/%d", i%7), i, 0, ""))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	n := 0
	r := NewReplay(Options{Job: "replay", Parallel: 3}, pagesOf(pages, nil), nil)
	err := r.Run(ctx, func(context.Context, Page) error {
		mu.Lock()
		defer mu.Unlock()
		if n++; n == 5 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v, want context.Canceled", err)
	}
	if n >= len(pages) {
		t.Errorf("all %d pages handled after the cancel", n)
	}
}

// A page that waits long (its document's fsync, say) holds up only its own
// goroutine: the other goroutines handle every other page meanwhile.
func TestReplayRunSlowPage(t *testing.T) {
	const others = 50
	pages := []Page{replayPage("http://a.example/slow", 0, 0, "")}
	for i := range others {
		pages = append(pages, replayPage(fmt.Sprintf("http://a.example/%d", i), 0, 0, ""))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mu sync.Mutex
	n := 0
	othersDone := make(chan struct{})
	r := NewReplay(Options{Job: "replay", Parallel: 2}, pagesOf(pages, nil), nil)
	err := r.Run(ctx, func(ctx context.Context, p Page) error {
		if p.URL == "http://a.example/slow" {
			select {
			case <-othersDone:
				return nil
			case <-ctx.Done():
				mu.Lock()
				defer mu.Unlock()
				return fmt.Errorf("%d of %d other pages handled while one waited: %w", n, others, ctx.Err())
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if n++; n == others {
			close(othersDone)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
