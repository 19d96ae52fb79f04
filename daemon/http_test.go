package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"winnow/metrics"
)

// fakeStore is a state backend whose Ping fails while down is set.
type fakeStore struct{ down atomic.Bool }

func (s *fakeStore) Ping(ctx context.Context) error {
	if s.down.Load() {
		return errors.New("connection refused")
	}
	return nil
}

type apiFixture struct {
	srv   *httptest.Server
	sched *Scheduler
	store *fakeStore
	run   *fakeRunner
}

func newAPI(t *testing.T, token string, apply bool) apiFixture {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	f := newFakeRunner()
	s := NewScheduler(f, m, discard())
	if apply {
		if err := s.Apply(testConfig(t, twoJobs)); err != nil {
			t.Fatal(err)
		}
	}
	st := &fakeStore{}
	srv := httptest.NewServer(NewHandler(HandlerOptions{Gatherer: reg, Jobs: s, Store: st, Token: token, Log: discard()}))
	t.Cleanup(func() {
		select {
		case <-f.release:
		default:
			close(f.release)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		srv.Close()
	})
	return apiFixture{srv: srv, sched: s, store: st, run: f}
}

func do(t *testing.T, method, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthAndReadiness(t *testing.T) {
	api := newAPI(t, "", false)
	if code, _ := do(t, "GET", api.srv.URL+"/healthz", ""); code != 200 {
		t.Errorf("/healthz %d, want 200", code)
	}
	if code, body := do(t, "GET", api.srv.URL+"/readyz", ""); code != 503 {
		t.Errorf("/readyz before schedules are loaded: %d %s, want 503", code, body)
	}
	if err := api.sched.Apply(testConfig(t, twoJobs)); err != nil {
		t.Fatal(err)
	}
	if code, body := do(t, "GET", api.srv.URL+"/readyz", ""); code != 200 {
		t.Errorf("/readyz when loaded: %d %s, want 200", code, body)
	}
	api.store.down.Store(true)
	if code, body := do(t, "GET", api.srv.URL+"/readyz", ""); code != 503 || !strings.Contains(body, "state backend: connection refused") {
		t.Errorf("/readyz with the store down: %d %s, want 503", code, body)
	}
	api.store.down.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	api.sched.Shutdown(ctx)
	if code, _ := do(t, "GET", api.srv.URL+"/readyz", ""); code != 503 {
		t.Errorf("/readyz during shutdown: %d, want 503", code)
	}
	if code, _ := do(t, "GET", api.srv.URL+"/healthz", ""); code != 200 {
		t.Errorf("/healthz during shutdown: %d, want 200", code)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	api := newAPI(t, "", true)
	code, body := do(t, "GET", api.srv.URL+"/metrics", "")
	if code != 200 {
		t.Fatalf("/metrics %d", code)
	}
	for _, want := range []string{`winnow_schedule_skipped_total{crawl_job="news"} 0`, `winnow_run_in_progress{crawl_job="sport"} 0`, `winnow_config_reloads_total{result="failure"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestJobsAPI(t *testing.T) {
	api := newAPI(t, "", true)
	code, body := do(t, "GET", api.srv.URL+"/api/v1/jobs", "")
	if code != 200 {
		t.Fatalf("GET /api/v1/jobs: %d %s", code, body)
	}
	var list struct {
		Jobs []struct {
			Name       string     `json:"name"`
			Schedule   string     `json:"schedule"`
			NextRun    *time.Time `json:"next_run"`
			LastResult string     `json:"last_result"`
			Runs       []any      `json:"runs"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	if len(list.Jobs) != 2 || list.Jobs[0].Name != "news" || list.Jobs[0].Schedule != "CRON_TZ=UTC 0 6 * * *" ||
		list.Jobs[0].NextRun == nil || list.Jobs[0].Runs == nil {
		t.Errorf("jobs: %s", body)
	}
	if code, _ := do(t, "GET", api.srv.URL+"/api/v1/jobs/sport", ""); code != 200 {
		t.Errorf("GET /api/v1/jobs/sport: %d", code)
	}
	if code, _ := do(t, "GET", api.srv.URL+"/api/v1/jobs/nope", ""); code != 404 {
		t.Errorf("GET /api/v1/jobs/nope: %d", code)
	}
}

func TestTriggerAPI(t *testing.T) {
	type step struct {
		method, path, token string
		code                int
		body                string // substring
	}
	tests := []struct {
		name  string
		token string
		steps []step
	}{
		{name: "no token configured", steps: []step{
			{"POST", "/api/v1/jobs/news/runs", "", 202, `"run_id": "`},
			{"POST", "/api/v1/jobs/news/runs", "", 409, `job \"news\": a run of this job is in progress`},
			{"POST", "/api/v1/jobs/nope/runs", "", 404, `job \"nope\": unknown job`},
			{"GET", "/api/v1/jobs/news/runs", "", 405, ""},
		}},
		{name: "token configured", token: "s3cret", steps: []step{
			{"POST", "/api/v1/jobs/news/runs", "", 401, "unauthorized: this endpoint needs Authorization: Bearer <token"},
			{"POST", "/api/v1/jobs/news/runs", "wrong", 401, "unauthorized"},
			{"POST", "/api/v1/jobs/news/runs", "s3cret-and-more", 401, "unauthorized"},
			{"POST", "/api/v1/jobs/nope/runs", "", 401, "unauthorized"},
			{"GET", "/api/v1/jobs", "", 200, `"name": "news"`},
			{"POST", "/api/v1/jobs/news/runs", "s3cret", 202, `"run_id": "`},
			{"POST", "/api/v1/jobs/news/runs", "s3cret", 409, "in progress"},
			{"POST", "/api/v1/jobs/nope/runs", "s3cret", 404, "unknown job"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newAPI(t, tt.token, true)
			var got, want []string
			for _, s := range tt.steps {
				code, body := do(t, s.method, api.srv.URL+s.path, s.token)
				want = append(want, s.method+" "+s.path+" "+http.StatusText(s.code))
				got = append(got, s.method+" "+s.path+" "+http.StatusText(code))
				if !strings.Contains(body, s.body) {
					t.Errorf("%s %s: body %q lacks %q", s.method, s.path, body, s.body)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTriggerAPIReturnsRunID(t *testing.T) {
	api := newAPI(t, "", true)
	code, body := do(t, "POST", api.srv.URL+"/api/v1/jobs/sport/runs", "")
	if code != 202 {
		t.Fatalf("%d %s", code, body)
	}
	var r struct {
		RunID string `json:"run_id"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	st, _ := api.sched.Job("sport")
	if st.Running == nil || st.Running.ID != r.RunID {
		t.Errorf("running %+v, want run %q", st.Running, r.RunID)
	}
}

func TestCheckExposure(t *testing.T) {
	tests := []struct {
		name, listen, token string
		ok                  bool
	}{
		{"loopback v4", "127.0.0.1:9464", "", true},
		{"loopback v6", "[::1]:9464", "", true},
		{"localhost", "localhost:9464", "", true},
		{"all interfaces", ":9464", "", false},
		{"any v4", "0.0.0.0:9464", "", false},
		{"lan address", "192.168.1.5:9464", "", false},
		{"hostname", "winnow.internal:9464", "", false},
		{"any with token", "0.0.0.0:9464", "t", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckExposure(tt.listen, tt.token)
			if (err == nil) != tt.ok {
				t.Errorf("CheckExposure(%q, %q) = %v, want ok %v", tt.listen, tt.token, err, tt.ok)
			}
		})
	}
}

func TestServerTimeouts(t *testing.T) {
	s := NewServer("127.0.0.1:0", http.NotFoundHandler(), discard())
	if s.ReadHeaderTimeout == 0 || s.ReadTimeout == 0 || s.WriteTimeout == 0 || s.IdleTimeout == 0 {
		t.Errorf("timeouts not all set: %+v", s)
	}
}
