package output

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The jsonl format appends each document as one line of
// DIR/<job>/<YYYY-MM-DD>.jsonl (the UTC day it was fetched, or written
// when the fetch time is unknown). A file of lines cannot be replaced
// atomically as a whole, so each line is: it is written with one write(2)
// on an O_APPEND descriptor under an exclusive flock on the file, then
// synced; a process killed mid-write can leave at most a torn last line,
// which the next writer of that file cuts off (truncating to the last
// newline) before it appends. The manifest line follows while the file is
// still locked, so after a crash only a file's last line can lack its
// manifest line, and NewSink adds it.
//
// Written, replaced and unchanged are decided by the manifest: a canonical
// URL already recorded with the same text is unchanged (nothing written);
// with another text, the new version is appended (replaced: the earlier
// line stays where it was, readers keep the last line of a canonical URL).

// jsonlRel is the path, relative to the output directory, of the file job's
// document fetched at t goes to.
func jsonlRel(job string, t time.Time) string {
	if t.IsZero() {
		t = time.Now()
	}
	return job + "/" + t.UTC().Format(time.DateOnly) + formats["jsonl"]
}

// writeLine appends n to its job's file of the day and its manifest line.
// A commit hook in ctx (WithCommit) is asked just before the line is
// appended, as the other formats ask it just before the rename: a line,
// once appended, cannot be taken back.
func (s *Sink) writeLine(ctx context.Context, n normalized, sum, job string) (Result, error) {
	if job == "" || job == "." || job == ".." || strings.ContainsAny(job, `/\`) {
		return 0, fmt.Errorf("jsonl: job name %q cannot name a directory", job)
	}
	release, dup := s.claimHash(n.canonical, sum)
	if dup {
		return Duplicate, nil
	}
	s.mu.Lock()
	old, known := s.byURL[keyOf(n.canonical)]
	s.mu.Unlock()
	if known && old == keyOf(sum) {
		return Unchanged, nil
	}
	res := Written
	if known {
		res = Replaced
	}
	line, err := encodeJSON(n, false)
	if err != nil {
		release()
		return 0, err
	}
	rel := jsonlRel(job, n.fetchedAt)
	if err := commit(ctx, rel); err != nil {
		release()
		if errors.Is(err, errNotCommitted) {
			return Duplicate, nil
		}
		return 0, err
	}
	err = s.appendLine(rel, line, func() error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if err := s.appendManifest(n, sum, rel, job); err != nil {
			return err
		}
		s.record(n.canonical, sum)
		return nil
	})
	if err != nil {
		release()
		return 0, err
	}
	return res, nil
}

// appendLine appends line (ending in "\n") to the file rel with one write,
// syncs it, then runs after, all under the file's lock.
func (s *Sink) appendLine(rel string, line []byte, after func() error) error {
	path := filepath.Join(s.dir, filepath.FromSlash(rel))
	dir := filepath.Dir(path)
	if err := s.ensureDir(dir); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	err = withFileLock(f, func() error {
		if err := s.repairOnce(f, rel); err != nil {
			return err
		}
		if err := s.step("write"); err != nil {
			return err
		}
		if _, err := f.Write(line); err != nil {
			return err
		}
		if err := s.step("sync"); err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return err
		}
		return after()
	})
	if err != nil {
		return fmt.Errorf("append %s: %w", rel, err)
	}
	return nil
}

// repairOnce cuts a torn last line off f the first time this sink opens
// it, and syncs the directory so a file it created survives a crash.
// Callers hold f's lock.
func (s *Sink) repairOnce(f *os.File, rel string) error {
	s.mu.Lock()
	done := s.lineFiles[rel]
	s.mu.Unlock()
	if done {
		return nil
	}
	if _, err := cutTornTail(f); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(f.Name())); err != nil {
		return err
	}
	s.mu.Lock()
	s.lineFiles[rel] = true
	s.mu.Unlock()
	return nil
}

// cutTornTail truncates f after its last newline when it does not end in
// one (a write cut short by a crash), returning how many bytes it cut.
func cutTornTail(f *os.File) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := st.Size()
	if size == 0 {
		return 0, nil
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, size-1); err != nil {
		return 0, err
	}
	if last[0] == '\n' {
		return 0, nil
	}
	cut := lastLineStart(f, size)
	if cut < 0 {
		return 0, fmt.Errorf("find the last line of %s", f.Name())
	}
	if err := f.Truncate(cut); err != nil {
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	return size - cut, nil
}

// lastLineStart returns the offset just after the last newline before
// offset end of f (0 when there is none), or -1 on a read error.
func lastLineStart(f *os.File, end int64) int64 {
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	for pos := end; pos > 0; {
		start := max(pos-chunk, 0)
		b := buf[:pos-start]
		if _, err := f.ReadAt(b, start); err != nil && !errors.Is(err, io.EOF) {
			return -1
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			return start + int64(i) + 1
		}
		pos = start
	}
	return 0
}

// repairLines runs once in NewSink for the jsonl format: every
// DIR/<job>/*.jsonl file loses a torn last line, and a last line whose
// manifest line is missing (a crash between the two appends) gets it.
// seen holds the manifest's path and sha256 pairs.
func (s *Sink) repairLines(seen map[string]bool) error {
	files, err := filepath.Glob(filepath.Join(s.dir, "*", "*"+formats["jsonl"]))
	if err != nil {
		return err
	}
	for _, path := range files {
		rel := filepath.ToSlash(strings.TrimPrefix(path, filepath.Clean(s.dir)+string(filepath.Separator)))
		job := filepath.Base(filepath.Dir(path))
		if err := s.repairLineFile(path, rel, job, seen); err != nil {
			return fmt.Errorf("repair %s: %w", rel, err)
		}
	}
	return nil
}

func (s *Sink) repairLineFile(path, rel, job string, seen map[string]bool) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return withFileLock(f, func() error {
		cut, err := cutTornTail(f)
		if err != nil {
			return err
		}
		if cut > 0 {
			s.log.Warn("jsonl: cut a torn last line", "component", "output", "path", rel, "bytes", cut)
		}
		s.lineFiles[rel] = true
		st, err := f.Stat()
		if err != nil || st.Size() == 0 {
			return err
		}
		start := lastLineStart(f, st.Size()-1)
		if start < 0 {
			return fmt.Errorf("read the last line")
		}
		line, err := bufio.NewReader(io.NewSectionReader(f, start, st.Size()-start)).ReadBytes('\n')
		if err != nil {
			return err
		}
		var r record
		if err := json.Unmarshal(line, &r); err != nil {
			return fmt.Errorf("last line: %w", err)
		}
		if seen[rel+" "+r.SHA256] {
			return nil
		}
		n := fromRecord(r)
		if err := s.appendManifest(n, r.SHA256, rel, job); err != nil {
			return err
		}
		s.record(n.canonical, r.SHA256)
		s.log.Info("jsonl: added the manifest line an interrupted write left out", "component", "output", "path", rel, "url", n.canonical)
		return nil
	})
}

// fromRecord reads back what appendManifest needs of a json record.
func fromRecord(r record) normalized {
	n := normalized{url: r.URL, canonical: r.CanonicalURL, title: r.Title, byline: r.Byline, siteName: r.SiteName, lang: r.Lang, text: r.Text}
	if r.Published != nil {
		n.published, _ = time.Parse(time.RFC3339, *r.Published)
	}
	if r.FetchedAt != nil {
		n.fetchedAt, _ = time.Parse(time.RFC3339, *r.FetchedAt)
	}
	return n
}
