// Package testwarc reads WARC files back in tests with an independent
// reader: webrecorder's warcio (warcio.js, run with node), installed in this
// directory's node_modules by `make deps`.
package testwarc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Record is what warcio read of one record.
type Record struct {
	File           string `json:"file"`
	Offset         int64  `json:"offset"`
	Type           string `json:"type"`
	ID             string `json:"id"`
	URI            string `json:"uri"`
	Date           string `json:"date"`
	ConcurrentTo   string `json:"concurrentTo"`
	RefersTo       string `json:"refersTo"`
	RefersToURI    string `json:"refersToURI"`
	RefersToDate   string `json:"refersToDate"`
	Profile        string `json:"profile"`
	PayloadDigest  string `json:"payloadDigest"`
	ComputedDigest string `json:"computedDigest"`
	Status         int    `json:"status"`
	PayloadLength  int    `json:"payloadLength"`
}

// dir is this package's source directory, where verify.mjs and
// node_modules/warcio are.
func dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// Read parses files with warcio and returns every record, in order. It
// fails the test when warcio cannot parse them. Without node or warcio the
// test is skipped, or failed when CI=true.
func Read(t testing.TB, files ...string) []Record {
	t.Helper()
	node, err := exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "node (apt-get install nodejs)"
	default:
		if _, err := os.Stat(filepath.Join(dir(), "node_modules", "warcio", "package.json")); err != nil {
			missing = "warcio (make deps installs it into internal/testwarc/node_modules)"
		}
	}
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing: the WARC files cannot be read back", missing)
		}
		t.Skipf("%s missing: WARC files not read back by warcio", missing)
	}
	cmd := exec.Command(node, append([]string{filepath.Join(dir(), "verify.mjs")}, files...)...)
	cmd.Dir = dir()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("warcio could not read %v: %v\n%s", files, err, stderr.String())
	}
	var recs []Record
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("warcio output %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}

// Check fails the test for every record whose stated payload digest is not
// the one computed from its payload, every response or revisit without a
// request record concurrent to it, and every revisit whose WARC-Refers-To
// names no response record among recs with the same URI and date.
func Check(t testing.TB, recs []Record) {
	t.Helper()
	byID := map[string]Record{}
	for _, r := range recs {
		byID[r.ID] = r
	}
	requestFor := map[string]bool{}
	for _, r := range recs {
		if r.Type == "request" {
			requestFor[r.ConcurrentTo] = true
		}
		if r.PayloadDigest != r.ComputedDigest {
			t.Errorf("%s %s %s: payload digest %q, computed %q", r.File, r.Type, r.URI, r.PayloadDigest, r.ComputedDigest)
		}
	}
	for _, r := range recs {
		switch r.Type {
		case "response":
			if r.PayloadDigest == "" {
				t.Errorf("%s response %s: no payload digest", r.File, r.URI)
			}
		case "revisit":
		default:
			continue
		}
		if !requestFor[r.ID] {
			t.Errorf("%s %s %s: no request record concurrent to it", r.File, r.Type, r.URI)
		}
		if r.Type != "revisit" {
			continue
		}
		orig, ok := byID[r.RefersTo]
		switch {
		case r.RefersTo == "":
			t.Errorf("%s revisit %s: no WARC-Refers-To", r.File, r.URI)
		case !ok:
			t.Errorf("%s revisit %s refers to %s, which is not in the archive", r.File, r.URI, r.RefersTo)
		case orig.Type != "response" || orig.URI != r.RefersToURI || orig.Date != r.RefersToDate || r.URI != orig.URI:
			t.Errorf("%s revisit %s (refers to %s %s) does not match its original: %s %s %s", r.File, r.URI, r.RefersToURI, r.RefersToDate, orig.Type, orig.URI, orig.Date)
		}
	}
}
