package daemon

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"winnow/config"
)

// jobsService is what the jobs API needs from the Scheduler.
type jobsService interface {
	Jobs() []JobStatus
	Job(name string) (JobStatus, bool)
	Trigger(name string) (string, error)
	Ready() error
}

// pinger is what readiness needs from the state store.
type pinger interface {
	Ping(ctx context.Context) error
}

// HandlerOptions are the dependencies of the HTTP handlers.
type HandlerOptions struct {
	Gatherer prometheus.Gatherer // served on /metrics
	Jobs     jobsService
	Store    pinger // /readyz fails while Ping does
	Token    string // when set, POST endpoints need "Authorization: Bearer <Token>"
	Pprof    bool   // serve /debug/pprof/ (behind Token when it is set)
	Log      *slog.Logger
}

// NewHandler returns the daemon's HTTP endpoints: /metrics, /healthz,
// /readyz, GET /api/v1/jobs[/{name}] and POST /api/v1/jobs/{name}/runs,
// and /debug/pprof/ when o.Pprof is set.
func NewHandler(o HandlerOptions) http.Handler {
	h := &handler{o: o, log: o.Log.With("component", "http")}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{ErrorLog: slogPromLogger{h.log}}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", h.readyz)
	mux.HandleFunc("GET /api/v1/jobs", h.listJobs)
	mux.HandleFunc("GET /api/v1/jobs/{name}", h.getJob)
	mux.HandleFunc("POST /api/v1/jobs/{name}/runs", h.auth(h.triggerRun))
	if o.Pprof {
		h.pprofRoutes(mux)
	}
	return mux
}

type handler struct {
	o   HandlerOptions
	log *slog.Logger
}

func (h *handler) readyz(w http.ResponseWriter, r *http.Request) {
	if err := h.o.Jobs.Ready(); err != nil {
		http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := h.o.Store.Ping(ctx); err != nil {
		http.Error(w, "not ready: state backend: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

func (h *handler) listJobs(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"jobs": h.o.Jobs.Jobs()})
}

func (h *handler) getJob(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	st, ok := h.o.Jobs.Job(name)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("job %q: %v", name, ErrUnknownJob))
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (h *handler) triggerRun(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	id, err := h.o.Jobs.Trigger(name)
	switch {
	case errors.Is(err, ErrUnknownJob):
		writeError(w, http.StatusNotFound, fmt.Sprintf("job %q: %v", name, err))
	case errors.Is(err, ErrRunning):
		writeError(w, http.StatusConflict, fmt.Sprintf("job %q: %v", name, err))
	case errors.Is(err, ErrStopped):
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("job %q: %v", name, err))
	case err != nil:
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("job %q: %v", name, err))
	default:
		h.log.Info("run triggered", "job", name, "run_id", id, "remote", r.RemoteAddr)
		w.Header().Set("Location", "/api/v1/jobs/"+name)
		writeJSON(w, http.StatusAccepted, map[string]string{"run_id": id, "job": name})
	}
}

// auth requires the bearer token when one is configured, comparing in
// constant time.
func (h *handler) auth(next http.HandlerFunc) http.HandlerFunc {
	if h.o.Token == "" {
		return next
	}
	want := []byte(h.o.Token)
	return func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), want) != 1 {
			h.log.Warn("unauthorized request", "path", r.URL.Path, "remote", r.RemoteAddr)
			w.Header().Set("WWW-Authenticate", `Bearer realm="winnow"`)
			writeError(w, http.StatusUnauthorized, "unauthorized: this endpoint needs Authorization: Bearer <token from http.token_file>")
			return
		}
		next(w, r)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // an API for scripts, not a page: "<token>" stays readable
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// NewServer returns an HTTP server for h on addr with every timeout set.
func NewServer(addr string, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.With("component", "http").Handler(), slog.LevelWarn),
	}
}

// CheckExposure refuses an admin API open to the network: without a token
// the listen address must be loopback.
func CheckExposure(listen, token string) error {
	if token != "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(listen); err != nil {
		return fmt.Errorf("http.listen %q: %w", listen, err)
	}
	if config.Loopback(listen) {
		return nil
	}
	return fmt.Errorf("http.listen %q is not a loopback address and http.token_file is not set: anyone who can reach it could start runs; set a token_file or listen on 127.0.0.1", listen)
}

// slogPromLogger adapts slog to promhttp's error logger.
type slogPromLogger struct{ log *slog.Logger }

func (l slogPromLogger) Println(v ...any) { l.log.Error(fmt.Sprint(v...)) }
