package output

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"winnow/cleaner"
)

// Result says what Write did.
type Result int

// Results of Write.
const (
	// Written: a new file.
	Written Result = iota
	// Replaced: the file existed with another text and was replaced.
	Replaced
	// Unchanged: the file exists with the same text; nothing was written.
	Unchanged
	// Duplicate: the same text was already written under another canonical
	// URL (in this sink's lifetime or in the manifest); nothing was written.
	Duplicate
)

// String is the result's name: written, replaced, unchanged or duplicate.
func (r Result) String() string {
	switch r {
	case Written:
		return "written"
	case Replaced:
		return "replaced"
	case Unchanged:
		return "unchanged"
	case Duplicate:
		return "duplicate"
	}
	return fmt.Sprintf("Result(%d)", int(r))
}

// ManifestName is the manifest's file name in the output directory.
const ManifestName = "manifest.jsonl"

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("sink closed")

// Option configures a Sink.
type Option func(*Sink)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *Sink) { s.log = l } }

// WithMarkdown sets the options of the markdown format.
func WithMarkdown(o MarkdownOptions) Option { return func(s *Sink) { s.md = o } }

// Sink writes documents under one directory in one format:
// DIR/<host>/<id>.<ext> (txt, json, markdown) or lines of
// DIR/<job>/<YYYY-MM-DD>.jsonl (jsonl, see jsonl.go), and DIR/manifest.jsonl.
//
// Write may be called from many goroutines at once. Writes of the same
// canonical URL are serialised; others run in parallel, except for the
// manifest append. After Close, Write returns ErrClosed.
type Sink struct {
	dir    string
	format string
	log    *slog.Logger
	md     MarkdownOptions

	volOnce sync.Once // VolumeID
	volID   string
	volErr  error

	// mu guards everything below.
	mu       sync.Mutex
	closed   bool
	manifest *os.File
	byHash   map[memKey]memKey // text sha256 -> canonical URL holding that text
	byURL    map[memKey]memKey // canonical URL -> text sha256 last recorded in the manifest
	paths    map[string]*pathLock
	dirs     map[string]bool // host directories known to exist
	// dirSyncs: the shared fsyncs of each host directory files are
	// renamed into; manifestSync: the manifest's (see groupSync).
	dirSyncs     map[string]*groupSync
	manifestSync *groupSync
	// lineFiles: jsonl files this sink has checked for a torn tail.
	lineFiles map[string]bool
	// seenLines: the manifest's "path sha256" pairs, while NewSink
	// repairs jsonl files; nil after.
	seenLines map[string]bool
	inflight  sync.WaitGroup

	// failAt, when set (tests), is called at each step of a file write and
	// the write fails with its error.
	failAt func(step string) error
}

type pathLock struct {
	mu   sync.Mutex
	refs int
}

// NewSink returns a Sink writing to dir in format (one of Formats). It
// creates dir, and reads dir/manifest.jsonl if present so that texts written
// by earlier runs count as duplicates. A truncated last manifest line (an
// interrupted append) is cut off; any other unreadable line is an error.
func NewSink(dir, format string, opts ...Option) (*Sink, error) {
	if err := CheckFormat(format); err != nil {
		return nil, fmt.Errorf("new sink %s: %w", dir, err)
	}
	s := &Sink{
		dir:    dir,
		format: format,
		log:    slog.New(slog.DiscardHandler),
		byHash: make(map[memKey]memKey),
		byURL:  make(map[memKey]memKey),
		paths:  make(map[string]*pathLock),
		dirs:   make(map[string]bool),

		dirSyncs: make(map[string]*groupSync),

		lineFiles: make(map[string]bool),
	}
	if format == "jsonl" {
		s.seenLines = make(map[string]bool)
	}
	for _, o := range opts {
		o(s)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("new sink %s: %w", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, ManifestName), os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("new sink %s: %w", dir, err)
	}
	if err := withFileLock(f, func() error { return s.loadManifest(f) }); err != nil {
		f.Close()
		return nil, fmt.Errorf("new sink %s: %w", dir, err)
	}
	if err := s.removeStaleTemps(); err != nil {
		f.Close()
		return nil, fmt.Errorf("new sink %s: %w", dir, err)
	}
	s.manifest = f
	s.manifestSync = newGroupSync(f.Sync)
	if s.seenLines != nil {
		err := s.repairLines(s.seenLines)
		s.seenLines = nil
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("new sink %s: %w", dir, err)
		}
	}
	return s, nil
}

// loadManifest reads every line of f and records its hashes. A last line
// without its newline is ended when it parses and cut off when it does not.
func (s *Sink) loadManifest(f *os.File) error {
	r := bufio.NewReader(f)
	var off int64
	for lineNo := 1; ; lineNo++ {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			if len(line) == 0 {
				break
			}
			var m manifestLine
			if json.Unmarshal(line, &m) == nil {
				// Whole but unterminated: keep it, end it.
				s.recordLine(m)
				if _, err := f.Write([]byte("\n")); err != nil {
					return fmt.Errorf("repair %s: %w", ManifestName, err)
				}
				break
			}
			s.log.Warn("manifest: cutting a truncated last line", "component", "output", "line", lineNo, "bytes", len(line))
			if err := f.Truncate(off); err != nil {
				return fmt.Errorf("truncate %s: %w", ManifestName, err)
			}
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", ManifestName, err)
		}
		off += int64(len(line))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var m manifestLine
		if err := json.Unmarshal(line, &m); err != nil {
			return fmt.Errorf("read %s: line %d: %w", ManifestName, lineNo, err)
		}
		s.recordLine(m)
	}
	return nil
}

// recordLine records a line read from the manifest.
func (s *Sink) recordLine(m manifestLine) {
	s.record(m.CanonicalURL, m.SHA256)
	if s.seenLines != nil {
		s.seenLines[m.Path+" "+m.SHA256] = true
	}
}

// record notes that canonical now holds the text with hash sum. Callers hold mu
// (or own s exclusively).
func (s *Sink) record(canonical, sum string) {
	u, h := keyOf(canonical), keyOf(sum)
	if old, ok := s.byURL[u]; ok && old != h && s.byHash[old] == u {
		delete(s.byHash, old)
	}
	s.byURL[u] = h
	if _, ok := s.byHash[h]; !ok {
		s.byHash[h] = u
	}
}

// memKey stands for a canonical URL or a text hash in the sink's indexes:
// the first 16 bytes of SHA-256 of the string. The indexes hold an entry
// for every document the output has, so they are kept to fixed-size,
// pointer-free entries (32 bytes) instead of two strings each; only
// equality is ever asked of them (a collision needs about 2^64 entries).
type memKey [16]byte

func keyOf(s string) memKey {
	sum := sha256.Sum256([]byte(s))
	return memKey(sum[:16])
}

// Write writes doc to <dir>/<host>/<id>.<format> and appends its manifest
// line.
//
// The file appears whole or not at all: it is written to a temporary file in
// the target directory, synced, closed and renamed, then the directory is
// synced; the temporary file is removed on any error. When the file already
// holds the same text, nothing is written (Unchanged); when another canonical
// URL already holds the same text, nothing is written (Duplicate). Written and
// Replaced append one manifest line; Unchanged appends one only when the
// manifest lacks it (a crash between rename and append). ctx is checked
// before the work starts; a write under way is not interrupted.
func (s *Sink) Write(ctx context.Context, job string, doc cleaner.Document) (Result, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("write %s: %w", doc.URL, err)
	}
	n := normalize(doc)
	if n.canonical == "" {
		return 0, fmt.Errorf("write: document has no URL")
	}
	sum := hashText(n.text)
	rel := RelPath(n.canonical, s.format)
	if s.format == "jsonl" {
		// Lines of one file are serialised by its lock; what must not run
		// twice at once is the same document.
		rel = "\x00" + n.canonical
	}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return 0, fmt.Errorf("write %s: %w", n.canonical, ErrClosed)
	}
	s.inflight.Add(1)
	pl := s.paths[rel]
	if pl == nil {
		pl = &pathLock{}
		s.paths[rel] = pl
	}
	pl.refs++
	s.mu.Unlock()

	pl.mu.Lock()
	defer func() {
		pl.mu.Unlock()
		s.mu.Lock()
		if pl.refs--; pl.refs == 0 {
			delete(s.paths, rel)
		}
		s.mu.Unlock()
		s.inflight.Done()
	}()

	var res Result
	var err error
	if s.format == "jsonl" {
		res, err = s.writeLine(ctx, n, sum, job)
	} else {
		res, err = s.write(ctx, n, sum, rel, job)
	}
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", n.canonical, err)
	}
	return res, nil
}

// claimHash claims the text hash for canonical, so that a concurrent write
// of the same text under another URL sees it. dup: another URL holds it.
// release gives up a new claim when the write fails.
func (s *Sink) claimHash(canonical, sum string) (release func(), dup bool) {
	u, h := keyOf(canonical), keyOf(sum)
	s.mu.Lock()
	holder, held := s.byHash[h]
	if held && holder != u {
		s.mu.Unlock()
		return nil, true
	}
	if !held {
		s.byHash[h] = u
	}
	s.mu.Unlock()
	return func() {
		if !held {
			s.mu.Lock()
			if s.byHash[h] == u {
				delete(s.byHash, h)
			}
			s.mu.Unlock()
		}
	}, false
}

func (s *Sink) write(ctx context.Context, n normalized, sum, rel, job string) (Result, error) {
	release, dup := s.claimHash(n.canonical, sum)
	if dup {
		return Duplicate, nil
	}

	path := filepath.Join(s.dir, filepath.FromSlash(rel))
	old, exists, err := s.existingHash(path)
	if err != nil {
		release()
		return 0, err
	}
	res := Written
	switch {
	case exists && old == sum:
		res = Unchanged
	case exists:
		res = Replaced
	}
	if res != Unchanged {
		data, err := s.encode(n)
		if err != nil {
			release()
			return 0, err
		}
		if err := s.writeFile(ctx, path, rel, data); err != nil {
			release()
			if errors.Is(err, errNotCommitted) {
				return Duplicate, nil
			}
			return 0, err
		}
	}
	s.mu.Lock()
	if cur, ok := s.byURL[keyOf(n.canonical)]; res == Unchanged && ok && cur == keyOf(sum) {
		s.mu.Unlock()
		return Unchanged, nil
	}
	if err := s.writeManifestLine(n, sum, rel, job); err != nil {
		s.mu.Unlock()
		return 0, err
	}
	s.record(n.canonical, sum)
	s.mu.Unlock()
	// The line is synced outside mu, so that writers waiting for the disk
	// share an fsync rather than queue for one each.
	if err := s.manifestSync.Sync(); err != nil {
		return 0, fmt.Errorf("append manifest: %w", err)
	}
	return res, nil
}

// encode renders n in the sink's format with its options.
func (s *Sink) encode(n normalized) ([]byte, error) {
	if s.format == "markdown" {
		return encodeMarkdown(n, s.md)
	}
	return Encode(cleanerDoc(n), s.format)
}

// cleanerDoc turns a normalized document back into a Document for Encode
// (normalizing again is a no-op).
func cleanerDoc(n normalized) cleaner.Document {
	return cleaner.Document{
		URL: n.url, CanonicalURL: n.canonical, Title: n.title, Byline: n.byline,
		Published: n.published, SiteName: n.siteName, Lang: n.lang,
		Paragraphs: n.paragraphs, Blocks: n.blocks, FetchedAt: n.fetchedAt,
	}
}

// existingHash returns the text hash of the file at path, if there is one.
func (s *Sink) existingHash(path string) (sum string, exists bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	switch s.format {
	case "json":
		var r record
		if err := json.Unmarshal(b, &r); err != nil {
			// Not ours or damaged: replace it.
			return "", true, nil
		}
		return hashText(r.Text), true, nil
	case "markdown":
		sum, ok := markdownHash(b)
		if !ok {
			return "", true, nil
		}
		return sum, true, nil
	default:
		// Title, date, URL, empty line, then the paragraphs.
		lines := strings.SplitN(string(b), "\n", 5)
		if len(lines) < 5 {
			return "", true, nil
		}
		return hashText(strings.TrimSuffix(lines[4], "\n")), true, nil
	}
}

func (s *Sink) step(name string) error {
	if s.failAt == nil {
		return nil
	}
	return s.failAt(name)
}

// writeFile writes data to path atomically.
func (s *Sink) writeFile(ctx context.Context, path, rel string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := s.ensureDir(dir); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, tempPattern(filepath.Base(path)))
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := s.step("write"); err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := s.step("sync"); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := s.step("rename"); err != nil {
		return err
	}
	if err := commit(ctx, rel); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	// The rename is durable once an fsync of the directory that started
	// after it has returned; writers renaming into the same directory at
	// once share one.
	return s.dirSync(dir).Sync()
}

// dirSync returns the shared fsync of directory dir.
func (s *Sink) dirSync(dir string) *groupSync {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.dirSyncs[dir]
	if g == nil {
		g = newGroupSync(func() error { return syncDir(dir) })
		s.dirSyncs[dir] = g
	}
	return g
}

// Temporary files are named .<file>.<pid>.<random>.tmp, so that a sink can
// tell the leftovers of a process that died mid-write from the files another
// live process sharing the directory is writing.
func tempPattern(base string) string {
	return "." + base + "." + strconv.Itoa(os.Getpid()) + ".*.tmp"
}

// staleTempAge is the age past which a temporary file is a leftover whatever
// its pid says: no write stays open that long.
const staleTempAge = time.Hour

// removeStaleTemps removes the temporary files a process killed mid-write
// left in the host directories: those of a process that is gone, and any
// older than staleTempAge. They were never documents (hidden, never in the
// manifest), so nothing is lost.
func (s *Sink) removeStaleTemps() error {
	hosts, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("remove stale temporary files: %w", err)
	}
	for _, h := range hosts {
		if !h.IsDir() || strings.HasPrefix(h.Name(), ".") {
			continue
		}
		hostDir := filepath.Join(s.dir, h.Name())
		entries, err := os.ReadDir(hostDir)
		if err != nil {
			return fmt.Errorf("remove stale temporary files: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() || !isStaleTemp(e) {
				continue
			}
			p := filepath.Join(hostDir, e.Name())
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove stale temporary file: %w", err)
			}
			s.log.Info("removed a temporary file left by an interrupted write", "component", "output", "path", p)
		}
	}
	return nil
}

// isStaleTemp reports whether e is a sink temporary file no live writer owns.
func isStaleTemp(e fs.DirEntry) bool {
	name := e.Name()
	if !strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".tmp") {
		return false
	}
	if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleTempAge {
		return true
	}
	// .<file>.<pid>.<random>.tmp: the pid is the third field from the end.
	parts := strings.Split(strings.TrimSuffix(name, ".tmp"), ".")
	if len(parts) < 3 {
		return true // not of our naming scheme, or of an older one
	}
	pid, err := strconv.Atoi(parts[len(parts)-2])
	if err != nil || pid <= 0 {
		return true
	}
	return !processAlive(pid)
}

// ensureDir creates a host directory once and syncs its parent so the new
// entry survives a crash.
func (s *Sink) ensureDir(dir string) error {
	s.mu.Lock()
	known := s.dirs[dir]
	s.mu.Unlock()
	if known {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(dir)); err != nil {
		return err
	}
	s.mu.Lock()
	s.dirs[dir] = true
	s.mu.Unlock()
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// appendManifest appends one line and syncs it. Callers hold mu.
func (s *Sink) appendManifest(n normalized, sum, rel, job string) error {
	if err := s.writeManifestLine(n, sum, rel, job); err != nil {
		return err
	}
	if err := s.manifestSync.Sync(); err != nil {
		return fmt.Errorf("append manifest: %w", err)
	}
	return nil
}

// writeManifestLine appends one line, not synced: the caller syncs it with
// manifestSync before it reports the document written. Callers hold mu.
func (s *Sink) writeManifestLine(n normalized, sum, rel, job string) error {
	line, err := json.Marshal(manifestLine{
		URL: n.url, CanonicalURL: n.canonical, Title: n.title, Byline: n.byline,
		Published: rfc3339(n.published), SiteName: n.siteName, Lang: n.lang,
		FetchedAt: rfc3339(n.fetchedAt), SHA256: sum, Path: rel, Job: job,
	})
	if err != nil {
		return fmt.Errorf("append manifest: %w", err)
	}
	line = append(line, '\n')
	// The file lock keeps lines whole when another process appends to the
	// same manifest; O_APPEND puts each line at the end.
	err = withFileLock(s.manifest, func() error {
		_, err := s.manifest.Write(line)
		return err
	})
	if err != nil {
		return fmt.Errorf("append manifest: %w", err)
	}
	return nil
}

// HeldByOther reports whether another canonical URL already holds doc's
// text, so that Write would return Duplicate.
func (s *Sink) HeldByOther(doc cleaner.Document) bool {
	n := normalize(doc)
	sum := hashText(n.text)
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.byHash[keyOf(sum)]
	return ok && h != keyOf(n.canonical)
}

// Dir is the output directory.
func (s *Sink) Dir() string { return s.dir }

// Documents returns how many documents the manifest records (those of
// earlier runs included).
func (s *Sink) Documents() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byURL)
}

// Close waits for the writes under way, then closes the manifest. Later
// Writes return ErrClosed. Close is idempotent.
func (s *Sink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.inflight.Wait()
	if err := s.manifest.Close(); err != nil {
		return fmt.Errorf("close sink %s: %w", s.dir, err)
	}
	return nil
}
