package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"winnow/config"
	"winnow/metrics"
)

// runner does one run of one job; *Runner is the real one.
type runner interface {
	Run(ctx context.Context, runID string, opts RunOptions, progress func(Progress)) RunResult
}

// Errors of Trigger, mapped to HTTP statuses by the jobs API.
var (
	ErrUnknownJob = errors.New("unknown job")
	ErrRunning    = errors.New("a run of this job is in progress")
	ErrStopped    = errors.New("the daemon is shutting down")
)

// KeepRuns is how many finished runs per job the Scheduler remembers.
const KeepRuns = 20

// Scheduler runs every configured job on its cron schedule and on demand.
// A job's runs never overlap: a tick that comes while the job is running is
// skipped, counted in winnow_schedule_skipped_total and logged, and a
// trigger gets ErrRunning. Runs happen on their own goroutines under a
// context that Shutdown cancels. The Runner records run metrics; the
// Scheduler records only skipped ticks.
type Scheduler struct {
	r   runner
	m   *metrics.Metrics
	log *slog.Logger

	runCtx     context.Context
	cancelRuns context.CancelFunc
	runs       sync.WaitGroup
	cron       *cron.Cron

	mu      sync.Mutex
	cfg     *config.Config
	jobs    map[string]*jobState
	order   []string // job names in config order
	loaded  bool
	stopped bool

	// Cluster mode (EnableCluster): the shared state, how long a run lock
	// lives unrenewed, how often other replicas' runs are looked for, and
	// the last run of each job this replica held or joined.
	cluster clusterState
	lockTTL time.Duration
	poll    time.Duration
	joined  map[string]string
}

// jobState is what the Scheduler knows of one job.
type jobState struct {
	job     config.Job
	opts    RunOptions
	entry   cron.EntryID
	running *RunningRun
	history []RunResult // oldest first, at most KeepRuns
}

// RunningRun is a run in progress.
type RunningRun struct {
	ID      string    `json:"id"`
	Start   time.Time `json:"start"`
	Trigger string    `json:"trigger"` // schedule, api; with several replicas also join or takeover
	// Replica is the replica holding the run, with several replicas.
	Replica string `json:"replica,omitempty"`
}

// JobStatus is one job as the jobs API shows it.
type JobStatus struct {
	Name       string      `json:"name"`
	Schedule   string      `json:"schedule"`
	NextRun    *time.Time  `json:"next_run"`
	Running    *RunningRun `json:"running"`
	LastResult string      `json:"last_result"` // success, partial, failed, or "" before the first run
	LastRun    *RunResult  `json:"last_run"`
	Runs       []RunResult `json:"runs"` // newest first
}

// NewScheduler returns a Scheduler that runs jobs through r. It schedules
// nothing until Apply.
func NewScheduler(r runner, m *metrics.Metrics, log *slog.Logger) *Scheduler {
	log = log.With("component", "scheduler")
	ctx, cancel := context.WithCancel(context.Background())
	s := &Scheduler{r: r, m: m, log: log, runCtx: ctx, cancelRuns: cancel, jobs: map[string]*jobState{}}
	s.cron = cron.New(cron.WithChain(cron.Recover(cronLogger{log})))
	return s
}

// Apply replaces the schedules with cfg's jobs and starts the clock on the
// first call. Runs in progress finish; a job that keeps its name keeps its
// history. Apply after Shutdown fails.
func (s *Scheduler) Apply(cfg *config.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return ErrStopped
	}
	next := make(map[string]*jobState, len(cfg.Jobs))
	order := make([]string, 0, len(cfg.Jobs))
	for _, j := range cfg.Jobs {
		if j.Cron == nil {
			return fmt.Errorf("apply config: job %s has no parsed schedule", j.Name)
		}
		js := s.jobs[j.Name]
		if js == nil {
			js = &jobState{}
			s.m.InitJob(j.Name)
		}
		next[j.Name] = &jobState{job: j, opts: JobOptions(cfg, j), running: js.running, history: js.history}
		order = append(order, j.Name)
	}
	for _, js := range s.jobs {
		s.cron.Remove(js.entry)
	}
	for _, name := range order {
		next[name].entry = s.cron.Schedule(next[name].job.Cron, cron.FuncJob(func() { s.tick(name) }))
	}
	// A run of a removed or renamed job finishes against its old state.
	s.cfg, s.jobs, s.order = cfg, next, order
	if !s.loaded {
		s.cron.Start()
		s.loaded = true
	}
	return nil
}

// Ready is nil once schedules are loaded, until Shutdown begins.
func (s *Scheduler) Ready() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.stopped:
		return ErrStopped
	case !s.loaded:
		return errors.New("schedules not loaded yet")
	}
	return nil
}

// tick is a cron firing of job name.
func (s *Scheduler) tick(name string) {
	_, err := s.start(name, "schedule")
	switch {
	case isHeldElsewhere(err):
		// Another replica ticked first (or its run is still going): that
		// replica counts the tick.
		s.log.Debug("scheduled run held by another replica", "job", name, "err", err)
	case errors.Is(err, ErrRunning):
		s.m.ScheduleSkipped.WithLabelValues(name).Inc()
		s.log.Warn("scheduled run skipped: the previous run is still going", "job", name)
	case err != nil && !errors.Is(err, ErrStopped):
		s.log.Error("scheduled run not started", "job", name, "err", err)
	}
}

// Trigger starts a run of job name now and returns its id. It fails with
// ErrUnknownJob, ErrRunning or ErrStopped.
func (s *Scheduler) Trigger(name string) (string, error) {
	return s.start(name, "api")
}

func (s *Scheduler) start(name, trigger string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return "", ErrStopped
	}
	js := s.jobs[name]
	if js == nil {
		return "", ErrUnknownJob
	}
	if js.running != nil {
		return "", ErrRunning
	}
	id := newRunID(time.Now())
	now := time.Now()
	if s.cluster != nil {
		if err := s.lockRun(name, id, trigger, now); err != nil {
			return "", err
		}
	}
	js.running = &RunningRun{ID: id, Start: now, Trigger: trigger}
	if s.cluster != nil {
		js.running.Replica = s.cluster.Owner()
	}
	opts := js.opts
	s.runs.Add(1)
	go s.run(js, id, trigger, opts)
	return id, nil
}

func (s *Scheduler) run(js *jobState, id, trigger string, opts RunOptions) {
	defer s.runs.Done()
	log := s.log.With("job", opts.Job, "run_id", id)
	log.Info("run started", "trigger", trigger)
	var res RunResult
	if s.cluster != nil {
		hctx, stop := context.WithCancel(context.Background())
		held := make(chan struct{})
		go func() { defer close(held); s.holdRun(hctx, opts.Job, id) }()
		res = s.runSafe(s.runCtx, log, id, opts)
		stop()
		<-held
		res.Replica = s.cluster.Owner()
		s.releaseRun(opts.Job, res)
	} else {
		res = s.runSafe(s.runCtx, log, id, opts)
	}
	s.mu.Lock()
	js.running = nil
	js.history = append(js.history, res)
	if len(js.history) > KeepRuns {
		js.history = slices.Clone(js.history[len(js.history)-KeepRuns:])
	}
	// A reload may have replaced js while the run went on: carry the
	// result over to the job of the same name.
	if cur := s.jobs[opts.Job]; cur != nil && cur != js && cur.running != nil && cur.running.ID == id {
		cur.running = nil
		cur.history = js.history
	}
	s.mu.Unlock()
	attrs := []any{
		"trigger", trigger, "result", res.Result, "duration", res.End.Sub(res.Start).Round(time.Millisecond),
		"fetched", res.Fetched, "written", res.Written, "replaced", res.Replaced, "unchanged", res.Unchanged,
		"skipped", res.Skipped, "fetch_errors", res.FetchErrors, "page_errors", res.PageErrors,
	}
	if res.Err != "" {
		attrs = append(attrs, "err", res.Err)
	}
	// The Runner logs the run's one line at info level, with its counts;
	// this one adds how the run was started, for debugging.
	log.Debug("run finished", attrs...)
}

// runSafe calls the runner, turning a panic into a failed run.
func (s *Scheduler) runSafe(ctx context.Context, log *slog.Logger, id string, opts RunOptions) (res RunResult) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			log.Error("run panicked", "panic", p)
			res = RunResult{ID: id, Job: opts.Job, Start: start, End: time.Now(), Result: "failed", Err: fmt.Sprintf("panic: %v", p)}
		}
	}()
	res = s.r.Run(ctx, id, opts, nil)
	if res.ID == "" {
		res.ID = id
	}
	if res.Job == "" {
		res.Job = opts.Job
	}
	return res
}

// Jobs returns every configured job's status, in config order.
// With several replicas, the running run and the history are the
// cluster's.
func (s *Scheduler) Jobs() []JobStatus {
	s.mu.Lock()
	names := slices.Clone(s.order)
	s.mu.Unlock()
	views := s.clusterViews(names)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]JobStatus, 0, len(s.order))
	for _, name := range s.order {
		st := s.status(s.jobs[name])
		applyView(&st, views[name])
		out = append(out, st)
	}
	return out
}

// Job returns the status of job name.
func (s *Scheduler) Job(name string) (JobStatus, bool) {
	views := s.clusterViews([]string{name})
	s.mu.Lock()
	defer s.mu.Unlock()
	js := s.jobs[name]
	if js == nil {
		return JobStatus{}, false
	}
	st := s.status(js)
	applyView(&st, views[name])
	return st, true
}

func (s *Scheduler) status(js *jobState) JobStatus {
	st := JobStatus{Name: js.job.Name, Schedule: js.job.Schedule, Runs: []RunResult{}}
	if !s.stopped {
		next := s.cron.Entry(js.entry).Next
		if next.IsZero() {
			next = js.job.Cron.Next(time.Now())
		}
		if !next.IsZero() {
			st.NextRun = &next
		}
	}
	if js.running != nil {
		r := *js.running
		st.Running = &r
	}
	for i := len(js.history) - 1; i >= 0; i-- {
		st.Runs = append(st.Runs, js.history[i])
	}
	if len(st.Runs) > 0 {
		last := st.Runs[0]
		st.LastRun, st.LastResult = &last, last.Result
	}
	return st
}

// Shutdown stops the clock and refuses triggers, cancels the runs in
// progress (they stop fetching, finish the pages in flight and persist
// their frontier) and waits for them until ctx is done. When ctx ends
// first it returns an error naming the runs still going.
func (s *Scheduler) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	<-s.cron.Stop().Done()
	s.cancelRuns()
	done := make(chan struct{})
	go func() { s.runs.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var still []string
	for _, js := range s.jobs {
		if js.running != nil {
			still = append(still, fmt.Sprintf("%s (run %s, started %s)", js.job.Name, js.running.ID, js.running.Start.Format(time.RFC3339)))
		}
	}
	sort.Strings(still)
	if len(still) == 0 {
		still = []string{"a run of a job removed by a reload"}
	}
	return fmt.Errorf("shutdown: still running after the grace period: %s", strings.Join(still, ", "))
}

// Running returns the names of the jobs with a run in progress.
func (s *Scheduler) Running() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, name := range s.order {
		if s.jobs[name].running != nil {
			out = append(out, name)
		}
	}
	return out
}

// newRunID returns a sortable, unique run id: the start time in UTC and
// random hex.
func newRunID(t time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// cronLogger adapts slog to cron's logger, for Recover.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}
