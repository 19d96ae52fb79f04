package daemon

import (
	"net/http"
	"net/http/pprof"
)

// pprofRoutes serves the Go runtime profiles (CPU, heap, goroutines, block,
// mutex, execution trace) under /debug/pprof/ for `go tool pprof`. They are
// registered on the daemon's own mux, never on http.DefaultServeMux, only
// when http.pprof is set, and behind the token when one is configured: a
// profile shows what the process is doing, and a CPU profile or trace costs
// CPU while it runs.
func (h *handler) pprofRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /debug/pprof/", h.auth(pprof.Index))
	mux.HandleFunc("GET /debug/pprof/cmdline", h.auth(pprof.Cmdline))
	mux.HandleFunc("GET /debug/pprof/profile", h.auth(pprof.Profile))
	mux.HandleFunc("GET /debug/pprof/symbol", h.auth(pprof.Symbol))
	mux.HandleFunc("POST /debug/pprof/symbol", h.auth(pprof.Symbol))
	mux.HandleFunc("GET /debug/pprof/trace", h.auth(pprof.Trace))
}
