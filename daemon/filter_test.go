package daemon

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"winnow/cleaner"
	"winnow/config"
)

func TestWords(t *testing.T) {
	tests := []struct {
		name string
		text string
		want int
	}{
		{name: "empty", text: "", want: 0},
		{name: "english", text: "The council met on Tuesday.\nIt voted, 7 to 2, for the plan.", want: 13},
		{name: "punctuation between spaces counts as fields do", text: "yes — no", want: 3},
		{name: "russian", text: "Совет собрался во вторник.", want: 4},
		{name: "korean is space-separated", text: "시의회는 화요일에 회의를 열었다.", want: 4},
		{name: "chinese: one word per character", text: "市议会周二开会。", want: 7},
		{name: "chinese paragraphs", text: "市议会周二开会。\n议员们投票通过了计划。", want: 7 + 10},
		{name: "japanese kana and kanji", text: "市議会は火曜日に会合を開いた。", want: 14},
		{name: "katakana with prolonged sound mark", text: "コーヒー", want: 4},
		{name: "thai letters, not marks", text: "ข่าว", want: 3},
		{name: "latin words and numbers inside chinese", text: "2024年GDP增长5%。", want: 6},
		{name: "mixed fields", text: "Reuters 报道 说", want: 1 + 2 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Words(tt.text); got != tt.want {
				t.Errorf("Words(%q) = %d, want %d", tt.text, got, tt.want)
			}
		})
	}
}

func TestSkipReason(t *testing.T) {
	doc := func(lang string, words int) cleaner.Document {
		return cleaner.Document{Lang: lang, Paragraphs: []string{strings.TrimSpace(strings.Repeat("word ", words))}}
	}
	tests := []struct {
		name   string
		filter config.Filter
		doc    cleaner.Document
		want   string
	}{
		{name: "no filter", doc: doc("en", 1), want: ""},
		{name: "long enough", filter: config.Filter{MinWords: 10}, doc: doc("en", 10), want: ""},
		{name: "too short", filter: config.Filter{MinWords: 10}, doc: doc("en", 9), want: "too_short"},
		{name: "wanted language", filter: config.Filter{Languages: []string{"de", "en"}}, doc: doc("en", 5), want: ""},
		{name: "other language", filter: config.Filter{Languages: []string{"de", "en"}}, doc: doc("fr", 5), want: "language"},
		{name: "unknown language kept", filter: config.Filter{Languages: []string{"de"}}, doc: doc("", 5), want: ""},
		{name: "short counts first", filter: config.Filter{MinWords: 10, Languages: []string{"de"}}, doc: doc("fr", 5), want: "too_short"},
		{name: "chinese by characters", filter: config.Filter{MinWords: 10, Languages: []string{"zh"}},
			doc: cleaner.Document{Lang: "zh", Paragraphs: []string{"市议会周二开会。议员们投票通过了计划。"}}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := skipReason(tt.filter, tt.doc); got != tt.want {
				t.Errorf("skipReason = %q, want %q", got, tt.want)
			}
		})
	}
}

// filterSite is a small site of articles of different lengths and
// languages, for the min_words and languages filters.
func filterSite(t *testing.T) *httptest.Server {
	t.Helper()
	para := func(s string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "<p>%s (%d)</p>", s, i+1)
		}
		return b.String()
	}
	page := func(lang, title, body string) string {
		return `<!doctype html><html lang="` + lang + `"><head><meta charset="utf-8"><title>` + title +
			`</title></head><body><nav><a href="/">Home</a></nav><article><h1>` + title + `</h1>` + body + `</article></body></html>`
	}
	en := "The harbour board met on Tuesday evening and agreed, after a long and sometimes heated debate, to rebuild the old north pier before the winter storms arrive"
	de := "Der Hafenrat hat sich am Dienstagabend getroffen und nach einer langen und manchmal hitzigen Debatte beschlossen, den alten Nordpier vor den Winterstürmen neu zu bauen"
	zh := "港务委员会周二晚上召开会议，经过长时间且有时激烈的辩论，同意在冬季风暴到来之前重建旧的北码头"
	pages := map[string]string{
		"/": `<!doctype html><html><head><title>Front</title></head><body><ul>` +
			`<li><a href="/a/long.html">long</a></li><li><a href="/a/short.html">short</a></li>` +
			`<li><a href="/a/german.html">german</a></li><li><a href="/a/chinese.html">chinese</a></li>` +
			`<li><a href="/a/empty.html">empty</a></li></ul></body></html>`,
		"/a/long.html":    page("en", "Pier to be rebuilt", para(en, 6)),   // 6×28 words
		"/a/short.html":   page("en", "Pier: a brief", para(en, 2)),        // 2×28 words
		"/a/german.html":  page("de", "Pier wird neu gebaut", para(de, 6)), // long, but German
		"/a/chinese.html": page("zh", "北码头将重建", para(zh, 4)),               // 4×42 characters, 4×3 fields
		"/a/empty.html":   page("en", "Nothing here", ""),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRunFilter(t *testing.T) {
	site := filterSite(t)
	env := newRunnerEnv(t)
	opts := runnerOptions(site.URL+"/", `/a/`)
	opts.Filter = config.Filter{MinWords: 100, Languages: []string{"en", "zh"}}
	ctx := context.Background()
	r := env.runner.Run(ctx, "r1", opts, nil)
	if diff := cmp.Diff(RunResult{Result: "success", Fetched: 6, Written: 2, Skipped: 3}, resultCounts(r)); diff != "" {
		t.Errorf("run (-want +got):\n%s\nerr: %s", diff, r.Err)
	}
	if diff := cmp.Diff(map[string]int{"too_short": 1, "language": 1, "not_article": 1}, r.SkippedBy); diff != "" {
		t.Errorf("skipped by reason (-want +got):\n%s", diff)
	}
	for reason, want := range map[string]float64{"too_short": 1, "language": 1, "not_article": 1, "unchanged": 0, "duplicate": 0} {
		if got := testutil.ToFloat64(env.m.DocumentsSkipped.WithLabelValues("news", reason)); got != want {
			t.Errorf("documents_skipped_total{reason=%q} = %v, want %v", reason, got, want)
		}
	}
	var titles []string
	for _, f := range env.files(t) {
		b, err := os.ReadFile(filepath.Join(env.out, f))
		if err != nil {
			t.Fatal(err)
		}
		titles = append(titles, strings.SplitN(string(b), "\n", 2)[0])
	}
	slices.Sort(titles)
	if diff := cmp.Diff([]string{"Pier to be rebuilt", "北码头将重建"}, titles); diff != "" {
		t.Errorf("documents written (-want +got):\n%s", diff)
	}

	// Without the filter, the same site writes the short and the German
	// article too: the filter, not the cleaner, kept them out.
	env2 := newRunnerEnv(t)
	r = env2.runner.Run(ctx, "r1", runnerOptions(site.URL+"/", `/a/`), nil)
	if r.Written != 4 || r.Skipped != 1 {
		t.Errorf("run without filter: %+v", resultCounts(r))
	}
}
