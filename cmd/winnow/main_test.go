package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// winnowBin is the binary built once for the end-to-end tests of this package.
var winnowBin string

// e2eDir is where the end-to-end binary is built: one directory per
// checkout and race mode under the temp directory, kept between runs, so
// that go build, which leaves an up-to-date output alone, links it again
// only when the code changed (a -race link costs seconds of CPU). go build
// moves a new binary into place in one rename, so a concurrent run of the
// same checkout never sees half a file.
func e2eDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(wd))
	mode := "norace"
	if raceEnabled {
		mode = "race"
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("winnow-e2e-%x-%s", sum[:8], mode))
	return dir, os.MkdirAll(dir, 0o755)
}

func TestMain(m *testing.M) {
	dir, err := e2eDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	winnowBin = filepath.Join(dir, "winnow")
	args := []string{"build", "-o", winnowBin}
	if raceEnabled {
		args = append(args, "-race")
		// ThreadSanitizer sleeps a second before every exit of a -race
		// process (atexit_sleep_ms); these tests start dozens. A race in a
		// child still prints its report and exits 66, which fails the test.
		if g := os.Getenv("GORACE"); !strings.Contains(g, "atexit_sleep_ms") {
			os.Setenv("GORACE", strings.TrimSpace(g+" atexit_sleep_ms=0"))
		}
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build winnow:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// result is what one run of the binary printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// runWinnow runs the built binary to completion with stdin and args.
func runWinnow(t testing.TB, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(winnowBin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run winnow %v: %v", args, err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name         string
		args         []string
		code         int
		stdout       string // in stdout
		stderr       string // in stderr
		stderrAbsent string // not in stderr
	}{
		{name: "no command", args: nil, code: 2, stderr: "Usage: winnow COMMAND"},
		{name: "help", args: []string{"--help"}, code: 0, stdout: "Commands:"},
		{name: "unknown", args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`},
		{name: "bad flag", args: []string{"version", "--nope"}, code: 2,
			stderr: "winnow: flag provided but not defined: -nope (see 'winnow version --help')", stderrAbsent: "Usage:"},
		{name: "bad flag value", args: []string{"crawl", "--depth", "x", "http://127.0.0.1:1/"}, code: 2,
			stderr: `invalid value "x" for flag -depth`, stderrAbsent: "Usage:"},
		{name: "version help", args: []string{"version", "--help"}, code: 0, stdout: "Usage: winnow version\n"},
		{name: "crawl help", args: []string{"crawl", "-h"}, code: 0, stdout: "-max-pages int"},
		{name: "config help", args: []string{"config", "check", "--help"}, code: 0, stdout: "Usage: winnow config check FILE\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runWinnow(t, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.stdout) {
				t.Errorf("stdout %q does not contain %q", r.stdout, tt.stdout)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tt.stderr)
			}
			if tt.stderrAbsent != "" && strings.Contains(r.stderr, tt.stderrAbsent) {
				t.Errorf("stderr %q contains %q", r.stderr, tt.stderrAbsent)
			}
			if tt.code == 0 && r.stderr != "" {
				t.Errorf("help wrote to stderr: %q", r.stderr)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	r := runWinnow(t, "", "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "winnow ") || !strings.Contains(r.stdout, "go1.") {
		t.Fatalf("version: exit %d, stdout %q", r.code, r.stdout)
	}
}
