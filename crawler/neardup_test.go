package crawler

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type nearIndex interface {
	ClaimNear(ctx context.Context, job, url string, fp uint64, maxDist int) (NearMatch, bool, error)
}

func nearStores() map[string]func(t *testing.T) nearIndex {
	return map[string]func(t *testing.T) nearIndex{
		"bolt":  func(t *testing.T) nearIndex { return openTestStore(t) },
		"redis": func(t *testing.T) nearIndex { return openTestRedis(t) },
	}
}

// TestNearIndex runs one claim sequence against each backend.
func TestNearIndex(t *testing.T) {
	const story = 0x0123456789abcdef
	flip := func(fp uint64, bits ...int) uint64 {
		for _, b := range bits {
			fp ^= 1 << b
		}
		return fp
	}
	type claim struct {
		job, url string
		fp       uint64
		maxDist  int
		want     string // URL of the match; "" when recorded
		wantDist int
	}
	steps := []claim{
		{job: "news", url: "https://a.example/story", fp: story, maxDist: 3},
		{job: "news", url: "https://b.example/copy", fp: flip(story, 0, 20, 40), maxDist: 3, want: "https://a.example/story", wantDist: 3},
		// Three of the four bands differ: the fourth finds it.
		{job: "news", url: "https://c.example/copy", fp: flip(story, 1, 17, 33), maxDist: 3, want: "https://a.example/story", wantDist: 3},
		{job: "news", url: "https://d.example/other", fp: flip(story, 0, 1, 16, 17, 32), maxDist: 3},
		{job: "news", url: "https://a.example/story", fp: flip(story, 63), maxDist: 3}, // its own older version is no copy
		{job: "sport", url: "https://b.example/copy", fp: story, maxDist: 3},           // jobs are apart
		{job: "news", url: "https://e.example/copy", fp: story, maxDist: 2},            // another distance: another index
		{job: "news", url: "https://f.example/copy", fp: flip(story, 5), maxDist: 2, want: "https://e.example/copy", wantDist: 1},
		{job: "news", url: "https://g.example/exact", fp: flip(story, 0, 1, 16, 17, 32), maxDist: 0, want: ""},
		{job: "news", url: "https://h.example/exact", fp: flip(story, 0, 1, 16, 17, 32), maxDist: 0, want: "https://g.example/exact"},
	}
	for name, open := range nearStores() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			for i, st := range steps {
				m, found, err := s.ClaimNear(ctx, st.job, st.url, st.fp, st.maxDist)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				want := NearMatch{URL: st.want, Distance: st.wantDist}
				if diff := cmp.Diff(want, m); diff != "" || found != (st.want != "") {
					t.Errorf("step %d (%s): found %v (-want +got):\n%s", i, st.url, found, diff)
				}
			}
			if _, _, err := s.ClaimNear(ctx, "news", "x", 1, MaxNearDistance+1); err == nil {
				t.Error("distance over the maximum: no error")
			}
		})
	}
}

// TestNearIndexRandom checks the index against a linear scan on random
// fingerprints and their perturbations, and that concurrent claims of
// copies let exactly one through (run with -race).
func TestNearIndexRandom(t *testing.T) {
	for name, open := range nearStores() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(1, 2))
			const maxDist = 3
			var recorded []uint64
			for i := range 300 {
				fp := rng.Uint64()
				if i%3 == 1 && len(recorded) > 0 { // a copy of an earlier one
					fp = recorded[rng.IntN(len(recorded))]
					for range rng.IntN(6) {
						fp ^= 1 << rng.IntN(64)
					}
				}
				want := -1
				for _, r := range recorded {
					if d := hamming(fp, r); d <= maxDist && (want < 0 || d < want) {
						want = d
					}
				}
				m, found, err := s.ClaimNear(ctx, "j", fmt.Sprint("u", i), fp, maxDist)
				if err != nil {
					t.Fatal(err)
				}
				if found != (want >= 0) || found && m.Distance != want {
					t.Fatalf("claim %d: found %v at %d, a scan says %d", i, found, m.Distance, want)
				}
				if !found {
					recorded = append(recorded, fp)
				}
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			through := 0
			for i := range 8 {
				wg.Go(func() {
					_, found, err := s.ClaimNear(ctx, "race", fmt.Sprint("copy", i), 0xfeed<<20|uint64(i&1), maxDist)
					if err != nil {
						t.Error(err)
					}
					if !found {
						mu.Lock()
						through++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if through != 1 {
				t.Errorf("%d of 8 concurrent copies got through, want 1", through)
			}
		})
	}
}
