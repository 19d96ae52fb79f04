package archive

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nlnwa/gowarc/v3"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"winnow/internal/testwarc"
	"winnow/metrics"
)

const page = `<html><head><title>A page</title></head><body><p>Some text of the page.</p></body></html>`

// serve answers /gz gzip-encoded, /plain as is, and /etag with an ETag and
// a 304 to a request that has it.
func serve(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/gz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, page)
		zw.Close()
	})
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	})
	mux.HandleFunc("/etag", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// fetch does one real request and returns the exchange as the crawler's
// tap hands it over: the body as received (no transparent gunzip).
func fetch(t *testing.T, u string, hdr http.Header) Exchange {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "winnow-test")
	req.Header.Set("Accept-Encoding", "gzip")
	date := time.Now()
	res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Exchange{Request: req, Response: res, Body: body, Date: date, IP: "127.0.0.1"}
}

func archiveFiles(t *testing.T, dir string) (finished, open []string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		switch {
		case strings.HasSuffix(e.Name(), Ext):
			finished = append(finished, p)
		case strings.HasSuffix(e.Name(), Ext+OpenExt):
			open = append(open, p)
		default:
			t.Errorf("stray file %s", p)
		}
	}
	return finished, open
}

// strictRead reads every record of files with gowarc, validating syntax,
// Content-Length and the block and payload digests, and returns the types.
func strictRead(t *testing.T, files ...string) []string {
	t.Helper()
	var types []string
	for _, f := range files {
		r, err := gowarc.NewWarcFileReader(f, 0, gowarc.WithStrictValidation())
		if err != nil {
			t.Fatal(err)
		}
		for {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if _, err := rec.WarcRecord.ValidateDigest(); err != nil {
				t.Errorf("%s %s: %v", f, rec.WarcRecord, err)
			}
			types = append(types, rec.WarcRecord.Type().String())
			rec.WarcRecord.Close()
		}
		r.Close()
	}
	return types
}

func TestWriteReadBack(t *testing.T) {
	site := serve(t)
	dir := t.TempDir()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	w, err := Open(Options{Dir: dir, Job: "news", Software: "winnow/test", Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	gz := fetch(t, site.URL+"/gz", nil)
	plain := fetch(t, site.URL+"/plain", nil)
	first := fetch(t, site.URL+"/etag", nil)
	again := fetch(t, site.URL+"/etag", http.Header{"If-None-Match": {`"v1"`}})
	if again.Response.StatusCode != http.StatusNotModified {
		t.Fatalf("second /etag: %d, want 304", again.Response.StatusCode)
	}
	for _, x := range []Exchange{gz, plain} {
		if _, err := w.Write(x); err != nil {
			t.Fatal(err)
		}
	}
	firstID, err := w.Write(first)
	if err != nil {
		t.Fatal(err)
	}
	again.RefersTo, again.RefersToDate = firstID, first.Date
	if _, err := w.Write(again); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}

	files, open := archiveFiles(t, dir)
	if len(files) != 1 || len(open) != 0 {
		t.Fatalf("files %v, open %v: want one finished file", files, open)
	}
	wantTypes := []string{"warcinfo", "request", "response", "request", "response", "request", "response", "request", "revisit"}
	if diff := cmp.Diff(wantTypes, strictRead(t, files...)); diff != "" {
		t.Errorf("record types (-want +got):\n%s", diff)
	}

	recs := testwarc.Read(t, files...)
	testwarc.Check(t, recs)
	if len(recs) != len(wantTypes) {
		t.Fatalf("warcio read %d records, want %d", len(recs), len(wantTypes))
	}
	rev := recs[8]
	if rev.Profile != gowarc.ProfileServerNotModifiedV1_1 || rev.Status != 304 || rev.RefersTo != "<"+firstID+">" {
		t.Errorf("revisit: %+v", rev)
	}

	var got []string
	err = ReadResponses(files[0], func(r Response) error {
		got = append(got, r.URI)
		if r.Job != "news" || r.Status != 200 || r.Date.IsZero() {
			t.Errorf("%s: job %q, status %d, date %v", r.URI, r.Job, r.Status, r.Date)
		}
		want := plain.Body
		if strings.HasSuffix(r.URI, "/gz") {
			want = gz.Body // still gzipped, as received
			if r.Header.Get("Content-Encoding") != "gzip" {
				t.Errorf("/gz header %v", r.Header)
			}
		}
		if !bytes.Equal(r.Body, want) {
			t.Errorf("%s: body %q, want %q", r.URI, r.Body, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{site.URL + "/gz", site.URL + "/plain", site.URL + "/etag"}, got); diff != "" {
		t.Errorf("responses (-want +got):\n%s", diff)
	}

	for typ, want := range map[string]float64{"warcinfo": 1, "request": 4, "response": 3, "revisit": 1} {
		if got := testutil.ToFloat64(m.ArchiveRecords.WithLabelValues("news", typ)); got != want {
			t.Errorf("winnow_archive_records_total{type=%q} = %v, want %v", typ, got, want)
		}
	}
	fi, _ := os.Stat(files[0])
	if got := testutil.ToFloat64(m.ArchiveBytes.WithLabelValues("news")); got != float64(fi.Size()) {
		t.Errorf("winnow_archive_bytes_total = %v, want the file's size %d", got, fi.Size())
	}
}

func TestRotationAndNames(t *testing.T) {
	site := serve(t)
	dir := t.TempDir()
	w, err := Open(Options{Dir: dir, Job: "world news", MaxSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := w.Write(fetch(t, site.URL+"/plain", nil)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files, open := archiveFiles(t, dir)
	if len(files) != 3 || len(open) != 0 {
		t.Fatalf("files %v, open %v: want 3 finished files", files, open)
	}
	// Heritrix: prefix-timestamp17-serial-pid~host.warc.gz
	name := regexp.MustCompile(`^world_news-\d{17}-(\d{5})-\d+~[A-Za-z0-9._-]*\.warc\.gz$`)
	for i, f := range files {
		m := name.FindStringSubmatch(filepath.Base(f))
		if m == nil {
			t.Errorf("%s: not named prefix-timestamp-serial-pid~host.warc.gz", filepath.Base(f))
			continue
		}
		if m[1] != []string{"00000", "00001", "00002"}[i] {
			t.Errorf("%s: serial %s, want %d", f, m[1], i)
		}
		if diff := cmp.Diff([]string{"warcinfo", "request", "response"}, strictRead(t, f)); diff != "" {
			t.Errorf("%s records (-want +got):\n%s", f, diff)
		}
	}
	testwarc.Check(t, testwarc.Read(t, files...))
}

// A file left open by a killed process is finished by the next Open: its
// whole records are kept, the torn one cut off. A file with nothing after
// its warcinfo is removed, and a file another writer holds is left alone.
func TestRecoverOpenFiles(t *testing.T) {
	site := serve(t)
	dir := t.TempDir()
	w, err := Open(Options{Dir: dir, Job: "news"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for range 2 {
		if _, err := w.Write(fetch(t, site.URL+"/plain", nil)); err != nil {
			t.Fatal(err)
		}
	}
	_, open := archiveFiles(t, dir)
	if len(open) != 1 {
		t.Fatalf("open files %v, want the writer's one", open)
	}
	live, err := os.ReadFile(open[0])
	if err != nil {
		t.Fatal(err)
	}
	info, _ := w.warcinfo("x")
	crashed := filepath.Join(dir, "news-20260101000000000-00000-1~h"+Ext+OpenExt)
	torn := append(append([]byte{}, live...), live[len(info):len(info)+40]...) // half a record
	if err := os.WriteFile(crashed, torn, 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "news-20260101000000000-00001-1~h"+Ext+OpenExt)
	if err := os.WriteFile(empty, append(append([]byte{}, info...), 0x1f), 0o644); err != nil {
		t.Fatal(err)
	}

	n, err := Recover(dir, nil)
	if err != nil || n != 1 {
		t.Fatalf("Recover = %d, %v; want 1 file finished", n, err)
	}
	files, open2 := archiveFiles(t, dir)
	want := strings.TrimSuffix(crashed, OpenExt)
	if diff := cmp.Diff([]string{want}, files); diff != "" {
		t.Errorf("finished files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(open, open2); diff != "" {
		t.Errorf("the live writer's file must stay open (-want +got):\n%s", diff)
	}
	got, _ := os.ReadFile(want)
	if !bytes.Equal(got, live) {
		t.Errorf("finished file has %d bytes, want the %d of its whole records", len(got), len(live))
	}
	if diff := cmp.Diff([]string{"warcinfo", "request", "response", "request", "response"}, strictRead(t, want)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	testwarc.Check(t, testwarc.Read(t, want))
}
