package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// checkProfile fails unless path holds a CPU profile as go tool pprof
// reads it: gzip-compressed profile.proto with samples' data in it.
func checkProfile(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no profile: %v", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s is not a gzip-compressed profile: %v", path, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil || len(raw) == 0 {
		t.Fatalf("%s: broken or empty profile (%d bytes, %v)", path, len(raw), err)
	}
}

func TestCPUProfileClean(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
	}{
		{name: "one page", args: []string{harbourPage}},
		{name: "with --out", args: []string{"--out", filepath.Join(dir, "out"), harbourPage}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prof := filepath.Join(dir, "cpu"+string(rune('a'+i))+".prof")
			r := runWinnow(t, "", append([]string{"clean", "--cpuprofile", prof}, tt.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
			}
			checkProfile(t, prof)
		})
	}
}

func TestCPUProfileBadPath(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-dir", "cpu.prof")
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{name: "clean, missing directory", args: []string{"clean", "--cpuprofile", missing, harbourPage},
			stderr: "winnow: --cpuprofile: open " + missing + ": no such file or directory"},
		{name: "clean, a directory", args: []string{"clean", "--cpuprofile", dir, harbourPage},
			stderr: "winnow: --cpuprofile " + dir + ": is a directory"},
		{name: "crawl, missing directory", args: []string{"crawl", "--cpuprofile", missing, "--out", filepath.Join(dir, "out"), "http://127.0.0.1:1/"},
			stderr: "winnow: --cpuprofile: open " + missing + ": no such file or directory"},
		{name: "reclean, missing directory", args: []string{"reclean", "--cpuprofile", missing, "--out", filepath.Join(dir, "out"), dir},
			stderr: "winnow: --cpuprofile: open " + missing + ": no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runWinnow(t, "", tt.args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2; stderr:\n%s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tt.stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
				t.Error("the command ran although its profile could not be written")
			}
		})
	}
}

// TestCPUProfileCrawlInterrupted: Ctrl-C stops the crawl gracefully and the
// profile of what ran is still written.
func TestCPUProfileCrawlInterrupted(t *testing.T) {
	site := serveNews(t, 500, 5*time.Millisecond)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	prof := filepath.Join(dir, "crawl.prof")
	cmd := exec.Command(winnowBin, "crawl", "--cpuprofile", prof, "--allow-private", "--delay", "0", "--parallel", "2",
		"--log-level", "warn", "--article", `/\d{4}/\d{2}/`, "--out", out, site.URL+"/")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for manifestLines(out) < 5 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("crawl wrote too little in 60s; stderr:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 2 {
		t.Fatalf("exit 2 after Ctrl-C; stderr:\n%s", stderr.String())
	}
	if n := manifestLines(out); n >= 500 {
		t.Fatalf("the crawl finished (%d documents) before Ctrl-C", n)
	}
	checkProfile(t, prof)
}

// TestMemProfile: --memprofile writes a memory profile when the command
// ends, alone or beside --cpuprofile; a path that cannot be written is a
// usage error before any work.
func TestMemProfile(t *testing.T) {
	dir := t.TempDir()
	mem, cpu := filepath.Join(dir, "mem.prof"), filepath.Join(dir, "cpu.prof")
	r := runWinnow(t, "", "clean", "--memprofile", mem, "--cpuprofile", cpu, "--out", filepath.Join(dir, "out"), harbourPage)
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	checkProfile(t, mem)
	checkProfile(t, cpu)
	missing := filepath.Join(dir, "no-such-dir", "mem.prof")
	r = runWinnow(t, "", "clean", "--memprofile", missing, "--out", filepath.Join(dir, "out2"), harbourPage)
	if want := "winnow: --memprofile: open " + missing + ": no such file or directory"; r.code != 2 || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "out2")); err == nil {
		t.Error("the command ran although its memory profile could not be written")
	}
}
