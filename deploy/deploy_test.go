package deploy_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"gopkg.in/yaml.v3"

	"winnow/cleaner"
	"winnow/config"
	"winnow/metrics"
)

// decodeYAML decodes every document of a YAML file into generic values.
func decodeYAML(t *testing.T, path string) []any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var docs []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		docs = append(docs, v)
	}
}

// yamlDoc decodes a single-document YAML file into a map.
func yamlDoc(t *testing.T, path string) map[string]any {
	t.Helper()
	docs := decodeYAML(t, path)
	if len(docs) != 1 {
		t.Fatalf("%s: %d YAML documents, want 1", path, len(docs))
	}
	m, ok := docs[0].(map[string]any)
	if !ok {
		t.Fatalf("%s: top level is %T, want a mapping", path, docs[0])
	}
	return m
}

// get walks a decoded YAML/JSON value along keys (map keys or list indexes
// given as ints) and returns what it finds, or nil.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any, path ...any) string {
	s, _ := get(v, path...).(string)
	return s
}

func list(v any, path ...any) []any {
	l, _ := get(v, path...).([]any)
	return l
}

func TestFilesParse(t *testing.T) {
	n := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch filepath.Ext(path) {
		case ".yml", ".yaml":
			n++
			t.Run(path, func(t *testing.T) {
				if docs := decodeYAML(t, path); len(docs) == 0 {
					t.Error("no YAML document")
				}
			})
		case ".json":
			n++
			t.Run(path, func(t *testing.T) {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				var v any
				if err := json.Unmarshal(data, &v); err != nil {
					t.Errorf("%s: %v", path, err)
				}
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Errorf("only %d YAML/JSON files found under deploy/", n)
	}
}

// --- PromQL in deploy/ ------------------------------------------------------

var (
	promString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	promBraces   = regexp.MustCompile(`\{[^{}]*\}`)
	promBrackets = regexp.MustCompile(`\[[^\[\]]*\]`)
	promLabels   = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	promOffset   = regexp.MustCompile(`\boffset\s+-?[0-9a-zA-Z$_]+`)
	promToken    = regexp.MustCompile(`[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|[a-zA-Z_:][a-zA-Z0-9_:]*`)
	promKeywords = map[string]bool{
		"and": true, "or": true, "unless": true, "bool": true, "atan2": true,
		"by": true, "without": true, "on": true, "ignoring": true,
		"group_left": true, "group_right": true, "offset": true,
		"inf": true, "nan": true, "Inf": true, "NaN": true,
	}
	// bareJobLabel finds the crawl job named by Prometheus' scrape label
	// `job` in a dashboard query: a matcher, a grouping or a legend.
	bareJobLabel = regexp.MustCompile(`(?:^|[^_a-zA-Z])job\s*(?:=~|!~|!=|=)|\b(?:by|on|without)\s*\(\s*job\s*[,)]|\{\{\s*job\s*\}\}`)

	labelValuesQuery = regexp.MustCompile(`^\s*label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$`)
)

// metricNames returns the metric names an expression selects: identifiers
// that are not functions, keywords, label names, strings or durations.
func metricNames(expr string) []string {
	if m := labelValuesQuery.FindStringSubmatch(expr); m != nil {
		expr = m[1]
	}
	s := promString.ReplaceAllString(expr, `""`)
	for _, re := range []*regexp.Regexp{promBraces, promBrackets} {
		for prev := ""; prev != s; {
			prev, s = s, re.ReplaceAllString(s, " ")
		}
	}
	s = promLabels.ReplaceAllString(s, " ")
	s = promOffset.ReplaceAllString(s, " ")
	var names []string
	for _, loc := range promToken.FindAllStringIndex(s, -1) {
		tok := s[loc[0]:loc[1]]
		if tok[0] >= '0' && tok[0] <= '9' || promKeywords[tok] {
			continue
		}
		if strings.HasPrefix(strings.TrimLeft(s[loc[1]:], " \t\n"), "(") {
			continue // a function or aggregation
		}
		if !slices.Contains(names, tok) {
			names = append(names, tok)
		}
	}
	sort.Strings(names)
	return names
}

func TestMetricNames(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want []string
	}{
		{name: "selector", expr: `winnow_queue_depth{crawl_job=~"$crawl_job"}`, want: []string{"winnow_queue_depth"}},
		{name: "rate and aggregation", expr: `sum by (code) (rate(winnow_requests_total{instance=~"$instance", crawl_job=~"$crawl_job"}[$__rate_interval]))`, want: []string{"winnow_requests_total"}},
		{name: "binary with matching", expr: "a_total / on (instance) group_left (x) b offset 12h > 0.5e3 and bool c", want: []string{"a_total", "b", "c"}},
		{name: "aggregation clause after", expr: `sum(rate(x_total[5m])) by (job)`, want: []string{"x_total"}},
		{name: "string with braces", expr: `y{reason!~"a{1}|b"}`, want: []string{"y"}},
		{name: "subquery", expr: `min_over_time(deriv(q[10m])[30m:1m])`, want: []string{"q"}},
		{name: "label_values", expr: `label_values(winnow_runs_total{instance=~"$instance"}, crawl_job)`, want: []string{"winnow_runs_total"}},
		{name: "functions only", expr: `time() - vector(1)`, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, metricNames(tt.expr)); diff != "" {
				t.Errorf("metricNames(%q) (-want +got):\n%s", tt.expr, diff)
			}
		})
	}
}

// promExpr is one PromQL expression found in deploy/, with where it is.
type promExpr struct {
	where string
	expr  string
}

// dashboard reads the Grafana dashboard.
func dashboard(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile("grafana/dashboards/winnow.json")
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("winnow.json: %v", err)
	}
	return d
}

// panels returns every panel of the dashboard that is not a row, including
// those inside collapsed rows.
func panels(d map[string]any) []map[string]any {
	var out []map[string]any
	var walk func([]any)
	walk = func(ps []any) {
		for _, p := range ps {
			pm, ok := p.(map[string]any)
			if !ok {
				continue
			}
			if pm["type"] == "row" {
				walk(list(pm, "panels"))
				continue
			}
			out = append(out, pm)
		}
	}
	walk(list(d, "panels"))
	return out
}

// dashboardExprs returns the PromQL of every panel target.
func dashboardExprs(t *testing.T) []promExpr {
	t.Helper()
	var out []promExpr
	for _, p := range panels(dashboard(t)) {
		for _, tg := range list(p, "targets") {
			out = append(out, promExpr{
				where: "dashboard panel " + str(p, "title") + " " + str(tg, "refId"),
				expr:  str(tg, "expr"),
			})
		}
	}
	return out
}

// variableQueries returns the query of every template variable.
func variableQueries(t *testing.T) []promExpr {
	t.Helper()
	var out []promExpr
	for _, v := range list(dashboard(t), "templating", "list") {
		q := str(v, "query", "query")
		if q == "" {
			q = str(v, "query")
		}
		out = append(out, promExpr{where: "dashboard variable " + str(v, "name"), expr: q})
	}
	return out
}

// rule is one rule of alerts.yml.
type rule struct {
	group, record, alert, expr string
	labels, annotations        map[string]any
}

func rules(t *testing.T) []rule {
	t.Helper()
	var out []rule
	doc := yamlDoc(t, "prometheus/alerts.yml")
	for _, g := range list(doc, "groups") {
		for _, r := range list(g, "rules") {
			labels, _ := get(r, "labels").(map[string]any)
			ann, _ := get(r, "annotations").(map[string]any)
			out = append(out, rule{
				group: str(g, "name"), record: str(r, "record"), alert: str(r, "alert"),
				expr: str(r, "expr"), labels: labels, annotations: ann,
			})
		}
	}
	return out
}

func ruleExprs(t *testing.T) []promExpr {
	t.Helper()
	var out []promExpr
	for _, r := range rules(t) {
		out = append(out, promExpr{where: "rule " + r.record + r.alert, expr: r.expr})
	}
	return out
}

// definedNames returns every metric name winnow exposes: the metrics package
// with a job and the cleaner's rules initialised, plus the Go and process
// collectors the daemon registers. Histograms add _bucket, _sum and _count.
func definedNames(t *testing.T) map[string]bool {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	m.SetBuildInfo("test")
	m.InitJob("job")
	m.InitRules(cleaner.Rules())
	m.RequestDuration.WithLabelValues("job").Observe(1)
	m.RunDuration.WithLabelValues("job").Observe(1)
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
		if mf.GetType().String() == "HISTOGRAM" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[mf.GetName()+s] = true
			}
		}
	}
	return names
}

// TestOnlyDefinedMetrics: deploy/ uses only names metrics/ defines (plus the
// Go and process collectors, Prometheus' `up`, and the recording rules of
// alerts.yml).
func TestOnlyDefinedMetrics(t *testing.T) {
	defined := definedNames(t)
	defined["up"] = true
	for _, r := range rules(t) {
		if r.record != "" {
			defined[r.record] = true
		}
	}
	exprs := slices.Concat(dashboardExprs(t), variableQueries(t), ruleExprs(t))
	if len(exprs) < 30 {
		t.Fatalf("only %d expressions found in the dashboard and rules", len(exprs))
	}
	used := map[string]bool{}
	for _, e := range exprs {
		if strings.TrimSpace(e.expr) == "" {
			t.Errorf("%s: empty expression", e.where)
			continue
		}
		for _, name := range metricNames(e.expr) {
			used[name] = true
			if !defined[name] {
				t.Errorf("%s uses %s, which winnow does not define", e.where, name)
			}
		}
	}
	// The other way round: the dashboard or the alerts show every family of
	// the contract.
	for _, name := range []string{
		"winnow_requests_total", "winnow_request_duration_seconds_bucket", "winnow_response_bytes_total",
		"winnow_fetch_errors_total", "winnow_documents_written_total", "winnow_documents_skipped_total",
		"winnow_clean_duration_seconds_bucket", "winnow_boilerplate_removed_total", "winnow_runs_total",
		"winnow_run_duration_seconds_bucket", "winnow_last_run_success_timestamp_seconds",
		"winnow_run_in_progress", "winnow_queue_depth", "winnow_build_info",
		"winnow_archive_bytes_total", "winnow_archive_records_total",
		"process_resident_memory_bytes", "go_goroutines", "process_open_fds",
	} {
		if !used[name] {
			t.Errorf("%s is used by no panel, variable or rule", name)
		}
	}
}

// --- Grafana ----------------------------------------------------------------

func TestDashboard(t *testing.T) {
	d := dashboard(t)
	ds := yamlDoc(t, "grafana/provisioning/datasources/prometheus.yaml")
	uid := str(ds, "datasources", 0, "uid")
	if uid == "" || str(ds, "datasources", 0, "type") != "prometheus" {
		t.Fatalf("provisioned datasource: uid %q type %q, want a prometheus datasource with a uid", uid, str(ds, "datasources", 0, "type"))
	}
	if str(d, "uid") == "" {
		t.Error("dashboard has no uid")
	}

	var rows []string
	for _, p := range list(d, "panels") {
		if str(p, "type") == "row" {
			rows = append(rows, str(p, "title"))
		}
	}
	wantRows := []string{"Throughput", "Errors", "Latency", "Freshness", "Frontier", "Quality", "Process", "Archive"}
	if diff := cmp.Diff(wantRows, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}

	ids := map[float64]string{}
	var kinds []string
	for _, p := range panels(d) {
		title := str(p, "title")
		if id, _ := get(p, "id").(float64); ids[id] != "" {
			t.Errorf("panel %q reuses id %v of %q", title, id, ids[id])
		} else {
			ids[id] = title
		}
		if str(p, "fieldConfig", "defaults", "unit") == "" {
			t.Errorf("panel %q has no unit", title)
		}
		if got := str(p, "datasource", "uid"); got != uid {
			t.Errorf("panel %q datasource uid %q, want the provisioned %q", title, got, uid)
		}
		if len(list(p, "targets")) == 0 {
			t.Errorf("panel %q has no query", title)
		}
		for _, tg := range list(p, "targets") {
			if got := str(tg, "datasource", "uid"); got != "" && got != uid {
				t.Errorf("panel %q target datasource uid %q, want %q", title, got, uid)
			}
			if str(tg, "expr") == "" {
				t.Errorf("panel %q target %s has no expr", title, str(tg, "refId"))
			}
		}
		if w, _ := get(p, "gridPos", "w").(float64); w <= 0 {
			t.Errorf("panel %q has no width", title)
		}
		kinds = append(kinds, str(p, "type"))
	}
	if !slices.Contains(kinds, "heatmap") {
		t.Error("no heatmap panel")
	}

	// No two panels (rows included) share a grid cell, none leaves the
	// 24-column grid.
	type cell struct{ x, y int }
	taken := map[cell]string{}
	for _, p := range list(d, "panels") {
		num := func(k string) int { f, _ := get(p, "gridPos", k).(float64); return int(f) }
		x, y, w, h := num("x"), num("y"), num("w"), num("h")
		if x < 0 || w <= 0 || h <= 0 || x+w > 24 {
			t.Errorf("panel %q gridPos x=%d w=%d h=%d leaves the grid", str(p, "title"), x, w, h)
		}
	cells:
		for i := x; i < x+w; i++ {
			for j := y; j < y+h; j++ {
				if other, ok := taken[cell{i, j}]; ok {
					t.Errorf("panels %q and %q overlap at %d,%d", other, str(p, "title"), i, j)
					break cells
				}
				taken[cell{i, j}] = str(p, "title")
			}
		}
	}

	vars := map[string]string{}
	for _, v := range list(d, "templating", "list") {
		vars[str(v, "name")] = str(v, "query", "query")
		if got := str(v, "datasource", "uid"); got != uid {
			t.Errorf("variable %s datasource uid %q, want %q", str(v, "name"), got, uid)
		}
	}
	if !strings.Contains(vars["crawl_job"], "label_values(winnow_runs_total") || !strings.HasSuffix(vars["crawl_job"], ", crawl_job)") {
		t.Errorf("crawl_job variable query %q, want label_values(winnow_runs_total…, crawl_job)", vars["crawl_job"])
	}
	for _, p := range panels(d) {
		for _, tg := range list(p, "targets") {
			expr := str(tg, "expr")
			if strings.Contains(expr, "winnow_") && strings.Contains(expr, "job") && !strings.Contains(expr, `crawl_job=~"$crawl_job"`) {
				t.Errorf("panel %q ignores the crawl_job variable: %s", str(p, "title"), expr)
			}
			if m := bareJobLabel.FindString(expr); m != "" {
				t.Errorf("panel %q uses Prometheus' scrape label %q for the crawl job (winnow's label is crawl_job): %s", str(p, "title"), m, expr)
			}
		}
	}
}

func TestGrafanaProvisioning(t *testing.T) {
	prov := yamlDoc(t, "grafana/provisioning/dashboards/winnow.yaml")
	path := str(prov, "providers", 0, "options", "path")
	compose := yamlDoc(t, "docker-compose.yml")
	mounts := map[string]string{} // container path -> host path
	for _, v := range list(compose, "services", "grafana", "volumes") {
		parts := strings.Split(v.(string), ":")
		mounts[parts[1]] = parts[0]
	}
	if got := mounts[path]; got != "./grafana/dashboards" {
		t.Errorf("dashboard provider reads %s, which compose mounts from %q, want ./grafana/dashboards", path, got)
	}
	if got := mounts["/etc/grafana/provisioning"]; got != "./grafana/provisioning" {
		t.Errorf("/etc/grafana/provisioning mounted from %q", got)
	}
	home := str(compose, "services", "grafana", "environment", "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
	if home != path+"/winnow.json" {
		t.Errorf("home dashboard %q, want %s/winnow.json", home, path)
	}
	if url := str(yamlDoc(t, "grafana/provisioning/datasources/prometheus.yaml"), "datasources", 0, "url"); url != "http://prometheus:9090" {
		t.Errorf("datasource url %q, want the compose service http://prometheus:9090", url)
	}
}

// --- Prometheus -------------------------------------------------------------

func TestPrometheusConfig(t *testing.T) {
	cfg := yamlDoc(t, "prometheus/prometheus.yml")
	var files []string
	for _, f := range list(cfg, "rule_files") {
		files = append(files, f.(string))
	}
	if diff := cmp.Diff([]string{"alerts.yml"}, files); diff != "" {
		t.Errorf("rule_files (-want +got):\n%s", diff)
	}
	found := false
	for _, sc := range list(cfg, "scrape_configs") {
		if str(sc, "job_name") != "winnow" {
			continue
		}
		found = true
		if get(sc, "honor_labels") != nil {
			t.Error("winnow scrape config: no honor_labels (winnow's crawl job label is crawl_job; job and instance are the target's)")
		}
		if got := str(sc, "static_configs", 0, "targets", 0); got != "winnow:9464" {
			t.Errorf("winnow target %q, want the compose service winnow:9464", got)
		}
	}
	if !found {
		t.Error("no scrape config with job_name winnow (the alerts match up{job=\"winnow\"})")
	}
}

func TestAlertRules(t *testing.T) {
	var alerts []string
	for _, r := range rules(t) {
		if r.alert == "" {
			if !strings.Contains(r.record, ":") {
				t.Errorf("recording rule %q: want the level:metric:operations naming", r.record)
			}
			continue
		}
		alerts = append(alerts, r.alert)
		if sev, _ := r.labels["severity"].(string); sev != "critical" && sev != "warning" {
			t.Errorf("%s: severity %q, want critical or warning", r.alert, sev)
		}
		for _, a := range []string{"summary", "description"} {
			if s, _ := r.annotations[a].(string); strings.TrimSpace(s) == "" {
				t.Errorf("%s: no %s annotation", r.alert, a)
			}
		}
	}
	want := []string{
		"WinnowTargetDown", "WinnowJobNoRecentSuccess", "WinnowNoDocumentsWritten",
		"WinnowHighFetchErrorRatio", "WinnowQueueGrowing", "WinnowRunsFailing",
	}
	if diff := cmp.Diff(want, alerts); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	// Every alert has a firing and a quiet case in alerts_test.yml.
	data, err := os.ReadFile("prometheus/alerts_test.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range want {
		if n := strings.Count(string(data), "alertname: "+a+"\n"); n < 2 {
			t.Errorf("alerts_test.yml tests %s %d times, want a firing and a quiet case", a, n)
		}
	}
}

// --- winnow configs ---------------------------------------------------------

// loadConfig validates a winnow config of deploy/ with the config package,
// its token file (a path inside the container) swapped for a temp file.
func loadConfig(t *testing.T, path string) *config.Config {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if tf := str(yamlDoc(t, path), "http", "token_file"); tf != "" {
		tok := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(tok, []byte("s3cret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		data = []byte(strings.ReplaceAll(string(data), tf, tok))
	}
	cfg, err := config.Parse(path, data)
	if err != nil {
		t.Fatalf("%s does not load:\n%v", path, err)
	}
	return cfg
}

func TestConfigsLoad(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		tokenFile string // where the token is in the container; "" for none
		backend   string
	}{
		{name: "example", path: "winnow.example.yaml", backend: "bolt"},
		{name: "compose", path: "compose/winnow.yaml", tokenFile: "/run/winnow/token", backend: "bolt"},
		{name: "compose redis", path: "compose/winnow-redis.yaml", tokenFile: "/run/winnow/token", backend: "redis"},
		{name: "kubernetes", path: "kubernetes/winnow.yaml", tokenFile: "/run/secrets/winnow/token", backend: "bolt"},
		{name: "kubernetes distributed", path: "kubernetes-distributed/winnow.yaml", tokenFile: "/run/secrets/winnow/token", backend: "redis"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := os.Stat(tt.path); errors.Is(err, fs.ErrNotExist) && tt.name == "example" {
				t.Skipf("%s not written yet", tt.path)
			}
			cfg := loadConfig(t, tt.path)
			if got := str(yamlDoc(t, tt.path), "http", "token_file"); got != tt.tokenFile {
				t.Errorf("token_file %q, want %q", got, tt.tokenFile)
			}
			if tt.tokenFile != "" && !strings.HasPrefix(cfg.HTTP.Listen, "0.0.0.0:") {
				t.Errorf("listen %q, want 0.0.0.0 in a container", cfg.HTTP.Listen)
			}
			if tt.tokenFile != "" && !strings.HasSuffix(cfg.HTTP.Listen, ":9464") {
				t.Errorf("listen %q, want port 9464 (EXPOSE, Service, scrape target)", cfg.HTTP.Listen)
			}
			if cfg.State.Backend != tt.backend {
				t.Errorf("state backend %q, want %q", cfg.State.Backend, tt.backend)
			}
			if tt.tokenFile != "" && (!strings.HasPrefix(cfg.Output.Dir, "/var/lib/winnow/") || cfg.State.Backend == "bolt" && !strings.HasPrefix(cfg.State.Path, "/var/lib/winnow/")) {
				t.Errorf("output %q, state %q: want them on the /var/lib/winnow volume", cfg.Output.Dir, cfg.State.Path)
			}
		})
	}
	// The two compose configs differ only in the state section.
	a, b := loadConfig(t, "compose/winnow.yaml"), loadConfig(t, "compose/winnow-redis.yaml")
	if a.State.Addr != "" && a.State.Backend == "bolt" {
		t.Logf("bolt config has a redis addr %q", a.State.Addr)
	}
	if b.State.Addr != "redis:6379" {
		t.Errorf("redis config addr %q, want the compose service redis:6379", b.State.Addr)
	}
	if len(a.Jobs) != len(b.Jobs) || a.Defaults != b.Defaults || a.HTTP.Listen != b.HTTP.Listen || a.Output != b.Output {
		t.Error("compose/winnow.yaml and compose/winnow-redis.yaml differ outside the state section")
	}
}

// --- docker-compose, Dockerfile ---------------------------------------------

func TestCompose(t *testing.T) {
	c := yamlDoc(t, "docker-compose.yml")
	for _, svc := range []string{"winnow", "prometheus", "grafana", "redis", "token-init"} {
		if get(c, "services", svc) == nil {
			t.Errorf("no %s service", svc)
		}
	}
	if got := list(c, "services", "redis", "profiles"); len(got) != 2 || got[0] != "redis" || got[1] != "distributed" {
		t.Errorf("redis profiles %v, want [redis distributed]", got)
	}
	if got := list(c, "services", "winnow-replica", "profiles"); len(got) != 1 || got[0] != "distributed" {
		t.Errorf("winnow-replica profiles %v, want [distributed]", got)
	}
	if got := str(c, "services", "winnow", "build", "dockerfile"); got != "deploy/Dockerfile" {
		t.Errorf("winnow dockerfile %q", got)
	}
	// Every bind mount's source exists, relative to deploy/.
	for name, svc := range get(c, "services").(map[string]any) {
		for _, v := range list(svc, "volumes") {
			src := strings.Split(v.(string), ":")[0]
			if !strings.HasPrefix(src, ".") {
				if get(c, "volumes", src) == nil && !slices.Contains(keys(get(c, "volumes")), src) {
					t.Errorf("%s: named volume %q not declared", name, src)
				}
				continue
			}
			if _, err := os.Stat(src); err != nil {
				t.Errorf("%s mounts %s: %v", name, src, err)
			}
		}
		for _, p := range list(svc, "ports") {
			if !strings.HasPrefix(p.(string), "127.0.0.1:") {
				t.Errorf("%s publishes %v beyond loopback", name, p)
			}
		}
	}
	// The config the winnow command names is in the mounted compose/ dir.
	cmd := list(c, "services", "winnow", "command")
	if len(cmd) < 3 || cmd[0] != "daemon" || cmd[2] != "/etc/winnow/${WINNOW_CONFIG:-winnow.yaml}" {
		t.Errorf("winnow command %v", cmd)
	}
	if _, err := os.Stat("compose/winnow.yaml"); err != nil {
		t.Error(err)
	}
	// The token volume is where the compose config reads the token.
	tf := str(yamlDoc(t, "compose/winnow.yaml"), "http", "token_file")
	mounted := false
	for _, v := range list(c, "services", "winnow", "volumes") {
		parts := strings.Split(v.(string), ":")
		if parts[0] == "winnow-token" && strings.HasPrefix(tf, parts[1]+"/") {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("token_file %s is not on the winnow-token volume", tf)
	}
}

func keys(v any) []string {
	m, _ := v.(map[string]any)
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// dockerfile returns the instructions of deploy/Dockerfile, continuation
// lines joined, comments dropped.
func dockerfile(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	cur := ""
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur == "") {
			continue
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur += strings.TrimSuffix(trimmed, `\`) + " "
			continue
		}
		cur += trimmed
		if cur != "" {
			out = append(out, cur)
		}
		cur = ""
	}
	return out
}

func TestDockerfile(t *testing.T) {
	ins := dockerfile(t)
	var froms []string
	final := -1
	for i, in := range ins {
		if strings.HasPrefix(in, "FROM ") {
			froms = append(froms, in)
			final = i
		}
	}
	if len(froms) < 2 {
		t.Fatalf("%d stages, want a multi-stage build", len(froms))
	}
	if !strings.Contains(froms[len(froms)-1], "distroless/static") {
		t.Errorf("final stage %q, want distroless static", froms[len(froms)-1])
	}
	all := strings.Join(ins, "\n")
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/winnow", "./deploy/healthcheck"} {
		if !strings.Contains(all, want) {
			t.Errorf("build does not use %s", want)
		}
	}
	finalStage := ins[final:]
	has := func(prefix string) string {
		for _, in := range finalStage {
			if strings.HasPrefix(in, prefix) {
				return in
			}
		}
		return ""
	}
	if u := has("USER "); u == "" || strings.Contains(u, "root") && !strings.Contains(u, "nonroot") || strings.HasPrefix(u, "USER 0") {
		t.Errorf("final stage user %q, want a non-root user", u)
	}
	if e := has("EXPOSE "); e != "EXPOSE 9464" {
		t.Errorf("%q, want EXPOSE 9464", e)
	}
	if h := has("HEALTHCHECK "); !strings.Contains(h, `"/healthcheck"`) || !strings.Contains(h, "/healthz") {
		t.Errorf("%q, want a HEALTHCHECK probing /healthz", h)
	}
	for _, in := range finalStage {
		if strings.HasPrefix(in, "COPY --from=build ") {
			src := strings.Fields(in)[len(strings.Fields(in))-2]
			if !strings.Contains(all, "-o "+src) && !strings.Contains(all, src) {
				t.Errorf("%q copies %s, which the build stage does not make", in, src)
			}
		}
	}
	if _, err := os.Stat("healthcheck/main.go"); err != nil {
		t.Error(err)
	}
}

// --- Kubernetes -------------------------------------------------------------

func TestKubernetes(t *testing.T) {
	k := yamlDoc(t, "kubernetes/kustomization.yaml")
	objs := map[string]map[string]any{} // kind -> object
	for _, r := range list(k, "resources") {
		for _, d := range decodeYAML(t, filepath.Join("kubernetes", r.(string))) {
			m := d.(map[string]any)
			objs[str(m, "kind")] = m
		}
	}
	for _, kind := range []string{"Deployment", "Service", "ServiceMonitor", "PersistentVolumeClaim", "PrometheusRule"} {
		if objs[kind] == nil {
			t.Fatalf("no %s among the kustomization's resources", kind)
		}
	}
	// The PrometheusRule carries exactly the rules of alerts.yml.
	if diff := cmp.Diff(get(yamlDoc(t, "prometheus/alerts.yml"), "groups"), get(objs["PrometheusRule"], "spec", "groups")); diff != "" {
		t.Errorf("kubernetes/prometheusrule.yaml differs from prometheus/alerts.yml (regenerate it as its header says) (-alerts.yml +PrometheusRule):\n%s", diff)
	}
	cmName := str(k, "configMapGenerator", 0, "name")
	cmFile := str(k, "configMapGenerator", 0, "files", 0)
	cfg := loadConfig(t, filepath.Join("kubernetes", cmFile))

	dep := objs["Deployment"]
	spec := get(dep, "spec", "template", "spec")
	if get(spec, "securityContext", "runAsNonRoot") != true {
		t.Error("pod securityContext.runAsNonRoot is not true")
	}
	c := get(spec, "containers", 0)
	if get(c, "securityContext", "allowPrivilegeEscalation") != false {
		t.Error("container allows privilege escalation")
	}
	if p := str(c, "livenessProbe", "httpGet", "path"); p != "/healthz" {
		t.Errorf("liveness probe %q, want /healthz", p)
	}
	if p := str(c, "readinessProbe", "httpGet", "path"); p != "/readyz" {
		t.Errorf("readiness probe %q, want /readyz", p)
	}
	if get(c, "resources", "requests") == nil || get(c, "resources", "limits") == nil {
		t.Error("container has no resource requests and limits")
	}
	if port, _ := get(c, "ports", 0, "containerPort").(int); !strings.HasSuffix(cfg.HTTP.Listen, ":"+itoa(port)) {
		t.Errorf("containerPort %d, config listens on %s", port, cfg.HTTP.Listen)
	}
	args := list(c, "args")
	mounts := map[string]string{} // volume name -> mount path
	for _, m := range list(c, "volumeMounts") {
		mounts[str(m, "name")] = str(m, "mountPath")
	}
	vols := map[string]any{}
	for _, v := range list(spec, "volumes") {
		vols[str(v, "name")] = v
	}
	var cmMount, secretMount string
	for name, v := range vols {
		if str(v, "configMap", "name") == cmName {
			cmMount = mounts[name]
		}
		if str(v, "secret", "secretName") == "winnow-token" {
			secretMount = mounts[name]
		}
	}
	if want := cmMount + "/" + cmFile; cmMount == "" || !slices.Contains(args, any(want)) {
		t.Errorf("args %v do not load the ConfigMap's config %s", args, want)
	}
	if tf := str(yamlDoc(t, filepath.Join("kubernetes", cmFile)), "http", "token_file"); secretMount == "" || !strings.HasPrefix(tf, secretMount+"/") {
		t.Errorf("token_file %s is not in the winnow-token Secret's mount %q", tf, secretMount)
	}

	svc := objs["Service"]
	portName := str(svc, "spec", "ports", 0, "name")
	sm := objs["ServiceMonitor"]
	if got := str(sm, "spec", "endpoints", 0, "port"); got != portName {
		t.Errorf("ServiceMonitor port %q, Service port name %q", got, portName)
	}
	if get(sm, "spec", "endpoints", 0, "honorLabels") != nil {
		t.Error("ServiceMonitor: no honorLabels (winnow's crawl job label is crawl_job; job and instance are the target's)")
	}
	for k, v := range get(svc, "spec", "selector").(map[string]any) {
		if str(dep, "spec", "template", "metadata", "labels", k) != v {
			t.Errorf("Service selector %s=%v does not match the pod", k, v)
		}
		if str(sm, "spec", "selector", "matchLabels", k) != v && get(sm, "spec", "selector", "matchLabels", k) != nil {
			t.Errorf("ServiceMonitor selector %s differs", k)
		}
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// composeCommand returns the command line of an installed Compose: the
// `docker compose` plugin or the standalone docker-compose, or nil.
func composeCommand() []string {
	if docker, err := exec.LookPath("docker"); err == nil {
		if exec.Command(docker, "compose", "version").Run() == nil {
			return []string{docker, "compose"}
		}
	}
	if dc, err := exec.LookPath("docker-compose"); err == nil {
		return []string{dc}
	}
	return nil
}

// TestComposeConfig validates docker-compose.yml with Compose itself
// (`config` needs no Docker engine), for both configs and the redis profile.
func TestComposeConfig(t *testing.T) {
	cc := composeCommand()
	if cc == nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("neither `docker compose` nor docker-compose is installed (apt-get install docker-compose); CI=true so this is a failure")
		}
		t.Skip("neither `docker compose` nor docker-compose is installed: skipping Compose's own validation (the YAML checks above still ran)")
	}
	tests := []struct {
		name     string
		args     []string
		env      string
		wantConf string
	}{
		{name: "default", args: []string{"config"}, wantConf: "/etc/winnow/winnow.yaml"},
		{name: "redis profile", args: []string{"--profile", "redis", "config"}, env: "WINNOW_CONFIG=winnow-redis.yaml", wantConf: "/etc/winnow/winnow-redis.yaml"},
		{name: "distributed profile", args: []string{"--profile", "distributed", "config"}, env: "WINNOW_CONFIG=winnow-redis.yaml", wantConf: "/etc/winnow/winnow-redis.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := slices.Concat(cc[1:], []string{"-p", "winnow", "-f", "docker-compose.yml"}, tt.args)
			cmd := exec.Command(cc[0], args...)
			cmd.Env = slices.DeleteFunc(os.Environ(), func(e string) bool { return strings.HasPrefix(e, "WINNOW_CONFIG=") })
			if tt.env != "" {
				cmd.Env = append(cmd.Env, tt.env)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%v: %v\n%s", cmd.Args, err, stderr.String())
			}
			var resolved map[string]any
			if err := yaml.Unmarshal(out, &resolved); err != nil {
				t.Fatalf("compose config output: %v", err)
			}
			cmdline := list(resolved, "services", "winnow", "command")
			if !slices.Contains(cmdline, any(tt.wantConf)) {
				t.Errorf("winnow command %v, want it to load %s", cmdline, tt.wantConf)
			}
			if tt.name != "default" && get(resolved, "services", "redis") == nil {
				t.Errorf("redis service missing with %v", tt.args)
			}
			if tt.name == "distributed profile" {
				rep := get(resolved, "services", "winnow-replica")
				if rep == nil {
					t.Fatal("winnow-replica service missing with --profile distributed")
				}
				// winnow plus the replicas: three daemons on one Redis and config.
				if n := fmt.Sprint(get(rep, "deploy", "replicas")); n != "2" {
					t.Errorf("winnow-replica replicas %s, want 2 (three daemons with winnow)", n)
				}
				if c := list(rep, "command"); !slices.Contains(c, any(tt.wantConf)) {
					t.Errorf("winnow-replica command %v, want it to load %s", c, tt.wantConf)
				}
			}
		})
	}
}

// TestKustomizeDistributed renders the distributed overlay: three replicas
// of the Deployment on the Redis StatefulSet, a PodDisruptionBudget that
// selects them, the config from a ConfigMap with the Redis backend, the
// token from the Secret, and a volume the replicas can share.
func TestKustomizeDistributed(t *testing.T) {
	out := kustomize(t, "kubernetes-distributed", "kubectl not installed: skipping the kustomize build of the distributed overlay")
	dec := yaml.NewDecoder(strings.NewReader(string(out)))
	byKind := map[string][]map[string]any{}
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("kustomize output: %v", err)
		}
		byKind[str(doc, "kind")] = append(byKind[str(doc, "kind")], doc)
	}
	one := func(kind string) map[string]any {
		if len(byKind[kind]) != 1 {
			t.Fatalf("%d %s objects, want 1", len(byKind[kind]), kind)
		}
		return byKind[kind][0]
	}
	dep, sts, pdb, cm, pvc := one("Deployment"), one("StatefulSet"), one("PodDisruptionBudget"), one("ConfigMap"), one("PersistentVolumeClaim")
	if n := get(dep, "spec", "replicas"); fmt.Sprint(n) != "3" {
		t.Errorf("Deployment replicas %v, want 3", n)
	}
	if s := str(dep, "spec", "strategy", "type"); s != "RollingUpdate" {
		t.Errorf("Deployment strategy %q, want RollingUpdate (replicas hand their work over)", s)
	}
	podLabels := get(dep, "spec", "template", "metadata", "labels").(map[string]any)
	for k, v := range get(pdb, "spec", "selector", "matchLabels").(map[string]any) {
		if podLabels[k] != v {
			t.Errorf("PodDisruptionBudget selects %s=%v, which the winnow pods do not have", k, v)
		}
	}
	if m := fmt.Sprint(get(pdb, "spec", "minAvailable")); m != "2" {
		t.Errorf("PodDisruptionBudget minAvailable %s, want 2", m)
	}
	if str(sts, "metadata", "name") != "redis" {
		t.Errorf("StatefulSet %q, want redis", str(sts, "metadata", "name"))
	}
	if modes := list(pvc, "spec", "accessModes"); !slices.Contains(modes, any("ReadWriteMany")) {
		t.Errorf("output volume access modes %v, want ReadWriteMany (the replicas share it)", modes)
	}
	var cfgText string
	for _, v := range get(cm, "data").(map[string]any) {
		cfgText = v.(string)
	}
	var cfgDoc map[string]any
	if err := yaml.Unmarshal([]byte(cfgText), &cfgDoc); err != nil {
		t.Fatal(err)
	}
	if b, a := str(cfgDoc, "state", "backend"), str(cfgDoc, "state", "addr"); b != "redis" || a != "redis:6379" {
		t.Errorf("config state %s %s, want redis at the StatefulSet's service redis:6379", b, a)
	}
	var svcRedis bool
	for _, svc := range byKind["Service"] {
		svcRedis = svcRedis || str(svc, "metadata", "name") == "redis"
	}
	if !svcRedis {
		t.Error("no redis Service for the StatefulSet")
	}
	var token, config bool
	for _, v := range list(dep, "spec", "template", "spec", "volumes") {
		token = token || str(v, "secret", "secretName") == "winnow-token"
		config = config || str(v, "configMap", "name") == str(cm, "metadata", "name")
	}
	if !token || !config {
		t.Errorf("Deployment volumes: token Secret %v, generated ConfigMap %v; want both", token, config)
	}
}

// TestKustomizeBuild renders deploy/kubernetes with kustomize (kubectl's,
// offline) and checks the generated ConfigMap's hashed name reaches the
// Deployment.
func TestKustomizeBuild(t *testing.T) {
	out := kustomize(t, "kubernetes", "kubectl not installed: skipping the kustomize build (the manifest checks above still ran)")
	dec := yaml.NewDecoder(strings.NewReader(string(out)))
	byKind := map[string]map[string]any{}
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("kustomize output: %v", err)
		}
		byKind[str(doc, "kind")] = doc
	}
	cm := byKind["ConfigMap"]
	if cm == nil || !strings.HasPrefix(str(cm, "metadata", "name"), "winnow-config-") {
		t.Fatalf("no generated winnow-config ConfigMap in:\n%s", out)
	}
	var refs []string
	for _, v := range list(byKind["Deployment"], "spec", "template", "spec", "volumes") {
		if n := str(v, "configMap", "name"); n != "" {
			refs = append(refs, n)
		}
	}
	if want := str(cm, "metadata", "name"); !slices.Contains(refs, want) {
		t.Errorf("Deployment mounts ConfigMaps %v, want the generated %s", refs, want)
	}
	for _, kind := range []string{"Deployment", "Service", "ServiceMonitor", "PersistentVolumeClaim", "PrometheusRule"} {
		if byKind[kind] == nil {
			t.Errorf("kustomize output has no %s", kind)
		}
	}
}

// kustomize renders dir with kubectl's kustomize (offline). Without kubectl
// it skips with why, or fails under CI=true.
func kustomize(t *testing.T, dir, why string) []byte {
	t.Helper()
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("kubectl not installed (apt-get install kubernetes-client); CI=true so this is a failure")
		}
		t.Skip(why)
	}
	var stderr strings.Builder
	cmd := exec.Command(kubectl, "kustomize", dir)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, stderr.String())
	}
	return out
}
