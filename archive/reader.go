package archive

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nlnwa/gowarc/v3"
)

// Response is one archived HTTP response.
type Response struct {
	File   string // the WARC file
	ID     string // WARC-Record-ID
	URI    string // WARC-Target-URI
	Date   time.Time
	Job    string // isPartOf of the file's warcinfo, "" when none
	Status int
	Header http.Header
	Body   []byte // as received: still content-encoded (gzip)
}

// Files expands paths into the WARC files to read: files as given,
// directories walked for *.warc.gz and *.warc, in name order (for files
// of one writer, the order they were written). Files still open are skipped.
func Files(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			n := strings.ToLower(d.Name())
			if !d.IsDir() && (strings.HasSuffix(n, ".warc.gz") || strings.HasSuffix(n, ".warc")) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		slices.SortFunc(found, func(a, b string) int { return strings.Compare(filepath.Base(a), filepath.Base(b)) })
		out = append(out, found...)
	}
	return out, nil
}

// ReadResponses calls fn for every response record of the WARC file at path
// (gzipped or not), in file order. Request, revisit and other records are
// skipped. fn's error stops the read and is returned.
func ReadResponses(path string, fn func(Response) error) error {
	// The library's default policies (problems noted, not fatal): with
	// violations ignored it hands back only the first buffer of a payload.
	libMu.Lock() // the reader's options are made once, here
	r, err := gowarc.NewWarcFileReader(path, 0)
	libMu.Unlock()
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	defer r.Close()
	job := ""
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		wr := rec.WarcRecord
		switch wr.Type() {
		case gowarc.Warcinfo:
			job = infoField(wr, "isPartOf")
		case gowarc.Response:
			res, err := response(wr)
			if err == nil {
				res.File, res.Job = path, job
				err = fn(res)
			} else {
				err = fmt.Errorf("read %s at offset %d: %w", path, rec.Offset, err)
			}
			if err != nil {
				wr.Close()
				return err
			}
		}
		wr.Close()
	}
}

func response(wr gowarc.WarcRecord) (Response, error) {
	h := wr.WarcHeader()
	res := Response{ID: wr.RecordId(), URI: h.Get(gowarc.WarcTargetURI)}
	res.Date, _ = h.GetTime(gowarc.WarcDate)
	blk, ok := wr.Block().(gowarc.HttpResponseBlock)
	if !ok {
		return res, fmt.Errorf("response %s: not an HTTP response", res.URI)
	}

	res.Status = blk.HttpStatusCode()
	if hh := blk.HttpHeader(); hh != nil {
		res.Header = *hh
	} else {
		res.Header = http.Header{}
	}
	p, err := blk.PayloadBytes()
	if err != nil {
		return res, fmt.Errorf("response %s: %w", res.URI, err)
	}
	if res.Body, err = io.ReadAll(p); err != nil {
		return res, fmt.Errorf("response %s: %w", res.URI, err)
	}
	return res, nil
}

// infoField reads one field of a warcinfo record's block.
func infoField(wr gowarc.WarcRecord, name string) string {
	raw, err := wr.Block().RawBytes()
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(raw)
	for sc.Scan() {
		k, v, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if ok && strings.EqualFold(string(bytes.TrimSpace(k)), name) {
			return string(bytes.TrimSpace(v))
		}
	}
	return ""
}
