package output

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"winnow/cleaner"
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
				asked, gotRel := 0, ""
				ctx := WithCommit(context.Background(), func(rel string) (bool, error) {
					asked++
					gotRel = rel
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
					if gotRel != files[0] {
						t.Errorf("hook told the document goes to %q; it went to %q", gotRel, files[0])
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

// TestHeldIn: another writer's output is read only on the volume it
// named; it holds a document when the file (or a whole jsonl line) has
// the document's URL with the same text.
func TestHeldIn(t *testing.T) {
	for _, format := range []string{"txt", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			other := t.TempDir()
			theirs := newSink(t, other, format)
			vol, err := theirs.VolumeID()
			if err != nil {
				t.Fatal(err)
			}
			if again, err := theirs.VolumeID(); err != nil || again != vol {
				t.Fatalf("volume id changed: %q then %q (%v)", vol, again, err)
			}
			written := fetched(doc("https://a.example/1", "alpha one", "alpha two"))
			rel := ""
			ctx := WithCommit(context.Background(), func(r string) (bool, error) { rel = r; return true, nil })
			if _, err := theirs.Write(ctx, "news", written); err != nil {
				t.Fatal(err)
			}
			if format == "jsonl" {
				// A torn line of another document with the same text.
				f, err := os.OpenFile(filepath.Join(other, filepath.FromSlash(rel)), os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				f.WriteString(`{"url":"https://a.example/2","canonical_url":"https://a.example/2","sha256":"`)
				f.Close()
			}
			mine := newSink(t, t.TempDir(), format)
			type heldCase struct {
				name            string
				volume, rel     string
				doc             cleaner.Document
				held, reachable bool
			}
			tests := []heldCase{
				{name: "written", volume: vol, rel: rel, doc: written, held: true, reachable: true},
				{name: "other text", volume: vol, rel: rel, doc: fetched(doc("https://a.example/1", "alpha one, changed")), reachable: true},
				{name: "another volume", volume: "elsewhere", rel: rel, doc: written},
				{name: "no volume named", rel: rel, doc: written},
			}
			if format == "jsonl" {
				// One file holds many documents: the line must be this one's.
				tests = append(tests, heldCase{name: "other URL", volume: vol, rel: rel, doc: fetched(doc("https://a.example/2", "alpha one", "alpha two")), reachable: true})
			}
			for _, tt := range tests {
				held, reachable, err := mine.HeldIn(other, tt.volume, tt.rel, tt.doc)
				if err != nil || held != tt.held || reachable != tt.reachable {
					t.Errorf("%s: HeldIn = %v, %v, %v; want %v, %v", tt.name, held, reachable, err, tt.held, tt.reachable)
				}
			}
			if _, _, err := mine.HeldIn(other, vol, "../outside", written); err == nil {
				t.Error("a path outside the directory was read")
			}
		})
	}
}
