package archive

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nlnwa/gowarc/v3"
)

// TestRecordsAsLibraryBuildsThem holds the records Writer writes itself to
// the bytes gowarc's record builder and Marshaler make of the same exchange
// (same record IDs): header fields in the same order, Content-Length,
// block and payload digests, revisit fields and block.
func TestRecordsAsLibraryBuildsThem(t *testing.T) {
	gzBody := func() []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		io.WriteString(zw, page)
		zw.Close()
		return b.Bytes()
	}()
	date := time.Date(2026, 3, 4, 5, 6, 7, 890123456, time.UTC)
	tests := []struct {
		name string
		x    Exchange
	}{
		{"plain 200", exchange("http://news.example/2026/03/04/story.html?page=2", 200, "OK",
			http.Header{"Content-Type": {"text/html; charset=utf-8"}, "Etag": {`"v1"`}}, []byte(page), date, "127.0.0.1")},
		{"gzip-encoded 200", exchange("http://news.example/gz", 200, "OK",
			http.Header{"Content-Type": {"text/html"}, "Content-Encoding": {"gzip"}}, gzBody, date, "::1")},
		{"404 with empty body, no address", exchange("http://news.example/missing", 404, "Not Found",
			http.Header{"Content-Length": {"0"}}, nil, date, "")},
		{"no status text", exchange("http://news.example/teapot", 418, "",
			http.Header{}, []byte("short and stout"), date, "10.0.0.1")},
		{"304 of a known response", func() Exchange {
			x := exchange("http://news.example/a", 304, "Not Modified", http.Header{"Etag": {`"v1"`}}, nil, date, "127.0.0.1")
			x.RefersTo, x.RefersToDate = "urn:uuid:5f1b4f1a-7a53-4a53-9bd4-0c3b8c9a0b11", date.Add(-time.Hour)
			return x
		}()},
		{"304 of an unknown response", exchange("http://news.example/b", 304, "Not Modified",
			http.Header{"Etag": {`"v2"`}}, nil, date, "127.0.0.1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := Open(Options{Dir: dir, Job: "news", Software: "winnow/test"})
			if err != nil {
				t.Fatal(err)
			}
			id, err := w.Write(tt.x)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			files, err := Files([]string{dir})
			if err != nil || len(files) != 1 {
				t.Fatalf("files %v, %v", files, err)
			}
			members := gzipMembers(t, files[0])
			if len(members) != 3 {
				t.Fatalf("%d gzip members, want warcinfo, request, response", len(members))
			}
			reqID := recordID(t, members[1])
			if got := recordID(t, members[2]); got != id {
				t.Errorf("response record ID %s, Write returned %s", got, id)
			}
			want := libraryRecords(t, tt.x, reqID, id)
			if diff := cmp.Diff(string(want[0]), string(members[1])); diff != "" {
				t.Errorf("request record (-gowarc +written):\n%s", diff)
			}
			if diff := cmp.Diff(string(want[1]), string(members[2])); diff != "" {
				t.Errorf("response record (-gowarc +written):\n%s", diff)
			}
			strictRead(t, files...)
		})
	}
}

func exchange(u string, code int, text string, h http.Header, body []byte, date time.Time, ip string) Exchange {
	pu, _ := url.Parse(u)
	req := &http.Request{Method: http.MethodGet, URL: pu, Host: pu.Host,
		Header: http.Header{"User-Agent": {"winnow-test"}, "Accept-Encoding": {"gzip"}}}
	status := ""
	if text != "" {
		status = fmt.Sprintf("%d %s", code, text)
	}
	res := &http.Response{Proto: "HTTP/1.1", Status: status, StatusCode: code, Header: h}
	return Exchange{Request: req, Response: res, Body: body, Date: date, IP: ip}
}

// gzipMembers returns each gzip member of a file, uncompressed.
func gzipMembers(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	zr, err := gzip.NewReader(br)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for {
		zr.Multistream(false)
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
		if err := zr.Reset(br); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
	}
}

var recordIDField = regexp.MustCompile(`(?m)^WARC-Record-ID: <([^>]+)>\r$`)

func recordID(t *testing.T, rec []byte) string {
	t.Helper()
	m := recordIDField.FindSubmatch(rec)
	if m == nil {
		t.Fatalf("no WARC-Record-ID in %q", rec)
	}
	return string(m[1])
}

// libraryRecords builds the request and response (revisit) records of x
// with gowarc's record builder, as the archive wrote them before it wrote
// them itself, and marshals them with gowarc's Marshaler.
func libraryRecords(t *testing.T, x Exchange, reqID, respID string) [][]byte {
	t.Helper()
	libMu.Lock()
	defer libMu.Unlock()
	uri := x.Request.URL.String()

	res := x.Response
	b := gowarc.NewRecordBuilder(gowarc.Response, digestOpts...)
	var head bytes.Buffer
	if err := responseHead(&head, res); err != nil {
		t.Fatal(err)
	}
	b.Write(head.Bytes())
	b.Write(x.Body)
	b.AddWarcHeader(gowarc.WarcTargetURI, uri)
	b.AddWarcHeader(gowarc.WarcDate, warcDate(x.Date))
	b.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=response")
	if x.IP != "" {
		b.AddWarcHeader(gowarc.WarcIPAddress, x.IP)
	}
	b.AddWarcHeader(gowarc.WarcRecordID, "<"+respID+">")
	resp, _, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode == http.StatusNotModified {
		ref := &gowarc.RevisitRef{Profile: gowarc.ProfileServerNotModifiedV1_1, TargetRecordId: x.RefersTo, TargetUri: uri}
		if !x.RefersToDate.IsZero() {
			ref.TargetDate = warcDate(x.RefersToDate)
		}
		rev, err := resp.ToRevisitRecord(ref)
		resp.Close()
		if err != nil {
			t.Fatal(err)
		}
		rev.WarcHeader().Delete(gowarc.WarcPayloadDigest)
		rev.WarcHeader().Delete(gowarc.WarcTruncated)
		resp = rev
	}

	b = gowarc.NewRecordBuilder(gowarc.Request, digestOpts...)
	head.Reset()
	requestHead(&head, x.Request)
	b.Write(head.Bytes())
	b.AddWarcHeader(gowarc.WarcTargetURI, uri)
	b.AddWarcHeader(gowarc.WarcDate, warcDate(x.Date))
	b.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=request")
	b.AddWarcHeader(gowarc.WarcConcurrentTo, "<"+respID+">")
	b.AddWarcHeader(gowarc.WarcRecordID, "<"+reqID+">")
	req, _, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}

	var out [][]byte
	m := gowarc.NewMarshaler()
	for _, r := range []gowarc.WarcRecord{req, resp} {
		var buf bytes.Buffer
		if _, _, err := m.Marshal(&buf, r, 0); err != nil {
			t.Fatal(err)
		}
		r.Close()
		out = append(out, buf.Bytes())
	}
	return out
}
