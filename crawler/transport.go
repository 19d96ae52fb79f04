package crawler

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// Sentinel fetch errors; Reason maps them to metric reasons.
var (
	// ErrTooLarge: the body (after decoding) is over Options.MaxBody.
	ErrTooLarge = errors.New("response body too large")
	// ErrPrivateAddress: the host resolved to an address the SSRF guard refuses.
	ErrPrivateAddress = errors.New("refusing private address")
	// ErrRobots: robots.txt disallows the URL.
	ErrRobots = errors.New("disallowed by robots.txt")
	// ErrTooManyRedirects: more than maxRedirects hops.
	ErrTooManyRedirects = errors.New("stopped after 10 redirects")
	// ErrOffScope: a redirect led outside the job's scope (allow, deny, or
	// the sources' hosts); the page is dropped, as a link there would be.
	ErrOffScope = errors.New("redirect outside the job's scope")
)

const maxRedirects = 10

// Reason maps a fetch error to the reason label of winnow_fetch_errors_total.
func Reason(err error) string {
	var (
		dnsErr   *net.DNSError
		netErr   net.Error
		recErr   tls.RecordHeaderError
		certErr  *tls.CertificateVerificationError
		alertErr tls.AlertError
		uaErr    x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		invErr   x509.CertificateInvalidError
	)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case errors.Is(err, ErrPrivateAddress):
		return "private_address"
	case errors.Is(err, ErrRobots):
		return "robots"
	case errors.As(err, &dnsErr):
		return "dns"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.As(err, &recErr), errors.As(err, &certErr), errors.As(err, &alertErr),
		errors.As(err, &uaErr), errors.As(err, &hostErr), errors.As(err, &invErr):
		return "tls"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	}
	return "other"
}

// addrGuard decides whether the crawler may connect to an address.
type addrGuard func(netip.AddrPort) bool

// publicOnly refuses loopback, private, link-local, multicast and
// unspecified addresses.
func publicOnly(ap netip.AddrPort) bool {
	a := ap.Addr().Unmap()
	return !(a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified())
}

// dialControl checks the resolved address of every connection, so redirects
// and DNS answers pointing inside are refused too.
func dialControl(allow addrGuard) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("dial %s: %w", address, err)
		}
		if !allow(ap) {
			return fmt.Errorf("dial %s: %w", address, ErrPrivateAddress)
		}
		return nil
	}
}

// newTransport builds the HTTP transport: guarded dialer, no proxy (a proxy
// would bypass the guard), and bodies decoded and limited by limitBody.
func newTransport(timeout time.Duration, parallel int, maxBody int64, allow addrGuard) *limitBody {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if allow != nil {
		d.Control = dialControl(allow)
	}
	base := &http.Transport{
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   max(parallel, 2),
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	return &limitBody{base: base, max: maxBody}
}

// limitBody decodes gzip itself (so the limit applies to the decoded bytes:
// a gzip bomb fails with ErrTooLarge) and fails a read past max.
type limitBody struct {
	base http.RoundTripper
	max  int64
}

func (t *limitBody) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Accept-Encoding") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("Accept-Encoding", "gzip")
	}
	res, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if t.max > 0 && res.ContentLength > t.max && res.Header.Get("Content-Encoding") == "" {
		res.Body.Close()
		return nil, fmt.Errorf("%d bytes over %d: %w", res.ContentLength, t.max, ErrTooLarge)
	}
	enc := strings.ToLower(res.Header.Get("Content-Encoding"))
	ctype := strings.ToLower(res.Header.Get("Content-Type"))
	raw := res.Body
	var r io.Reader = raw
	if strings.Contains(enc, "gzip") || (enc == "" && (strings.Contains(ctype, "gzip") || strings.HasSuffix(strings.ToLower(req.URL.Path), ".gz"))) {
		br := bufio.NewReader(raw)
		r = br
		if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
			zr, err := gzip.NewReader(br)
			if err != nil {
				raw.Close()
				return nil, fmt.Errorf("gzip body of %s: %w", req.URL, err)
			}
			r = zr
		}
		res.Header.Del("Content-Encoding")
		res.Header.Del("Content-Length")
		res.ContentLength = -1
	}
	res.Uncompressed = true
	res.Body = &limitedReader{r: r, c: raw, left: t.max}
	return res, nil
}

type limitedReader struct {
	r    io.Reader
	c    io.Closer
	left int64 // <= 0 at start: no limit
	seen int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.seen += int64(n)
	if l.left > 0 && l.seen > l.left {
		return n, fmt.Errorf("more than %d bytes: %w", l.left, ErrTooLarge)
	}
	return n, err
}

func (l *limitedReader) Close() error { return l.c.Close() }
