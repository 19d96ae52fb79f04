package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfigCheckExample(t *testing.T) {
	r := runWinnow(t, "", "config", "check", "../../deploy/winnow.example.yaml")
	if r.code != 0 || r.stdout != "../../deploy/winnow.example.yaml: ok (2 jobs)\n" {
		t.Fatalf("config check of the example: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
}

func TestConfigCheckBroken(t *testing.T) {
	const job = "jobs:\n  - name: news\n    schedule: \"@every 1m\"\n    seeds: [https://news.example/]\n"
	tests := []struct {
		name string
		yaml string
		want []string // lines of stdout, after "FILE: "
	}{
		{name: "unknown key", yaml: "outptu: {dir: x}\n" + job,
			want: []string{`outptu (line 1): unknown key (did you mean "output"?)`}},
		{name: "bad duration", yaml: "shutdown_grace: soon\n" + job,
			want: []string{`shutdown_grace (line 1): "soon": expected a duration like 1s, 500ms or 2m`}},
		{name: "bad size", yaml: "defaults: {max_body: 10 parsecs}\n" + job,
			want: []string{`defaults.max_body (line 1): "10 parsecs": unknown unit "parsecs": want B, KB, MB, GB, KiB, MiB or GiB`}},
		{name: "bad regex", yaml: job + "    deny: ['(']\n",
			want: []string{"jobs[0].deny[0] (line 5): bad regexp: missing closing ): `(`"}},
		{name: "bad cron", yaml: "jobs:\n  - name: news\n    schedule: \"every banana\"\n    seeds: [https://news.example/]\n",
			want: []string{`jobs[0].schedule (line 3): "every banana": expected exactly 5 fields, found 2: [every banana]`}},
		{name: "duplicate names", yaml: job + "  - name: news\n    schedule: \"@daily\"\n    seeds: [https://news.example/b/]\n",
			want: []string{`jobs[1].name (line 5): "news": duplicate job name (first on line 2)`}},
		{name: "empty name", yaml: "jobs:\n  - name: ''\n    schedule: '@daily'\n    seeds: [https://news.example/]\n",
			want: []string{`jobs[0].name (line 2): empty: every job needs a name`}},
		{name: "non-http seed", yaml: "jobs:\n  - name: news\n    schedule: '@daily'\n    seeds: ['file:///etc/passwd']\n",
			want: []string{`jobs[0].seeds[0] (line 4): "file:///etc/passwd": want an http or https URL`}},
		{name: "wrong type", yaml: "defaults: {respect_robots: sometimes}\n" + job,
			want: []string{`defaults.respect_robots (line 1): "sometimes": expected true or false`}},
		{name: "unreadable token", yaml: "http: {token_file: ./no-such-token}\n" + job,
			want: []string{`http.token_file (line 1): read ./no-such-token: no such file or directory`}},
		{name: "every under a second", yaml: "jobs:\n  - name: news\n    schedule: '@every 0s'\n    seeds: [https://news.example/]\n",
			want: []string{`jobs[0].schedule (line 3): "@every 0s": the interval must be at least 1s`}},
		{name: "open listen without token", yaml: "http: {listen: ':9464'}\n" + job,
			want: []string{`http.listen (line 1): ":9464" is not a loopback address and http.token_file is not set: anyone who can reach it could start runs; set a token_file or listen on 127.0.0.1`}},
		{name: "negative min_words", yaml: "defaults: {min_words: -1}\n" + job,
			want: []string{`defaults.min_words (line 1): -1: must be at least 0`}},
		{name: "language names", yaml: job + "    languages: [english, de]\n",
			want: []string{`jobs[0].languages[0] (line 5): "english": want a two-letter ISO 639-1 code like "en" or "de"`}},
		{name: "several at once", yaml: "output: {format: pdf}\ndefaults: {parallel: 0}\n" + job + "    max_depth: deep\n",
			want: []string{
				`output.format (line 1): "pdf": want txt, json, jsonl or markdown`,
				`defaults.parallel (line 2): 0: must be at least 1`,
				`jobs[0].max_depth (line 7): "deep": expected an integer`,
			}},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".yaml")
			if err := os.WriteFile(file, []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			r := runWinnow(t, "", "config", "check", file)
			if r.code != 2 {
				t.Errorf("exit %d, want 2; stderr: %s", r.code, r.stderr)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, file+": "+w)
			}
			got := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if !strings.Contains(r.stderr, "problem") {
				t.Errorf("stderr %q lacks the summary", r.stderr)
			}
		})
	}
}

func TestConfigCheckOneJob(t *testing.T) {
	file := filepath.Join(t.TempDir(), "one.yaml")
	if err := os.WriteFile(file, []byte("jobs:\n  - name: news\n    schedule: '@daily'\n    seeds: [https://news.example/]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runWinnow(t, "", "config", "check", file); r.code != 0 || r.stdout != file+": ok (1 job)\n" {
		t.Errorf("exit %d, stdout %q", r.code, r.stdout)
	}
}

func TestConfigUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"no subcommand", []string{"config"}, 2},
		{"no file", []string{"config", "check"}, 2},
		{"missing file", []string{"config", "check", "no-such.yaml"}, 2},
		{"help", []string{"config", "--help"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := runWinnow(t, "", tt.args...); r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr %s", r.code, tt.code, r.stderr)
			}
		})
	}
}
