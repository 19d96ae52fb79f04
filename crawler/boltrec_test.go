package crawler

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

// fullRecord has every field of Record set, by reflection, so that a
// field added to Record and forgotten by encodeRecord fails the tests.
func fullRecord(t *testing.T) Record {
	t.Helper()
	var rec Record
	v := reflect.ValueOf(&rec).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch {
		case v.Type().Field(i).Name == "SHA256":
			f.SetString(strings.Repeat("0123456789abcdef", 4))
		case f.Type() == reflect.TypeFor[time.Time]():
			f.Set(reflect.ValueOf(time.Date(2026, 11, 30, 12, 0, i, 123456789, time.UTC)))
		case f.Kind() == reflect.String:
			f.SetString(`"value of ` + v.Type().Field(i).Name + `"`)
		default:
			t.Fatalf("Record.%s (%s): not known to this test nor, likely, to encodeRecord", v.Type().Field(i).Name, f.Type())
		}
	}
	return rec
}

func TestRecordEncoding(t *testing.T) {
	full := fullRecord(t)
	local := time.FixedZone("CET", 3600)
	tests := []struct {
		name    string
		rec     Record
		compact bool // encoded in the compact form, not JSON
	}{
		{name: "empty", rec: Record{}, compact: true},
		{name: "every field", rec: full, compact: true},
		{name: "crawl record", rec: Record{SHA256: full.SHA256, OutputID: "0123456789abcdef", FetchedAt: time.Unix(1796065223, 5).UTC()}, compact: true},
		{name: "output id not of output.ID's form", rec: Record{OutputID: "0123456789ABCDEF", SHA256: full.SHA256}, compact: true},
		{name: "validators only", rec: Record{ETag: `W/"x"`, LastModified: "Mon, 02 Jan 2006 15:04:05 GMT"}, compact: true},
		{name: "short hash", rec: Record{SHA256: "ab", FetchedAt: time.Unix(100, 0).UTC()}},
		{name: "uppercase hash", rec: Record{SHA256: strings.ToUpper(full.SHA256)}},
		{name: "time with a zone", rec: Record{FetchedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, local)}},
		{name: "time beyond nanoseconds", rec: Record{WARCDate: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := encodeRecord(&tt.rec)
			if err != nil {
				t.Fatal(err)
			}
			if compact := v[0] != '{'; compact != tt.compact {
				t.Errorf("compact = %v, want %v (%q)", compact, tt.compact, v)
			}
			got, err := decodeRecord(v)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.rec, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if (got.FetchedAt.Location() == time.UTC) != (tt.rec.FetchedAt.Location() == time.UTC) {
				t.Errorf("FetchedAt %v, want %v", got.FetchedAt, tt.rec.FetchedAt)
			}
		})
	}
	// A crawl's record takes under half the bytes of its JSON (50 against 154).
	rec := tests[2].rec
	v, _ := encodeRecord(&rec)
	j, _ := encodeRecordJSON(&rec)
	if len(v)*2 > len(j) {
		t.Errorf("compact record %d bytes, JSON %d", len(v), len(j))
	}
}

func encodeRecordJSON(rec *Record) ([]byte, error) {
	c := *rec
	c.FetchedAt = c.FetchedAt.In(time.FixedZone("", 0)) // not UTC: encodeRecord falls back to JSON
	return encodeRecord(&c)
}

func TestRecordDecodeErrors(t *testing.T) {
	full := fullRecord(t)
	v, _ := encodeRecord(&full)
	for _, tt := range []struct {
		name string
		v    []byte
	}{
		{"empty", nil},
		{"unknown version", []byte{9, 0}},
		{"truncated hash", v[:20]},
		{"truncated string", v[:len(v)-1]},
		{"trailing bytes", append(v[:len(v):len(v)], 0)},
		{"bad JSON", []byte(`{"sha256":`)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decodeRecord(tt.v); err == nil {
				t.Errorf("decodeRecord(%q) = nil error", tt.v)
			}
		})
	}
}

func TestItemEncoding(t *testing.T) {
	hosts := map[uint64]string{7: "https://x.example", 8: "http://127.0.0.1:8080"}
	name := func(id uint64) (string, bool) { n, ok := hosts[id]; return n, ok }
	tests := []struct {
		name string
		it   Item
		host uint64
		size int // of the encoded item
	}{
		{name: "page", it: Item{URL: "https://x.example/"}, size: 3 + 18},
		{name: "page, host numbered", it: Item{URL: "https://x.example/"}, host: 7, size: 5},
		{name: "sitemap deep", it: Item{URL: "https://x.example/sitemap.xml.gz", Depth: 300, Kind: KindSitemap}, host: 7, size: 5 + 15},
		{name: "feed", it: Item{URL: "https://x.example/feed", Depth: 2, Kind: KindFeed}, size: 3 + 22},
		{name: "port", it: Item{URL: "http://127.0.0.1:8080/2026/01/02/a?b=c", Depth: 3}, host: 8, size: 4 + 17},
		{name: "no path", it: Item{URL: "http://127.0.0.1:8080"}, host: 8, size: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := encodeItem(tt.it, tt.host)
			if len(v) != tt.size {
				t.Errorf("encoded in %d bytes, want %d: %q", len(v), tt.size, v)
			}
			got, err := decodeItem(v, name)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.it, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
	for _, v := range []string{"", "\x01", "\x09\x00\x00u", "\x01\x00\x80", "\x02\x00\x00\x80", "\x02\x00\x00\x09/a"} {
		if _, err := decodeItem([]byte(v), name); err == nil {
			t.Errorf("decodeItem(%q) = nil error", v)
		}
	}
}

// TestBoltOlderStateFile opens a state file in the layouts older versions
// wrote (records and visited set keyed by URL, JSON values; a visited set
// keyed by urlKey), with a run left unfinished, and resumes it.
func TestBoltOlderStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	const (
		done    = "https://x.example/2026/01/02/done"
		queued  = "https://x.example/2026/01/02/queued"
		section = "https://x.example/section/"
		hashed  = "https://x.example/2026/01/02/hashed"
		sha     = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	)
	func() {
		db, err := bolt.Open(path, 0o644, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		err = db.Update(func(tx *bolt.Tx) error {
			jb, err := tx.CreateBucket([]byte("job/j"))
			if err != nil {
				return err
			}
			put := func(bucket, k, v string) {
				b, err := jb.CreateBucketIfNotExists([]byte(bucket))
				if err == nil {
					err = b.Put([]byte(k), []byte(v))
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			put("pages", done, `{"etag":"\"e1\"","sha256":"`+sha+`","output_id":"0123456789abcdef","fetched_at":"2026-11-30T18:00:00.5Z"}`)
			put("seen", done, "")
			put("seen", section, "")
			put("seen", queued, "")
			put("visited", string(urlKey(hashed)), "")
			put("frontier", string(seqKey(2)), `{"u":"`+section+`","d":1,"k":0}`)
			put("frontier", string(seqKey(3)), `{"u":"`+queued+`","d":2,"k":0}`)
			put("meta", "active", "2026-11-30T18:00:00Z")
			return jb.Bucket([]byte("frontier")).SetSequence(3) // the old run's NextSequence
		})
		if err != nil {
			t.Fatal(err)
		}
	}()

	s, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	resumed, n, err := s.BeginRun(ctx, "j")
	if err != nil || !resumed || n != 2 {
		t.Fatalf("BeginRun = %v, %d, %v; want a resumed run of 2 items", resumed, n, err)
	}
	front, err := s.Frontier(ctx, "j", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []Item{{Seq: 2, URL: section, Depth: 1}, {Seq: 3, URL: queued, Depth: 2}}
	if diff := cmp.Diff(want, front); diff != "" {
		t.Errorf("Frontier (-want +got):\n%s", diff)
	}
	wantRec := Record{ETag: `"e1"`, SHA256: sha, OutputID: "0123456789abcdef", FetchedAt: time.Date(2026, 11, 30, 18, 0, 0, 5e8, time.UTC)}
	rec, ok, err := s.Record(ctx, "j", done)
	if err != nil || !ok {
		t.Fatalf("Record of %s = %v, %v", done, ok, err)
	}
	if diff := cmp.Diff(wantRec, rec); diff != "" {
		t.Errorf("Record (-want +got):\n%s", diff)
	}
	// The old run's visited set still counts; a new URL is added.
	fresh := "https://x.example/2026/01/03/new"
	added, err := s.Done(ctx, "j", front[0], nil, []Item{{URL: done}, {URL: queued}, {URL: hashed}, {URL: fresh, Depth: 2}, {URL: fresh}})
	if err != nil || added != 1 {
		t.Fatalf("Done added %d, %v; want 1 (%s)", added, err, fresh)
	}
	// Rewriting the old record moves it, keeping its output id.
	if _, err := s.Done(ctx, "j", Item{Seq: 100, URL: done}, &Record{SHA256: sha, FetchedAt: time.Unix(1, 0).UTC()}, nil); err != nil {
		t.Fatal(err)
	}
	rec, _, err = s.Record(ctx, "j", done)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Record{SHA256: sha, OutputID: "0123456789abcdef", FetchedAt: time.Unix(1, 0).UTC()}, rec); diff != "" {
		t.Errorf("moved record (-want +got):\n%s", diff)
	}
	front, err = s.Frontier(ctx, "j", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Item{{Seq: 3, URL: queued, Depth: 2}, {Seq: 4, URL: fresh, Depth: 2}}, front); diff != "" {
		t.Errorf("Frontier after Done (-want +got):\n%s", diff)
	}
	if err := s.FinishRun(ctx, "j"); err != nil {
		t.Fatal(err)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		jb := tx.Bucket([]byte("job/j"))
		var got []string
		jb.ForEachBucket(func(k []byte) error { got = append(got, string(k)); return nil })
		if diff := cmp.Diff([]string{"meta", "records"}, got); diff != "" {
			t.Errorf("buckets after FinishRun (-want +got):\n%s", diff)
		}
		// The entry of the URL seen without a record is gone.
		if n := jb.Bucket(bucketRecords).Stats().KeyN; n != 1 {
			t.Errorf("records after FinishRun: %d entries, want 1", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A new run starts with an empty visited set.
	if resumed, _, err := s.BeginRun(ctx, "j"); err != nil || resumed {
		t.Fatalf("BeginRun after FinishRun = %v, %v", resumed, err)
	}
	if n, err := s.Enqueue(ctx, "j", []Item{{URL: done}, {URL: fresh}, {URL: done}}); err != nil || n != 2 {
		t.Errorf("Enqueue in a new run = %d, %v; want 2", n, err)
	}
	if n, err := s.Enqueue(ctx, "j", []Item{{URL: done}, {URL: fresh}}); err != nil || n != 0 {
		t.Errorf("Enqueue of seen URLs = %d, %v; want 0", n, err)
	}
	rec, ok, err = s.Record(ctx, "j", done)
	if err != nil || !ok || rec.OutputID != "0123456789abcdef" {
		t.Errorf("Record of a URL the run has seen = %+v, %v, %v", rec, ok, err)
	}
	if _, ok, err := s.Record(ctx, "j", fresh); err != nil || ok {
		t.Errorf("Record of a URL seen without a record = %v, %v; want none", ok, err)
	}
}
