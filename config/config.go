// Package config loads and validates winnow's YAML configuration, parsing
// cron specs, regexes, durations and sizes once into ready-to-use values.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/robfig/cron/v3"
)

// Config is a whole, validated configuration. Every default is filled in.
type Config struct {
	File          string        // the path it was loaded from
	Output        Output        // where documents go
	State         State         // incremental state backend
	HTTP          HTTP          // the daemon's HTTP endpoints
	ShutdownGrace time.Duration // how long in-flight work may finish on SIGTERM
	Defaults      Settings      // crawl settings every job starts from
	DefaultFilter Filter        // the filter keys of the defaults section
	Jobs          []Job
}

// Output is the output section.
type Output struct {
	Dir    string // default ./out
	Format string // txt (default), json, jsonl or markdown
	// MarkdownLinks: the markdown format writes links as [text](URL);
	// off by default, links are plain text.
	MarkdownLinks bool
}

// State is the state section.
type State struct {
	Backend string // bolt (default) or redis
	Path    string // bolt file; default <output.dir>/.winnow/state.db
	Addr    string // redis address; default localhost:6379
	// LeaseTTL (redis) is how long a replica keeps frontier items, host
	// slots and the run lock without renewing them: what a lost replica
	// delays. 0: the crawler's default (30s).
	LeaseTTL time.Duration
}

// HTTP is the http section.
type HTTP struct {
	Listen    string // default 127.0.0.1:9464
	TokenFile string // when set, the admin endpoints need this bearer token
	Token     string // the token read from TokenFile, trimmed
	// Pprof serves the Go runtime profiles under /debug/pprof/ on the same
	// listener, behind the token when one is set. Off by default.
	Pprof bool
}

// Settings are the crawl settings of the defaults section, which every job
// may override key by key.
type Settings struct {
	UserAgent     string
	Parallel      int           // concurrent requests per job
	Delay         time.Duration // between requests to one host
	Timeout       time.Duration // per request
	MaxBody       int64         // bytes
	MaxDepth      int
	MaxPages      int // 0: no limit
	Retries       int // retries of a failed fetch (timeouts, 408, 429, 5xx)
	RespectRobots bool
	AllowPrivate  bool // allow loopback, private and link-local targets
	Archive       Archive
}

// Archive is the archive key: a WARC/1.1 archive of every response.
type Archive struct {
	Dir     string // "" (default): no archive
	MaxSize int64  // a file is closed once it reaches this many bytes; default 1GiB
}

// MinArchiveSize is the smallest archive max_size accepted: smaller files
// would hold a handful of pages each.
const MinArchiveSize = 1 << 20

// Filter says which cleaned documents a job writes. Its keys (min_words,
// languages) sit with the crawl settings, under defaults and in each job,
// and a job overrides the defaults key by key. It is apart from Settings
// so that Settings stay comparable.
type Filter struct {
	// MinWords: a cleaned document with fewer words is not written
	// (skipped as too_short); 0, the default, writes every article.
	MinWords int
	// Languages: ISO 639-1 codes; when set, a document whose detected
	// language is another is not written (skipped as language). A document
	// whose language is unknown is written. Empty, the default: any.
	Languages []string
	// NearDuplicates: a document whose SimHash is close to one the job
	// already wrote (a syndicated copy) is not written (skipped as
	// near_duplicate). Off by default.
	NearDuplicates NearDuplicates
}

// NearDuplicates is the near_duplicates key of defaults and jobs.
type NearDuplicates struct {
	Enabled     bool
	MaxDistance int // bits of the 64-bit SimHash; 0 to MaxNearDistance, default 3
}

// MaxNearDistance is the largest max_distance accepted: the state store's
// band index (crawler.MaxNearDistance) reads a growing share of a job's
// fingerprints past it.
const MaxNearDistance = 7

// Job is one configured crawl job with the defaults merged in.
type Job struct {
	Name     string
	Schedule string        // the cron spec as written
	Cron     cron.Schedule // Schedule, parsed
	Seeds    []string
	Sitemaps []string
	Feeds    []string
	Allow    []*regexp.Regexp
	Deny     []*regexp.Regexp
	Article  []*regexp.Regexp
	Settings
	Filter Filter
	Line   int // where the job starts in the file
}

// Default values, documented in the README and deploy/winnow.example.yaml.
const (
	DefaultOutputDir     = "./out"
	DefaultFormat        = "txt"
	DefaultBackend       = "bolt"
	DefaultRedisAddr     = "localhost:6379"
	DefaultListen        = "127.0.0.1:9464"
	DefaultShutdownGrace = 20 * time.Second
	DefaultUserAgent     = "winnow/1.0 (+https://example.org/bot)"
)

// DefaultSettings returns the crawl settings used when defaults says nothing.
func DefaultSettings() Settings {
	return Settings{
		UserAgent:     DefaultUserAgent,
		Parallel:      4,
		Delay:         time.Second,
		Timeout:       30 * time.Second,
		MaxBody:       10 << 20,
		MaxDepth:      2,
		MaxPages:      0,
		Retries:       2,
		RespectRobots: true,
		AllowPrivate:  false,
		Archive:       Archive{MaxSize: 1 << 30},
	}
}

// DefaultFilter returns the filter used when defaults says nothing: every
// article is written. No minimum length by default: the cleaner already
// drops pages with no article text, and a threshold would silently drop
// short but real articles (briefs, corrections) the user asked for.
func DefaultFilter() Filter {
	return Filter{MinWords: 0, Languages: nil, NearDuplicates: NearDuplicates{Enabled: false, MaxDistance: 3}}
}

// Default returns a configuration with every default and no jobs.
func Default() *Config {
	return &Config{
		Output:        Output{Dir: DefaultOutputDir, Format: DefaultFormat},
		State:         State{Backend: DefaultBackend},
		HTTP:          HTTP{Listen: DefaultListen},
		ShutdownGrace: DefaultShutdownGrace,
		Defaults:      DefaultSettings(),
		DefaultFilter: DefaultFilter(),
	}
}

// Job returns the job called name.
func (c *Config) Job(name string) (Job, bool) {
	for _, j := range c.Jobs {
		if j.Name == name {
			return j, true
		}
	}
	return Job{}, false
}

// Error is one problem in a configuration file, naming the file, the YAML
// path and the line. Load joins every Error it finds with errors.Join.
type Error struct {
	File string
	Path string // e.g. jobs[1].schedule; empty for the file as a whole
	Line int    // 0 when unknown
	Msg  string
}

func (e *Error) Error() string {
	switch {
	case e.Path == "" && e.Line == 0:
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	case e.Path == "":
		return fmt.Sprintf("%s: line %d: %s", e.File, e.Line, e.Msg)
	case e.Line == 0:
		return fmt.Sprintf("%s: %s: %s", e.File, e.Path, e.Msg)
	}
	return fmt.Sprintf("%s: %s (line %d): %s", e.File, e.Path, e.Line, e.Msg)
}

// Problems returns every *Error in err (as returned by Load), in order.
func Problems(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if e, ok := err.(*Error); ok {
			out = append(out, e)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// Load reads, decodes and validates the configuration at path. Every problem
// is reported at once: the error joins one *Error per problem.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("read: %v", unwrapPath(err))}
	}
	return Parse(path, data)
}

// unwrapPath drops the *PathError wrapper whose path the message already names.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Parse decodes and validates data, naming file in its messages. Relative
// paths in the configuration are relative to the working directory.
func Parse(file string, data []byte) (*Config, error) {
	d := &decoder{file: file}
	cfg := d.decode(data)
	if len(d.errs) > 0 {
		sortErrs(d.errs)
		return nil, errors.Join(d.errs...)
	}
	cfg.File = file
	if cfg.State.Backend == "bolt" && cfg.State.Path == "" {
		cfg.State.Path = filepath.Join(cfg.Output.Dir, ".winnow", "state.db")
	}
	if cfg.State.Backend == "redis" && cfg.State.Addr == "" {
		cfg.State.Addr = DefaultRedisAddr
	}
	return cfg, nil
}
