// Package metrics defines every winnow_* Prometheus collector in one place.
package metrics

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
)

// Bounded label values. Series for these are initialised to zero so every
// family shows on /metrics from the start.
var (
	// Codes are the status classes of winnow_requests_total.
	Codes = []string{"2xx", "3xx", "4xx", "5xx", "error"}
	// FetchErrorReasons are the reasons of winnow_fetch_errors_total.
	FetchErrorReasons = []string{"timeout", "dns", "refused", "tls", "too_large", "robots", "private_address", "other"}
	// SkipReasons are the reasons of winnow_documents_skipped_total.
	SkipReasons = []string{"unchanged", "duplicate", "near_duplicate", "not_article", "too_short", "language", "extract_failed"}
	// RunResults are the results of winnow_runs_total.
	RunResults = []string{"success", "partial", "failed"}
	// ArchiveRecordTypes are the types of winnow_archive_records_total.
	ArchiveRecordTypes = []string{"warcinfo", "request", "response", "revisit"}
	// ReloadResults are the results of winnow_config_reloads_total.
	ReloadResults = []string{"success", "failure"}
)

// Metrics holds every winnow collector. Build it with New.
type Metrics struct {
	Requests           *prometheus.CounterVec   // crawl_job, code
	RequestDuration    *prometheus.HistogramVec // crawl_job
	ResponseBytes      *prometheus.CounterVec   // crawl_job
	FetchErrors        *prometheus.CounterVec   // crawl_job, reason
	DocumentsWritten   *prometheus.CounterVec   // crawl_job
	DocumentsSkipped   *prometheus.CounterVec   // crawl_job, reason
	CleanDuration      prometheus.Histogram
	BoilerplateRemoved *prometheus.CounterVec   // rule
	Runs               *prometheus.CounterVec   // crawl_job, result
	RunDuration        *prometheus.HistogramVec // crawl_job
	LastRunSuccess     *prometheus.GaugeVec     // crawl_job
	RunInProgress      *prometheus.GaugeVec     // crawl_job
	QueueDepth         *prometheus.GaugeVec     // crawl_job
	BuildInfo          *prometheus.GaugeVec     // version, goversion
	ScheduleSkipped    *prometheus.CounterVec   // crawl_job
	ConfigReloads      *prometheus.CounterVec   // result
	ArchiveBytes       *prometheus.CounterVec   // crawl_job
	ArchiveRecords     *prometheus.CounterVec   // crawl_job, type
}

// New builds every collector and registers them all on reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "winnow_requests_total",
			Help: "HTTP requests made by the crawler, by job and status class.",
		}, []string{"crawl_job", "code"}),
		RequestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "winnow_request_duration_seconds",
			Help:    "Time from sending a request to reading the whole response body.",
			Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"crawl_job"}),
		ResponseBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "winnow_response_bytes_total",
			Help: "Response body bytes read by the crawler.",
		}, []string{"crawl_job"}),
		FetchErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "winnow_fetch_errors_total",
			Help: "Fetches that failed before a response was read, by reason.",
		}, []string{"crawl_job", "reason"}),
		DocumentsWritten: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "winnow_documents_written_total",
			Help: "Cleaned documents written or replaced in the output directory.",
		}, []string{"crawl_job"}),
		DocumentsSkipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "winnow_documents_skipped_total",
			Help: "Fetched pages that produced no new document, by reason.",
		}, []string{"crawl_job", "reason"}),
		CleanDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "winnow_clean_duration_seconds",
			Help:    "Time to clean one page into a document.",
			Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1},
		}),
		BoilerplateRemoved: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "winnow_boilerplate_removed_total",
			Help: "Paragraphs removed by the cleaner, by the rule that removed them.",
		}, []string{"rule"}),
		Runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "winnow_runs_total",
			Help: "Finished job runs, by result.",
		}, []string{"crawl_job", "result"}),
		RunDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "winnow_run_duration_seconds",
			Help:    "Wall time of one job run.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200},
		}, []string{"crawl_job"}),
		LastRunSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "winnow_last_run_success_timestamp_seconds",
			Help: "Unix time at which the job last finished a successful run.",
		}, []string{"crawl_job"}),
		RunInProgress: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "winnow_run_in_progress",
			Help: "1 while a run of the job is in progress, else 0.",
		}, []string{"crawl_job"}),
		QueueDepth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "winnow_queue_depth",
			Help: "URLs waiting in the job's frontier.",
		}, []string{"crawl_job"}),
		BuildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "winnow_build_info",
			Help: "Always 1; labels carry the version and Go version of the binary.",
		}, []string{"version", "goversion"}),
		ScheduleSkipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "winnow_schedule_skipped_total",
			Help: "Scheduled ticks skipped because the job's previous run was still going.",
		}, []string{"crawl_job"}),
		ConfigReloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "winnow_config_reloads_total",
			Help: "Configuration reloads (SIGHUP), by result.",
		}, []string{"result"}),
		ArchiveBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "winnow_archive_bytes_total",
			Help: "Bytes written to WARC files (gzip-compressed, as on disk).",
		}, []string{"crawl_job"}),
		ArchiveRecords: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "winnow_archive_records_total",
			Help: "WARC records written, by record type (warcinfo, request, response, revisit).",
		}, []string{"crawl_job", "type"}),
	}
	reg.MustRegister(
		m.Requests, m.RequestDuration, m.ResponseBytes, m.FetchErrors,
		m.DocumentsWritten, m.DocumentsSkipped, m.CleanDuration, m.BoilerplateRemoved,
		m.Runs, m.RunDuration, m.LastRunSuccess, m.RunInProgress, m.QueueDepth,
		m.BuildInfo, m.ScheduleSkipped, m.ConfigReloads, m.ArchiveBytes, m.ArchiveRecords,
	)
	for _, r := range ReloadResults {
		m.ConfigReloads.WithLabelValues(r)
	}
	return m
}

// SetBuildInfo sets winnow_build_info for this binary's version.
func (m *Metrics) SetBuildInfo(version string) {
	m.BuildInfo.WithLabelValues(version, runtime.Version()).Set(1)
}

// InitJob creates the zero-valued series of one job, so dashboards and
// alerts see every family for a configured job before its first run.
func (m *Metrics) InitJob(job string) {
	for _, c := range Codes {
		m.Requests.WithLabelValues(job, c)
	}
	m.RequestDuration.WithLabelValues(job)
	m.ResponseBytes.WithLabelValues(job)
	for _, r := range FetchErrorReasons {
		m.FetchErrors.WithLabelValues(job, r)
	}
	m.DocumentsWritten.WithLabelValues(job)
	for _, r := range SkipReasons {
		m.DocumentsSkipped.WithLabelValues(job, r)
	}
	for _, r := range RunResults {
		m.Runs.WithLabelValues(job, r)
	}
	m.RunDuration.WithLabelValues(job)
	m.LastRunSuccess.WithLabelValues(job)
	m.RunInProgress.WithLabelValues(job)
	m.QueueDepth.WithLabelValues(job)
	m.ScheduleSkipped.WithLabelValues(job)
	m.ArchiveBytes.WithLabelValues(job)
	for _, t := range ArchiveRecordTypes {
		m.ArchiveRecords.WithLabelValues(job, t)
	}
}

// InitRules creates the zero-valued series of the cleaner's rules.
func (m *Metrics) InitRules(rules []string) {
	for _, r := range rules {
		m.BoilerplateRemoved.WithLabelValues(r)
	}
}
