package output

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"winnow/cleaner"
)

// A commit hook lets a writer that shares its documents with other writers
// (replicas of the daemon, each with its own output directory) decide at
// the last moment, once the new file is complete and synced and just
// before it is renamed into place, whether this writer is the one to
// write it. The hook is told where the document goes (its path relative
// to the output directory), so that a writer that died between the
// decision and the rename can be found out by another: HeldIn reads that
// writer's output.

type commitKey struct{}

// CommitFunc reports whether the write of the document going to rel (a
// slash-separated path relative to the output directory: the document's
// file, or the jsonl file its line goes to) may go ahead; false means
// another writer has written this document already.
type CommitFunc func(rel string) (bool, error)

// WithCommit returns a context that makes Write call commit before it
// renames a new or changed document into place. When commit says false,
// the temp file is removed and Write returns Duplicate; an error fails the
// write. Unchanged documents (nothing to write) do not call it.
func WithCommit(ctx context.Context, commit CommitFunc) context.Context {
	return context.WithValue(ctx, commitKey{}, commit)
}

// errNotCommitted: the commit hook said another writer has the document.
var errNotCommitted = errors.New("written by another writer")

func commit(ctx context.Context, rel string) error {
	c, _ := ctx.Value(commitKey{}).(CommitFunc)
	if c == nil {
		return nil
	}
	ok, err := c(rel)
	if err != nil {
		return err
	}
	if !ok {
		return errNotCommitted
	}
	return nil
}

// volumeFile, under an output directory, holds a random id of the
// directory's storage. Replicas sharing a volume see the same id; two
// directories at one path on two machines' own disks do not. It is made
// on first use.
const volumeFile = ".winnow/volume"

// VolumeID returns the id of the volume the sink's directory is on,
// making one the first time.
func (s *Sink) VolumeID() (string, error) {
	s.volOnce.Do(func() { s.volID, s.volErr = ensureVolumeID(s.dir) })
	return s.volID, s.volErr
}

func readVolumeID(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(volumeFile)))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// ensureVolumeID reads dir's volume id or makes it: a temporary file
// linked into place, so that of two processes making it at once one wins
// and both read its id.
func ensureVolumeID(dir string) (string, error) {
	id, err := readVolumeID(dir)
	if err == nil && id != "" {
		return id, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read the volume id of %s: %w", dir, err)
	}
	path := filepath.Join(dir, filepath.FromSlash(volumeFile))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("make the volume id of %s: %w", dir, err)
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make the volume id of %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".volume.*.tmp")
	if err != nil {
		return "", fmt.Errorf("make the volume id of %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(hex.EncodeToString(b[:]) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if err = os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
			err = nil
		}
	}
	if err != nil {
		return "", fmt.Errorf("make the volume id of %s: %w", dir, err)
	}
	if id, err = readVolumeID(dir); err != nil {
		return "", fmt.Errorf("read the volume id of %s: %w", dir, err)
	}
	return id, nil
}

// HeldIn reports whether the output directory dir — another writer's, in
// this sink's format, on the volume with id volume — holds doc with its
// text at rel: the file there has the same text, or for jsonl, a whole
// line of that file has doc's canonical URL with the same text. reachable
// is false when dir, as this process sees it, is not on that volume (the
// other writer's own disk on another machine): what it holds cannot be
// known here.
//
// It is how a writer that finds a document committed by another, who has
// not written it yet, tells a writer that died between its commit and its
// rename from one that did write it. It reads the files, so it is for
// that rare case, not for every write.
func (s *Sink) HeldIn(dir, volume, rel string, doc cleaner.Document) (held, reachable bool, err error) {
	if volume == "" {
		return false, false, nil
	}
	id, err := readVolumeID(dir)
	if err != nil || id != volume {
		return false, false, nil
	}
	if !filepath.IsLocal(filepath.FromSlash(rel)) {
		return false, true, fmt.Errorf("look for %s in %s: %q is not a path inside it", doc.URL, dir, rel)
	}
	n := normalize(doc)
	sum := hashText(n.text)
	path := filepath.Join(dir, filepath.FromSlash(rel))
	if s.format != "jsonl" {
		old, exists, err := s.existingHash(path)
		if err != nil {
			return false, true, fmt.Errorf("look for %s in %s: %w", doc.URL, dir, err)
		}
		return exists && old == sum, true, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, true, nil
	}
	if err != nil {
		return false, true, fmt.Errorf("look for %s in %s: %w", doc.URL, dir, err)
	}
	defer f.Close()
	// The line's sha256 field is the text hash: only lines with it are
	// decoded. A torn last line (no newline) was never a document.
	mark := []byte(`"sha256":"` + sum + `"`)
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return false, true, nil
		}
		if err != nil {
			return false, true, fmt.Errorf("look for %s in %s: %w", doc.URL, path, err)
		}
		if !bytes.Contains(line, mark) {
			continue
		}
		var rec struct {
			CanonicalURL string `json:"canonical_url"`
		}
		if json.Unmarshal(line, &rec) == nil && rec.CanonicalURL == n.canonical {
			return true, true, nil
		}
	}
}
