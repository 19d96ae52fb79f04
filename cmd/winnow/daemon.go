package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"reflect"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"winnow/cleaner"
	"winnow/config"
	"winnow/crawler"
	"winnow/daemon"
	"winnow/metrics"
	"winnow/output"
)

// daemonOptions are the flags of `winnow daemon`.
type daemonOptions struct {
	configPath string
	log        logFlags
	// onListen, when set, is told the HTTP address once it is bound.
	onListen func(addr string)
	// triggerAtStart names jobs to run once as soon as schedules are loaded.
	triggerAtStart []string
}

func cmdDaemon(ctx context.Context, args []string, s streams) error {
	var o daemonOptions
	fs := newFlagSet("daemon", "--config FILE", s)
	fs.StringVar(&o.configPath, "config", "", "configuration file (YAML; see deploy/winnow.example.yaml)")
	o.log.register(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("daemon: unexpected argument %q", rest[0])
	}
	if o.configPath == "" {
		return usagef("daemon: --config FILE is required")
	}
	return runDaemon(ctx, o, s)
}

// configError prints every problem of a bad configuration and returns the
// usage error (exit 2) that summarises them.
func configError(err error, w interface{ Write([]byte) (int, error) }) error {
	probs := config.Problems(err)
	if len(probs) == 0 {
		return usageError{err}
	}
	for _, p := range probs {
		fmt.Fprintln(w, p)
	}
	file := probs[0].File
	if len(probs) == 1 {
		return usagef("%s: 1 problem", file)
	}
	return usagef("%s: %d problems", file, len(probs))
}

// runDaemon runs every job on its schedule and serves the HTTP endpoints
// until ctx is done or SIGINT/SIGTERM comes; SIGHUP reloads the config.
// Shutdown: stop scheduling and triggers, cancel the runs and let them
// finish their pages in flight for up to shutdown_grace, close the sink and
// the state store, shut the HTTP server down. Past the grace period, or on
// a second signal, it gives up: the error names what was still running.
func runDaemon(ctx context.Context, o daemonOptions, s streams) error {
	log, err := o.log.logger(s.stderr)
	if err != nil {
		return err
	}
	// Signals are watched from the start, so that a reload or a second
	// signal is never lost to the default action.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)

	cfg, err := config.Load(o.configPath)
	if err != nil {
		return configError(err, s.stderr)
	}
	if err := daemon.CheckExposure(cfg.HTTP.Listen, cfg.HTTP.Token); err != nil {
		return usageError{fmt.Errorf("%s: %w", o.configPath, err)}
	}
	base := log // each component adds its own "component" attribute
	log = log.With("component", "daemon")

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := metrics.New(reg)
	ver, _ := buildVersion()
	m.SetBuildInfo(ver)
	m.InitRules(cleaner.Rules())

	sink, err := output.NewSink(cfg.Output.Dir, cfg.Output.Format, output.WithLogger(base),
		output.WithMarkdown(output.MarkdownOptions{Links: cfg.Output.MarkdownLinks}))
	if err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	crawler.RouteRedisLogs(base)
	store, err := daemon.OpenStore(cfg.State, base)
	if err != nil {
		sink.Close()
		return fmt.Errorf("daemon: %w", err)
	}
	// A state backend that does not answer yet (Redis starting) is waited
	// for, not fatal: /readyz says 503 with the reason meanwhile.
	go daemon.WaitForStore(ctx, store, log)
	closeAll := func() {
		if err := sink.Close(); err != nil {
			log.Error("close output", "err", err)
		}
		if err := store.Close(); err != nil {
			log.Error("close state", "err", err)
		}
	}
	runner := daemon.NewRunner(cleaner.New(cleaner.Options{}), sink, store, m, base)
	sched := daemon.NewScheduler(runner, m, base)
	if rs, ok := store.(*crawler.RedisStore); ok {
		// Replicas on one Redis: one run per job across them, joined by all.
		ttl := cfg.State.LeaseTTL
		if ttl <= 0 {
			ttl = crawler.DefaultLeaseTTL
		}
		sched.EnableCluster(rs, ttl, min(max(ttl/10, 100*time.Millisecond), time.Second))
		log.Info("cluster mode: runs are shared with the replicas on the same Redis", "replica", rs.Owner(), "lease_ttl", ttl)
	}

	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		closeAll()
		return fmt.Errorf("daemon: listen: %w", err)
	}
	addr := ln.Addr().String()
	srv := daemon.NewServer(addr, daemon.NewHandler(daemon.HandlerOptions{
		Gatherer: reg, Jobs: sched, Store: store, Token: cfg.HTTP.Token, Pprof: cfg.HTTP.Pprof, Log: base,
	}), base)
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	log.Info("listening", "addr", addr, "metrics", "http://"+addr+"/metrics", "api", "http://"+addr+"/api/v1/jobs",
		"token", cfg.HTTP.Token != "", "pprof", cfg.HTTP.Pprof)
	if o.onListen != nil {
		o.onListen(addr)
	}

	if err := sched.Apply(cfg); err != nil {
		srv.Close()
		closeAll()
		return fmt.Errorf("daemon: %w", err)
	}
	for _, j := range cfg.Jobs {
		st, _ := sched.Job(j.Name)
		log.Info("job scheduled", "job", j.Name, "schedule", j.Schedule, "next_run", st.NextRun)
	}
	for _, name := range o.triggerAtStart {
		if id, err := sched.Trigger(name); err != nil {
			log.Warn("start run", "job", name, "err", err)
		} else {
			log.Info("run started at start-up", "job", name, "run_id", id)
		}
	}

	var serveErr error
	// pending is how many SIGINT/SIGTERM deliveries on sigs belong to the
	// first stop request: the parent context is cancelled by the same
	// signal, which also reaches sigs.
	pending := 0
wait:
	for {
		select {
		case <-ctx.Done():
			cause := context.Cause(ctx)
			if cause != nil && strings.HasSuffix(cause.Error(), "signal received") {
				pending = 1
			}
			log.Info("shutting down", "cause", cause)
			break wait
		case err := <-srvErr:
			serveErr = fmt.Errorf("daemon: serve http: %w", err)
			log.Error("http server stopped; shutting down", "err", err)
			break wait
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				cfg = reload(o.configPath, cfg, sched, m, log)
				continue
			}
			log.Info("shutting down", "signal", sig.String())
			break wait
		}
	}

	// A second SIGINT/SIGTERM during shutdown exits at once. Files are
	// still never half-written: the sink writes to a temp file and renames.
	done := make(chan struct{})
	go watchSecondSignal(sigs, pending, done, log, func(sig os.Signal) {
		log.Error("second signal: exiting now", "signal", sig.String(), "still_running", sched.Running())
		os.Exit(exitFailed)
	})

	grace, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	drainErr := sched.Shutdown(grace)
	if drainErr != nil {
		// Runs still hold the sink and the store; closing them under the
		// runs would block or corrupt, so the process exits with them open.
		log.Error("shutdown grace period passed", "grace", cfg.ShutdownGrace, "err", drainErr)
	} else {
		closeAll()
	}
	close(done) // the drain is over: nothing left for a second signal to cut short
	hctx, hcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer hcancel()
	if err := srv.Shutdown(hctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("http shutdown", "err", err)
	}
	if drainErr != nil {
		return drainErr
	}
	if serveErr != nil {
		return serveErr
	}
	log.Info("stopped")
	return nil
}

// watchSecondSignal calls exit on the first SIGINT/SIGTERM from sigs after
// the pending ones (deliveries of the signal that began the shutdown), until
// done is closed. SIGHUP is ignored during shutdown.
func watchSecondSignal(sigs <-chan os.Signal, pending int, done <-chan struct{}, log *slog.Logger, exit func(os.Signal)) {
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				log.Warn("reload ignored: shutting down")
				continue
			}
			if pending > 0 {
				pending--
				continue
			}
			exit(sig)
			return
		case <-done:
			return
		}
	}
}

// reload loads the config at path and applies its jobs. On any problem it
// keeps the current config, logs every problem and counts a failure. The
// sections that need a restart (output, state, http, shutdown_grace) keep
// their running values; a change to them is logged.
func reload(path string, cur *config.Config, sched *daemon.Scheduler, m *metrics.Metrics, log *slog.Logger) *config.Config {
	next, err := config.Load(path)
	if err != nil {
		m.ConfigReloads.WithLabelValues("failure").Inc()
		probs := config.Problems(err)
		for _, p := range probs {
			log.Error("config reload: problem", "problem", p.Error())
		}
		if len(probs) == 0 {
			log.Error("config reload failed", "err", err)
		}
		log.Error("config reload failed: keeping the running configuration", "file", path, "problems", max(len(probs), 1))
		return cur
	}
	if !reflect.DeepEqual(next.Output, cur.Output) || !reflect.DeepEqual(next.State, cur.State) ||
		!reflect.DeepEqual(next.HTTP, cur.HTTP) || next.ShutdownGrace != cur.ShutdownGrace {
		log.Warn("config reload: output, state, http and shutdown_grace changes take effect at the next restart")
		next.Output, next.State, next.HTTP, next.ShutdownGrace = cur.Output, cur.State, cur.HTTP, cur.ShutdownGrace
	}
	if err := sched.Apply(next); err != nil {
		m.ConfigReloads.WithLabelValues("failure").Inc()
		log.Error("config reload failed: keeping the running configuration", "err", err)
		return cur
	}
	m.ConfigReloads.WithLabelValues("success").Inc()
	var names []string
	for _, j := range next.Jobs {
		names = append(names, j.Name)
	}
	log.Info("config reloaded", "file", path, "jobs", names)
	return next
}
