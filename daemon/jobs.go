package daemon

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"winnow/config"
	"winnow/crawler"
)

// JobOptions maps a configured job, whose settings already have the
// defaults merged in, onto the options of a run: the crawler's, and the
// filter of what is written.
func JobOptions(cfg *config.Config, job config.Job) RunOptions {
	s := job.Settings
	f := job.Filter
	f.Languages = append([]string(nil), f.Languages...)
	return RunOptions{Filter: f, Archive: s.Archive, Options: crawler.Options{
		Job:           job.Name,
		Seeds:         append([]string(nil), job.Seeds...),
		Sitemaps:      append([]string(nil), job.Sitemaps...),
		Feeds:         append([]string(nil), job.Feeds...),
		Allow:         job.Allow,
		Deny:          job.Deny,
		Article:       job.Article,
		MaxDepth:      s.MaxDepth,
		MaxPages:      s.MaxPages,
		Parallel:      s.Parallel,
		Delay:         s.Delay,
		Timeout:       s.Timeout,
		MaxBody:       s.MaxBody,
		UserAgent:     s.UserAgent,
		RespectRobots: s.RespectRobots,
		AllowPrivate:  s.AllowPrivate,
		Retries:       s.Retries,
		// Replicas on one Redis work one crawl together.
		Shared:   cfg.State.Backend == "redis",
		LeaseTTL: cfg.State.LeaseTTL,
	}}
}

// OpenStore opens the state backend the configuration names. The bolt
// file's directory is created when missing. Redis is not waited for: see
// WaitForStore; log (may be nil) gets its outage messages.
func OpenStore(st config.State, log *slog.Logger) (crawler.Store, error) {
	switch st.Backend {
	case "", "bolt":
		if dir := filepath.Dir(st.Path); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("open state %s: %w", st.Path, err)
			}
		}
		s, err := crawler.OpenBolt(st.Path)
		if err != nil {
			return nil, err // it names the file
		}
		return s, nil
	case "redis":
		return openRedis(st.Addr, log)
	}
	return nil, fmt.Errorf("open state: unknown backend %q", st.Backend)
}
