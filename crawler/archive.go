package crawler

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/html/charset"
)

// Archiver keeps the raw HTTP exchanges of a crawl (archive.Writer, a
// WARC writer). Archive is called once per response whose body was read
// to its end, from the fetching goroutine, possibly from several at once.
// body is the body as received: still content-encoded, transfer-decoded;
// it is only read during the call (its memory is reused afterwards).
// A 304 is archived as a revisit of the response record origID (written at
// origDate); origID is "" when unknown. It returns the ID of the record
// holding the response.
type Archiver interface {
	Archive(req *http.Request, res *http.Response, body []byte, date time.Time, ip, origID string, origDate time.Time) (string, error)
}

// archiveCallHeader carries a fetch's call number from fetch to the tap
// through colly, which has no per-request context; the tap removes it, so
// it is never sent.
const archiveCallHeader = "X-Winnow-Archive-Call"

// warcRef names the archive record holding a response.
type warcRef struct {
	id   string
	date time.Time
	url  string
}

// archiveTap sits under the body-decoding transport and hands every
// exchange, with the body as received, to the Archiver.
type archiveTap struct {
	base  http.RoundTripper
	arch  Archiver
	log   *slog.Logger
	calls sync.Map // call number -> *archiveCall
	next  atomic.Uint64
	// bufs holds body copies for reuse: a copy is only needed until its
	// exchange is archived, and growing a fresh buffer for every page
	// allocated more than the archive itself. A channel, not a sync.Pool,
	// which drops what a garbage collection finds unused.
	bufs chan *bytes.Buffer
}

// newArchiveTap returns a tap handing exchanges to arch; parallel is how
// many requests the crawl makes at once (as many body copies are kept for
// reuse).
func newArchiveTap(arch Archiver, log *slog.Logger, parallel int) *archiveTap {
	return &archiveTap{arch: arch, log: log, bufs: make(chan *bytes.Buffer, max(parallel, 1))}
}

// archiveCall is one fetch (its retries and redirects included).
type archiveCall struct {
	key  string
	orig warcRef // for a 304: the record it confirms

	mu   sync.Mutex
	last warcRef // the last response archived
}

// begin registers a fetch; nil when nothing is archived.
func (t *archiveTap) begin(orig warcRef) *archiveCall {
	if t == nil {
		return nil
	}
	c := &archiveCall{key: strconv.FormatUint(t.next.Add(1), 10), orig: orig}
	t.calls.Store(c.key, c)
	return c
}

// end forgets the fetch.
func (t *archiveTap) end(c *archiveCall) {
	if c != nil {
		t.calls.Delete(c.key)
	}
}

// result returns the last response archived so far.
func (c *archiveCall) result() warcRef {
	if c == nil {
		return warcRef{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// mark tags a request's header with the call.
func (c *archiveCall) mark(h http.Header) {
	if c != nil {
		h.Set(archiveCallHeader, c.key)
	}
}

func (t *archiveTap) RoundTrip(req *http.Request) (*http.Response, error) {
	var call *archiveCall
	if key := req.Header.Get(archiveCallHeader); key != "" {
		if v, ok := t.calls.Load(key); ok {
			call = v.(*archiveCall)
		}
		req = req.Clone(req.Context())
		req.Header.Del(archiveCallHeader)
	}
	tb := &tapBody{tap: t, call: call, req: req, date: time.Now().UTC()}
	trace := &httptrace.ClientTrace{GotConn: func(ci httptrace.GotConnInfo) {
		if a, ok := ci.Conn.RemoteAddr().(*net.TCPAddr); ok {
			tb.ip = a.IP.String()
		}
	}}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	res, err := t.base.RoundTrip(req)
	if err != nil {
		return res, err
	}
	tb.res, tb.body = res, res.Body
	select {
	case tb.buf = <-t.bufs:
		tb.buf.Reset()
	default:
		tb.buf = new(bytes.Buffer)
	}
	if n := res.ContentLength; n > 0 && n <= maxTapGrow {
		tb.buf.Grow(int(n))
	}
	res.Body = tb
	return res, nil
}

// maxTapGrow bounds the size announced by Content-Length that a copy is
// grown to before the body is read; maxTapPooled the copies kept for reuse
// (what they keep alive counts against the crawl's soft memory limit).
const (
	maxTapGrow   = 8 << 20
	maxTapPooled = 256 << 10
)

// tapBody copies the body as it is read and archives the exchange when the
// read reaches its end. A body closed before its end (too large, aborted) is
// not archived.
type tapBody struct {
	tap  *archiveTap
	call *archiveCall
	req  *http.Request
	res  *http.Response
	body io.ReadCloser
	date time.Time
	ip   string

	mu  sync.Mutex    // a Close may come while a Read is under way
	buf *bytes.Buffer // nil once archived or closed
}

func (b *tapBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf != nil {
		b.buf.Write(p[:n])
		if errors.Is(err, io.EOF) {
			b.archive()
			b.release()
		}
	}
	return n, err
}

func (b *tapBody) Close() error {
	b.mu.Lock()
	b.release()
	b.mu.Unlock()
	return b.body.Close()
}

// release hands the copy back for reuse; b.mu is held.
func (b *tapBody) release() {
	if b.buf != nil && b.buf.Cap() <= maxTapPooled {
		select {
		case b.tap.bufs <- b.buf:
		default:
		}
	}
	b.buf = nil
}

func (b *tapBody) archive() {
	var orig warcRef
	if b.call != nil {
		orig = b.call.orig
	}
	uri := b.req.URL.String()
	id, err := b.tap.arch.Archive(b.req, b.res, b.buf.Bytes(), b.date, b.ip, orig.id, orig.date)
	if err != nil {
		b.tap.log.Error("archive failed", "url", uri, "err", err)
		return
	}
	if b.call != nil {
		b.call.mu.Lock()
		b.call.last = warcRef{id: id, date: b.date, url: uri}
		b.call.mu.Unlock()
	}
}

// ArchivedPage turns an archived response back into the Page the crawler
// made of it: the body gunzipped and converted to UTF-8 by its header's
// charset, as the transport and colly do on a fetch. url is the address
// requested (before redirects), finalURL the response's.
func ArchivedPage(url, finalURL string, status int, header http.Header, body []byte, fetchedAt time.Time) (Page, error) {
	h := header.Clone()
	enc := strings.ToLower(h.Get("Content-Encoding"))
	ctype := strings.ToLower(h.Get("Content-Type"))
	if strings.Contains(enc, "gzip") || (enc == "" && strings.Contains(ctype, "gzip")) {
		if len(body) >= 2 && body[0] == 0x1f && body[1] == 0x8b {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				return Page{}, fmt.Errorf("gunzip %s: %w", finalURL, err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				return Page{}, fmt.Errorf("gunzip %s: %w", finalURL, err)
			}
		}
		h.Del("Content-Encoding")
		h.Del("Content-Length")
	}
	if ct := h.Get("Content-Type"); charsetConverted(ct) && len(body) > 0 {
		r, err := charset.NewReader(bytes.NewReader(body), ct)
		if err != nil {
			return Page{}, fmt.Errorf("decode %s: %w", finalURL, err)
		}
		if body, err = io.ReadAll(r); err != nil {
			return Page{}, fmt.Errorf("decode %s: %w", finalURL, err)
		}
		h.Set("Content-Type", withUTF8(ct))
	}
	return Page{URL: url, FinalURL: finalURL, Status: status, Header: h, Body: body, FetchedAt: fetchedAt}, nil
}
