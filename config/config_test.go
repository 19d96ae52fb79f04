package config

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoadInvalid(t *testing.T) {
	tests := []struct {
		name string // testdata/invalid-<name>.yaml
		want []string
	}{
		{"unknown-key", []string{`jobs[0].paralel (line 6): unknown key (did you mean "parallel"?)`}},
		{"wrong-type", []string{`defaults.parallel (line 2): "four": expected an integer`}},
		{"bad-duration", []string{`defaults.delay (line 2): "1 second": expected a duration like 1s, 500ms or 2m`}},
		{"duration-without-unit", []string{`shutdown_grace (line 1): "20": expected a duration like 1s, 500ms or 2m`}},
		{"bad-size", []string{`defaults.max_body (line 2): "10 megs": unknown unit "megs": want B, KB, MB, GB, KiB, MiB or GiB`}},
		{"bad-regex", []string{"jobs[0].article[0] (line 5): bad regexp: missing closing ): `/\\d{4}/(\\d{2}/`"}},
		{"bad-cron", []string{`jobs[1].schedule (line 7): "every banana": expected exactly 5 fields, found 2: [every banana]`}},
		{"every-under-a-second", []string{
			`jobs[0].schedule (line 3): "@every 0s": the interval must be at least 1s`,
			`jobs[1].schedule (line 6): "@every 500ms": the interval must be at least 1s`,
			`jobs[2].schedule (line 9): "TZ=UTC @every -5m": the interval must be at least 1s`,
		}},
		{"bad-timezone", []string{`jobs[0].schedule (line 3): "CRON_TZ=Mars/Olympus 0 6 * * *": provided bad location Mars/Olympus: unknown time zone Mars/Olympus`}},
		{"empty-job-name", []string{`jobs[0].name (line 2): empty: every job needs a name`}},
		{"missing-job-name", []string{`jobs[0].name (line 2): missing: every job needs a name`}},
		{"duplicate-job-name", []string{`jobs[1].name (line 5): "news": duplicate job name (first on line 2)`}},
		{"bad-job-name", []string{`jobs[0].name (line 2): "world news": use letters, digits, '.', '_' and '-', starting with a letter or digit`}},
		{"non-http-seed", []string{`jobs[0].seeds[0] (line 4): "ftp://news.example/": want an http or https URL`}},
		{"no-seeds", []string{`jobs[0] (line 2): no seeds, sitemaps or feeds: nothing to crawl`}},
		{"missing-schedule", []string{`jobs[0].schedule (line 2): missing: every job needs a cron schedule ("@every 30m", "*/30 * * * *")`}},
		{"no-jobs", []string{`jobs (line 1): at least one job is required`}},
		{"unreadable-token-file", []string{`http.token_file (line 3): read ./testdata/no-such-token: no such file or directory`}},
		{"bad-format", []string{`output.format (line 1): "xml": want txt, json, jsonl or markdown`}},
		{"bad-markdown-links", []string{`output.markdown_links (line 3): "no": expected true or false`}},
		{"bad-near-duplicates", []string{
			`defaults.near_duplicates.enabled (line 2): "yes": expected true or false`,
			`defaults.near_duplicates.max_distance (line 2): 12: must be at most 7 (bits of the 64-bit SimHash)`,
			`jobs[0].near_duplicates.max_distence (line 7): unknown key (did you mean "max_distance"?)`,
		}},
		{"bad-backend", []string{`state.backend (line 1): "sqlite": want bolt or redis`}},
		{"bad-listen", []string{`http.listen (line 1): "9464": want host:port`}},
		{"bad-pprof", []string{`http.pprof (line 1): "yes": expected true or false`}},
		{"unknown-http-key", []string{`http.prof (line 2): unknown key (did you mean "pprof"?)`}},
		{"listen-open-without-token", []string{`http.listen (line 2): "0.0.0.0:9464" is not a loopback address and http.token_file is not set: anyone who can reach it could start runs; set a token_file or listen on 127.0.0.1`}},
		{"negative-parallel", []string{`jobs[0].parallel (line 5): 0: must be at least 1`}},
		{"negative-min-words", []string{`defaults.min_words (line 2): -1: must be at least 0`}},
		{"bad-languages", []string{
			`defaults.languages[0] (line 2): "english": want a two-letter ISO 639-1 code like "en" or "de"`,
			`jobs[0].languages[0] (line 7): "EN": write language codes in lower case: "en"`,
			`jobs[0].languages[1] (line 7): "xx": not an ISO 639-1 language code`,
		}},
		{"archive-unknown-key", []string{`defaults.archive.max_sise (line 2): unknown key (did you mean "max_size"?)`}},
		{"archive-bad-size", []string{
			`defaults.archive.max_size (line 4): "1 gigabyte": unknown unit "gigabyte": want B, KB, MB, GB, KiB, MiB or GiB`,
			`jobs[0].archive.max_size (line 9): "64KiB": must be at least 1MiB`,
		}},
		{"archive-not-a-mapping", []string{`jobs[0].archive (line 5): expected a mapping, got "./warc"`}},
		{"duplicate-key", []string{`jobs[0].schedule (line 4): duplicate key (first on line 3)`}},
		{"syntax", []string{`line 3: yaml syntax: found unexpected end of stream`}},
		{"not-a-list", []string{`jobs[0].seeds (line 4): expected a list, got "https://news.example/"`}},
		{"many-problems", []string{
			`defaults.parallel (line 3): -1: must be at least 1`,
			`defaults.timeout (line 4): "forever": expected a duration like 1s, 500ms or 2m`,
			`jobs[0].seeds[1] (line 8): "news.example/world": want an http or https URL`,
			"jobs[0].allow[0] (line 9): bad regexp: missing closing ]: `[`",
			`jobs[1].name (line 10): "news": duplicate job name (first on line 6)`,
			`jobs[1].colour (line 13): unknown key`,
		}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.name] = true
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join("testdata", "invalid-"+tt.name+".yaml")
			cfg, err := Load(file)
			if err == nil {
				t.Fatalf("Load(%s) = %+v, want an error", file, cfg)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, file+": "+w)
			}
			if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("Load(%s) error (-want +got):\n%s", file, diff)
			}
			if got := len(Problems(err)); got != len(tt.want) {
				t.Errorf("Problems: %d, want %d", got, len(tt.want))
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("error %T is not a *config.Error", err)
			}
		})
	}
	files, err := filepath.Glob("testdata/invalid-*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "invalid-"), ".yaml")
		if !seen[name] {
			t.Errorf("%s has no case in TestLoadInvalid", f)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/no-such.yaml")
	want := "testdata/no-such.yaml: read: no such file or directory"
	if err == nil || err.Error() != want {
		t.Fatalf("Load: %v, want %q", err, want)
	}
}

func TestLoadValid(t *testing.T) {
	cfg, err := Load("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type jobView struct {
		Name, Schedule         string
		Seeds, Sitemaps, Feeds []string
		Allow, Deny, Article   []string
		Settings               Settings
		Filter                 Filter
		HasCron                bool
	}
	view := func(j Job) jobView {
		res := func(rs []*regexp.Regexp) []string {
			var out []string
			for _, r := range rs {
				out = append(out, r.String())
			}
			return out
		}
		return jobView{j.Name, j.Schedule, j.Seeds, j.Sitemaps, j.Feeds, res(j.Allow), res(j.Deny), res(j.Article), j.Settings, j.Filter, j.Cron != nil}
	}
	defaults := Settings{
		UserAgent: "winnow-test/1.0", Parallel: 2, Delay: 250 * time.Millisecond, Timeout: 10 * time.Second,
		MaxBody: 512000, MaxDepth: 3, Retries: 2, RespectRobots: true,
		Archive: Archive{Dir: "./warc", MaxSize: 512 << 20},
	}
	local := defaults
	local.Archive.Dir = "./warc-local"
	local.Parallel, local.Delay, local.MaxBody, local.MaxPages, local.RespectRobots, local.AllowPrivate = 8, 0, 1<<20, 100, false, true
	want := []jobView{
		{Name: "world-news", Schedule: "*/30 * * * *", Seeds: []string{"https://news.example/world/"},
			Allow: []string{`^https://news\.example/`}, Article: []string{`/\d{4}/\d{2}/\d{2}/`}, Settings: defaults,
			Filter: Filter{MinWords: 50, Languages: []string{"en", "de"}, NearDuplicates: NearDuplicates{Enabled: true, MaxDistance: 3}}, HasCron: true},
		{Name: "local", Schedule: "CRON_TZ=Europe/Berlin @every 10m", Feeds: []string{"http://local.example/feed.xml"},
			Sitemaps: []string{"http://local.example/sitemap.xml"}, Deny: []string{`\.pdf$`}, Settings: local,
			Filter: Filter{Languages: []string{"zh"}, NearDuplicates: NearDuplicates{MaxDistance: 5}}, HasCron: true},
	}
	var got []jobView
	for _, j := range cfg.Jobs {
		got = append(got, view(j))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Output{Dir: "./out", Format: "json", MarkdownLinks: true}, cfg.Output); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(State{Backend: "bolt", Path: "./winnow.db"}, cfg.State); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
	if cfg.ShutdownGrace != 5*time.Second || cfg.HTTP.Listen != "127.0.0.1:9464" {
		t.Errorf("shutdown_grace %v, listen %q", cfg.ShutdownGrace, cfg.HTTP.Listen)
	}
	if !cfg.HTTP.Pprof {
		t.Error("http.pprof: true was not read")
	}
	if _, ok := cfg.Job("local"); !ok {
		t.Error(`Job("local") not found`)
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := Parse("min.yaml", []byte("jobs: [{name: a, schedule: '@every 1h', seeds: ['https://a.example/']}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.File = "min.yaml"
	want.State.Path = filepath.Join("out", ".winnow", "state.db")
	if diff := cmp.Diff(want.Defaults, cfg.Jobs[0].Settings); diff != "" {
		t.Errorf("job settings (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(DefaultFilter(), cfg.Jobs[0].Filter); diff != "" {
		t.Errorf("job filter (-want +got):\n%s", diff)
	}
	if cfg.HTTP.Pprof {
		t.Error("http.pprof is on by default; the contract says off")
	}
	cfg.Jobs = nil
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if d := DefaultSettings(); d.Parallel != 4 || d.Delay != time.Second || d.Timeout != 30*time.Second ||
		d.MaxBody != 10<<20 || d.MaxDepth != 2 || !d.RespectRobots || d.AllowPrivate {
		t.Errorf("DefaultSettings differ from the contract: %+v", d)
	}
}

func TestTokenFile(t *testing.T) {
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	job := "jobs: [{name: a, schedule: '@every 1h', seeds: ['https://a.example/']}]\n"
	cfg, err := Parse("c.yaml", []byte("http: {token_file: "+tok+"}\n"+job))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Token != "s3cret" {
		t.Errorf("token %q, want s3cret", cfg.HTTP.Token)
	}
	_, err = Parse("c.yaml", []byte("http: {token_file: "+empty+"}\n"+job))
	if want := "c.yaml: http.token_file (line 1): " + empty + " is empty"; err == nil || err.Error() != want {
		t.Errorf("empty token: %v, want %q", err, want)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int64
		err  bool
	}{
		{name: "bytes", in: "1024", want: 1024},
		{name: "B", in: "10B", want: 10},
		{name: "KB", in: "512KB", want: 512000},
		{name: "KiB", in: "512KiB", want: 512 << 10},
		{name: "MiB", in: "10MiB", want: 10 << 20},
		{name: "MB lower", in: "2mb", want: 2000000},
		{name: "GiB fraction", in: "1.5GiB", want: 3 << 29},
		{name: "space", in: "10 MiB", want: 10 << 20},
		{name: "zero", in: "0", err: true},
		{name: "unit only", in: "MiB", err: true},
		{name: "bad unit", in: "10XB", err: true},
		{name: "negative", in: "-1MiB", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("ParseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestSchedules(t *testing.T) {
	tests := []struct {
		name, spec string
		ok         bool
	}{
		{"five fields", "*/30 * * * *", true},
		{"every", "@every 10s", true},
		{"descriptor", "@daily", true},
		{"CRON_TZ", "CRON_TZ=Asia/Tokyo 0 6 * * *", true},
		{"TZ", "TZ=UTC @hourly", true},
		{"six fields", "0 */30 * * * *", false},
		{"every without duration", "@every banana", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte("jobs: [{name: a, schedule: '"+tt.spec+"', seeds: ['https://a.example/']}]\n"))
			if (err == nil) != tt.ok {
				t.Errorf("schedule %q: err %v, want ok %v", tt.spec, err, tt.ok)
			}
		})
	}
}

func TestLoadDeployExample(t *testing.T) {
	cfg, err := Load("../deploy/winnow.example.yaml")
	if err != nil {
		t.Fatalf("the documented example does not load:\n%v", err)
	}
	// The example documents the defaults: loading it must give them.
	if diff := cmp.Diff(DefaultSettings(), cfg.Defaults); diff != "" {
		t.Errorf("example defaults differ from DefaultSettings (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(DefaultFilter(), cfg.DefaultFilter); diff != "" {
		t.Errorf("example defaults differ from DefaultFilter (-want +got):\n%s", diff)
	}
	if cfg.ShutdownGrace != DefaultShutdownGrace || cfg.HTTP.Listen != DefaultListen || cfg.HTTP.Pprof || cfg.Output != (Output{Dir: DefaultOutputDir, Format: DefaultFormat}) {
		t.Errorf("example top-level values differ from the defaults: %+v", cfg)
	}
}

// TestFilterSettings: min_words and languages are merged per job like the
// other settings, and checked strictly.
func TestFilterSettings(t *testing.T) {
	// The job is on lines 1-4; the job's own keys follow from line 5, and
	// the defaults section, when a case has one, comes after them.
	const job = "jobs:\n  - name: a\n    schedule: '@every 1h'\n    seeds: ['https://a.example/']\n"
	type filter struct {
		MinWords  int
		Languages []string
	}
	tests := []struct {
		name string
		yaml string // appended to job
		want filter
		err  []string // the messages, without the file name
	}{
		{name: "none", want: filter{}},
		{name: "defaults only", yaml: "defaults:\n  min_words: 80\n  languages: [en, fr]\n", want: filter{80, []string{"en", "fr"}}},
		{name: "job overrides", yaml: "    min_words: 5\n    languages: [zh, ja]\ndefaults:\n  min_words: 80\n  languages: [en]\n",
			want: filter{5, []string{"zh", "ja"}}},
		{name: "job turns them off", yaml: "    min_words: 0\n    languages: []\ndefaults:\n  min_words: 80\n  languages: [en]\n",
			want: filter{}},
		{name: "null keeps the default", yaml: "    languages:\ndefaults:\n  languages: [en]\n", want: filter{0, []string{"en"}}},
		{name: "duplicates dropped", yaml: "    languages: [en, de, en]\n", want: filter{0, []string{"en", "de"}}},
		{name: "negative", yaml: "    min_words: -1\n", err: []string{`jobs[0].min_words (line 5): -1: must be at least 0`}},
		{name: "not an integer", yaml: "    min_words: many\n", err: []string{`jobs[0].min_words (line 5): "many": expected an integer`}},
		{name: "a name, not a code", yaml: "    languages: [english]\n",
			err: []string{`jobs[0].languages[0] (line 5): "english": want a two-letter ISO 639-1 code like "en" or "de"`}},
		{name: "three letters", yaml: "    languages: [deu]\n",
			err: []string{`jobs[0].languages[0] (line 5): "deu": want a two-letter ISO 639-1 code: "de"`}},
		{name: "upper case in defaults", yaml: "defaults:\n  languages: [en, DE]\n",
			err: []string{`defaults.languages[1] (line 6): "DE": write language codes in lower case: "de"`}},
		{name: "region", yaml: "    languages: [en-GB]\n",
			err: []string{`jobs[0].languages[0] (line 5): "en-GB": want a two-letter ISO 639-1 code like "en" or "de"`}},
		{name: "unknown", yaml: "    languages: [qq]\n", err: []string{`jobs[0].languages[0] (line 5): "qq": not an ISO 639-1 language code`}},
		{name: "withdrawn", yaml: "    languages: [iw]\n", err: []string{`jobs[0].languages[0] (line 5): "iw": a withdrawn code; use "he"`}},
		{name: "not a list", yaml: "    languages: en\n", err: []string{`jobs[0].languages (line 5): expected a list, got "en"`}},
		{name: "not a string", yaml: "    languages: [12]\n", err: []string{`jobs[0].languages[0] (line 5): expected a string, got 12`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := job + tt.yaml
			cfg, err := Parse("f.yaml", []byte(src))
			if tt.err != nil {
				var got []string
				for _, e := range Problems(err) {
					got = append(got, strings.TrimPrefix(e.Error(), "f.yaml: "))
				}
				if diff := cmp.Diff(tt.err, got); diff != "" {
					t.Errorf("errors (-want +got):\n%s\nsource:\n%s", diff, src)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse:\n%v\nsource:\n%s", err, src)
			}
			f := cfg.Jobs[0].Filter
			if diff := cmp.Diff(tt.want, filter{f.MinWords, f.Languages}); diff != "" {
				t.Errorf("job filter (-want +got):\n%s", diff)
			}
		})
	}
}
