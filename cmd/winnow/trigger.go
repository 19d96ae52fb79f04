package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// triggerOptions are the flags of `winnow trigger`.
type triggerOptions struct {
	addr      string
	tokenFile string
	timeout   time.Duration
	job       string
}

func cmdTrigger(ctx context.Context, args []string, s streams) error {
	var o triggerOptions
	fs := newFlagSet("trigger", "[--addr URL] [--token-file F] JOB", s)
	fs.StringVar(&o.addr, "addr", "http://127.0.0.1:9464", "the daemon's HTTP address")
	fs.StringVar(&o.tokenFile, "token-file", "", "file holding the bearer token (the daemon's http.token_file)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "how long to wait for the daemon")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("trigger: want exactly one JOB (see 'winnow trigger --help')")
	}
	o.job = rest[0]
	return runTrigger(ctx, o, s)
}

// runTrigger asks the daemon to start a run of o.job and prints its id.
func runTrigger(ctx context.Context, o triggerOptions, s streams) error {
	var token string
	if o.tokenFile != "" {
		b, err := os.ReadFile(o.tokenFile)
		if err != nil {
			return usagef("--token-file: %v", err)
		}
		token = strings.TrimSpace(string(b))
	}
	base := o.addr
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return usagef("--addr %q: want an http URL like http://127.0.0.1:9464", o.addr)
	}
	u = u.JoinPath("api", "v1", "jobs", o.job, "runs")
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
	if err != nil {
		return fmt.Errorf("trigger %s: %w", o.job, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("trigger %s: %w", o.job, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var reply struct {
		RunID string `json:"run_id"`
		Error string `json:"error"`
	}
	jerr := json.Unmarshal(body, &reply)
	if resp.StatusCode != http.StatusAccepted {
		msg := reply.Error
		if jerr != nil || msg == "" {
			msg = strings.TrimSpace(string(body))
		}
		return fmt.Errorf("trigger %s: %s: %s", o.job, resp.Status, msg)
	}
	if jerr != nil || reply.RunID == "" {
		return fmt.Errorf("trigger %s: unexpected reply %q", o.job, body)
	}
	fmt.Fprintln(s.stdout, reply.RunID)
	return nil
}
