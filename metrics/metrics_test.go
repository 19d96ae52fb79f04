package metrics_test

import (
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"winnow/metrics"
)

// family is what the contract (plus the daemon's two extra counters) says
// one winnow_* family looks like.
type family struct {
	name   string
	typ    dto.MetricType
	labels []string
}

// contractFamilies lists every family of CONTRACT.md "Metrics", then the two
// the daemon adds (skipped cron ticks, config reloads).
var contractFamilies = []family{
	{"winnow_requests_total", dto.MetricType_COUNTER, []string{"code", "crawl_job"}},
	{"winnow_request_duration_seconds", dto.MetricType_HISTOGRAM, []string{"crawl_job"}},
	{"winnow_response_bytes_total", dto.MetricType_COUNTER, []string{"crawl_job"}},
	{"winnow_fetch_errors_total", dto.MetricType_COUNTER, []string{"crawl_job", "reason"}},
	{"winnow_documents_written_total", dto.MetricType_COUNTER, []string{"crawl_job"}},
	{"winnow_documents_skipped_total", dto.MetricType_COUNTER, []string{"crawl_job", "reason"}},
	{"winnow_clean_duration_seconds", dto.MetricType_HISTOGRAM, nil},
	{"winnow_boilerplate_removed_total", dto.MetricType_COUNTER, []string{"rule"}},
	{"winnow_runs_total", dto.MetricType_COUNTER, []string{"crawl_job", "result"}},
	{"winnow_run_duration_seconds", dto.MetricType_HISTOGRAM, []string{"crawl_job"}},
	{"winnow_last_run_success_timestamp_seconds", dto.MetricType_GAUGE, []string{"crawl_job"}},
	{"winnow_run_in_progress", dto.MetricType_GAUGE, []string{"crawl_job"}},
	{"winnow_queue_depth", dto.MetricType_GAUGE, []string{"crawl_job"}},
	{"winnow_build_info", dto.MetricType_GAUGE, []string{"goversion", "version"}},
	{"winnow_schedule_skipped_total", dto.MetricType_COUNTER, []string{"crawl_job"}},
	{"winnow_config_reloads_total", dto.MetricType_COUNTER, []string{"result"}},
	{"winnow_archive_bytes_total", dto.MetricType_COUNTER, []string{"crawl_job"}},
	{"winnow_archive_records_total", dto.MetricType_COUNTER, []string{"crawl_job", "type"}},
}

// initialised returns a fresh registry holding metrics.New with jobs and
// rules initialised and the build info set.
func initialised(t *testing.T, jobs, rules []string) (*prometheus.Registry, map[string]*dto.MetricFamily) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	m.SetBuildInfo("v1.2.3")
	for _, j := range jobs {
		m.InitJob(j)
	}
	m.InitRules(rules)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	byName := make(map[string]*dto.MetricFamily, len(mfs))
	for _, mf := range mfs {
		byName[mf.GetName()] = mf
	}
	return reg, byName
}

func labelNames(mf *dto.MetricFamily) []string {
	if len(mf.GetMetric()) == 0 {
		return nil
	}
	var names []string
	for _, lp := range mf.GetMetric()[0].GetLabel() {
		names = append(names, lp.GetName())
	}
	slices.Sort(names)
	return names
}

func TestFamiliesMatchContract(t *testing.T) {
	_, got := initialised(t, []string{"world-news"}, []string{"cookie_notice"})
	for _, want := range contractFamilies {
		t.Run(want.name, func(t *testing.T) {
			mf, ok := got[want.name]
			if !ok {
				t.Fatalf("family %s missing from Gather after InitJob/InitRules", want.name)
			}
			if mf.GetType() != want.typ {
				t.Errorf("type = %v, want %v", mf.GetType(), want.typ)
			}
			if diff := cmp.Diff(want.labels, labelNames(mf)); diff != "" {
				t.Errorf("label names (-want +got):\n%s", diff)
			}
			if mf.GetHelp() == "" {
				t.Error("empty help text")
			}
			switch want.typ {
			case dto.MetricType_COUNTER:
				if !strings.HasSuffix(want.name, "_total") {
					t.Errorf("counter %s does not end in _total", want.name)
				}
			default:
				if strings.HasSuffix(want.name, "_total") {
					t.Errorf("non-counter %s ends in _total", want.name)
				}
			}
		})
	}
	var extra []string
	for name := range got {
		if !slices.ContainsFunc(contractFamilies, func(f family) bool { return f.name == name }) {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		t.Errorf("families not in the contract: %v", extra)
	}
}

func TestBaseUnits(t *testing.T) {
	// Durations in seconds and sizes in bytes, never ms/kb and the like.
	bad := []string{"_milliseconds", "_ms", "_microseconds", "_minutes", "_hours", "_kilobytes", "_kb", "_mb", "_megabytes"}
	for _, f := range contractFamilies {
		for _, b := range bad {
			if strings.Contains(f.name+"_", b+"_") {
				t.Errorf("%s uses a non-base unit %q", f.name, b)
			}
		}
		if strings.Contains(f.name, "duration") && !strings.HasSuffix(f.name, "_seconds") {
			t.Errorf("duration %s not in _seconds", f.name)
		}
	}
}

func TestInitialisedSeriesAreZero(t *testing.T) {
	jobs := []string{"world-news", "sport"}
	rules := []string{"cookie_notice", "share_prompt", "related"}
	reg, got := initialised(t, jobs, rules)

	tests := []struct {
		name   string
		family string
		series int // expected number of series
	}{
		{name: "requests by code", family: "winnow_requests_total", series: len(jobs) * len(metrics.Codes)},
		{name: "request duration", family: "winnow_request_duration_seconds", series: len(jobs)},
		{name: "response bytes", family: "winnow_response_bytes_total", series: len(jobs)},
		{name: "fetch errors", family: "winnow_fetch_errors_total", series: len(jobs) * len(metrics.FetchErrorReasons)},
		{name: "documents written", family: "winnow_documents_written_total", series: len(jobs)},
		{name: "documents skipped", family: "winnow_documents_skipped_total", series: len(jobs) * len(metrics.SkipReasons)},
		{name: "clean duration", family: "winnow_clean_duration_seconds", series: 1},
		{name: "boilerplate", family: "winnow_boilerplate_removed_total", series: len(rules)},
		{name: "runs", family: "winnow_runs_total", series: len(jobs) * len(metrics.RunResults)},
		{name: "run duration", family: "winnow_run_duration_seconds", series: len(jobs)},
		{name: "last success", family: "winnow_last_run_success_timestamp_seconds", series: len(jobs)},
		{name: "in progress", family: "winnow_run_in_progress", series: len(jobs)},
		{name: "queue depth", family: "winnow_queue_depth", series: len(jobs)},
		{name: "schedule skipped", family: "winnow_schedule_skipped_total", series: len(jobs)},
		{name: "config reloads", family: "winnow_config_reloads_total", series: len(metrics.ReloadResults)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mf := got[tt.family]
			if mf == nil {
				t.Fatalf("%s missing", tt.family)
			}
			if n := len(mf.GetMetric()); n != tt.series {
				t.Errorf("%d series, want %d", n, tt.series)
			}
			if n := testutil.CollectAndCount(reg, tt.family); n != tt.series {
				t.Errorf("CollectAndCount = %d, want %d", n, tt.series)
			}
			for _, m := range mf.GetMetric() {
				var v float64
				switch {
				case m.Counter != nil:
					v = m.GetCounter().GetValue()
				case m.Gauge != nil:
					v = m.GetGauge().GetValue()
				case m.Histogram != nil:
					v = float64(m.GetHistogram().GetSampleCount())
				}
				if v != 0 {
					t.Errorf("series %v = %v, want 0", m.GetLabel(), v)
				}
			}
		})
	}
}

func TestLabelValuesAreBounded(t *testing.T) {
	jobs := []string{"world-news"}
	_, got := initialised(t, jobs, []string{"cookie_notice"})
	allowed := map[string][]string{
		"code":      metrics.Codes,
		"result":    append(slices.Clone(metrics.RunResults), metrics.ReloadResults...),
		"crawl_job": jobs,
		"rule":      {"cookie_notice"},
		"type":      metrics.ArchiveRecordTypes,
	}
	for name, mf := range got {
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				switch lp.GetName() {
				case "url", "host", "hostname", "domain", "path":
					t.Errorf("%s has unbounded label %q", name, lp.GetName())
				case "reason":
					want := metrics.FetchErrorReasons
					if name == "winnow_documents_skipped_total" {
						want = metrics.SkipReasons
					}
					if !slices.Contains(want, lp.GetValue()) {
						t.Errorf("%s reason %q not in %v", name, lp.GetValue(), want)
					}
				case "version", "goversion":
				default:
					if vals, ok := allowed[lp.GetName()]; !ok || !slices.Contains(vals, lp.GetValue()) {
						t.Errorf("%s label %s=%q not from a bounded set", name, lp.GetName(), lp.GetValue())
					}
				}
			}
		}
	}
}

func TestBuildInfo(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	m.SetBuildInfo("v1.2.3")
	if got := testutil.ToFloat64(m.BuildInfo.WithLabelValues("v1.2.3", runtime.Version())); got != 1 {
		t.Errorf("winnow_build_info{version=v1.2.3} = %v, want 1", got)
	}
	if n := testutil.CollectAndCount(reg, "winnow_build_info"); n != 1 {
		t.Errorf("%d build_info series, want 1", n)
	}
}

func TestNewHasNoGlobalState(t *testing.T) {
	// Two registries side by side: New must not touch package state or the
	// default registry, or the second New would panic on a duplicate.
	a, b := prometheus.NewRegistry(), prometheus.NewRegistry()
	ma, mb := metrics.New(a), metrics.New(b)
	ma.Runs.WithLabelValues("j", "success").Inc()
	if got := testutil.ToFloat64(mb.Runs.WithLabelValues("j", "success")); got != 0 {
		t.Errorf("second registry sees %v runs, want 0", got)
	}
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "winnow_") {
			t.Errorf("%s registered on the default registry", mf.GetName())
		}
	}
}
