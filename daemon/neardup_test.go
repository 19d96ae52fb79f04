package daemon

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"winnow/cleaner"
	"winnow/config"
	"winnow/crawler"
	"winnow/internal/testredis"
	"winnow/metrics"
	"winnow/output"
	"winnow/simhash"
)

// wireStory is an agency story as the wire sends it: syndicated outlets
// run it under their own headline and byline, in their own page chrome,
// and change one paragraph (the credit line, a local angle).
var wireStory = []string{
	"The central bank raised its main interest rate by a quarter of a percentage point on Thursday, the fourth increase this year, saying inflation was still running well above its target.",
	"The decision, taken by seven votes to two, takes the rate to 4.5 percent, its highest level since 2008, and was widely expected by economists polled before the meeting.",
	"Governor Elena Marsh told reporters that the bank would do what was needed to bring inflation back down, but that it was watching closely for signs that higher borrowing costs were hurting jobs.",
	"Consumer prices rose 6.1 percent in the year to October, down from a peak of 9 percent in the spring but still three times the bank's target of 2 percent.",
	"The two members who voted against the increase said the effects of earlier rises had yet to be felt in the economy and warned of the risk of doing too much.",
	"Mortgage lenders said they expected to pass the increase on to borrowers within days, adding about 30 a month to the repayments of a typical variable-rate loan.",
	"Business groups urged the bank to pause, pointing to a fall in factory orders and a rise in insolvencies among small firms over the past three months.",
	"Markets had priced in the move, and the currency was little changed after the announcement, while government bond yields edged lower.",
	"Economists said the bank was likely to hold rates at their new level for the rest of the winter unless wage growth picked up again, though two large banks still expect one more increase in the new year.",
	"The bank's next meeting is in December, when it will also publish new forecasts for growth and inflation over the next three years.",
	"Reporting by Tom Hale; editing by Ann Roy.",
}

// outlet is one news site of the test: its chrome, and the stories it runs.
type outlet struct {
	name, nav, footer string
	stories           []outletStory
}

type outletStory struct {
	slug, headline, byline string
	paras                  []string
}

// syndicated returns the wire story with paragraph i replaced by p (or
// with p added when i is -1).
func syndicated(i int, p string) []string {
	out := append([]string{}, wireStory...)
	if i < 0 {
		return append(out, p)
	}
	out[i] = p
	return out
}

var outlets = []outlet{
	{
		name: "Wire Service", nav: "World · Business · Markets · Pictures", footer: "All quotes delayed a minimum of 15 minutes.",
		stories: []outletStory{{slug: "rates-rise", headline: "Central bank raises rates to 4.5%, highest since 2008", byline: "By Tom Hale", paras: wireStory}},
	},
	{
		name: "Daily Gazette", nav: "Home · Local · Sport · Opinion · Obituaries", footer: "Daily Gazette, 12 Mill Street. Subscribe for home delivery.",
		stories: []outletStory{
			{slug: "bank-rate", headline: "Borrowing costs climb again as bank lifts rate", byline: "Staff and wire reports",
				paras: syndicated(5, "Mortgage lenders in the county said they would pass the increase on to their borrowers from next month.")},
			{slug: "library", headline: "Library to open on Sundays from March", byline: "By Rosa Ortiz", paras: []string{
				"The town library will open on Sundays from the first week of March, the council said on Wednesday, after a petition signed by more than two thousand residents.",
				"The extra hours, from noon to five, will be paid for by cutting the opening hours of the mobile library on weekday mornings, when few people used it.",
				"Librarians said Sunday was the day most requested in a survey last year, especially by families with children and by students preparing for exams.",
				"The council will review the change after six months, and said it hoped to add Sunday story readings for young children if volunteers came forward.",
			}},
		},
	},
	{
		name: "Harbour Post", nav: "News · Harbour · Business · What's on", footer: "© Harbour Post. Letters to the editor welcome.",
		stories: []outletStory{
			{slug: "rate-decision", headline: "Rate rise to hit harbour town mortgages", byline: "Agency",
				paras: syndicated(-1, "Local lenders in the harbour town said most of their customers were on fixed rates.")},
			// Another story on the same event: shares names and
			// phrases with the wire copy, but is not a copy.
			{slug: "rates-analysis", headline: "Analysis: why the bank did not stop at 4.25%", byline: "By Mark Ellison", paras: []string{
				"Thursday's rate rise to 4.5 percent was the fourth this year, and the bank's statement suggests it may not be the last, whatever the governor said to reporters afterwards.",
				"Governor Elena Marsh has staked her term on bringing inflation back to target, and the minutes show that a majority feared that stopping early would cost more later.",
				"The two dissenting members made a case that deserves a hearing: the full effect of a rate change takes more than a year to reach prices, and the earliest rises are only now biting.",
				"For harbour town households the arithmetic is simple: most mortgages here were fixed two years ago and will be renewed next year at rates nearly twice as high.",
			}},
		},
	},
}

// serveOutlets starts one loopback server per outlet: a front page
// linking to its stories, each in the outlet's chrome.
func serveOutlets(t *testing.T) []string {
	t.Helper()
	var seeds []string
	for _, o := range outlets {
		mux := http.NewServeMux()
		mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
			var b strings.Builder
			fmt.Fprintf(&b, "<html><head><title>%s</title></head><body><nav>%s</nav><ul>", o.name, o.nav)
			for _, s := range o.stories {
				fmt.Fprintf(&b, `<li><a href="/2024/11/%s.html">%s</a></li>`, s.slug, html.EscapeString(s.headline))
			}
			b.WriteString("</ul></body></html>")
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, b.String())
		})
		for _, s := range o.stories {
			mux.HandleFunc("/2024/11/"+s.slug+".html", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprint(w, storyPage(o, s))
			})
		}
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		seeds = append(seeds, srv.URL+"/")
	}
	return seeds
}

// storyPage is a story in its outlet's page chrome.
func storyPage(o outlet, s outletStory) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<!doctype html><html lang="en"><head><title>%s | %s</title>
<meta property="og:site_name" content="%s"></head><body>
<header><a href="/">%s</a><nav>%s</nav></header>
<article><h1>%s</h1><p class="byline">%s</p>`, html.EscapeString(s.headline), o.name, o.name, o.name, o.nav, html.EscapeString(s.headline), s.byline)
	for _, p := range s.paras {
		fmt.Fprintf(&b, "<p>%s</p>\n", html.EscapeString(p))
	}
	fmt.Fprintf(&b, `</article><aside class="related"><h3>Most read</h3><ul><li><a href="/">%s front page</a></li></ul></aside>
<footer><p>%s</p></footer></body></html>`, o.name, o.footer)
	return b.String()
}

// TestRunNearDuplicates crawls three outlets, two of which run the same
// wire story with their own headline, byline, chrome and one paragraph of
// their own: one copy is written, the others are skipped as
// near_duplicate, and every distinct story, one on the same event among
// them, is written. Off by default, every copy is written.
func TestRunNearDuplicates(t *testing.T) {
	seeds := serveOutlets(t)
	stores := map[string]func(t *testing.T, dir string) crawler.Store{
		"bolt": func(t *testing.T, dir string) crawler.Store {
			s, err := crawler.OpenBolt(filepath.Join(dir, "state.db"))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"redis": func(t *testing.T, dir string) crawler.Store {
			srv := testredis.Start(t)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			s, err := crawler.OpenRedis(ctx, srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	tests := []struct {
		name    string
		filter  config.NearDuplicates
		written int
		near    int
	}{
		{name: "off by default", filter: config.DefaultFilter().NearDuplicates, written: 5},
		// The copy adding a sentence is skipped; the one with a paragraph
		// rewritten is 7 bits away (TestWireCopiesDistance).
		{name: "on at 3", filter: config.NearDuplicates{Enabled: true, MaxDistance: 3}, written: 4, near: 1},
		{name: "on at 7", filter: config.NearDuplicates{Enabled: true, MaxDistance: 7}, written: 3, near: 2},
	}
	for storeName, open := range stores {
		for _, tt := range tests {
			t.Run(storeName+"/"+tt.name, func(t *testing.T) {
				out := t.TempDir()
				sink, err := output.NewSink(out, "txt")
				if err != nil {
					t.Fatal(err)
				}
				defer sink.Close()
				store := open(t, t.TempDir())
				defer store.Close()
				m := metrics.New(prometheus.NewRegistry())
				m.InitJob("news")
				r := NewRunner(cleaner.New(cleaner.Options{}), sink, store, m, nil)
				opts := RunOptions{Options: crawler.Options{
					Job: "news", Seeds: seeds, MaxDepth: 1, Parallel: 4, Timeout: 5 * time.Second,
					AllowPrivate: true, UserAgent: "winnow-test/1.0", Article: []*regexp.Regexp{regexp.MustCompile(`/2024/`)},
				}}
				opts.Filter.NearDuplicates = tt.filter
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				res := r.Run(ctx, "r1", opts, nil)
				if res.Result != "success" {
					t.Fatalf("run %s: %s", res.Result, res.Err)
				}
				want := RunResult{Result: "success", Fetched: 8, Written: tt.written, Skipped: tt.near}
				if diff := cmp.Diff(want, resultCounts(res)); diff != "" {
					t.Errorf("run (-want +got):\n%s\nskipped: %v", diff, res.SkippedBy)
				}
				if got := testutil.ToFloat64(m.DocumentsSkipped.WithLabelValues("news", "near_duplicate")); got != float64(tt.near) {
					t.Errorf("skipped{near_duplicate} = %v, want %d", got, tt.near)
				}
				// Every distinct story is there, and the wire story once.
				titles := map[string]bool{}
				for _, l := range readManifestTitles(t, out) {
					titles[l] = true
				}
				for _, want := range []string{"Library to open on Sundays from March", "Analysis: why the bank did not stop at 4.25%"} {
					if !titles[want] {
						t.Errorf("distinct story %q not written; written: %v", want, titles)
					}
				}
				// A second run writes nothing new: the copies stay skipped,
				// the written one is unchanged.
				res = r.Run(ctx, "r2", opts, nil)
				if res.Written+res.Replaced != 0 {
					t.Errorf("second run wrote %d", res.Written+res.Replaced)
				}
			})
		}
	}
}

// TestWireCopiesDistance pins the SimHash distances, between the texts
// the cleaner extracts, that make TestRunNearDuplicates' outcome the same
// whatever order the pages are crawled in: at max_distance 3 the wire story
// and the copy that adds a sentence are near, the copy with a rewritten
// paragraph is near neither; at 7 the three copies are all near each
// other; the distinct stories are far from every copy.
func TestWireCopiesDistance(t *testing.T) {
	cl := cleaner.New(cleaner.Options{})
	fps := map[string]uint64{}
	for _, o := range outlets {
		for _, s := range o.stories {
			doc, _, err := cl.Clean(cleaner.Input{Body: []byte(storyPage(o, s)), URL: "http://" + s.slug + ".example/2024/11/" + s.slug + ".html"})
			if err != nil {
				t.Fatal(err)
			}
			fps[s.slug] = simhash.Fingerprint(doc.Text())
		}
	}
	d := func(a, b string) int { return simhash.Distance(fps[a], fps[b]) }
	copies := []string{"rates-rise", "bank-rate", "rate-decision"}
	t.Logf("wire-gazette %d, wire-harbour %d, gazette-harbour %d", d("rates-rise", "bank-rate"), d("rates-rise", "rate-decision"), d("bank-rate", "rate-decision"))
	if d("rates-rise", "rate-decision") > 3 || d("rates-rise", "bank-rate") <= 3 || d("bank-rate", "rate-decision") <= 3 {
		t.Error("at distance 3, want only the wire story and the copy adding a sentence near")
	}
	for i, a := range copies {
		for _, b := range copies[i+1:] {
			if d(a, b) > 7 {
				t.Errorf("%s and %s are %d bits apart, want at most 7", a, b, d(a, b))
			}
		}
		for _, other := range []string{"library", "rates-analysis"} {
			if d(a, other) < 20 {
				t.Errorf("%s and the distinct story %s are %d bits apart, want at least 20", a, other, d(a, other))
			}
		}
	}
}

func readManifestTitles(t *testing.T, out string) []string {
	t.Helper()
	var titles []string
	for _, l := range (runnerEnv{out: out}).manifest(t) {
		m := regexp.MustCompile(`"title":"((?:[^"\\]|\\.)*)"`).FindStringSubmatch(l)
		if m != nil {
			titles = append(titles, m[1])
		}
	}
	return titles
}

func TestNearDistanceBoundsAgree(t *testing.T) {
	if config.MaxNearDistance != crawler.MaxNearDistance {
		t.Errorf("config accepts max_distance up to %d, the store's index %d", config.MaxNearDistance, crawler.MaxNearDistance)
	}
}
