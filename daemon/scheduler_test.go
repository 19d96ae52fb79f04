package daemon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"winnow/config"
	"winnow/metrics"
)

// fakeRunner blocks every run until release is closed (or ctx is done, when
// honourCtx), and records the runs it was asked for.
type fakeRunner struct {
	mu        sync.Mutex
	calls     []string // job names
	started   chan string
	release   chan struct{}
	honourCtx bool
	panicMsg  string
}

func newFakeRunner() *fakeRunner {
	return &fakeRunner{started: make(chan string, 100), release: make(chan struct{})}
}

func (f *fakeRunner) Run(ctx context.Context, runID string, opts RunOptions, progress func(Progress)) RunResult {
	f.mu.Lock()
	f.calls = append(f.calls, opts.Job)
	f.mu.Unlock()
	start := time.Now()
	f.started <- opts.Job
	if f.panicMsg != "" {
		panic(f.panicMsg)
	}
	res := RunResult{ID: runID, Job: opts.Job, Start: start, Result: "success", Fetched: 3, Written: 2}
	if f.honourCtx {
		select {
		case <-f.release:
		case <-ctx.Done():
			res.Result = "partial"
		}
	} else {
		<-f.release
	}
	res.End = time.Now()
	return res
}

func (f *fakeRunner) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func testConfig(t *testing.T, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

const twoJobs = `
jobs:
  - name: news
    schedule: "CRON_TZ=UTC 0 6 * * *"
    seeds: [https://news.example/]
  - name: sport
    schedule: "@every 1h"
    seeds: [https://sport.example/]
`

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestScheduler(t *testing.T, r runner) (*Scheduler, *metrics.Metrics) {
	t.Helper()
	m := metrics.New(prometheus.NewRegistry())
	s := NewScheduler(r, m, discard())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s, m
}

// waitIdle waits until job has no run in progress.
func waitIdle(t *testing.T, s *Scheduler, job string) JobStatus {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		st, _ := s.Job(job)
		if st.Running == nil {
			return st
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("job %s still running", job)
	return JobStatus{}
}

func TestTriggerConflictAndHistory(t *testing.T) {
	f := newFakeRunner()
	s, _ := newTestScheduler(t, f)
	if err := s.Apply(testConfig(t, twoJobs)); err != nil {
		t.Fatal(err)
	}
	id, err := s.Trigger("news")
	if err != nil {
		t.Fatal(err)
	}
	<-f.started
	if _, err := s.Trigger("news"); !errors.Is(err, ErrRunning) {
		t.Errorf("second Trigger: %v, want ErrRunning", err)
	}
	if _, err := s.Trigger("nope"); !errors.Is(err, ErrUnknownJob) {
		t.Errorf("Trigger(nope): %v, want ErrUnknownJob", err)
	}
	st, _ := s.Job("news")
	if st.Running == nil || st.Running.ID != id || st.Running.Trigger != "api" {
		t.Errorf("running = %+v, want run %s from api", st.Running, id)
	}
	close(f.release)
	st = waitIdle(t, s, "news")
	if st.LastResult != "success" || st.LastRun == nil || st.LastRun.ID != id || len(st.Runs) != 1 {
		t.Errorf("after the run: %+v", st)
	}
	if got := f.callCount(); got != 1 {
		t.Errorf("runner called %d times, want 1", got)
	}
}

func TestSkipWhileRunning(t *testing.T) {
	f := newFakeRunner()
	s, m := newTestScheduler(t, f)
	if err := s.Apply(testConfig(t, twoJobs)); err != nil {
		t.Fatal(err)
	}
	s.tick("news")
	<-f.started
	s.tick("news") // the previous run still goes: skipped
	s.tick("news")
	s.tick("sport") // another job is not held up
	<-f.started
	if got := testutil.ToFloat64(m.ScheduleSkipped.WithLabelValues("news")); got != 2 {
		t.Errorf("winnow_schedule_skipped_total{crawl_job=news} = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.ScheduleSkipped.WithLabelValues("sport")); got != 0 {
		t.Errorf("winnow_schedule_skipped_total{crawl_job=sport} = %v, want 0", got)
	}
	close(f.release)
	waitIdle(t, s, "news")
	waitIdle(t, s, "sport")
	if got := f.callCount(); got != 2 {
		t.Errorf("runner called %d times, want 2", got)
	}
	st, _ := s.Job("news")
	if st.Runs[0].Result != "success" {
		t.Errorf("news run: %+v", st.Runs[0])
	}
}

func TestCronFires(t *testing.T) {
	f := newFakeRunner()
	close(f.release)
	s, _ := newTestScheduler(t, f)
	if err := s.Apply(testConfig(t, "jobs: [{name: fast, schedule: '@every 1s', seeds: ['http://127.0.0.1/']}]")); err != nil {
		t.Fatal(err)
	}
	select {
	case job := <-f.started:
		if job != "fast" {
			t.Errorf("ran %q, want fast", job)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no scheduled run within 5s of an @every 1s schedule")
	}
	st := waitIdle(t, s, "fast")
	if st.NextRun == nil {
		t.Fatal("no next run")
	}
	if d := time.Until(*st.NextRun); d > 2*time.Second {
		t.Errorf("next run in %v, want within 2s", d)
	}
}

func TestNextRun(t *testing.T) {
	s, _ := newTestScheduler(t, newFakeRunner())
	if err := s.Apply(testConfig(t, twoJobs)); err != nil {
		t.Fatal(err)
	}
	jobs := s.Jobs()
	var names []string
	for _, j := range jobs {
		names = append(names, j.Name)
	}
	if diff := cmp.Diff([]string{"news", "sport"}, names); diff != "" {
		t.Fatalf("jobs (-want +got):\n%s", diff)
	}
	now := time.Now().UTC()
	want := time.Date(now.Year(), now.Month(), now.Day(), 6, 0, 0, 0, time.UTC)
	if !want.After(now) {
		want = want.AddDate(0, 0, 1)
	}
	if jobs[0].NextRun == nil || !jobs[0].NextRun.Equal(want) {
		t.Errorf("news next run %v, want %v", jobs[0].NextRun, want)
	}
	if jobs[1].NextRun == nil || time.Until(*jobs[1].NextRun) > time.Hour || time.Until(*jobs[1].NextRun) < 59*time.Minute {
		t.Errorf("sport next run %v, want in an hour", jobs[1].NextRun)
	}
	if jobs[0].LastRun != nil || jobs[0].LastResult != "" || len(jobs[0].Runs) != 0 {
		t.Errorf("news before any run: %+v", jobs[0])
	}
}

func TestHistoryKeepsLast20(t *testing.T) {
	f := newFakeRunner()
	close(f.release)
	s, _ := newTestScheduler(t, f)
	if err := s.Apply(testConfig(t, twoJobs)); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range KeepRuns + 5 {
		id, err := s.Trigger("news")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		waitIdle(t, s, "news")
	}
	st, _ := s.Job("news")
	var got []string
	for _, r := range st.Runs {
		got = append(got, r.ID)
	}
	var want []string
	for i := len(ids) - 1; i >= len(ids)-KeepRuns; i-- {
		want = append(want, ids[i])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("runs kept, newest first (-want +got):\n%s", diff)
	}
}

func TestReloadKeepsRunsAndHistory(t *testing.T) {
	f := newFakeRunner()
	s, m := newTestScheduler(t, f)
	if err := s.Apply(testConfig(t, twoJobs)); err != nil {
		t.Fatal(err)
	}
	id, _ := s.Trigger("news")
	<-f.started
	err := s.Apply(testConfig(t, `
jobs:
  - name: news
    schedule: "@every 2h"
    seeds: [https://news.example/]
  - name: weather
    schedule: "@every 3h"
    seeds: [https://weather.example/]
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Trigger("news"); !errors.Is(err, ErrRunning) {
		t.Errorf("Trigger during a run begun before the reload: %v, want ErrRunning", err)
	}
	if _, err := s.Trigger("sport"); !errors.Is(err, ErrUnknownJob) {
		t.Errorf("Trigger of a removed job: %v, want ErrUnknownJob", err)
	}
	close(f.release)
	st := waitIdle(t, s, "news")
	if st.Schedule != "@every 2h" || st.LastRun == nil || st.LastRun.ID != id {
		t.Errorf("news after reload: %+v", st)
	}
	if _, ok := s.Job("weather"); !ok {
		t.Error("weather not scheduled after reload")
	}
	// The new job's series exist before its first run.
	if got := testutil.CollectAndCount(m.RunInProgress); got != 3 {
		t.Errorf("winnow_run_in_progress series = %d, want 3 (news, sport, weather)", got)
	}
}

func TestShutdown(t *testing.T) {
	t.Run("runs honour cancellation", func(t *testing.T) {
		f := newFakeRunner()
		f.honourCtx = true
		s, _ := newTestScheduler(t, f)
		if err := s.Apply(testConfig(t, twoJobs)); err != nil {
			t.Fatal(err)
		}
		s.Trigger("news")
		<-f.started
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		if _, err := s.Trigger("sport"); !errors.Is(err, ErrStopped) {
			t.Errorf("Trigger after Shutdown: %v, want ErrStopped", err)
		}
		if err := s.Ready(); !errors.Is(err, ErrStopped) {
			t.Errorf("Ready after Shutdown: %v", err)
		}
		st, _ := s.Job("news")
		if st.LastResult != "partial" {
			t.Errorf("cancelled run result %q, want partial", st.LastResult)
		}
	})
	t.Run("past the grace period", func(t *testing.T) {
		f := newFakeRunner()
		s, _ := newTestScheduler(t, f)
		if err := s.Apply(testConfig(t, twoJobs)); err != nil {
			t.Fatal(err)
		}
		id, _ := s.Trigger("sport")
		<-f.started
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		err := s.Shutdown(ctx)
		if err == nil || !strings.Contains(err.Error(), "sport (run "+id) {
			t.Errorf("Shutdown: %v, want it to name the sport run %s", err, id)
		}
		close(f.release)
	})
}

func TestRunPanicIsAFailedRun(t *testing.T) {
	f := newFakeRunner()
	f.panicMsg = "boom"
	s, _ := newTestScheduler(t, f)
	if err := s.Apply(testConfig(t, twoJobs)); err != nil {
		t.Fatal(err)
	}
	s.Trigger("news")
	st := waitIdle(t, s, "news")
	if st.LastResult != "failed" || st.LastRun.Err != "panic: boom" {
		t.Errorf("after a panic: %+v", st.LastRun)
	}
}

func TestNewRunID(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 5, 7, 0, time.UTC)
	a, b := newRunID(at), newRunID(at)
	if a == b || !strings.HasPrefix(a, "20261123T090507Z-") || len(a) != len("20261123T090507Z-")+8 {
		t.Errorf("run ids %q, %q", a, b)
	}
}
