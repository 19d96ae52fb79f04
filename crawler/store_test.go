package crawler

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"winnow/internal/testredis"
)

// stores returns one fresh store of each backend; Redis runs as a real
// redis-server on a loopback port.
func stores(t *testing.T) map[string]func(t *testing.T) Store {
	return map[string]func(t *testing.T) Store{
		"bolt":  func(t *testing.T) Store { return openTestStore(t) },
		"redis": func(t *testing.T) Store { return openTestRedis(t) },
	}
}

func openTestRedis(t *testing.T) *RedisStore {
	t.Helper()
	srv := testredis.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := OpenRedis(ctx, srv.Addr)
	if err != nil {
		t.Fatalf("redis-server on %s: %v", srv.Addr, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestStoreConformance runs the Store protocol against every backend.
func TestStoreConformance(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			urls := func(items []Item) []string {
				var out []string
				for _, it := range items {
					out = append(out, it.URL)
				}
				return out
			}
			must(s.Ping(ctx))
			resumed, queued, err := s.BeginRun(ctx, "j")
			must(err)
			if resumed || queued != 0 {
				t.Errorf("fresh BeginRun = %v, %d", resumed, queued)
			}
			a := Item{URL: "https://x.example/a", Depth: 0}
			b := Item{URL: "https://x.example/b", Depth: 1, Kind: KindSitemap}
			c := Item{URL: "https://x.example/c", Depth: 2, Kind: KindFeed}
			n, err := s.Enqueue(ctx, "j", []Item{a, b, a})
			must(err)
			if n != 2 {
				t.Errorf("Enqueue added %d, want 2", n)
			}
			front, err := s.Frontier(ctx, "j", 0, 10)
			must(err)
			if diff := cmp.Diff([]Item{{Seq: front[0].Seq, URL: a.URL}, {Seq: front[1].Seq, URL: b.URL, Depth: 1, Kind: KindSitemap}}, front); diff != "" {
				t.Fatalf("Frontier (-want +got):\n%s", diff)
			}
			if front[0].Seq >= front[1].Seq {
				t.Errorf("sequence not increasing: %d, %d", front[0].Seq, front[1].Seq)
			}
			after, err := s.Frontier(ctx, "j", front[0].Seq, 10)
			must(err)
			if diff := cmp.Diff([]string{b.URL}, urls(after)); diff != "" {
				t.Errorf("Frontier after first (-want +got):\n%s", diff)
			}
			rec := &Record{ETag: `"e1"`, LastModified: "Mon, 02 Jan 2006 15:04:05 GMT", SHA256: "ab", FetchedAt: time.Unix(100, 0).UTC()}
			n, err = s.Done(ctx, "j", front[0], rec, []Item{b, c})
			must(err)
			if n != 1 {
				t.Errorf("Done added %d links, want 1 (c)", n)
			}
			left, err := s.Frontier(ctx, "j", 0, 10)
			must(err)
			if diff := cmp.Diff([]string{b.URL, c.URL}, urls(left)); diff != "" {
				t.Errorf("Frontier after Done (-want +got):\n%s", diff)
			}
			got, ok, err := s.Record(ctx, "j", a.URL)
			must(err)
			if !ok || got != *rec {
				t.Errorf("Record = %+v, %v; want %+v", got, ok, *rec)
			}
			must(s.SetOutputID(ctx, "j", a.URL, "0123456789abcdef"))
			got, _, err = s.Record(ctx, "j", a.URL)
			must(err)
			if got.OutputID != "0123456789abcdef" || got.ETag != `"e1"` {
				t.Errorf("after SetOutputID: %+v", got)
			}
			if _, ok, _ := s.Record(ctx, "other", a.URL); ok {
				t.Errorf("record visible to another job")
			}

			// An unfinished run is resumed.
			resumed, queued, err = s.BeginRun(ctx, "j")
			must(err)
			if !resumed || queued != 2 {
				t.Errorf("BeginRun of unfinished run = %v, %d; want true, 2", resumed, queued)
			}
			must(s.FinishRun(ctx, "j"))
			resumed, _, err = s.BeginRun(ctx, "j")
			must(err)
			if resumed {
				t.Errorf("BeginRun after FinishRun resumed")
			}
			left, err = s.Frontier(ctx, "j", 0, 10)
			must(err)
			if len(left) != 0 {
				t.Errorf("frontier after FinishRun: %v", urls(left))
			}
			// The visited set is per run; records stay, and Done without a
			// record id keeps the stored output id.
			n, err = s.Enqueue(ctx, "j", []Item{a})
			must(err)
			if n != 1 {
				t.Errorf("Enqueue in a new run added %d, want 1", n)
			}
			front, err = s.Frontier(ctx, "j", 0, 10)
			must(err)
			_, err = s.Done(ctx, "j", front[0], &Record{ETag: `"e2"`}, nil)
			must(err)
			got, _, err = s.Record(ctx, "j", a.URL)
			must(err)
			if got.ETag != `"e2"` || got.OutputID != "0123456789abcdef" {
				t.Errorf("record after second run: %+v", got)
			}
		})
	}
}

// TestResumeEveryStore interrupts a crawl and resumes it on each backend.
func TestResumeEveryStore(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := serveSite(t, "site-news", nil)
			store := open(t)
			opts := testOptions(s.URL + "/")
			opts.Article = mustRe(newsArticles)
			opts.Parallel = 1
			c, err := New(opts, store, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			var emitted []string
			c.Run(ctx, func(ctx context.Context, p Page) error {
				if len(emitted) == 1 {
					cancel()
					return ctx.Err()
				}
				emitted = append(emitted, p.URL)
				return nil
			})
			r := crawl(t, opts, store, nil)
			if r.err != nil {
				t.Fatal(r.err)
			}
			if got := len(emitted) + len(r.emits); got != 3 || s.hitCount("/") != 1 {
				t.Errorf("emits %v then %v; front page hits %d", emitted, r.emits, s.hitCount("/"))
			}
			// Second full run: 304s from the stored validators.
			r = crawl(t, opts, store, nil)
			for _, p := range r.pages {
				if !p.Unchanged {
					t.Errorf("%s changed on re-crawl", p.URL)
				}
			}
		})
	}
}

// A state file another process (here: another open) holds is a clear error
// after a short wait, not a hang.
func TestOpenBoltLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	first, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	_, err = OpenBolt(path)
	if !errors.Is(err, ErrStateLocked) || !strings.Contains(err.Error(), path) {
		t.Errorf("second open: %v, want ErrStateLocked naming %s", err, path)
	}
}
