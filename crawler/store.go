package crawler

import (
	"context"
	"time"
)

// Kind says how the crawler treats a frontier item's response.
type Kind uint8

// Kinds of frontier items.
const (
	KindPage    Kind = iota // an HTML page: followed for links, emitted when it is an article
	KindSitemap             // a sitemap or sitemap index (.xml or .xml.gz)
	KindFeed                // an RSS, Atom or JSON feed
)

// Item is one URL in a job's frontier.
type Item struct {
	Seq   uint64 `json:"-"` // position in the frontier, assigned by the store
	URL   string `json:"u"`
	Depth int    `json:"d"`
	Kind  Kind   `json:"k"`
}

// Record is what the store keeps about one article URL between runs.
type Record struct {
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	SHA256       string    `json:"sha256,omitempty"` // of the response body
	OutputID     string    `json:"output_id,omitempty"`
	FetchedAt    time.Time `json:"fetched_at"`
	// The archive's response record of the last full fetch, which a
	// revisit record of a 304 refers to; empty without an archive.
	WARCID   string    `json:"warc_id,omitempty"`
	WARCDate time.Time `json:"warc_date,omitzero"`
}

// Store keeps a job's incremental state: per-URL validators and hashes, the
// visited set and the persisted frontier of the run in progress. All
// methods are safe for concurrent use. BoltStore is the embedded backend.
//
// A run's protocol: BeginRun; Enqueue the sources; repeatedly read the
// Frontier and call Done for each item once it has been handled; FinishRun
// when the frontier is empty. An unfinished run (crash, cancellation) leaves
// its frontier and visited set behind, and the next BeginRun resumes it.
type Store interface {
	Ping(ctx context.Context) error
	Close() error

	// BeginRun starts or resumes the job's run; resumed reports a run left
	// unfinished, queued the number of items still in its frontier.
	BeginRun(ctx context.Context, job string) (resumed bool, queued int, err error)
	// Enqueue adds the items whose URL this run has not seen yet and returns
	// how many it added.
	Enqueue(ctx context.Context, job string, items []Item) (int, error)
	// Frontier returns up to n items with Seq > after, in Seq order.
	Frontier(ctx context.Context, job string, after uint64, n int) ([]Item, error)
	// Done removes it from the frontier, stores rec for its URL when rec is
	// not nil and enqueues links, all at once. It returns how many links were new.
	Done(ctx context.Context, job string, it Item, rec *Record, links []Item) (int, error)
	// Record returns the stored record of url.
	Record(ctx context.Context, job, url string) (Record, bool, error)
	// SetOutputID remembers the id of the document written for url.
	SetOutputID(ctx context.Context, job, url, id string) error
	// FinishRun forgets the run's visited set and frontier; records stay.
	FinishRun(ctx context.Context, job string) error
}
