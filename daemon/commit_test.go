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
	return &replicaOut{store: st, sink: sink, dir: dir, writer: name + ":" + dir}
}

func (r *replicaOut) write(t *testing.T, d cleaner.Document) output.Result {
	t.Helper()
	ctx := withCommit(context.Background(), r.store, "news", d.URL, r.writer, d)
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
			// restarted a writes it, b does not.
			d2 := article(2, "committed, never written")
			if ok, err := a.store.Commit(context.Background(), "news", d2.URL, output.ID(d2.CanonicalURL), sha(d2), a.writer); err != nil || !ok {
				t.Fatalf("commit: %v %v", ok, err)
			}
			if got := b.write(t, d2); got != output.Duplicate {
				t.Errorf("b after a's commit: %v, want duplicate", got)
			}
			if got := a.write(t, d2); got != output.Written {
				t.Errorf("a after its own commit: %v, want written", got)
			}
		})
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
						ctx := withCommit(context.Background(), r.store, "news", d.URL, r.writer, d)
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
