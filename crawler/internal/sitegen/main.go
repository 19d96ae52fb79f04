// Command sitegen serves a generated news site of N articles on a loopback
// port, for measuring `winnow crawl`: a front page, section pages of 50
// links each, and the articles, each with its own text.
//
//	go run ./crawler/internal/sitegen -n 2000 -addr 127.0.0.1:8099
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"strconv"
	"strings"
)

const perSection = 50

func main() {
	n := flag.Int("n", 2000, "number of articles")
	addr := flag.String("addr", "127.0.0.1:8099", "listen address")
	flag.Parse()
	log.Printf("serving %d articles on http://%s/", *n, *addr)
	log.Fatal(http.ListenAndServe(*addr, handler(*n)))
}

func handler(n int) http.Handler {
	sections := (n + perSection - 1) / perSection
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
	})
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		b.WriteString("<!doctype html><html><head><title>Generated News</title></head><body><h1>Generated News</h1><ul>")
		for s := range sections {
			fmt.Fprintf(&b, `<li><a href="/section/%d">Section %d</a></li>`, s, s)
		}
		b.WriteString("</ul></body></html>")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, b.String())
	})
	mux.HandleFunc("/section/{s}", func(w http.ResponseWriter, r *http.Request) {
		s, err := strconv.Atoi(r.PathValue("s"))
		if err != nil || s < 0 || s >= sections {
			http.NotFound(w, r)
			return
		}
		var b strings.Builder
		fmt.Fprintf(&b, `<!doctype html><html><head><title>Section %d</title></head><body><nav><a href="/">Home</a></nav><ul>`, s)
		for i := s * perSection; i < min(n, (s+1)*perSection); i++ {
			fmt.Fprintf(&b, `<li><a href="/2024/01/story-%d.html?utm_source=section">Story %d</a></li>`, i, i)
		}
		b.WriteString("</ul></body></html>")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, b.String())
	})
	mux.HandleFunc("/2024/01/{name}", func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(r.PathValue("name"), "story-"), ".html"))
		if err != nil || i < 0 || i >= n {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("ETag", fmt.Sprintf(`"story-%d"`, i))
		if r.Header.Get("If-None-Match") == fmt.Sprintf(`"story-%d"`, i) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, article(i))
	})
	return mux
}

func article(i int) string {
	return fmt.Sprintf(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Story number %d | Generated News</title></head>
<body><nav><a href="/">Home</a> <a href="/section/%d">Section</a></nav>
<article><h1>Story number %d</h1><p class="byline">By A. Writer</p>
<p>The council of town %d met on Tuesday to discuss the budget for the coming year, and after a long debate it agreed to spend more on roads and schools.</p>
<p>Residents of district %d had asked for the change for several years, saying the state of the streets made walking to work or school dangerous in winter.</p>
<p>The mayor said the plan, numbered %d in the council's records, would be paid for by savings elsewhere and would not raise local taxes this year.</p>
<p>Opposition members argued that the savings were uncertain and asked for a review in six months, which the council accepted by a narrow vote.</p>
</article><footer><p>Share this story</p><p>Copyright Generated News</p></footer></body></html>`, i, i/perSection, i, i, i, i)
}
