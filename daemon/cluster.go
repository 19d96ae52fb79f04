package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"winnow/crawler"
)

// Cluster mode: replicas of the daemon on one Redis run each job as one
// crawl. A run is a lock in Redis (with expiry, renewed by its holder): a
// cron tick or a trigger on any replica takes it or finds it taken; the
// holder seeds the frontier and records the result once; the other
// replicas see the lock and join the run, working its frontier until it is
// empty. When the holder goes away mid-run (its lock lapses or it shut
// down), a joined replica takes the run over and finishes it.

// clusterState is what the Scheduler needs from a state backend shared by
// replicas (*crawler.RedisStore).
type clusterState interface {
	Owner() string
	AcquireRun(ctx context.Context, job string, l crawler.RunLock, ttl time.Duration) (crawler.RunLock, bool, error)
	TakeoverRun(ctx context.Context, job string, l crawler.RunLock, ttl time.Duration) (bool, error)
	RenewRun(ctx context.Context, job, id string, ttl time.Duration) (bool, error)
	ReleaseRun(ctx context.Context, job, id string, result []byte, keep int) error
	CurrentRun(ctx context.Context, job string) (crawler.RunLock, bool, error)
	RunHistory(ctx context.Context, job string, n int) ([]string, error)
	FinishRun(ctx context.Context, job string) error
}

// errHeldElsewhere: the cluster's run of the job is held by another replica.
var errHeldElsewhere = fmt.Errorf("%w on another replica", ErrRunning)

// EnableCluster makes the Scheduler one of several replicas sharing c:
// runs are locked cluster-wide for ttl (renewed every ttl/3), and every
// poll it looks for a run of another replica to join. Call before Apply.
func (s *Scheduler) EnableCluster(c clusterState, ttl, poll time.Duration) {
	if ttl <= 0 {
		ttl = crawler.DefaultLeaseTTL
	}
	if poll <= 0 {
		poll = time.Second
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cluster, s.lockTTL, s.poll = c, ttl, poll
	s.joined = map[string]string{}
	go s.watchCluster()
}

// lockRun takes the cluster's run lock for a run starting here. Called
// with s.mu held.
func (s *Scheduler) lockRun(name, id, trigger string, start time.Time) error {
	ctx, cancel := context.WithTimeout(s.runCtx, 3*time.Second)
	defer cancel()
	cur, ok, err := s.cluster.AcquireRun(ctx, name, crawler.RunLock{ID: id, Start: start, Trigger: trigger, Owner: s.cluster.Owner()}, s.lockTTL)
	switch {
	case err != nil:
		return fmt.Errorf("start run of %s: %w", name, err)
	case !ok:
		return fmt.Errorf("%w: run %s of %s", errHeldElsewhere, cur.ID, cur.Owner)
	}
	s.joined[name] = id
	return nil
}

// holdRun renews the run lock of job's run id until ctx ends.
func (s *Scheduler) holdRun(ctx context.Context, job, id string) {
	t := time.NewTicker(s.lockTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rctx, cancel := context.WithTimeout(ctx, s.lockTTL/3)
			ok, err := s.cluster.RenewRun(rctx, job, id, s.lockTTL)
			cancel()
			switch {
			case err != nil:
				s.log.Warn("run lock not renewed", "job", job, "run_id", id, "err", err)
			case !ok:
				s.log.Warn("run lock lost (it lapsed while the state backend was away); the run goes on", "job", job, "run_id", id)
			}
		}
	}
}

// releaseRun records res as the cluster's result of the run and drops its
// lock.
func (s *Scheduler) releaseRun(job string, res RunResult) {
	v, err := json.Marshal(res)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = s.cluster.ReleaseRun(ctx, job, res.ID, v, KeepRuns)
		cancel()
	}
	if err != nil {
		s.log.Error("run result not recorded in the cluster", "job", job, "run_id", res.ID, "err", err)
	}
}

// watchCluster joins the runs other replicas hold, until Shutdown.
func (s *Scheduler) watchCluster() {
	t := time.NewTicker(s.poll)
	defer t.Stop()
	for {
		select {
		case <-s.runCtx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		var idle []string
		for _, name := range s.order {
			if s.jobs[name].running == nil {
				idle = append(idle, name)
			}
		}
		s.mu.Unlock()
		for _, name := range idle {
			ctx, cancel := context.WithTimeout(s.runCtx, s.poll+2*time.Second)
			cur, ok, err := s.cluster.CurrentRun(ctx, name)
			cancel()
			if err != nil {
				s.log.Debug("cluster run not read", "job", name, "err", err)
			}
			if err != nil || !ok || cur.Owner == s.cluster.Owner() {
				continue
			}
			s.join(name, cur)
		}
	}
}

// join starts working run cur of another replica, once per run.
func (s *Scheduler) join(name string, cur crawler.RunLock) {
	s.mu.Lock()
	defer s.mu.Unlock()
	js := s.jobs[name]
	if s.stopped || js == nil || js.running != nil || s.joined[name] == cur.ID {
		return
	}
	s.joined[name] = cur.ID
	js.running = &RunningRun{ID: cur.ID, Start: cur.Start, Trigger: "join", Replica: cur.Owner}
	opts := js.opts
	opts.Join = true
	s.runs.Add(1)
	go s.runJoined(js, cur, opts)
}

// runJoined works a run another replica holds. A watcher ends it when the
// run is over (its lock is gone and the run finished, or a new run began),
// and takes the run over when its holder went away before the end: this
// replica then finishes the run and records its result.
func (s *Scheduler) runJoined(js *jobState, cur crawler.RunLock, opts RunOptions) {
	defer s.runs.Done()
	job := opts.Job
	log := s.log.With("job", job, "run_id", cur.ID)
	log.Info("joining the run of another replica", "holder", cur.Owner)
	ctx, cancel := context.WithCancel(s.runCtx)
	defer cancel()
	// The lock of a run taken over is renewed until its result is recorded.
	hctx, stopHold := context.WithCancel(context.Background())
	defer stopHold()
	var (
		tookOver = make(chan struct{})
		watchEnd = make(chan struct{})
	)
	go func() {
		defer close(watchEnd)
		t := time.NewTicker(s.poll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			rctx, rcancel := context.WithTimeout(ctx, s.poll+2*time.Second)
			now, held, err := s.cluster.CurrentRun(rctx, job)
			if err == nil && !held {
				lock := crawler.RunLock{ID: cur.ID, Start: cur.Start, Trigger: "takeover", Owner: s.cluster.Owner()}
				ok, terr := s.cluster.TakeoverRun(rctx, job, lock, s.lockTTL)
				switch {
				case terr != nil:
				case ok:
					log.Warn("the run's holder went away before its end; taking the run over", "holder", cur.Owner)
					s.mu.Lock()
					if js.running != nil {
						js.running.Trigger, js.running.Replica = "takeover", s.cluster.Owner()
					}
					s.mu.Unlock()
					rcancel()
					close(tookOver)
					go s.holdRun(hctx, job, cur.ID)
					return
				default:
					rcancel()
					cancel() // the run is over
					return
				}
			}
			rcancel()
			if err == nil && held && now.ID != cur.ID {
				cancel() // a new run began: this one is over
				return
			}
		}
	}()
	res := s.runSafe(ctx, log, cur.ID, opts)
	crawled := ctx.Err() == nil // the frontier was worked to its end
	if crawled && res.Result != "failed" {
		// The frontier is empty, but the run is the holder's to finish:
		// wait until it does, or until its lock lapses and this replica
		// takes the run over to finish it.
		select {
		case <-watchEnd:
		case <-s.runCtx.Done():
		}
	}
	cancel()
	<-watchEnd
	select {
	case <-tookOver:
		if crawled && res.Result != "failed" {
			fctx, fcancel := context.WithTimeout(context.Background(), 30*time.Second)
			if err := s.cluster.FinishRun(fctx, job); err != nil {
				log.Error("finish run", "err", err)
			}
			fcancel()
		}
		res.Replica = s.cluster.Owner()
		s.recordRun(job, res)
		s.releaseRun(job, res)
	default:
	}
	s.mu.Lock()
	js.running = nil
	if cur := s.jobs[job]; cur != nil && cur != js && cur.running != nil && cur.running.ID == res.ID {
		cur.running = nil
	}
	s.mu.Unlock()
	log.Info("left the run", "fetched", res.Fetched, "written", res.Written, "result", res.Result)
}

// recordRun counts a run taken over from another replica, as the Runner
// does for the runs it holds from the start.
func (s *Scheduler) recordRun(job string, res RunResult) {
	s.m.Runs.WithLabelValues(job, res.Result).Inc()
	s.m.RunDuration.WithLabelValues(job).Observe(res.End.Sub(res.Start).Seconds())
	if res.Result == "success" {
		s.m.LastRunSuccess.WithLabelValues(job).Set(float64(res.End.Unix()))
	}
}

// clusterView is the cluster's side of a job's status.
type clusterView struct {
	running *RunningRun
	runs    []RunResult
	ok      bool
}

// clusterViews reads the cluster's run and history of each job; a job
// whose state cannot be read is left out (its local view stands).
func (s *Scheduler) clusterViews(names []string) map[string]clusterView {
	if s.cluster == nil {
		return nil
	}
	out := make(map[string]clusterView, len(names))
	for _, name := range names {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		cur, held, err := s.cluster.CurrentRun(ctx, name)
		var hist []string
		if err == nil {
			hist, err = s.cluster.RunHistory(ctx, name, KeepRuns)
		}
		cancel()
		if err != nil {
			continue
		}
		v := clusterView{ok: true, runs: []RunResult{}}
		if held {
			v.running = &RunningRun{ID: cur.ID, Start: cur.Start, Trigger: cur.Trigger, Replica: cur.Owner}
		}
		for _, h := range hist {
			var r RunResult
			if json.Unmarshal([]byte(h), &r) == nil {
				v.runs = append(v.runs, r)
			}
		}
		out[name] = v
	}
	return out
}

// applyView puts the cluster's run and history into st.
func applyView(st *JobStatus, v clusterView) {
	if !v.ok {
		return
	}
	st.Running = v.running
	st.Runs = v.runs
	st.LastRun, st.LastResult = nil, ""
	if len(v.runs) > 0 {
		last := v.runs[0]
		st.LastRun, st.LastResult = &last, last.Result
	}
}

// isHeldElsewhere reports a trigger or tick refused because another
// replica holds the run.
func isHeldElsewhere(err error) bool { return errors.Is(err, errHeldElsewhere) }
