package output

import (
	"context"
	"errors"

	"winnow/cleaner"
)

// Result says what Write did.
type Result int

// Results of Write.
const (
	Written Result = iota
	Replaced
	Unchanged
	Duplicate
)

// Sink writes documents under one directory in one format.
type Sink struct{}

// NewSink returns a Sink writing to dir in format.
func NewSink(dir, format string) (*Sink, error) { return nil, errors.New("sink: not yet implemented") }

// Write writes doc atomically and appends its manifest line.
func (s *Sink) Write(ctx context.Context, job string, doc cleaner.Document) (Result, error) {
	return 0, errors.New("sink: not yet implemented")
}

// Close flushes and closes the manifest.
func (s *Sink) Close() error { return nil }
