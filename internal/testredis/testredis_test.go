package testredis

import (
	"testing"
	"time"
)

func TestStartPauseResume(t *testing.T) {
	s := Start(t)
	if err := s.Ping(time.Second); err != nil {
		t.Fatalf("PING after Start: %v", err)
	}
	s.Pause(t)
	if err := s.Ping(300 * time.Millisecond); err == nil {
		t.Fatal("a paused server answered PING")
	}
	s.Resume(t)
	if err := s.Ping(5 * time.Second); err != nil {
		t.Fatalf("PING after Resume: %v", err)
	}
}

// Two servers in one test get two ports.
func TestStartTwo(t *testing.T) {
	a, b := Start(t), Start(t)
	if a.Addr == b.Addr {
		t.Fatalf("both servers on %s", a.Addr)
	}
	for _, s := range []*Server{a, b} {
		if err := s.Ping(time.Second); err != nil {
			t.Errorf("PING %s: %v", s.Addr, err)
		}
	}
}
