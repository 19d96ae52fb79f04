package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"winnow/config"
	"winnow/demo"
)

// demoOptions are the flags of `winnow demo`.
type demoOptions struct {
	out    string
	listen string
	log    logFlags
}

func cmdDemo(ctx context.Context, args []string, s streams) error {
	var o demoOptions
	fs := newFlagSet("demo", "[--out DIR] [--listen ADDR]", s)
	fs.StringVar(&o.out, "out", "./winnow-demo-out", "directory for the cleaned documents")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "address of the daemon's HTTP endpoints (port 0: any free port)")
	o.log.register(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("demo: unexpected argument %q", rest[0])
	}
	if _, _, err := net.SplitHostPort(o.listen); err != nil {
		return usagef("--listen %q: want host:port, like 127.0.0.1:9464", o.listen)
	}
	if !config.Loopback(o.listen) {
		return usagef("--listen %q: the demo's API has no token, so it listens on loopback only (127.0.0.1)", o.listen)
	}
	return runDemo(ctx, o, s)
}

// runDemo serves the embedded sample site on a loopback port and runs the
// daemon, the same code as `winnow daemon`, with one job crawling it every
// 10 seconds, until ctx is done (Ctrl-C).
func runDemo(ctx context.Context, o demoOptions, s streams) error {
	site, err := demo.NewSite()
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: listen: %w", err)
	}
	siteSrv := &http.Server{Handler: site, ReadHeaderTimeout: 5 * time.Second}
	go siteSrv.Serve(ln)
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		siteSrv.Shutdown(sctx)
	}()
	siteURL := "http://" + ln.Addr().String()

	out, err := filepath.Abs(o.out)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	dir, err := os.MkdirTemp("", "winnow-demo-")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer os.RemoveAll(dir)
	cfgPath := filepath.Join(dir, "winnow-demo.yaml")
	if err := os.WriteFile(cfgPath, []byte(demo.Config(siteURL, out, o.listen)), 0o644); err != nil {
		return fmt.Errorf("demo: %w", err)
	}

	dopts := daemonOptions{
		configPath:     cfgPath,
		log:            o.log,
		triggerAtStart: []string{demo.JobName},
		onListen: func(addr string) {
			fmt.Fprintf(s.stdout, `winnow demo
  sample site:  %s/  (The Harbour Gazette, %d articles, served from the binary)
  documents:    %s  (one file per article, plus manifest.jsonl)
  metrics:      http://%s/metrics
  jobs API:     http://%s/api/v1/jobs
  run it now:   winnow trigger --addr http://%s %s
The job runs at once, then every 10 seconds; unchanged articles are not written again.
Press Ctrl-C to stop.
`, siteURL, len(site.Articles()), out, addr, addr, addr, demo.JobName)
		},
	}
	err = runDaemon(ctx, dopts, s)
	var ue usageError
	if errors.As(err, &ue) {
		// A bad --listen is the user's; anything else in the generated
		// config is a bug in the demo.
		return err
	}
	if err == nil {
		fmt.Fprintf(s.stdout, "demo stopped; the documents are in %s\n", out)
	}
	return err
}
