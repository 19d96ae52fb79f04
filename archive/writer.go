// Package archive keeps the raw HTTP exchanges of a crawl as WARC/1.1
// files (one gzip member per record, files rotated by size and named as
// Heritrix names them) and reads them back for `winnow reclean`.
package archive

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/klauspost/compress/gzip"
	"github.com/nlnwa/gowarc/v3"

	"winnow/metrics"
)

// Suffixes of the files in an archive directory.
const (
	Ext     = ".warc.gz"
	OpenExt = ".open" // appended to Ext while a file is being written
)

// DefaultMaxSize is the size after which a file is closed and the next one
// begun (Heritrix's and the WARC specification's recommendation).
const DefaultMaxSize = 1 << 30

// ErrClosed is returned by Archive after Close.
var ErrClosed = errors.New("archive closed")

// Options configure a Writer.
type Options struct {
	Dir      string
	Job      string // the crawl job: file name prefix, warcinfo isPartOf and metric label
	MaxSize  int64  // 0: DefaultMaxSize
	Software string // warcinfo software, e.g. "winnow/1.2.0"
	Metrics  *metrics.Metrics
	Log      *slog.Logger
}

// Writer appends request, response and revisit records to WARC files in
// one directory. A file is written as <name>.warc.gz.open and renamed to
// <name>.warc.gz (after fsync) when it reaches MaxSize or the Writer is
// closed, so a finished file never changes. Each record is its own gzip
// member, written with one write: a crash loses at most the record being
// written, and the next Open finishes the file it left behind.
//
// Archive may be called from many goroutines; records of one exchange are
// adjacent in one file. After Close, Archive returns ErrClosed.
type Writer struct {
	opts    Options
	prefix  string
	host    string
	log     *slog.Logger
	scratch sync.Pool // *scratch: a Write's small buffers

	randMu sync.Mutex
	rand   *bufio.Reader // random bytes of record IDs

	mu     sync.Mutex // guards the fields below
	gz     *gzip.Writer
	out    bytes.Buffer // the compressed records of one exchange
	closed bool
	f      *os.File // the open file, nil between files
	path   string   // its name, with OpenExt
	size   int64
	serial int
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Open creates dir when missing, finishes the files an earlier process
// left open there (see Recover), and returns a Writer.
func Open(opts Options) (*Writer, error) {
	if opts.Dir == "" {
		return nil, errors.New("open archive: no directory")
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("open archive %s: %w", opts.Dir, err)
	}
	w := &Writer{opts: opts, log: opts.Log.With("component", "archive"), rand: bufio.NewReaderSize(rand.Reader, 64*16)}
	w.prefix = unsafeName.ReplaceAllString(opts.Job, "_")
	if w.prefix == "" {
		w.prefix = "winnow"
	}
	w.host, _ = os.Hostname()
	w.host = unsafeName.ReplaceAllString(w.host, "_")
	if _, err := Recover(opts.Dir, w.log); err != nil {
		return nil, err
	}
	return w, nil
}

// gzipLevel is klauspost/compress's level 1 (BestSpeed). Compression is
// most of the archive's cost to a crawl: on the news pages of the
// extraction benchmark (BenchmarkWrite) level 1 takes about a sixth less
// CPU per page than level 3 for files some 6 % larger, and level 3 took
// about a third of the standard library's default level's time.
const gzipLevel = gzip.BestSpeed

// maxKeptOut bounds the compressed-output buffer kept for the next
// exchange.
const maxKeptOut = 1 << 20

// libMu serialises the calls into gowarc that create record options (the
// warcinfo record's builder, the reader): each one writes a package
// variable of google/uuid (EnableRandPool), a data race between concurrent
// callers otherwise. Exchange records take their IDs from the Writer's own
// random source and do not need it.
var libMu sync.Mutex

// digestOpts make sha1 base32 digests (the ones CDX indexes and
// deduplication compare) and check every record built: the warcinfo
// records. Exchange records are written by Writer.record, with the same
// digests.
var digestOpts = []gowarc.WarcRecordOption{
	gowarc.WithDefaultDigestAlgorithm("sha1"),
	gowarc.WithDefaultDigestEncoding(gowarc.Base32),
	gowarc.WithAddMissingDigest(true),
	gowarc.WithSpecViolationPolicy(gowarc.ErrFail),
	gowarc.WithSyntaxErrorPolicy(gowarc.ErrFail),
}

// Exchange is one HTTP request and its response as they crossed the wire.
type Exchange struct {
	Request  *http.Request  // as sent (its Header, Host and URL)
	Response *http.Response // status line and header as received
	Body     []byte         // the body as received: content-encoded, transfer-decoded
	Date     time.Time      // when the request was sent
	IP       string         // the server's address, "" when unknown
	// For a 304: the response record it confirms ("" and zero when not
	// known); it is written as a server-not-modified revisit.
	RefersTo     string
	RefersToDate time.Time
}

// Archive writes a request record and a response record (a revisit record
// for a 304) and returns the ID of the response or revisit record.
func (w *Writer) Archive(req *http.Request, res *http.Response, body []byte, date time.Time, ip, refersTo string, refersToDate time.Time) (string, error) {
	return w.Write(Exchange{Request: req, Response: res, Body: body, Date: date, IP: ip, RefersTo: refersTo, RefersToDate: refersToDate})
}

// Write archives x; see Archive.
func (w *Writer) Write(x Exchange) (string, error) {
	uri := x.Request.URL.String()
	respID, err := w.newID()
	if err != nil {
		return "", fmt.Errorf("archive %s: %w", uri, err)
	}
	reqID, err := w.newID()
	if err != nil {
		return "", fmt.Errorf("archive %s: %w", uri, err)
	}
	s, _ := w.scratch.Get().(*scratch)
	if s == nil {
		s = new(scratch)
	}
	defer w.scratch.Put(s)
	s.reset()
	date := warcDate(x.Date)

	// The request record, then the response (or revisit) record.
	requestHead(&s.reqHead, x.Request)
	f := gowarc.WarcFields{}
	f.Set(gowarc.WarcType, gowarc.Request.String())
	f.Set(gowarc.WarcTargetURI, uri)
	f.Set(gowarc.WarcDate, date)
	f.Set(gowarc.ContentType, "application/http;msgtype=request")
	f.SetId(gowarc.WarcConcurrentTo, respID)
	f.SetId(gowarc.WarcRecordID, reqID)
	if err := recordHeader(&s.reqFields, &f, s.reqHead.Bytes(), nil, true); err != nil {
		return "", fmt.Errorf("archive %s: %w", uri, err)
	}

	if err := responseHead(&s.respHead, x.Response); err != nil {
		return "", fmt.Errorf("archive %s: %w", uri, err)
	}
	respType := "response"
	f = gowarc.WarcFields{}
	f.Set(gowarc.WarcType, gowarc.Response.String())
	f.Set(gowarc.WarcTargetURI, uri)
	f.Set(gowarc.WarcDate, date)
	f.Set(gowarc.ContentType, "application/http;msgtype=response")
	if x.IP != "" {
		f.Set(gowarc.WarcIPAddress, x.IP)
	}
	f.SetId(gowarc.WarcRecordID, respID)
	body := x.Body
	if x.Response.StatusCode == http.StatusNotModified {
		// A server-not-modified revisit: its block is the HTTP header
		// alone, and a 304 has no payload to digest.
		respType = "revisit"
		body = nil
		f.Set(gowarc.WarcType, gowarc.Revisit.String())
		err = recordHeader(&s.respFields, &f, s.respHead.Bytes(), nil, false, func(f *gowarc.WarcFields) {
			f.Set(gowarc.WarcProfile, gowarc.ProfileServerNotModifiedV1_1)
			f.SetId(gowarc.WarcRefersTo, x.RefersTo)
			f.Set(gowarc.WarcRefersToTargetURI, uri)
			if !x.RefersToDate.IsZero() {
				f.Set(gowarc.WarcRefersToDate, warcDate(x.RefersToDate))
			}
		})
	} else {
		err = recordHeader(&s.respFields, &f, s.respHead.Bytes(), body, true)
	}
	if err != nil {
		return "", fmt.Errorf("archive %s: %w", uri, err)
	}
	n, err := w.append(
		[][]byte{s.reqFields.Bytes(), s.reqHead.Bytes(), crlfcrlf},
		[][]byte{s.respFields.Bytes(), s.respHead.Bytes(), body, crlfcrlf})
	if err != nil {
		return "", fmt.Errorf("archive %s: %w", uri, err)
	}
	if m := w.opts.Metrics; m != nil {
		m.ArchiveRecords.WithLabelValues(w.opts.Job, "request").Inc()
		m.ArchiveRecords.WithLabelValues(w.opts.Job, respType).Inc()
		m.ArchiveBytes.WithLabelValues(w.opts.Job).Add(float64(n))
	}
	return respID, nil
}

// scratch is one Write's small buffers: the HTTP messages' headers and the
// WARC headers of its two records.
type scratch struct {
	reqHead, reqFields, respHead, respFields bytes.Buffer
}

func (s *scratch) reset() {
	s.reqHead.Reset()
	s.reqFields.Reset()
	s.respHead.Reset()
	s.respFields.Reset()
}

// recordHeader writes the version line and header of a record to dst: the
// WARC header fields f (the library's type, written as the library writes
// them) with Content-Length and the block digest added, for a block that is
// head followed by body. With payload, the block is an HTTP message whose
// payload is body, and its digest is added too. extra adds fields after
// the digests. The digests are computed over head and body as they are,
// without copying them; the record is then the header, head, body and two
// CRLFs, as the library's Marshaler writes one.
func recordHeader(dst *bytes.Buffer, f *gowarc.WarcFields, head, body []byte, payload bool, extra ...func(*gowarc.WarcFields)) error {
	f.Set(gowarc.ContentLength, strconv.Itoa(len(head)+len(body)))
	h := sha1.New()
	h.Write(head)
	h.Write(body)
	var sum [sha1.Size]byte
	f.Set(gowarc.WarcBlockDigest, "sha1:"+base32.StdEncoding.EncodeToString(h.Sum(sum[:0])))
	if payload {
		sum = sha1.Sum(body)
		f.Set(gowarc.WarcPayloadDigest, "sha1:"+base32.StdEncoding.EncodeToString(sum[:]))
	}
	for _, fn := range extra {
		fn(f)
	}
	dst.WriteString(gowarc.V1_1.String())
	dst.WriteString("\r\n")
	if _, err := f.Write(dst); err != nil {
		return err
	}
	dst.WriteString("\r\n")
	return nil
}

var crlfcrlf = []byte("\r\n\r\n")

// newID returns a new record ID, a random (version 4) UUID URN.
func (w *Writer) newID() (string, error) {
	w.randMu.Lock()
	id, err := uuid.NewRandomFromReader(w.rand)
	w.randMu.Unlock()
	if err != nil {
		return "", fmt.Errorf("record id: %w", err)
	}
	return id.URN(), nil
}

// marshal writes each record as its own gzip member and closes them.
func (w *Writer) marshal(dst *bytes.Buffer, recs ...gowarc.WarcRecord) error {
	gz, _ := gzip.NewWriterLevel(dst, gzipLevel)
	var errs []error
	m := gowarc.NewMarshaler()
	for _, r := range recs {
		gz.Reset(dst)
		if _, _, err := m.Marshal(gz, r, 0); err != nil {
			errs = append(errs, err)
		}
		errs = append(errs, gz.Close(), r.Close())
	}
	return errors.Join(errs...)
}

func warcDate(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// responseHead writes the status line and header of res, as a response
// record's block begins.
func responseHead(head *bytes.Buffer, res *http.Response) error {
	proto := res.Proto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	status := res.Status
	if status == "" {
		status = fmt.Sprintf("%d %s", res.StatusCode, http.StatusText(res.StatusCode))
	}
	fmt.Fprintf(head, "%s %s\r\n", proto, status)
	if err := res.Header.Write(head); err != nil {
		return err
	}
	head.WriteString("\r\n")
	return nil
}

// requestHead writes the request line and header of req, a request
// record's block.
func requestHead(head *bytes.Buffer, req *http.Request) {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	fmt.Fprintf(head, "%s %s HTTP/1.1\r\nHost: %s\r\n", req.Method, req.URL.RequestURI(), host)
	_ = req.Header.Write(head) // a bytes.Buffer does not fail
	head.WriteString("\r\n")
}

// append compresses the records of one exchange, each given as its parts
// and made its own gzip member, and writes them to the open file with one
// write, beginning a file when none is open and finishing it once it has
// reached MaxSize. It returns the bytes written, the file's warcinfo record
// included. Compression is done under the lock, with the Writer's one gzip
// writer (some 800 KB of state): on a crawl of a few cores a gzip writer
// per concurrent page kept megabytes more alive, and the collector ran
// more often for it, than waiting for the lock costs.
func (w *Writer) append(records ...[][]byte) (int64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, ErrClosed
	}
	if w.gz == nil {
		w.gz, _ = gzip.NewWriterLevel(nil, gzipLevel)
	}
	w.out.Reset()
	defer func() {
		if w.out.Cap() > maxKeptOut {
			w.out = bytes.Buffer{} // one very large page's: left to the collector
		}
	}()
	for _, parts := range records {
		w.gz.Reset(&w.out)
		for _, p := range parts {
			if _, err := w.gz.Write(p); err != nil {
				return 0, err
			}
		}
		if err := w.gz.Close(); err != nil {
			return 0, err
		}
	}
	p := w.out.Bytes()
	var n int64
	if w.f == nil {
		k, err := w.begin()
		if err != nil {
			return 0, err
		}
		n += k
	}
	if _, err := w.f.Write(p); err != nil {
		// Cut the torn records off, so the file stays readable.
		if terr := w.f.Truncate(w.size); terr != nil {
			w.abandon()
			return 0, errors.Join(err, terr)
		}
		_, _ = w.f.Seek(w.size, io.SeekStart)
		return n, err
	}
	w.size += int64(len(p))
	n += int64(len(p))
	if w.size >= w.opts.MaxSize {
		if err := w.finish(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// begin creates the next file, locked against Recover in other processes,
// with its warcinfo record. Its name follows Heritrix:
// <prefix>-<17-digit UTC timestamp>-<serial>-<pid>~<host>.warc.gz.
func (w *Writer) begin() (int64, error) {
	for tries := 0; ; tries++ {
		ts := time.Now().UTC().Format("20060102150405.000")
		ts = strings.Replace(ts, ".", "", 1)
		name := fmt.Sprintf("%s-%s-%05d-%d~%s%s", w.prefix, ts, w.serial, os.Getpid(), w.host, Ext)
		w.serial++
		path := filepath.Join(w.opts.Dir, name+OpenExt)
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
		if errors.Is(err, os.ErrExist) && tries < 100 {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("create %s: %w", path, err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			os.Remove(path)
			return 0, fmt.Errorf("lock %s: %w", path, err)
		}
		info, err := w.warcinfo(name)
		if err == nil {
			_, err = f.Write(info)
		}
		if err != nil {
			f.Close()
			os.Remove(path)
			return 0, fmt.Errorf("write %s: %w", path, err)
		}
		w.f, w.path, w.size = f, path, int64(len(info))
		if m := w.opts.Metrics; m != nil {
			m.ArchiveRecords.WithLabelValues(w.opts.Job, "warcinfo").Inc()
		}
		w.log.Debug("archive file begun", "file", path)
		return int64(len(info)), nil
	}
}

// warcinfo is the first record of each file: who wrote it, for which job.
func (w *Writer) warcinfo(name string) ([]byte, error) {
	libMu.Lock()
	b := gowarc.NewRecordBuilder(gowarc.Warcinfo, digestOpts...)
	// Written by hand: the library would capitalise the field names.
	fmt.Fprintf(b, "software: %s\r\nformat: WARC File Format 1.1\r\n", w.opts.Software)
	fmt.Fprintf(b, "conformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n")
	fmt.Fprintf(b, "isPartOf: %s\r\n", w.opts.Job)
	if w.host != "" {
		fmt.Fprintf(b, "hostname: %s\r\n", w.host)
	}
	b.AddWarcHeader(gowarc.WarcDate, warcDate(time.Now()))
	b.AddWarcHeader(gowarc.WarcFilename, name)
	b.AddWarcHeader(gowarc.ContentType, gowarc.ApplicationWarcFields)
	rec, _, err := b.Build()
	libMu.Unlock()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := w.marshal(&buf, rec); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// finish syncs, closes and renames the open file, then syncs the directory.
func (w *Writer) finish() error {
	f, path := w.f, w.path
	w.f, w.path, w.size = nil, "", 0
	if f == nil {
		return nil
	}
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	final := strings.TrimSuffix(path, OpenExt)
	if err := os.Rename(path, final); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err := syncDir(w.opts.Dir); err != nil {
		return fmt.Errorf("close %s: %w", final, err)
	}
	w.log.Debug("archive file finished", "file", final)
	return nil
}

// abandon drops a file that could not be repaired after a failed write: it
// stays open-named, and the next Open's Recover keeps its whole records.
func (w *Writer) abandon() {
	if w.f != nil {
		w.f.Close()
	}
	w.f, w.path, w.size = nil, "", 0
}

// Close finishes the open file. Archive returns ErrClosed afterwards.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	return w.finish()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
