package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"winnow/demo"
	"winnow/internal/testredis"
)

// testSite serves the demo's sample news site (12 articles). The first
// free article requests are answered at once; later ones wait until release
// is called (or the request is cancelled), so a test can hold a run in
// progress for as long as it needs, whatever the machine's speed.
func testSite(t *testing.T, free int) (srv *httptest.Server, release func()) {
	t.Helper()
	srv, release, _ = testSiteHeld(t, free)
	return srv, release
}

// testSiteHeld is testSite that also says when the run reached the gate:
// held is closed once a request waits there, so a test waits for that
// event instead of sleeping and hoping the crawl got that far.
func testSiteHeld(t *testing.T, free int) (srv *httptest.Server, release func(), held <-chan struct{}) {
	t.Helper()
	site, err := demo.NewSite()
	if err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	var once, heldOnce sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	heldCh := make(chan struct{})
	var mu sync.Mutex
	served := 0
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".html") && strings.HasPrefix(r.URL.Path, "/20") {
			mu.Lock()
			served++
			wait := free >= 0 && served > free
			mu.Unlock()
			if wait {
				heldOnce.Do(func() { close(heldCh) })
				select {
				case <-gate:
				case <-r.Context().Done():
					return
				}
			}
		}
		site.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { release(); srv.Close() })
	return srv, release, heldCh
}

// waitHeld waits until the run has reached the site's gate.
func waitHeld(t *testing.T, held <-chan struct{}) {
	t.Helper()
	select {
	case <-held:
	case <-time.After(60 * time.Second):
		t.Fatal("the run never reached the held pages")
	}
}

// daemonConfig is a config crawling site into out, every few seconds unless
// schedule says otherwise.
func daemonConfig(site, out, schedule, extraHTTP string) string {
	return fmt.Sprintf(`output: {dir: %q}
http: {listen: "127.0.0.1:0"%s}
shutdown_grace: 10s
defaults:
  parallel: 1
  delay: 0s
  timeout: 10s
  retries: 0
  allow_private: true
jobs:
  - name: gazette
    schedule: %q
    seeds: [%q]
    article: ['/\d{4}/\d{2}/\d{2}/']
`, out, extraHTTP, schedule, site+"/")
}

// daemonProc is a `winnow daemon` started by a test.
type daemonProc struct {
	t    testing.TB
	cmd  *exec.Cmd
	addr string // bound HTTP address, from the "listening" log line
	done chan struct{}
	code int

	mu   sync.Mutex
	logs []map[string]any
	raw  strings.Builder
}

func writeFile(t testing.TB, path, data string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startDaemon runs `winnow daemon --config cfgPath` and waits until it
// listens.
func startDaemon(t testing.TB, cfgPath string) *daemonProc {
	t.Helper()
	d := &daemonProc{t: t, done: make(chan struct{})}
	d.cmd = exec.Command(winnowBin, "daemon", "--config", cfgPath, "--log-format", "json", "--log-level", "debug")
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			d.mu.Lock()
			d.raw.WriteString(sc.Text() + "\n")
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				d.logs = append(d.logs, m)
				if m["msg"] == "listening" {
					listening <- m["addr"].(string)
				}
			}
			d.mu.Unlock()
		}
		err := d.cmd.Wait()
		d.code = d.cmd.ProcessState.ExitCode()
		_ = err
		close(d.done)
	}()
	t.Cleanup(func() {
		select {
		case <-d.done:
		default:
			d.cmd.Process.Kill()
			<-d.done
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", d.stderr())
		}
	})
	select {
	case d.addr = <-listening:
	case <-d.done:
		t.Fatalf("daemon exited with %d before listening:\n%s", d.code, d.stderr())
	case <-time.After(30 * time.Second):
		t.Fatalf("daemon not listening after 30s:\n%s", d.stderr())
	}
	return d
}

func (d *daemonProc) stderr() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.raw.String()
}

// logged reports whether a log line has msg and every attribute of attrs.
func (d *daemonProc) logged(msg string, attrs map[string]any) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, l := range d.logs {
		if l["msg"] != msg {
			continue
		}
		ok := true
		for k, v := range attrs {
			if fmt.Sprint(l[k]) != fmt.Sprint(v) {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (d *daemonProc) signal(sig syscall.Signal) {
	d.t.Helper()
	if err := d.cmd.Process.Signal(sig); err != nil {
		d.t.Fatal(err)
	}
}

// wait waits for the daemon to exit and returns its status and how long
// that took.
func (d *daemonProc) wait(limit time.Duration) (int, time.Duration) {
	d.t.Helper()
	start := time.Now()
	select {
	case <-d.done:
		return d.code, time.Since(start)
	case <-time.After(limit):
		d.t.Fatalf("daemon still running %v later", limit)
	}
	return -1, 0
}

func (d *daemonProc) get(path string) (int, string) {
	d.t.Helper()
	return httpDo(d.t, "GET", "http://"+d.addr+path, "")
}

func httpDo(t testing.TB, method, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// jobsStatus is the part of GET /api/v1/jobs the tests read.
type jobsStatus struct {
	Jobs []struct {
		Name       string     `json:"name"`
		Schedule   string     `json:"schedule"`
		NextRun    *time.Time `json:"next_run"`
		LastResult string     `json:"last_result"`
		Running    *struct {
			ID string `json:"id"`
		} `json:"running"`
		Runs []struct {
			ID      string `json:"id"`
			Result  string `json:"result"`
			Written int    `json:"written"`
		} `json:"runs"`
	} `json:"jobs"`
}

func (d *daemonProc) jobs() jobsStatus {
	d.t.Helper()
	code, body := d.get("/api/v1/jobs")
	if code != 200 {
		d.t.Fatalf("GET /api/v1/jobs: %d %s", code, body)
	}
	var js jobsStatus
	if err := json.Unmarshal([]byte(body), &js); err != nil {
		d.t.Fatalf("%v: %s", err, body)
	}
	return js
}

// eventually polls cond every 50ms until it holds or limit passes.
func eventually(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// outputFiles lists the document files under out and any temp files.
func outputFiles(t testing.TB, out string) (docs, temps []string) {
	t.Helper()
	filepath.WalkDir(out, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if e.IsDir() && e.Name() == ".winnow" {
			return filepath.SkipDir
		}
		switch {
		case strings.HasSuffix(path, ".tmp") || strings.Contains(e.Name(), ".tmp"):
			temps = append(temps, path)
		case strings.HasSuffix(path, ".txt"):
			docs = append(docs, path)
		}
		return nil
	})
	return docs, temps
}

// checkAllWrittenOnce fails unless out holds want documents and its
// manifest names each of them exactly once.
func checkAllWrittenOnce(t *testing.T, out string, want int) {
	t.Helper()
	docs, _ := outputFiles(t, out)
	seen := map[string]bool{}
	for _, u := range manifestURLs(t, out) {
		if seen[u] {
			t.Errorf("%s written twice", u)
		}
		seen[u] = true
	}
	if len(docs) != want || len(seen) != want {
		t.Errorf("%d documents, %d distinct manifest URLs; want %d", len(docs), len(seen), want)
	}
}

func manifestURLs(t *testing.T, out string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, "manifest.jsonl"))
	if err != nil {
		return nil
	}
	var urls []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m struct {
			URL          string `json:"url"`
			CanonicalURL string `json:"canonical_url"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("manifest line %q: %v", line, err)
		}
		urls = append(urls, m.CanonicalURL)
	}
	return urls
}

func TestDaemonWritesDocuments(t *testing.T) {
	t.Parallel()
	site, _ := testSite(t, -1) // never held
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	d := startDaemon(t, writeFile(t, filepath.Join(dir, "winnow.yaml"), daemonConfig(site.URL, out, "@every 1s", "")))

	if code, body := d.get("/healthz"); code != 200 {
		t.Errorf("/healthz: %d %s", code, body)
	}
	eventually(t, 60*time.Second, "12 documents written", func() bool {
		docs, _ := outputFiles(t, out)
		return len(docs) == 12
	})
	eventually(t, 30*time.Second, "a second scheduled run finished", func() bool {
		js := d.jobs()
		return len(js.Jobs) == 1 && len(js.Jobs[0].Runs) >= 2 && js.Jobs[0].Running == nil
	})
	js := d.jobs()
	j := js.Jobs[0]
	if j.Name != "gazette" || j.Schedule != "@every 1s" || j.NextRun == nil || j.LastResult == "" || j.LastResult == "failed" {
		t.Errorf("jobs API: %+v", j)
	}
	if last := j.Runs[0]; last.Written != 0 {
		t.Errorf("a re-run of an unchanged site wrote %d documents", last.Written)
	}
	if code, body := d.get("/readyz"); code != 200 {
		t.Errorf("/readyz: %d %s", code, body)
	}
	_, metrics := d.get("/metrics")
	for _, want := range []string{`winnow_documents_written_total{crawl_job="gazette"} 12`, "winnow_build_info{", "go_goroutines ", "process_resident_memory_bytes "} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if urls := manifestURLs(t, out); len(urls) != 12 {
		t.Errorf("manifest has %d lines, want 12", len(urls))
	}

	d.signal(syscall.SIGTERM)
	if code, _ := d.wait(15 * time.Second); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0", code)
	}
	if _, temps := outputFiles(t, out); len(temps) > 0 {
		t.Errorf("temp files left: %v", temps)
	}
}

func TestDaemonTriggerAndAPI(t *testing.T) {
	t.Parallel()
	site, release := testSite(t, 1) // the run holds after one article
	dir := t.TempDir()
	tokFile := writeFile(t, filepath.Join(dir, "token"), "s3cret-token\n")
	wrongTok := writeFile(t, filepath.Join(dir, "wrong"), "guess\n")
	out := filepath.Join(dir, "out")
	d := startDaemon(t, writeFile(t, filepath.Join(dir, "winnow.yaml"),
		daemonConfig(site.URL, out, "@every 1h", fmt.Sprintf(", token_file: %q", tokFile))))
	base := "http://" + d.addr

	if code, body := httpDo(t, "POST", base+"/api/v1/jobs/gazette/runs", ""); code != 401 {
		t.Errorf("POST without a token: %d %s, want 401", code, body)
	}
	if code, body := httpDo(t, "POST", base+"/api/v1/jobs/gazette/runs", "guess"); code != 401 {
		t.Errorf("POST with a wrong token: %d %s, want 401", code, body)
	}
	r := runWinnow(t, "", "trigger", "--addr", base, "gazette")
	if r.code != 1 || !strings.Contains(r.stderr, "401") {
		t.Errorf("trigger without a token: exit %d, stderr %q; want 1 and 401", r.code, r.stderr)
	}
	r = runWinnow(t, "", "trigger", "--addr", base, "--token-file", wrongTok, "gazette")
	if r.code != 1 || !strings.Contains(r.stderr, "401 Unauthorized") {
		t.Errorf("trigger with a wrong token: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runWinnow(t, "", "trigger", "--addr", base, "--token-file", tokFile, "no-such-job")
	if r.code != 1 || !strings.Contains(r.stderr, `404 Not Found: job "no-such-job": unknown job`) {
		t.Errorf("trigger of an unknown job: exit %d, stderr %q", r.code, r.stderr)
	}

	r = runWinnow(t, "", "trigger", "--addr", d.addr, "--token-file", tokFile, "gazette")
	if r.code != 0 {
		t.Fatalf("trigger: exit %d, stderr %q", r.code, r.stderr)
	}
	runID := strings.TrimSpace(r.stdout)
	if runID == "" || strings.Contains(runID, "\n") {
		t.Fatalf("trigger printed %q, want one run id", r.stdout)
	}
	r = runWinnow(t, "", "trigger", "--addr", base, "--token-file", tokFile, "gazette")
	if r.code != 1 || !strings.Contains(r.stderr, "409 Conflict") || !strings.Contains(r.stderr, "in progress") {
		t.Errorf("trigger during a run: exit %d, stderr %q; want 1 and 409", r.code, r.stderr)
	}
	if code, _ := httpDo(t, "POST", base+"/api/v1/jobs/gazette/runs", "s3cret-token"); code != 409 {
		t.Errorf("POST during a run: %d, want 409", code)
	}
	js := d.jobs() // GET needs no token
	if js.Jobs[0].Running == nil || js.Jobs[0].Running.ID != runID {
		t.Errorf("running: %+v, want run %s", js.Jobs[0].Running, runID)
	}
	release()
	eventually(t, 60*time.Second, "the triggered run finished", func() bool {
		j := d.jobs().Jobs[0]
		return j.Running == nil && len(j.Runs) == 1
	})
	j := d.jobs().Jobs[0]
	if j.Runs[0].ID != runID || j.Runs[0].Written != 12 || j.LastResult == "failed" {
		t.Errorf("finished run: %+v", j.Runs[0])
	}
	if !d.logged("run finished", map[string]any{"run_id": runID, "component": "runner"}) {
		t.Error("no structured run-end log line with the run id")
	}
	d.signal(syscall.SIGINT)
	if code, _ := d.wait(15 * time.Second); code != 0 {
		t.Errorf("exit %d after SIGINT, want 0", code)
	}
}

func TestDaemonSIGTERMDuringRunThenResume(t *testing.T) {
	t.Parallel()
	site, release, held := testSiteHeld(t, 3) // the run holds after three articles
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	cfg := writeFile(t, filepath.Join(dir, "winnow.yaml"), daemonConfig(site.URL, out, "@every 1h", ""))
	d := startDaemon(t, cfg)
	r := runWinnow(t, "", "trigger", "--addr", d.addr, "gazette")
	if r.code != 0 {
		t.Fatalf("trigger: %d %s", r.code, r.stderr)
	}
	waitHeld(t, held)
	d.signal(syscall.SIGTERM)
	code, took := d.wait(20 * time.Second)
	// Exit 0 and no grace-period line: the run stopped without being cut
	// short (shutdown_grace is 10s; cutting it short exits 1).
	if code != 0 {
		t.Errorf("exit %d after SIGTERM during a run, want 0", code)
	}
	if d.logged("shutdown grace period passed", nil) {
		t.Error("the shutdown waited out shutdown_grace")
	}
	docs, temps := outputFiles(t, out)
	if len(temps) > 0 {
		t.Errorf("temp files left: %v", temps)
	}
	if len(docs) > 3 {
		t.Fatalf("%d documents before SIGTERM, want at most the 3 the site let through", len(docs))
	}
	t.Logf("%d documents before SIGTERM after %v", len(docs), took)

	// The next start resumes: every article is written, none twice.
	release()
	d2 := startDaemon(t, cfg)
	if r := runWinnow(t, "", "trigger", "--addr", d2.addr, "gazette"); r.code != 0 {
		t.Fatalf("trigger after restart: %d %s", r.code, r.stderr)
	}
	eventually(t, 60*time.Second, "the resumed run finished", func() bool {
		j := d2.jobs().Jobs[0]
		return j.Running == nil && len(j.Runs) == 1
	})
	if !d2.logged("resuming unfinished run", nil) {
		t.Error("the run after the restart did not resume the persisted frontier")
	}
	checkAllWrittenOnce(t, out, 12)
	d2.signal(syscall.SIGTERM)
	if code, _ := d2.wait(15 * time.Second); code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
}

func TestWatchSecondSignal(t *testing.T) {
	tests := []struct {
		name    string
		pending int
		sigs    []os.Signal
		exit    bool
	}{
		{name: "stop came from sigs: next signal exits", pending: 0, sigs: []os.Signal{syscall.SIGTERM}, exit: true},
		{name: "stop came from the context: its own delivery is not a second", pending: 1, sigs: []os.Signal{syscall.SIGINT}, exit: false},
		{name: "stop came from the context: second signal exits", pending: 1, sigs: []os.Signal{syscall.SIGINT, syscall.SIGTERM}, exit: true},
		{name: "hangup is no second signal", pending: 0, sigs: []os.Signal{syscall.SIGHUP, syscall.SIGHUP}, exit: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sigs := make(chan os.Signal, len(tt.sigs))
			for _, s := range tt.sigs {
				sigs <- s
			}
			done := make(chan struct{})
			exited := make(chan os.Signal, 1)
			finished := make(chan struct{})
			go func() {
				watchSecondSignal(sigs, tt.pending, done, slog.New(slog.DiscardHandler), func(s os.Signal) { exited <- s })
				close(finished)
			}()
			var got bool
			select {
			case <-exited:
				got = true
			case <-time.After(200 * time.Millisecond):
			}
			close(done)
			<-finished
			if got != tt.exit {
				t.Errorf("exit called: %v, want %v", got, tt.exit)
			}
		})
	}
}

func TestDaemonSIGHUP(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	cfg := filepath.Join(dir, "winnow.yaml")
	// Port 9 on loopback: nothing is fetched, the schedules are what matter.
	writeFile(t, cfg, daemonConfig("http://127.0.0.1:9", out, "@every 1h", ""))
	d := startDaemon(t, cfg)
	eventually(t, 10*time.Second, "ready", func() bool { code, _ := d.get("/readyz"); return code == 200 })

	writeFile(t, cfg, "jobs:\n  - name: gazette\n    schedule: \"every banana\"\n    seeds: [http://127.0.0.1:9/]\n    colour: blue\n")
	d.signal(syscall.SIGHUP)
	eventually(t, 10*time.Second, "the failed reload counted", func() bool {
		_, m := d.get("/metrics")
		return strings.Contains(m, `winnow_config_reloads_total{result="failure"} 1`)
	})
	js := d.jobs()
	if len(js.Jobs) != 1 || js.Jobs[0].Schedule != "@every 1h" {
		t.Errorf("after a broken reload the schedule is %+v, want the old @every 1h", js.Jobs)
	}
	for _, p := range []string{`jobs[0].schedule (line 3): \"every banana\"`, `jobs[0].colour (line 5): unknown key`} {
		// The log is read from a pipe: it may trail the metric a little.
		eventually(t, 5*time.Second, "the log names the problem "+p, func() bool { return strings.Contains(d.stderr(), p) })
	}

	writeFile(t, cfg, daemonConfig("http://127.0.0.1:9", out, "@every 2h", "")+
		"  - name: second\n    schedule: \"CRON_TZ=UTC 0 6 * * *\"\n    seeds: [http://127.0.0.1:9/b/]\n")
	d.signal(syscall.SIGHUP)
	eventually(t, 10*time.Second, "the good reload applied", func() bool {
		js := d.jobs()
		return len(js.Jobs) == 2 && js.Jobs[0].Schedule == "@every 2h" && js.Jobs[1].Name == "second"
	})
	_, m := d.get("/metrics")
	if !strings.Contains(m, `winnow_config_reloads_total{result="success"} 1`) || !strings.Contains(m, `winnow_run_in_progress{crawl_job="second"} 0`) {
		t.Errorf("metrics after a good reload lack the success count or the new job's series")
	}
	d.signal(syscall.SIGTERM)
	if code, _ := d.wait(15 * time.Second); code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
}

func TestDaemonStartErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		yaml string
		args []string
		want string
	}{
		{name: "no config flag", args: []string{"daemon"}, want: "--config FILE is required"},
		{name: "bad config", yaml: "jobs:\n  - name: a\n    schedule: '@every 1x'\n    seeds: [http://127.0.0.1:9/]\n",
			want: `jobs[0].schedule (line 3): "@every 1x"`},
		{name: "exposed without token",
			yaml: "http: {listen: '0.0.0.0:0'}\njobs:\n  - name: a\n    schedule: '@every 1h'\n    seeds: [http://127.0.0.1:9/]\n",
			want: "is not a loopback address and http.token_file is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if args == nil {
				f := writeFile(t, filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".yaml"), tt.yaml)
				args = []string{"daemon", "--config", f}
			}
			r := runWinnow(t, "", args...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tt.want)
			}
		})
	}
}

// Redis down at start: the daemon does not exit; /readyz answers 503 with
// the reason while it retries (every log line JSON, the Redis client's
// complaints included), and SIGTERM stops it cleanly.
func TestDaemonRedisDownAtStart(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	dir := t.TempDir()
	cfg := writeFile(t, filepath.Join(dir, "redis-down.yaml"), fmt.Sprintf(
		"output: {dir: %q}\nhttp: {listen: \"127.0.0.1:0\"}\nstate: {backend: redis, addr: %q}\njobs:\n  - name: a\n    schedule: '@every 1h'\n    seeds: [http://127.0.0.1:9/]\n", filepath.Join(dir, "out"), addr))
	d := startDaemon(t, cfg)
	// Schedules load at once; then the state backend is the reason.
	var code int
	var body string
	eventually(t, 10*time.Second, "/readyz naming the state backend", func() bool {
		code, body = d.get("/readyz")
		return strings.Contains(body, "state backend")
	})
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "refused") {
		t.Errorf("/readyz with redis down: %d %q, want 503 naming the state backend", code, body)
	}
	eventually(t, 20*time.Second, "a second connection attempt", func() bool {
		n := 0
		for _, l := range strings.Split(d.stderr(), "\n") {
			if strings.Contains(l, "state backend unreachable; retrying") {
				n++
			}
		}
		return n >= 2
	})
	d.signal(syscall.SIGTERM)
	if code, _ := d.wait(15 * time.Second); code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	for _, l := range strings.Split(strings.TrimSpace(d.stderr()), "\n") {
		if !json.Valid([]byte(l)) {
			t.Errorf("stderr line is not JSON: %q", l)
		}
	}
}

func TestDaemonRedisState(t *testing.T) {
	t.Parallel()
	redisAddr := testredis.Start(t).Addr
	site, _ := testSite(t, -1)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	cfg := daemonConfig(site.URL, out, "@every 1h", "") + fmt.Sprintf("state: {backend: redis, addr: %q}\n", redisAddr)
	d := startDaemon(t, writeFile(t, filepath.Join(dir, "winnow.yaml"), cfg))
	// "listening" is logged before the schedules load: wait for ready.
	eventually(t, 10*time.Second, "/readyz with redis", func() bool { code, _ := d.get("/readyz"); return code == 200 })
	if r := runWinnow(t, "", "trigger", "--addr", d.addr, "gazette"); r.code != 0 {
		t.Fatalf("trigger: %d %s", r.code, r.stderr)
	}
	eventually(t, 60*time.Second, "the run finished", func() bool {
		j := d.jobs().Jobs[0]
		return j.Running == nil && len(j.Runs) == 1
	})
	if j := d.jobs().Jobs[0]; j.Runs[0].Written != 12 {
		t.Errorf("run with redis state: %+v", j.Runs[0])
	}
	if _, err := os.Stat(filepath.Join(out, ".winnow", "state.db")); err == nil {
		t.Error("a bolt state file was created although the backend is redis")
	}
	d.signal(syscall.SIGTERM)
	if code, _ := d.wait(15 * time.Second); code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
}

// TestDaemonShutdownStuck: when a run cannot drain (its state store stops
// answering: redis-server is paused with SIGSTOP), the daemon still exits —
// after shutdown_grace, or at once on a second signal — without a
// half-written document, and the next start, with redis back, resumes.
func TestDaemonShutdownStuck(t *testing.T) {
	for _, tt := range []struct {
		name   string
		grace  string
		second bool
		msg    string
		min    time.Duration // the exit comes no earlier (the grace is waited out)
	}{
		{name: "grace passes", grace: "2s", msg: "shutdown grace period passed", min: 2 * time.Second},
		// The wait below gives up at 30s, well before the 60s grace: the
		// second signal is what ends it.
		{name: "second signal", grace: "60s", second: true, msg: "second signal: exiting now"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			redis := testredis.Start(t)
			site, release, held := testSiteHeld(t, 3)
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			cfg := strings.Replace(daemonConfig(site.URL, out, "@every 1h", ""), "shutdown_grace: 10s", "shutdown_grace: "+tt.grace, 1) +
				fmt.Sprintf("state: {backend: redis, addr: %q, lease_ttl: 2s}\n", redis.Addr)
			cfgPath := writeFile(t, filepath.Join(dir, "winnow.yaml"), cfg)
			d := startDaemon(t, cfgPath)
			if r := runWinnow(t, "", "trigger", "--addr", d.addr, "gazette"); r.code != 0 {
				t.Fatalf("trigger: %d %s", r.code, r.stderr)
			}
			waitHeld(t, held)
			// Pause redis, then let the held page through: its store update
			// hangs, and a store call does not stop for a cancelled run.
			redis.Pause(t)
			release()
			time.Sleep(300 * time.Millisecond)
			d.signal(syscall.SIGTERM)
			if tt.second {
				time.Sleep(500 * time.Millisecond)
				select {
				case <-d.done:
					t.Fatalf("the daemon exited before the second signal (exit %d); the drain was not stuck", d.code)
				default:
				}
				d.signal(syscall.SIGTERM)
			}
			code, took := d.wait(30 * time.Second)
			if code != 1 {
				t.Errorf("exit %d, want 1 (shutdown cut short)", code)
			}
			if took < tt.min {
				t.Errorf("exit took %v, want at least %v", took, tt.min)
			}
			if !d.logged(tt.msg, nil) {
				t.Errorf("no %q log line", tt.msg)
			}
			docs, _ := outputFiles(t, out)
			for _, p := range docs {
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.HasSuffix(b, []byte("\n")) || bytes.Count(b, []byte("\n")) < 5 {
					t.Errorf("%s is not a whole document:\n%s", p, b)
				}
			}

			// Redis back, site open: the next start resumes and finishes.
			redis.Resume(t)
			d2 := startDaemon(t, cfgPath)
			// The dead daemon's run is still locked until its lease_ttl
			// lapses: the new daemon joins it, then takes it over and
			// finishes it; a trigger meanwhile answers 409.
			if r := runWinnow(t, "", "trigger", "--addr", d2.addr, "gazette"); r.code != 0 && !strings.Contains(r.stderr, "in progress") {
				t.Fatalf("trigger after restart: %d %s", r.code, r.stderr)
			}
			eventually(t, 60*time.Second, "the resumed run finished", func() bool {
				j := d2.jobs().Jobs[0]
				return j.Running == nil && len(j.Runs) >= 1 && j.Runs[0].Result == "success"
			})
			if _, temps := outputFiles(t, out); len(temps) > 0 {
				t.Errorf("temp files left after the restart: %v", temps)
			}
			checkAllWrittenOnce(t, out, 12)
			d2.signal(syscall.SIGTERM)
			if code, _ := d2.wait(15 * time.Second); code != 0 {
				t.Errorf("exit %d, want 0", code)
			}
		})
	}
}
