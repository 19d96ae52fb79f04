// Package daemon runs jobs: the Runner does one run of one job (crawl →
// clean workers → sink), the Scheduler runs jobs on their cron schedules, and
// the HTTP handlers serve metrics, health and the jobs API.
package daemon

import (
	"context"
	"log/slog"
	"time"

	"winnow/cleaner"
	"winnow/crawler"
	"winnow/metrics"
	"winnow/output"
)

// RunResult summarises one run of one job.
type RunResult struct {
	ID          string    `json:"id"`
	Job         string    `json:"job"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Result      string    `json:"result"` // success, partial or failed
	Fetched     int       `json:"fetched"`
	Written     int       `json:"written"`
	Replaced    int       `json:"replaced"`
	Unchanged   int       `json:"unchanged"`
	Skipped     int       `json:"skipped"`
	FetchErrors int       `json:"fetch_errors"`
	PageErrors  int       `json:"page_errors"`
	Err         string    `json:"error,omitempty"`
}

// Progress is a snapshot of a run in progress, for the live progress line.
type Progress struct {
	Fetched, Written, Skipped, Errors, Queue int
}

// Runner does one run of one job at a time per call; it is safe for
// concurrent runs of different jobs.
type Runner struct {
	cleaner *cleaner.Cleaner
	sink    *output.Sink
	store   crawler.Store
	m       *metrics.Metrics
	log     *slog.Logger
}

// NewRunner returns a Runner writing through sink and keeping state in store.
func NewRunner(cl *cleaner.Cleaner, sink *output.Sink, store crawler.Store, m *metrics.Metrics, log *slog.Logger) *Runner {
	return &Runner{cleaner: cl, sink: sink, store: store, m: m, log: log}
}

// Run crawls opts.Job once and returns its result. progress, when not nil,
// is called now and then from the run's goroutine.
func (r *Runner) Run(ctx context.Context, runID string, opts crawler.Options, progress func(Progress)) RunResult {
	now := time.Now()
	return RunResult{ID: runID, Job: opts.Job, Start: now, End: now, Result: "failed", Err: "run: not yet implemented"}
}
