package archive

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Recover finishes the files left open in dir by a process that stopped
// without closing them (a crash, kill -9): each keeps its whole records, the
// torn one at its end is cut off, and it is renamed to its final name. A file
// with no record after its warcinfo is removed. Files another live process
// is writing (it holds their lock) are left alone. It returns how many files
// it finished.
func Recover(dir string, log *slog.Logger) (int, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	open, err := filepath.Glob(filepath.Join(dir, "*"+Ext+OpenExt))
	if err != nil {
		return 0, fmt.Errorf("recover archive %s: %w", dir, err)
	}
	done := 0
	for _, path := range open {
		kept, err := recoverFile(path)
		switch {
		case errors.Is(err, syscall.EWOULDBLOCK):
			continue // in use
		case err != nil:
			return done, fmt.Errorf("recover archive %s: %w", path, err)
		case kept == 0:
			log.Warn("removed an archive file left open with no record", "file", path)
		default:
			done++
			log.Warn("finished an archive file left open by an interrupted run", "file", strings.TrimSuffix(path, OpenExt), "records", kept)
		}
	}
	if len(open) > 0 {
		if err := syncDir(dir); err != nil {
			return done, fmt.Errorf("recover archive %s: %w", dir, err)
		}
	}
	return done, nil
}

// recoverFile finishes one open file and returns how many records after the
// warcinfo it kept (0: the file was removed).
func recoverFile(path string) (int, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return 0, err
	}
	records, end := wholeMembers(f)
	if records <= 1 {
		f.Close()
		return 0, os.Remove(path)
	}
	if err := f.Truncate(end); err != nil {
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	return records - 1, os.Rename(path, strings.TrimSuffix(path, OpenExt))
}

// countingReader counts the bytes the gzip reader consumes; it is an
// io.ByteReader, so gzip reads through it without buffering ahead.
type countingReader struct {
	r *bufio.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// wholeMembers returns how many whole gzip members holding a WARC record r
// starts with, and the offset where the last of them ends.
func wholeMembers(r io.Reader) (records int, end int64) {
	cr := &countingReader{r: bufio.NewReaderSize(r, 1<<16)}
	var z gzip.Reader
	for {
		if err := z.Reset(cr); err != nil {
			return records, end
		}
		z.Multistream(false)
		head := make([]byte, 5)
		if _, err := io.ReadFull(&z, head); err != nil || !bytes.Equal(head, []byte("WARC/")) {
			return records, end
		}
		if _, err := io.Copy(io.Discard, &z); err != nil {
			return records, end // torn: the CRC or the length does not match
		}
		records++
		end = cr.n
	}
}
