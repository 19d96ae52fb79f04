package archive

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A body larger than the reader's buffers comes back whole.
func TestLargeBodyReadBack(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(Options{Dir: dir, Job: "news"})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(strings.Repeat("<p>A paragraph of a long article, repeated to make it large.</p>\n", 2000))
	req, _ := http.NewRequest(http.MethodGet, "http://news.example/long.html", nil)
	res := &http.Response{StatusCode: 200, Proto: "HTTP/1.1", Header: http.Header{"Content-Type": {"text/html"}}}
	if _, err := w.Archive(req, res, body, time.Now(), "", "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := Files([]string{dir})
	n := 0
	err = ReadResponses(files[0], func(r Response) error {
		n++
		if !bytes.Equal(r.Body, body) {
			t.Errorf("body: %d bytes read back, want %d", len(r.Body), len(body))
		}
		return nil
	})
	if err != nil || n != 1 {
		t.Fatalf("ReadResponses: %d responses, %v", n, err)
	}
	strictRead(t, files...)
}
