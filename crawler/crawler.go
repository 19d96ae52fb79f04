// Package crawler fetches the pages of one job politely: frontier, robots,
// sitemaps, feeds, retries, private-address refusal and incremental state.
package crawler

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"winnow/metrics"
)

// Page is one fetched article page, handed to emit.
type Page struct {
	URL       string // the URL requested (normalised)
	FinalURL  string // the URL after redirects
	Status    int    // HTTP status; 304 means unchanged since the last run
	Header    http.Header
	Body      []byte
	FetchedAt time.Time
	Depth     int
}

// Options describe one crawl. The daemon maps a config job onto it;
// `winnow crawl` maps its flags.
type Options struct {
	Job           string
	Seeds         []string
	Sitemaps      []string
	Feeds         []string
	Allow         []*regexp.Regexp // empty: stay on the seeds' hosts
	Deny          []*regexp.Regexp
	Article       []*regexp.Regexp // pages to emit; others are only followed
	MaxDepth      int
	MaxPages      int // 0: no limit
	Parallel      int
	Delay         time.Duration
	Timeout       time.Duration
	MaxBody       int64
	UserAgent     string
	RespectRobots bool
	AllowPrivate  bool
	Retries       int
}

// Crawler runs one crawl. Build it with New.
type Crawler struct {
	opts Options
	log  *slog.Logger
	m    *metrics.Metrics
}

// New checks opts and returns a Crawler.
func New(opts Options, store Store, m *metrics.Metrics, log *slog.Logger) (*Crawler, error) {
	return &Crawler{opts: opts, log: log, m: m}, nil
}

// Run crawls until the frontier is empty, ctx is done, or emit returns an
// error. emit is called synchronously for every article page.
func (c *Crawler) Run(ctx context.Context, emit func(context.Context, Page) error) error {
	return errors.New("crawl: not yet implemented")
}

// Store keeps a job's incremental state: per-URL validators and hashes, the
// visited set and the persisted frontier. BoltStore is the embedded backend.
type Store interface {
	Ping(ctx context.Context) error
	Close() error
}

// BoltStore is the embedded bbolt state backend.
type BoltStore struct{}

// OpenBolt opens (creating) the bbolt state file at path.
func OpenBolt(path string) (*BoltStore, error) { return nil, errors.New("state: not yet implemented") }

// Ping reports whether the store answers.
func (s *BoltStore) Ping(ctx context.Context) error { return nil }

// Close closes the store.
func (s *BoltStore) Close() error { return nil }
