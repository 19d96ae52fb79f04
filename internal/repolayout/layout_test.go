package repolayout

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// upPath matches a relative path that climbs with "../" and names something
// after it: "../../data/x", "../testdata".
var upPath = regexp.MustCompile(`(?:\.\./)+[\w.-]+`)

// TestNoPathOutsideRepository fails when a tracked file refers, by a relative
// path, to a place above the repository's root: such a file works only on
// the machine it was written on, never in a fresh clone.
func TestNoPathOutsideRepository(t *testing.T) {
	root := repoRoot(t)
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("git ls-files in %s: %v", root, err)
		}
		t.Skipf("not a git checkout (git ls-files: %v)", err)
	}
	var bad []string
	for _, rel := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if rel == "" || strings.HasPrefix(rel, "testdata/article-extraction-benchmark/") {
			continue // vendored data: pages quote their own sites' paths
		}
		body, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil || bytes.IndexByte(body, 0) >= 0 {
			continue // unreadable here, or binary
		}
		if strings.Contains(rel, "/testdata/") && strings.HasSuffix(rel, ".html") {
			continue // saved web pages link to their own sites' "../" paths
		}
		dir := filepath.Dir(filepath.Join(root, rel))
		for i, line := range strings.Split(string(body), "\n") {
			for _, m := range upPath.FindAllString(line, -1) {
				if escapes(root, dir, m) {
					bad = append(bad, rel+":"+strconv.Itoa(i+1)+": "+m)
				}
			}
		}
	}
	if len(bad) > 0 {
		t.Errorf("tracked files refer to paths outside the repository (a fresh clone has no such path):\n%s", strings.Join(bad, "\n"))
	}
}

// TestEscapes pins what counts as leaving the repository.
func TestEscapes(t *testing.T) {
	root := filepath.FromSlash("/r")
	tests := []struct {
		name string
		dir  string
		path string
		want bool
	}{
		{name: "sibling package", dir: "/r/cleaner", path: "../testdata", want: false},
		{name: "module root from bench", dir: "/r/bench", path: "../", want: false},
		{name: "two up from a package", dir: "/r/cleaner", path: "../../shared", want: true},
		{name: "one up from the root", dir: "/r", path: "../data", want: true},
		{name: "deep but inside", dir: "/r/a/b/c", path: "../../x", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := escapes(root, filepath.FromSlash(tt.dir), tt.path); got != tt.want {
				t.Errorf("escapes(%q, %q) = %v, want %v", tt.dir, tt.path, got, tt.want)
			}
		})
	}
}

// escapes reports whether path, taken relative to dir, leads out of root.
func escapes(root, dir, path string) bool {
	rel, err := filepath.Rel(root, filepath.Join(dir, path))
	return err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func repoRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		abs, aerr := filepath.Abs("../..")
		if aerr != nil {
			t.Fatal(aerr)
		}
		return abs
	}
	return strings.TrimSpace(string(out))
}
