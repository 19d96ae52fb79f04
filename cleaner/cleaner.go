// Package cleaner turns the bytes of one HTML page into a clean Document:
// decoding, readability extraction, boilerplate removal and metadata.
package cleaner

import "fmt"

// Options tune the cleaner. The zero value is usable.
type Options struct {
	MaxBytes int // inputs larger than this fail with ErrTooLarge; 0 means the default (16 MiB)
}

// Cleaner cleans pages. It holds no mutable state and is safe for concurrent use.
type Cleaner struct{ opts Options }

// New returns a Cleaner.
func New(opts Options) *Cleaner { return &Cleaner{opts: opts} }

// Clean extracts the article of one page.
func (c *Cleaner) Clean(in Input) (Document, Report, error) {
	return Document{}, Report{}, fmt.Errorf("clean %s: not yet implemented", in.URL)
}

// Rules lists the names of every boilerplate rule, for metric initialisation.
func Rules() []string { return nil }
