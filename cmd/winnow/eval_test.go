package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testdata/eval is a three-page dataset in the benchmark's layout: two
// articles whose ground truth is their paragraphs, and an index page with no
// article (its truth is "A B C", so it scores recall 0).
const evalDataset = "testdata/eval"

func TestEvalJSON(t *testing.T) {
	r := runWinnow(t, "", "eval", "--dataset", evalDataset, "--workers", "2", "--worst", "1", "--json", "--log-level", "error")
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	var got struct {
		Pages                           int
		Precision, Recall, F1, Accuracy float64
		Errors                          int
		ErrorKinds                      map[string]int `json:"error_kinds"`
		PagesPerSecond                  float64        `json:"pages_per_second"`
		Worst                           []struct{ ID string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	if got.Pages != 3 || got.Errors != 1 {
		t.Errorf("pages %d errors %d, want 3 and 1", got.Pages, got.Errors)
	}
	if diff := cmp.Diff(map[string]int{"not_article": 1}, got.ErrorKinds); diff != "" {
		t.Errorf("error kinds (-want +got):\n%s", diff)
	}
	// Both articles are clean, simple pages: near-perfect precision; recall
	// is the mean over all three pages, the index scoring 0.
	if got.Precision < 0.95 || got.Recall < 0.6 || got.Recall > 2.0/3+1e-9 {
		t.Errorf("precision %.3f recall %.3f, want ≥ 0.95 and in [0.6, 0.667]", got.Precision, got.Recall)
	}
	if want := 2 * got.Precision * got.Recall / (got.Precision + got.Recall); got.F1 < want-1e-9 || got.F1 > want+1e-9 {
		t.Errorf("F1 %.4f is not the harmonic mean of %.4f and %.4f", got.F1, got.Precision, got.Recall)
	}
	if got.PagesPerSecond <= 0 {
		t.Errorf("pages/s %v", got.PagesPerSecond)
	}
	if len(got.Worst) != 1 || got.Worst[0].ID != "index" {
		t.Errorf("worst %+v, want the index page", got.Worst)
	}
}

// TestEvalSplit: the halves of a dataset add up to the whole, and the
// report names the half it scored.
func TestEvalSplit(t *testing.T) {
	pages := 0
	for _, split := range []string{"dev", "test"} {
		r := runInProcess(t, "", "eval", "--dataset", evalDataset, "--split", split, "--json", "--bootstrap", "0", "--log-level", "error")
		if r.code != 0 {
			t.Fatalf("--split %s: exit %d; stderr:\n%s", split, r.code, r.stderr)
		}
		var got struct {
			Split string
			Pages int
		}
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
		}
		if got.Split != split {
			t.Errorf("report names split %q, want %q", got.Split, split)
		}
		pages += got.Pages
	}
	if pages != 3 {
		t.Errorf("dev + test pages = %d, want the dataset's 3", pages)
	}
}

func TestEvalText(t *testing.T) {
	r := runWinnow(t, "", "eval", "--dataset", evalDataset, "--worst", "2", "--bootstrap", "0")
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"\nF1         0.", "\nprecision  ", "\nrecall     ", "\naccuracy   ", "\nerrors     1 (scored as empty: not_article 1)", " pages/s", "worst 2 pages by F1:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "id=index") {
		t.Errorf("the failed page is not logged:\n%s", r.stderr)
	}
}

func TestEvalSplitAndAblate(t *testing.T) {
	// The three pages are of one site, which is in the dev half.
	tests := []struct {
		name      string
		split     string
		pages     int
		errors    int
		rowSplits []string
	}{
		{name: "dev", split: "dev", pages: 3, errors: 1, rowSplits: []string{"dev"}},
		{name: "test", split: "test", pages: 0, errors: 0, rowSplits: []string{"test"}},
		{name: "all", split: "all", pages: 3, errors: 1, rowSplits: []string{"dev", "test", "all"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runInProcess(t, "", "eval", "--dataset", evalDataset, "--split", tt.split, "--ablate", "--json", "--bootstrap", "0", "--log-level", "error")
			if r.code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
			}
			var got struct {
				Split    string
				Pages    int
				Errors   int
				Ablation []struct {
					Off, Split string
					Pages      int
					F1         float64
				}
			}
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
			}
			if got.Split != tt.split || got.Pages != tt.pages || got.Errors != tt.errors {
				t.Errorf("split %q pages %d errors %d, want %q %d %d", got.Split, got.Pages, got.Errors, tt.split, tt.pages, tt.errors)
			}
			var rows []string
			for _, a := range got.Ablation {
				rows = append(rows, a.Off+"/"+a.Split)
			}
			var want []string
			for _, off := range []string{"", "structure", "phrases", "template", "second_extractor"} {
				for _, sp := range tt.rowSplits {
					want = append(want, off+"/"+sp)
				}
			}
			if diff := cmp.Diff(want, rows); diff != "" {
				t.Errorf("ablation rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvalTextNamesSplit(t *testing.T) {
	r := runInProcess(t, "", "eval", "--dataset", evalDataset, "--split", "dev", "--ablate", "--bootstrap", "0", "--log-level", "error")
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{" (dev: 3 pages)\n", "\nablation ("} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	// One row per configuration, each on the dev half's three pages.
	rows := 0
	for _, l := range strings.Split(r.stdout, "\n") {
		f := strings.Fields(l)
		for _, off := range []string{"none", "structure", "phrases", "template", "second_extractor"} {
			if len(f) > 3 && f[0] == off && slices.Contains(f, "dev") && slices.Contains(f, "3") {
				rows++
			}
		}
	}
	if rows != 5 {
		t.Errorf("%d ablation rows on dev with 3 pages, want 5:\n%s", rows, r.stdout)
	}
}

func TestEvalUsage(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{name: "help", args: []string{"eval", "--help"}, code: 0, stderr: "Usage: winnow eval"},
		{name: "no dataset", args: []string{"eval"}, code: 2, stderr: "--dataset is required"},
		{name: "bad dataset", args: []string{"eval", "--dataset", "testdata/clean"}, code: 2, stderr: "ground-truth.json"},
		{name: "bad workers", args: []string{"eval", "--dataset", evalDataset, "--workers", "0"}, code: 2, stderr: "--workers 0"},
		{name: "extra argument", args: []string{"eval", "--dataset", evalDataset, "more"}, code: 2, stderr: `unexpected argument "more"`},
		{name: "bad split", args: []string{"eval", "--dataset", evalDataset, "--split", "train"}, code: 2, stderr: `--split "train": want dev, test or all`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runInProcess(t, "", tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr+r.stdout, tt.stderr) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", r.code, tt.code, r.stderr, tt.stderr)
			}
		})
	}
}
