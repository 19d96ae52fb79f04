package daemon

import (
	"fmt"
	"log/slog"
	"runtime/debug"

	"winnow/archive"
)

// openArchive opens the WARC writer of a run when the job archives, and
// hands it to the crawler. The returned func closes it (finishing its last
// file); it is never nil.
func (r *Runner) openArchive(opts *RunOptions, log *slog.Logger) (func(), error) {
	if opts.Archive.Dir == "" {
		return func() {}, nil
	}
	w, err := archive.Open(archive.Options{
		Dir: opts.Archive.Dir, Job: opts.Job, MaxSize: opts.Archive.MaxSize,
		Software: software(), Metrics: r.m, Log: log,
	})
	if err != nil {
		return func() {}, fmt.Errorf("run %s: %w", opts.Job, err)
	}
	opts.Options.Archive = w
	return func() {
		if err := w.Close(); err != nil {
			log.Error("archive not closed", "dir", opts.Archive.Dir, "err", err)
		}
	}, nil
}

// software names this program in the archive's warcinfo records.
func software() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return "winnow/" + bi.Main.Version
	}
	return "winnow"
}
