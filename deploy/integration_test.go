package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer collects a child process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// tail returns the last n bytes written.
func (b *lockedBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

// freeAddr returns a loopback address with a port nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start runs a process until the test ends: SIGTERM, then SIGKILL after 15s.
func start(t *testing.T, name string, out *lockedBuffer, bin string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Errorf("%s did not stop within 15s of SIGTERM", name)
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out.tail(6000))
		}
	})
}

// waitFor polls cond every 200ms until it returns true or timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, msg := cond()
		if ok {
			return
		}
		last = msg
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s (last: %s)", timeout, what, last)
}

func httpStatus(u string) (int, string) {
	resp, err := http.Get(u)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Status
}

// newsSite serves a small local news site: an index, robots.txt and a few
// article pages with some of the chrome winnow removes. One of them is a
// live report that gains a paragraph on every request, so every run cleans
// and writes something, as on a real news site (the others come back
// unchanged after the first run).
func newsSite(t *testing.T) *httptest.Server {
	t.Helper()
	type story struct{ path, title string }
	stories := []story{
		{"/2026/01/05/harbour-bridge-reopens.html", "Harbour bridge reopens after two years of repairs"},
		{"/2026/01/06/library-opens-late.html", "City library extends its opening hours into the night"},
		{"/2026/01/07/river-cleanup.html", "Volunteers pull four tonnes of rubbish from the river"},
	}
	var updates atomic.Int64
	body := func(title string, live bool) string {
		var b strings.Builder
		fmt.Fprintf(&b, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>%s | Local News</title>`, title)
		b.WriteString(`<meta property="og:site_name" content="Local News"><meta name="author" content="Ana Reporter">`)
		b.WriteString(`<meta property="article:published_time" content="2026-01-05T08:00:00Z"></head><body>`)
		b.WriteString(`<nav><a href="/">Home</a> <a href="/world/">World</a> <a href="/sport/">Sport</a> <a href="/login">Log in</a></nav>`)
		b.WriteString(`<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies to continue.</div>`)
		fmt.Fprintf(&b, `<article><h1>%s</h1><p class="byline">By Ana Reporter</p>`, title)
		for i := range 8 {
			fmt.Fprintf(&b, `<p>Paragraph %d of the report on %s. Residents who spoke to this newspaper described the change in detail, `+
				`explaining how the work had affected their daily routines, their commutes and the businesses along the waterfront, `+
				`and what they expected from the council in the coming months as the remaining stages are completed.</p>`, i+1, strings.ToLower(title))
		}
		if live {
			n := updates.Add(1)
			for i := int64(1); i <= n; i++ {
				fmt.Fprintf(&b, `<p>Update %d: crews reported further progress at the site this hour, and the council `+
					`confirmed that the timetable announced last week still holds for the remaining work.</p>`, i)
			}
		}
		b.WriteString(`<p class="share">Share this article on Facebook, Twitter and email. Follow us for more stories.</p>`)
		b.WriteString(`</article><aside><h2>Related articles</h2><ul><li><a href="/">More news</a></li></ul></aside>`)
		b.WriteString(`<footer>© 2026 Local News. All rights reserved. Subscribe to our newsletter.</footer></body></html>`)
		return b.String()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "User-agent: *\nAllow: /\n")
	})
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head><title>Local News</title></head><body><h1>Local News</h1><ul>`)
		for _, s := range stories {
			fmt.Fprintf(w, `<li><a href="%s">%s</a></li>`, s.path, s.title)
		}
		fmt.Fprint(w, `</ul></body></html>`)
	})
	for i, s := range stories {
		mux.HandleFunc(s.path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, body(s.title, i == 0))
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// promResult is the data of a Prometheus instant query answer.
type promResult struct {
	ResultType string `json:"resultType"`
	Result     []struct {
		Metric map[string]string `json:"metric"`
		Value  [2]any            `json:"value"`
	} `json:"result"`
}

// promQuery runs an instant query; it returns the answer or the API's error.
func promQuery(base, q string) (promResult, error) {
	resp, err := http.PostForm(base+"/api/v1/query", url.Values{"query": {q}})
	if err != nil {
		return promResult{}, err
	}
	defer resp.Body.Close()
	var body struct {
		Status    string     `json:"status"`
		Error     string     `json:"error"`
		ErrorType string     `json:"errorType"`
		Data      promResult `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return promResult{}, fmt.Errorf("decode answer (HTTP %s): %w", resp.Status, err)
	}
	if body.Status != "success" {
		return promResult{}, fmt.Errorf("%s: %s", body.ErrorType, body.Error)
	}
	return body.Data, nil
}

// finite reports whether the result holds at least one finite sample.
func (r promResult) finite() bool {
	for _, s := range r.Result {
		str, _ := s.Value[1].(string)
		if v, err := strconv.ParseFloat(str, 64); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
			return true
		}
	}
	return false
}

// TestDashboardAndAlertsOnRealPrometheus runs the built daemon against a
// local site, scrapes it with a real Prometheus every second, then evaluates
// every dashboard expression and checks every alert rule loads and evaluates.
func TestDashboardAndAlertsOnRealPrometheus(t *testing.T) {
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("prometheus not installed (apt-get install prometheus); CI=true so this is a failure")
		}
		t.Skip("prometheus not installed (apt-get install prometheus): skipping the dashboard and alert integration test")
	}
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	dir := t.TempDir()

	// Build winnow.
	t0 := time.Now()
	bin := filepath.Join(dir, "winnow")
	build := exec.Command("go", "build", "-o", bin, "../cmd/winnow")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ../cmd/winnow: %v\n%s", err, out)
	}
	t.Logf("built winnow in %v", time.Since(t0).Round(time.Millisecond))

	// The daemon, with one job crawling the local site every second.
	site := newsSite(t)
	winnowAddr := freeAddr(t)
	const job = "local-news"
	cfgPath := filepath.Join(dir, "winnow.yaml")
	cfg := fmt.Sprintf(`output: {dir: %q, format: txt}
state: {backend: bolt, path: %q}
http: {listen: %q}
shutdown_grace: 5s
defaults:
  parallel: 2
  delay: 0s
  timeout: 5s
  max_depth: 1
  allow_private: true
jobs:
  - name: %s
    schedule: "@every 1s"
    seeds: [%q]
    article: ['/\d{4}/\d{2}/\d{2}/']
`, filepath.Join(dir, "out"), filepath.Join(dir, "state.db"), winnowAddr, job, site.URL+"/")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var winnowOut lockedBuffer
	start(t, "winnow daemon", &winnowOut, bin, "daemon", "--config", cfgPath)
	waitFor(t, "winnow /readyz", 20*time.Second, func() (bool, string) {
		code, msg := httpStatus("http://" + winnowAddr + "/readyz")
		return code == http.StatusOK, msg
	})

	// Prometheus scraping it every second, with deploy/'s alert rules.
	rulesPath, err := filepath.Abs("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	promAddr := freeAddr(t)
	promCfg := filepath.Join(dir, "prometheus.yml")
	err = os.WriteFile(promCfg, []byte(fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [%q]
scrape_configs:
  - job_name: winnow
    static_configs: [{targets: [%q]}]
`, rulesPath, winnowAddr)), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	var promOut lockedBuffer
	start(t, "prometheus", &promOut, promBin,
		"--config.file="+promCfg,
		"--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+promAddr,
	)
	base := "http://" + promAddr
	waitFor(t, "prometheus /-/ready", 20*time.Second, func() (bool, string) {
		code, msg := httpStatus(base + "/-/ready")
		return code == http.StatusOK, msg
	})
	waitFor(t, "a successful run in Prometheus", 40*time.Second, func() (bool, string) {
		r, err := promQuery(base, `winnow_runs_total{result="success"} > 0`)
		if err != nil {
			return false, err.Error()
		}
		return len(r.Result) > 0, fmt.Sprintf("%d series", len(r.Result))
	})
	t.Logf("first successful run scraped %v after the start", time.Since(t0).Round(time.Millisecond))
	// Two more scrapes after the run, so rates see it between two samples:
	// wait until Prometheus holds them rather than sleeping for two intervals.
	scrapes := func() (float64, error) {
		r, err := promQuery(base, `max(count_over_time(up[10m]))`)
		if err != nil || len(r.Result) == 0 {
			return 0, fmt.Errorf("count scrapes: %v (%d series)", err, len(r.Result))
		}
		str, _ := r.Result[0].Value[1].(string)
		return strconv.ParseFloat(str, 64)
	}
	seen, err := scrapes()
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two more scrapes after the run", 20*time.Second, func() (bool, string) {
		n, err := scrapes()
		if err != nil {
			return false, err.Error()
		}
		return n >= seen+2, fmt.Sprintf("%v scrapes, %v when the run was seen", n, seen)
	})

	instance := winnowAddr
	substitute := strings.NewReplacer(
		"$__rate_interval", "1m",
		"$__interval", "5s",
		"$__range", "5m",
		"$instance", instance,
		"$crawl_job", job,
	)

	t.Run("dashboard variables", func(t *testing.T) {
		for _, v := range variableQueries(t) {
			m := labelValuesQuery.FindStringSubmatch(v.expr)
			if m == nil {
				t.Errorf("%s: %q is not label_values(query, label)", v.where, v.expr)
				continue
			}
			r, err := promQuery(base, substitute.Replace(m[1]))
			if err != nil {
				t.Errorf("%s: %v", v.where, err)
				continue
			}
			var values []string
			for _, s := range r.Result {
				values = append(values, s.Metric[m[2]])
			}
			want := map[string]string{"instance": instance, "crawl_job": job}[m[2]]
			if !slices.Contains(values, want) {
				t.Errorf("%s: label_values gives %v, want %q among them", v.where, values, want)
			}
		}
	})

	t.Run("dashboard expressions", func(t *testing.T) {
		exprs := dashboardExprs(t)
		for _, e := range exprs {
			q := substitute.Replace(e.expr)
			if strings.Contains(q, "$") {
				t.Errorf("%s: unsubstituted variable in %s", e.where, q)
				continue
			}
			r, err := promQuery(base, q)
			switch {
			case err != nil:
				t.Errorf("%s: invalid: %v\n%s", e.where, err, q)
			case len(r.Result) == 0:
				t.Errorf("%s: no data\n%s", e.where, q)
			case !r.finite():
				t.Errorf("%s: only NaN/Inf samples %v\n%s", e.where, r.Result, q)
			}
		}
		t.Logf("%d dashboard expressions evaluated", len(exprs))
	})

	t.Run("alert rules", func(t *testing.T) {
		var want []string
		for _, r := range rules(t) {
			want = append(want, r.record+r.alert)
		}
		type apiRule struct {
			Name      string `json:"name"`
			Health    string `json:"health"`
			LastError string `json:"lastError"`
			Type      string `json:"type"`
			State     string `json:"state"`
		}
		var got []apiRule
		waitFor(t, "every rule evaluated", 20*time.Second, func() (bool, string) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/rules", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return false, err.Error()
			}
			defer resp.Body.Close()
			var body struct {
				Data struct {
					Groups []struct {
						File  string    `json:"file"`
						Rules []apiRule `json:"rules"`
					} `json:"groups"`
				} `json:"data"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				return false, err.Error()
			}
			got = got[:0]
			for _, g := range body.Data.Groups {
				got = append(got, g.Rules...)
			}
			for _, r := range got {
				if r.Health == "unknown" {
					return false, r.Name + " not evaluated yet"
				}
			}
			return len(got) == len(want), fmt.Sprintf("%d rules loaded, want %d", len(got), len(want))
		})
		var names []string
		for _, r := range got {
			names = append(names, r.Name)
			if r.Health != "ok" {
				t.Errorf("rule %s: health %q: %s", r.Name, r.Health, r.LastError)
			}
			if r.Type == "alerting" && r.State == "firing" {
				t.Errorf("alert %s fires on a healthy daemon", r.Name)
			}
		}
		slices.Sort(names)
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Errorf("rules loaded %v, want %v", names, want)
		}
		// The recording rules produce series for the job.
		for _, rec := range []string{"winnow_job:schedule_interval_seconds:estimate", "winnow_job:last_success_or_start:timestamp_seconds"} {
			r, err := promQuery(base, fmt.Sprintf(`%s{crawl_job=%q}`, rec, job))
			if err != nil || len(r.Result) == 0 {
				t.Errorf("recording rule %s: no series for job %s (err %v)", rec, job, err)
			}
		}
	})
}
