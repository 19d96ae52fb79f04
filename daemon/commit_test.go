package daemon

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"winnow/cleaner"
	"winnow/crawler"
	"winnow/internal/testredis"
	"winnow/output"
)

// replicaOut is one replica's store connection and output directory.
type replicaOut struct {
	store  *crawler.RedisStore
	sink   *output.Sink
	dir    string
	writer string
	format string
	grace  time.Duration // how old a claim must be to be taken over
}

func (r *replicaOut) claims(t *testing.T) writeClaims {
	t.Helper()
	vol, err := r.sink.VolumeID()
	if err != nil {
		t.Fatal(err)
	}
	return writeClaims{store: r.store, out: r.sink, writer: r.writer, volume: vol, grace: r.grace}
}

func newReplicaOut(t *testing.T, addr, format, name string) *replicaOut {
	t.Helper()
	st, err := crawler.NewRedis(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	dir := t.TempDir()
	sink, err := output.NewSink(dir, format)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	return &replicaOut{store: st, sink: sink, dir: dir, writer: name + ":" + dir, format: format, grace: time.Minute}
}

func (r *replicaOut) write(t *testing.T, d cleaner.Document) output.Result {
	t.Helper()
	ctx := withCommit(context.Background(), r.claims(t), "news", d.URL, d)
	res, err := r.sink.Write(ctx, "news", d)
	if err != nil {
		t.Fatalf("write %s: %v", d.URL, err)
	}
	return res
}

// urls lists the canonical URL of every document in the replica's output:
// each line of its jsonl files, or each file of the other formats.
func (r *replicaOut) urls(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(r.dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && e.IsDir() && e.Name() == ".winnow" {
			return filepath.SkipDir // the volume id
		}
		if err != nil || e.IsDir() || e.Name() == output.ManifestName || filepath.Ext(p) == ".tmp" {
			return err
		}
		if filepath.Ext(p) != ".jsonl" {
			out = append(out, strings.TrimSuffix(e.Name(), filepath.Ext(p)))
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			var rec struct {
				CanonicalURL string `json:"canonical_url"`
			}
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			out = append(out, output.ID(rec.CanonicalURL))
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func article(i int, text string) cleaner.Document {
	u := fmt.Sprintf("https://news.example/2025/03/04/story-%d.html", i)
	return cleaner.Document{URL: u, CanonicalURL: u, Title: fmt.Sprintf("Story %d", i), Paragraphs: []string{text}, FetchedAt: time.Date(2025, 3, 4, 12, 0, 0, 0, time.UTC)}
}

// TestCommitWriteOnce runs two replicas' sinks against a real redis-server:
// in every format, including jsonl, a document is written by one replica
// only, a changed text by whichever gets it, and a writer whose earlier
// commit never reached its output (killed between the two) writes it.
func TestCommitWriteOnce(t *testing.T) {
	for _, format := range []string{"txt", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			srv := testredis.Start(t)
			a := newReplicaOut(t, srv.Addr, format, "a")
			b := newReplicaOut(t, srv.Addr, format, "b")

			steps := []struct {
				name string
				by   *replicaOut
				doc  cleaner.Document
				want output.Result
			}{
				{name: "a writes", by: a, doc: article(1, "first text"), want: output.Written},
				{name: "b got the same page", by: b, doc: article(1, "first text"), want: output.Duplicate},
				{name: "a again", by: a, doc: article(1, "first text"), want: output.Unchanged},
				{name: "b gets the changed article", by: b, doc: article(1, "second text"), want: output.Written},
				{name: "a got the changed one too", by: a, doc: article(1, "second text"), want: output.Duplicate},
			}
			for _, st := range steps {
				if got := st.by.write(t, st.doc); got != st.want {
					t.Errorf("%s: %v, want %v", st.name, got, st.want)
				}
			}
			one := output.ID(article(1, "").CanonicalURL)
			if diff := cmp.Diff([]string{one}, a.urls(t)); diff != "" {
				t.Errorf("a's documents (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{one}, b.urls(t)); diff != "" {
				t.Errorf("b's documents (-want +got):\n%s", diff)
			}

			// a committed article 2 and died before its output had it: a
			// restarted a writes it; b, seeing a's output lack it after
			// a's claim is a lease old, writes it once, and a, restarted
			// after that, does not.
			d2 := article(2, "committed, never written")
			a.claimOnly(t, d2, a.claims(t))
			if got := a.write(t, d2); got != output.Written {
				t.Errorf("a after its own commit: %v, want written", got)
			}
			d3 := article(3, "committed, then the writer died")
			a.claimOnly(t, d3, a.claims(t))
			b.grace = 300 * time.Millisecond
			start := time.Now()
			if got := b.write(t, d3); got != output.Written {
				t.Errorf("b after a died between commit and rename: %v, want written", got)
			}
			if waited := time.Since(start); waited < b.grace/2 {
				t.Errorf("b took over a fresh claim at once (%v): it must wait for the claim to be a lease old", waited)
			}
			if got := a.write(t, d3); got != output.Duplicate {
				t.Errorf("a, restarted, after b took over: %v, want duplicate", got)
			}

			// A claim whose writer's output is out of reach (another
			// machine's own disk): b cannot tell it was lost, and does
			// not write it.
			d4 := article(4, "claimed on another machine")
			far := a.claims(t)
			far.volume = "elsewhere"
			a.claimOnly(t, d4, far)
			if got := b.write(t, d4); got != output.Duplicate {
				t.Errorf("b after a claim out of reach: %v, want duplicate", got)
			}

			// A fresh claim whose writer is only slow: b waits, sees the
			// document arrive in a's output, and does not write it.
			d5 := article(5, "claimed, renamed a moment later")
			a.claimOnly(t, d5, a.claims(t))
			b.grace = 3 * time.Second
			got := make(chan output.Result, 1)
			go func() { got <- b.write(t, d5) }()
			time.Sleep(200 * time.Millisecond)
			if res := a.write(t, d5); res != output.Written {
				t.Errorf("a writing its claimed document: %v, want written", res)
			}
			if res := <-got; res != output.Duplicate {
				t.Errorf("b after a wrote its claim: %v, want duplicate", res)
			}
			for _, d := range []cleaner.Document{d2, d3, d4, d5} {
				n := 0
				for _, r := range []*replicaOut{a, b} {
					for _, id := range r.urls(t) {
						if id == output.ID(d.CanonicalURL) {
							n++
						}
					}
				}
				if want := map[bool]int{true: 0, false: 1}[d.URL == d4.URL]; n != want {
					t.Errorf("%s written %d times, want %d", d.Title, n, want)
				}
			}
		})
	}
}

// claimOnly commits d for r as w says and stops there, as a replica killed
// between its commit and its rename does.
func (r *replicaOut) claimOnly(t *testing.T, d cleaner.Document, w writeClaims) {
	t.Helper()
	rel := output.RelPath(d.CanonicalURL, r.format)
	if r.format == "jsonl" {
		rel = "news/" + d.FetchedAt.UTC().Format(time.DateOnly) + ".jsonl"
	}
	sum := sha256.Sum256([]byte(d.Text()))
	cw := crawler.Write{ID: output.ID(d.CanonicalURL), SHA: hex.EncodeToString(sum[:]), Writer: w.writer, Volume: w.volume, Rel: rel}
	if ok, _, err := r.store.Commit(context.Background(), "news", d.URL, cw); err != nil || !ok {
		t.Fatalf("commit %s: %v %v", d.URL, ok, err)
	}
}

// TestCommitWriteOnceConcurrent: two replicas write the same 40 articles
// at once; across their outputs each is written exactly once.
func TestCommitWriteOnceConcurrent(t *testing.T) {
	for _, format := range []string{"txt", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			srv := testredis.Start(t)
			reps := []*replicaOut{newReplicaOut(t, srv.Addr, format, "a"), newReplicaOut(t, srv.Addr, format, "b")}
			const n = 40
			var wg sync.WaitGroup
			for _, r := range reps {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range n {
						d := article(i, fmt.Sprintf("text of story %d", i))
						ctx := withCommit(context.Background(), r.claims(t), "news", d.URL, d)
						if _, err := r.sink.Write(ctx, "news", d); err != nil {
							t.Errorf("write %s: %v", d.URL, err)
						}
					}
				}()
			}
			wg.Wait()
			count := map[string]int{}
			for _, r := range reps {
				for _, id := range r.urls(t) {
					count[id]++
				}
			}
			for i := range n {
				if id := output.ID(article(i, "").CanonicalURL); count[id] != 1 {
					t.Errorf("story %d written %d times", i, count[id])
				}
			}
			if len(count) != n {
				t.Errorf("%d distinct documents, want %d", len(count), n)
			}
		})
	}
}

// sha is the text hash withCommit commits for d.
func sha(d cleaner.Document) string {
	s := sha256.Sum256([]byte(d.Text()))
	return hex.EncodeToString(s[:])
}
