package daemon

import (
	"context"
	"iter"

	"winnow/crawler"
)

// pageSource is where a run's pages come from: the crawler, or a Replay of
// an archive.
type pageSource interface {
	Run(ctx context.Context, emit func(context.Context, crawler.Page) error) error
	Stats() crawler.Stats
}

// Replay does one run of opts.Job over pages read back from an archive
// instead of the network (winnow reclean): the same cleaning, template
// learning, filters and writes as a crawl, with no request made. The
// article patterns of opts choose the pages cleaned; opts.Parallel how many
// are cleaned at once. opts.Archive is not used.
func (r *Runner) Replay(ctx context.Context, runID string, opts RunOptions, pages iter.Seq2[crawler.Page, error], progress func(Progress)) RunResult {
	opts.Archive.Dir = "" // a reclean writes no archive
	return r.run(ctx, runID, opts, progress, func(o crawler.Options) (pageSource, error) {
		return crawler.NewReplay(o, pages, r.log.With("run_id", runID)), nil
	})
}
