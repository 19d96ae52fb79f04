package crawler

import (
	"context"
	"encoding/hex"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"winnow/internal/testredis"
)

// templateStore is what the Runner uses of a store's template evidence;
// both backends must behave alike.
type templateStore interface {
	TemplateCounts(ctx context.Context, host, url string, fps []uint64) (TemplateCounts, error)
	RecordTemplates(ctx context.Context, pages []TemplatePage, lim TemplateLimits) error
}

func templateStores() map[string]func(t *testing.T) templateStore {
	return map[string]func(t *testing.T) templateStore{
		"bolt":  func(t *testing.T) templateStore { return openTestStore(t) },
		"redis": func(t *testing.T) templateStore { return openTestRedis(t) },
	}
}

// TestTemplateStore runs the same recording sequence against each backend
// and checks the counts after each step.
func TestTemplateStore(t *testing.T) {
	const chrome, quote, entry, update = 1, 2, 3, 4
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	lim := TemplateLimits{Window: 4, MaxAge: 30 * 24 * time.Hour}
	type rec struct {
		host, url string
		fps       []uint64
		article   bool
		at        time.Time
	}
	type ask struct {
		host, url string
		fps       []uint64
		want      TemplateCounts
	}
	steps := []struct {
		name string
		rec  []rec
		ask  []ask
	}{
		{
			name: "distinct pages counted, the asking page excluded",
			rec: []rec{
				{"news.example", "/a", []uint64{chrome, 10, quote}, true, t0},
				{"news.example", "/b", []uint64{chrome, 11, quote}, true, t0.Add(time.Minute)},
				{"news.example", "/c", []uint64{chrome, 12}, true, t0.Add(2 * time.Minute)},
			},
			ask: []ask{
				{"news.example", "/new", []uint64{chrome, quote, 99}, TemplateCounts{Pages: 3, ArticlePages: 3, Count: []int{3, 2, 0}, Articles: []int{3, 2, 0}}},
				{"news.example", "/a", []uint64{chrome, quote, 10}, TemplateCounts{Pages: 2, ArticlePages: 2, Count: []int{2, 1, 0}, Articles: []int{2, 1, 0}}},
				{"other.example", "/new", []uint64{chrome}, TemplateCounts{Count: []int{0}, Articles: []int{0}}},
			},
		},
		{
			name: "a URL fetched again is still one page (live blog updates)",
			rec: []rec{
				{"news.example", "/c", []uint64{chrome, 12, entry}, true, t0.Add(3 * time.Minute)},
				{"news.example", "/c", []uint64{chrome, 12, entry, update}, true, t0.Add(4 * time.Minute)},
			},
			ask: []ask{
				{"news.example", "/new", []uint64{chrome, entry, update}, TemplateCounts{Pages: 3, ArticlePages: 3, Count: []int{3, 1, 1}, Articles: []int{3, 1, 1}}},
			},
		},
		{
			name: "index pages count as pages, not as articles",
			rec: []rec{
				{"news.example", "/", []uint64{chrome, chrome, 20}, false, t0.Add(5 * time.Minute)},
			},
			ask: []ask{
				{"news.example", "/new", []uint64{chrome, 20}, TemplateCounts{Pages: 4, ArticlePages: 3, Count: []int{4, 1}, Articles: []int{3, 0}}},
			},
		},
		{
			name: "the window keeps the most recent pages",
			rec: []rec{
				{"news.example", "/d", []uint64{chrome, 13}, true, t0.Add(6 * time.Minute)},
			},
			ask: []ask{
				// /a, the oldest, is gone with its counts.
				{"news.example", "/new", []uint64{chrome, quote, 10, 13}, TemplateCounts{Pages: 4, ArticlePages: 3, Count: []int{4, 1, 0, 1}, Articles: []int{3, 1, 0, 1}}},
			},
		},
		{
			name: "pages not seen for MaxAge age out",
			rec: []rec{
				{"news.example", "/e", []uint64{chrome, 14}, true, t0.Add(6*time.Minute + 30*24*time.Hour)},
			},
			ask: []ask{
				// Only /d (recorded 6 minutes in) is young enough, and /e itself.
				{"news.example", "/new", []uint64{chrome, 13, 14}, TemplateCounts{Pages: 2, ArticlePages: 2, Count: []int{2, 1, 1}, Articles: []int{2, 1, 1}}},
			},
		},
	}
	for name, open := range templateStores() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			for _, st := range steps {
				for _, r := range st.rec {
					if err := s.RecordTemplates(ctx, []TemplatePage{{Host: r.host, URL: r.url, FPs: r.fps, Article: r.article, At: r.at}}, lim); err != nil {
						t.Fatalf("%s: %v", st.name, err)
					}
				}
				for _, a := range st.ask {
					got, err := s.TemplateCounts(ctx, a.host, a.url, a.fps)
					if err != nil {
						t.Fatalf("%s: %v", st.name, err)
					}
					if diff := cmp.Diff(a.want, got); diff != "" {
						t.Errorf("%s: counts for %s%s (-want +got):\n%s", st.name, a.host, a.url, diff)
					}
				}
			}
		})
	}
}

// TestTemplateStoreBounded records far more pages than the window: the
// stored evidence stays the window's.
func TestTemplateStoreBounded(t *testing.T) {
	lim := TemplateLimits{Window: 20}
	t0 := time.Now()
	for name, open := range templateStores() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			// In batches of 50, as the Runner records them.
			var batch []TemplatePage
			for i := range 300 {
				fps := []uint64{1, uint64(1000 + i), uint64(5000 + i%7)}
				batch = append(batch, TemplatePage{Host: "big.example", URL: "/p/" + strconv.Itoa(i), FPs: fps, Article: true, At: t0.Add(time.Duration(i) * time.Second)})
				if len(batch) == 50 {
					if err := s.RecordTemplates(ctx, batch, lim); err != nil {
						t.Fatal(err)
					}
					batch = nil
				}
			}
			got, err := s.TemplateCounts(ctx, "big.example", "/new", []uint64{1, 1000, 1299, 5000})
			if err != nil {
				t.Fatal(err)
			}
			want := TemplateCounts{Pages: 20, ArticlePages: 20, Count: []int{20, 0, 1, 3}, Articles: []int{20, 0, 1, 3}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// BenchmarkTemplateStore: one page's evidence lookup and its share of a
// batch's recording, as the Runner does for every article, on a host whose window is full (500
// pages of 150 fingerprints, 40 of them the site's chrome).
func BenchmarkTemplateStore(b *testing.B) {
	for _, name := range []string{"bolt", "redis"} {
		b.Run(name, func(b *testing.B) {
			s := openForBench(b, name)
			ctx := context.Background()
			page := func(i int) []uint64 {
				fps := make([]uint64, 0, 150)
				for k := range 40 {
					fps = append(fps, uint64(k+1))
				}
				for k := range 110 {
					fps = append(fps, uint64(1_000_000+i*110+k))
				}
				return fps
			}
			t0 := time.Now()
			for i := range DefaultTemplateWindow {
				if err := s.RecordTemplates(ctx, []TemplatePage{{Host: "news.example", URL: "/p/" + strconv.Itoa(i), FPs: page(i), Article: true, At: t0}}, TemplateLimits{}); err != nil {
					b.Fatal(err)
				}
			}
			flush := func() {
				// Redis sends recordings with its next request: send them
				// now, so that record times the store's work.
				if f, ok := s.(interface{ flush(context.Context) error }); ok {
					if err := f.flush(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
			flush()
			// Lookups one page at a time, recordings in batches of 32.
			const batchOf = 32
			var lookup, record time.Duration
			var batch []TemplatePage
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				n := DefaultTemplateWindow + i
				fps := page(n)
				t1 := time.Now()
				if _, err := s.TemplateCounts(ctx, "news.example", "/p/"+strconv.Itoa(n), fps); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				lookup += t2.Sub(t1)
				batch = append(batch, TemplatePage{Host: "news.example", URL: "/p/" + strconv.Itoa(n), FPs: fps, Article: true, At: t0})
				if len(batch) == batchOf || i == b.N-1 {
					if err := s.RecordTemplates(ctx, batch, TemplateLimits{}); err != nil {
						b.Fatal(err)
					}
					flush()
					batch = batch[:0]
					record += time.Since(t2)
				}
			}
			b.ReportMetric(float64(lookup.Microseconds())/1000/float64(b.N), "lookup-ms/page")
			b.ReportMetric(float64(record.Microseconds())/1000/float64(b.N), "record-ms/page")
		})
	}
}

func openForBench(b *testing.B, name string) templateStore {
	if name == "redis" {
		srv := testredis.Start(b)
		s, err := OpenRedis(context.Background(), srv.Addr)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}
	s, err := OpenBolt(filepath.Join(b.TempDir(), "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// TestTemplateStoreForgetsStaleHosts: in bbolt a host not recorded for
// MaxAge goes whole when another host is recorded (Redis expires its keys).
func TestTemplateStoreForgetsStaleHosts(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	lim := TemplateLimits{MaxAge: 24 * time.Hour}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rec := func(host string, at time.Time) {
		t.Helper()
		if err := s.RecordTemplates(ctx, []TemplatePage{{Host: host, URL: "/a", FPs: []uint64{1, 2}, Article: true, At: at}}, lim); err != nil {
			t.Fatal(err)
		}
	}
	rec("old.example", t0)
	rec("new.example", t0.Add(12*time.Hour))
	if tc, _ := s.TemplateCounts(ctx, "old.example", "/b", []uint64{1}); tc.Pages != 1 {
		t.Fatalf("old.example within MaxAge: %+v", tc)
	}
	rec("new.example", t0.Add(25*time.Hour))
	tc, err := s.TemplateCounts(ctx, "old.example", "/b", []uint64{1})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(TemplateCounts{Count: []int{0}, Articles: []int{0}}, tc); diff != "" {
		t.Errorf("old.example after MaxAge (-want +got):\n%s", diff)
	}
	if tc, _ := s.TemplateCounts(ctx, "new.example", "/b", []uint64{1}); tc.Pages != 1 {
		t.Errorf("new.example: %+v", tc)
	}
}

// TestTemplateBatchesEqualSinglePages: recording pages in batches (whose
// counts are summed before they are written) leaves the store exactly as
// recording them one call each: same keys, same values, in every bucket
// of the template evidence. The pages repeat URLs, share fingerprints,
// mix articles and index pages over two hosts, and overflow the window
// inside a batch.
func TestTemplateBatchesEqualSinglePages(t *testing.T) {
	lim := TemplateLimits{Window: 7, MaxAge: time.Hour}
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var pages []TemplatePage
	for i := range 400 {
		var fps []uint64
		for range 1 + rng.IntN(12) {
			fps = append(fps, uint64(rng.IntN(30))) // shared and repeated
		}
		host := []string{"a.example", "b.example"}[rng.IntN(2)]
		pages = append(pages, TemplatePage{
			Host: host, URL: "/p/" + strconv.Itoa(rng.IntN(25)), FPs: fps, Article: rng.IntN(3) > 0,
			// Mostly forward in time, now and then a jump past MaxAge.
			At: t0.Add(time.Duration(i)*time.Second + time.Duration(i/150)*2*time.Hour),
		})
	}
	ctx := context.Background()
	single, batched := openTestStore(t), openTestStore(t)
	for _, p := range pages {
		if err := single.RecordTemplates(ctx, []TemplatePage{p}, lim); err != nil {
			t.Fatal(err)
		}
	}
	for rest := pages; len(rest) > 0; {
		n := min(len(rest), 1+rng.IntN(40))
		if err := batched.RecordTemplates(ctx, rest[:n], lim); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	want, got := dumpBucket(t, single, bucketTemplate), dumpBucket(t, batched, bucketTemplate)
	if len(want) == 0 {
		t.Fatal("nothing recorded")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("batched recording differs from page by page (-single +batched):\n%s", diff)
	}
}

// dumpBucket lists every key under the top-level bucket name, nested
// buckets included, as "path/key" -> hex value.
func dumpBucket(t *testing.T, s *BoltStore, name []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	var walk func(b *bolt.Bucket, path string)
	walk = func(b *bolt.Bucket, path string) {
		b.ForEach(func(k, v []byte) error {
			if v == nil {
				walk(b.Bucket(k), path+"/"+hex.EncodeToString(k))
				return nil
			}
			out[path+"/"+hex.EncodeToString(k)] = hex.EncodeToString(v)
			return nil
		})
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(name); b != nil {
			walk(b, "")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
