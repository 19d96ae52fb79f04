// Package testredis starts a real redis-server on a loopback port for a
// test, so that tests of the Redis state backend talk to Redis itself.
package testredis

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Server is a redis-server process that lives as long as the test that
// started it.
type Server struct {
	Addr string // host:port on 127.0.0.1
	cmd  *exec.Cmd

	bin, dir string
	persist  bool
	exited   chan struct{}
}

// startTimeout is how long Start waits for the server to answer.
const startTimeout = 10 * time.Second

// Start runs redis-server on a free loopback port, without persistence and
// with its working directory in t.TempDir, and returns once it answers
// PING. The process is killed when the test ends. When redis-server is not
// installed the test is skipped, or fails when CI is "true".
func Start(t testing.TB) *Server { return startServer(t, false) }

// StartPersistent is Start with an append-only file fsynced on every
// write, so that Restart keeps every write Redis acknowledged.
func StartPersistent(t testing.TB) *Server { return startServer(t, true) }

func startServer(t testing.TB, persist bool) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server not installed (apt-get install -y redis-server)")
		}
		t.Skip("redis-server not installed (apt-get install -y redis-server)")
	}
	// The free port is found by listening on it and closing it again;
	// another process may take it meanwhile, so a server that exits at
	// once is started again on another port.
	var lastErr error
	for range 3 {
		s, err := start(t, bin, persist)
		if err == nil {
			return s
		}
		lastErr = err
	}
	t.Fatal(lastErr)
	return nil
}

func start(t testing.TB, bin string, persist bool) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &Server{Addr: addr, bin: bin, dir: t.TempDir(), persist: persist}
	t.Cleanup(func() {
		if s.cmd != nil {
			s.cmd.Process.Kill() // SIGKILL ends a paused (SIGSTOPped) process too
			<-s.exited
		}
	})
	if err := s.run(); err != nil {
		return nil, err
	}
	return s, nil
}

// run starts redis-server on s.Addr and waits until it answers.
func (s *Server) run() error {
	_, port, _ := net.SplitHostPort(s.Addr)
	args := []string{"--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no", "--dir", s.dir}
	if s.persist {
		args = []string{"--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", s.dir}
	}
	cmd := exec.Command(s.bin, args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.cmd, s.exited = cmd, exited
	for deadline := time.Now().Add(startTimeout); ; time.Sleep(20 * time.Millisecond) {
		select {
		case <-exited:
			return fmt.Errorf("redis-server on %s exited at once: %s", s.Addr, strings.TrimSpace(out.String()))
		default:
		}
		err := s.Ping(time.Second)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server on %s: %w", s.Addr, err)
		}
	}
}

// Restart kills the server (SIGKILL, as a crash would) and, down seconds
// later, starts it again on the same address and directory: a server from
// StartPersistent comes back with its data.
func (s *Server) Restart(t testing.TB, down time.Duration) {
	t.Helper()
	s.cmd.Process.Kill()
	<-s.exited
	time.Sleep(down)
	var err error
	for range 50 { // the port may linger a moment
		if err = s.run(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("restart redis-server on %s: %v", s.Addr, err)
}

// Ping sends PING on a new connection and waits up to timeout for PONG.
func (s *Server) Ping(timeout time.Duration) error {
	c, err := net.DialTimeout("tcp", s.Addr, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return errors.New("PING answered " + strings.TrimSpace(line))
	}
	return nil
}

// Pause stops the server with SIGSTOP: it keeps its connections and
// accepts new ones, but answers nothing until Resume.
func (s *Server) Pause(t testing.TB) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("pause redis-server on %s: %v", s.Addr, err)
	}
}

// Resume lets a paused server go on with SIGCONT.
func (s *Server) Resume(t testing.TB) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatalf("resume redis-server on %s: %v", s.Addr, err)
	}
}
