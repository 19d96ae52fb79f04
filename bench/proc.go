package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// procResult is what one whole process cost.
type procResult struct {
	wall   time.Duration
	cpu    time.Duration // user + system
	rssKiB int64         // peak resident set size
	stdout string
}

// GNU time (the program, not the shell keyword) reports a child's CPU time
// and peak RSS. The measured program must be the child of a small process:
// Linux carries the RSS high-water mark of a process's memory over an exec,
// so a program started straight from this (large) process would report at
// least this process's RSS as its own.

// runProc runs a program to its end and measures it from the outside:
// wall time from start to exit, CPU time and peak RSS from its rusage.
func runProc(dir string, env []string, name string, args ...string) (procResult, error) {
	gnuTime, err := exec.LookPath("time")
	if err != nil {
		return procResult{}, fmt.Errorf("peak RSS needs GNU time (Debian package time): %w", err)
	}
	f, err := os.CreateTemp("", "bench-rusage-")
	if err != nil {
		return procResult{}, err
	}
	f.Close()
	defer os.Remove(f.Name())
	cmd := exec.Command(gnuTime, append([]string{"-f", "%U %S %M", "-o", f.Name(), name}, args...)...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if err != nil {
		tail := errb.String()
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return procResult{}, fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, tail)
	}
	usage, err := os.ReadFile(f.Name())
	if err != nil {
		return procResult{}, err
	}
	var user, sys float64
	var rss int64
	if _, err := fmt.Sscanf(lastLine(string(usage)), "%f %f %d", &user, &sys, &rss); err != nil {
		return procResult{}, fmt.Errorf("%s: reading GNU time's %q: %w", name, usage, err)
	}
	cpu := time.Duration((user + sys) * float64(time.Second))
	return procResult{wall: wall, cpu: cpu, rssKiB: rss, stdout: out.String()}, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
