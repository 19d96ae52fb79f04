package daemon

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"winnow/metrics"
)

func newPprofServer(t *testing.T, pprofOn bool, token string) *httptest.Server {
	t.Helper()
	reg := prometheus.NewRegistry()
	s := NewScheduler(newFakeRunner(), metrics.New(reg), discard())
	srv := httptest.NewServer(NewHandler(HandlerOptions{Gatherer: reg, Jobs: s, Store: &fakeStore{}, Token: token, Pprof: pprofOn, Log: discard()}))
	t.Cleanup(srv.Close)
	return srv
}

func TestPprofEndpoints(t *testing.T) {
	tests := []struct {
		name   string
		pprof  bool
		token  string // configured
		send   string // sent
		path   string
		code   int
		inBody string
	}{
		{name: "off by default", path: "/debug/pprof/", code: http.StatusNotFound},
		{name: "off: no heap either", path: "/debug/pprof/heap", code: http.StatusNotFound},
		{name: "index", pprof: true, path: "/debug/pprof/", code: http.StatusOK, inBody: "goroutine"},
		{name: "named profile", pprof: true, path: "/debug/pprof/goroutine?debug=1", code: http.StatusOK, inBody: "goroutine profile:"},
		{name: "heap", pprof: true, path: "/debug/pprof/heap?debug=1", code: http.StatusOK, inBody: "heap profile:"},
		{name: "cmdline", pprof: true, path: "/debug/pprof/cmdline", code: http.StatusOK, inBody: "daemon.test"},
		{name: "token missing", pprof: true, token: "s3cret", path: "/debug/pprof/heap?debug=1", code: http.StatusUnauthorized},
		{name: "token wrong", pprof: true, token: "s3cret", send: "nope", path: "/debug/pprof/", code: http.StatusUnauthorized},
		{name: "token given", pprof: true, token: "s3cret", send: "s3cret", path: "/debug/pprof/heap?debug=1", code: http.StatusOK, inBody: "heap profile:"},
		{name: "metrics stay open with a token", pprof: true, token: "s3cret", path: "/metrics", code: http.StatusOK, inBody: "winnow_"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newPprofServer(t, tt.pprof, tt.token)
			code, body := do(t, http.MethodGet, srv.URL+tt.path, tt.send)
			if code != tt.code {
				t.Fatalf("GET %s: %d, want %d\n%s", tt.path, code, tt.code, body)
			}
			if !strings.Contains(body, tt.inBody) {
				t.Errorf("GET %s: body does not contain %q:\n%.300s", tt.path, tt.inBody, body)
			}
		})
	}
}

// TestPprofCPUProfile takes a one-second CPU profile through the endpoint:
// what comes back is a gzip-compressed profile.proto, as go tool pprof reads.
func TestPprofCPUProfile(t *testing.T) {
	srv := newPprofServer(t, true, "")
	resp, err := http.Get(srv.URL + "/debug/pprof/profile?seconds=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil || len(raw) == 0 {
		t.Fatalf("empty or broken profile: %d bytes, %v", len(raw), err)
	}
}
