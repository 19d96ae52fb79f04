package output

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// docFiles lists the documents under dir (every regular file but the
// manifest and temporary files), relative to dir.
func docFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == ManifestName || filepath.Ext(p) == ".tmp" {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSinkCommitHook: every format asks the commit hook before a document
// becomes visible (the rename, or the jsonl line's append), and a refusal
// or an error leaves nothing behind; an unchanged document does not ask.
func TestSinkCommitHook(t *testing.T) {
	boom := errors.New("redis on fire")
	steps := []struct {
		name      string
		answer    bool
		err       error
		want      Result
		wantErr   error
		wantAsked int
		visible   bool // the document is written
	}{
		{name: "committed", answer: true, want: Written, wantAsked: 1, visible: true},
		{name: "another writer has it", answer: false, want: Duplicate, wantAsked: 1},
		{name: "commit fails", err: boom, wantErr: boom, wantAsked: 1},
	}
	for _, format := range []string{"txt", "json", "markdown", "jsonl"} {
		for _, st := range steps {
			t.Run(format+"/"+st.name, func(t *testing.T) {
				dir := t.TempDir()
				s := newSink(t, dir, format)
				asked := 0
				ctx := WithCommit(context.Background(), func() (bool, error) {
					asked++
					return st.answer, st.err
				})
				d := fetched(doc("https://a.example/1", "alpha one", "alpha two"))
				got, err := s.Write(ctx, "news", d)
				if !errors.Is(err, st.wantErr) || (err == nil && got != st.want) {
					t.Fatalf("Write = %v, %v; want %v, %v", got, err, st.want, st.wantErr)
				}
				if asked != st.wantAsked {
					t.Errorf("hook asked %d times, want %d", asked, st.wantAsked)
				}
				files, lines := docFiles(t, dir), readManifest(t, dir)
				if !st.visible {
					if len(files) > 0 || len(lines) > 0 {
						t.Errorf("not committed, yet documents %v and %d manifest lines", files, len(lines))
					}
				} else {
					if len(files) != 1 || len(lines) != 1 {
						t.Fatalf("committed: documents %v and %d manifest lines, want one of each", files, len(lines))
					}
					if format == "jsonl" {
						recs := readLines(t, filepath.Join(dir, files[0]))
						if diff := cmp.Diff([]string{"https://a.example/1"}, []string{recs[0].URL}); len(recs) != 1 || diff != "" {
							t.Errorf("jsonl lines %+v", recs)
						}
					}
					// The same text again is unchanged: nothing to commit.
					if got, err := s.Write(ctx, "news", d); err != nil || got != Unchanged {
						t.Errorf("again: %v, %v; want unchanged", got, err)
					}
					if asked != 1 {
						t.Errorf("an unchanged document asked the hook (%d times)", asked)
					}
				}
				if tmp := leftovers(t, dir); len(tmp) > 0 {
					t.Errorf("temporary files left: %v", tmp)
				}
			})
		}
	}
}
