package main

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
)

func TestTriggerErrors(t *testing.T) {
	// A port nothing listens on: bind one, then close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{name: "no job", args: []string{"trigger"}, code: 2, want: "want exactly one JOB"},
		{name: "two jobs", args: []string{"trigger", "a", "b"}, code: 2, want: "want exactly one JOB"},
		{name: "bad addr", args: []string{"trigger", "--addr", "ftp://x", "a"}, code: 2, want: `--addr "ftp://x"`},
		{name: "missing token file", args: []string{"trigger", "--token-file", filepath.Join(t.TempDir(), "nope"), "a"}, code: 2, want: "--token-file"},
		{name: "no daemon", args: []string{"trigger", "--addr", closed, "a"}, code: 1, want: "connection refused"},
		{name: "help", args: []string{"trigger", "--help"}, code: 0, want: "Usage: winnow trigger"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runWinnow(t, "", tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr+r.stdout, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, tt.code, tt.want)
			}
		})
	}
}
