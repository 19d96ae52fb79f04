package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "demo-out")
	cmd := exec.Command(winnowBin, "demo", "--out", out)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var mu sync.Mutex
	var printed strings.Builder
	metricsURL := make(chan string, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			mu.Lock()
			printed.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "metrics:" {
				metricsURL <- f[1]
			}
		}
	}()
	var metrics string
	select {
	case metrics = <-metricsURL:
	case <-time.After(30 * time.Second):
		t.Fatalf("demo printed no metrics address; stderr:\n%s", stderr.String())
	}
	eventually(t, 60*time.Second, "the demo wrote the 12 sample articles", func() bool {
		docs, _ := outputFiles(t, out)
		return len(docs) == 12
	})
	// A document's file appears before the runner counts it: wait for the
	// counter too.
	eventually(t, 10*time.Second, "the demo's metrics count the 12 documents", func() bool {
		code, body := httpDo(t, "GET", metrics, "")
		return code == 200 && strings.Contains(body, `winnow_documents_written_total{crawl_job="harbour-gazette"} 12`)
	})
	code, body := httpDo(t, "GET", strings.TrimSuffix(metrics, "/metrics")+"/api/v1/jobs", "")
	if code != 200 || !strings.Contains(body, `"name": "harbour-gazette"`) || !strings.Contains(body, `"schedule": "@every 10s"`) {
		t.Errorf("demo jobs API: %d %s", code, body)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err = cmd.Wait()
	<-scanned
	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		t.Errorf("demo after Ctrl-C: %v; stderr:\n%s", err, stderr.String())
	}
	for _, want := range []string{"sample site:  http://127.0.0.1:", "documents:    " + out, "jobs API:", "demo stopped"} {
		if !strings.Contains(printed.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, printed.String())
		}
	}
	// Each written document is clean: no chrome from the sample layouts.
	docs, _ := outputFiles(t, out)
	for _, d := range docs {
		b := mustRead(t, d)
		for _, chrome := range []string{"We use cookies", "Register for free", "用户名", "Share this article", "adblocking", "Updates to follow"} {
			if strings.Contains(b, chrome) {
				t.Errorf("%s keeps %q", d, chrome)
			}
		}
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDemoBadListen(t *testing.T) {
	tests := []struct {
		name, listen, want string
	}{
		{"not host:port", "nonsense", `--listen "nonsense": want host:port`},
		{"not loopback", "0.0.0.0:0", `--listen "0.0.0.0:0": the demo's API has no token, so it listens on loopback only`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run([]string{"demo", "--out", t.TempDir(), "--listen", tt.listen}, strings.NewReader(""), &stdout, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tt.want) || strings.Contains(stderr.String(), "winnow-demo.yaml") {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr.String(), tt.want)
			}
		})
	}
}
