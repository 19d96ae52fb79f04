package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// cpuProfile holds the profiling flags of crawl, clean and reclean:
// --cpuprofile and --memprofile.
type cpuProfile struct{ path, mem string }

func (p *cpuProfile) register(fs *flag.FlagSet) {
	fs.StringVar(&p.path, "cpuprofile", "", "write a CPU profile of the whole command to `FILE` (read it with go tool pprof); written when the command ends, on Ctrl-C too")
	fs.StringVar(&p.mem, "memprofile", "", "write a memory profile to `FILE` when the command ends: what was allocated over the whole command (go tool pprof -sample_index=alloc_space) and what was still in use")
}

// run runs the command under the CPU profiler when the flag is set. The
// file is created before the work starts, so a path that cannot be
// written is a usage error (exit 2) and costs no crawl. The profile is
// flushed when run returns, whatever it returns: the commands return on
// SIGINT/SIGTERM after draining, so an interrupted crawl is profiled too.
func (p cpuProfile) run(work func() error) error {
	if p.mem != "" {
		if st, err := os.Stat(p.mem); err == nil && st.IsDir() {
			return usagef("--memprofile %s: is a directory", p.mem)
		}
		f, err := os.Create(p.mem)
		if err != nil {
			return usagef("--memprofile: %v", err)
		}
		inner := work
		work = func() error {
			workErr := inner()
			runtime.GC() // the in-use figures as of the end
			err := pprof.Lookup("allocs").WriteTo(f, 0)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return errors.Join(workErr, fmt.Errorf("write memory profile %s: %w", p.mem, err))
			}
			return workErr
		}
	}
	if p.path == "" {
		return work()
	}
	if st, err := os.Stat(p.path); err == nil && st.IsDir() {
		return usagef("--cpuprofile %s: is a directory", p.path)
	}
	f, err := os.Create(p.path)
	if err != nil {
		return usagef("--cpuprofile: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		os.Remove(p.path)
		return fmt.Errorf("--cpuprofile %s: %w", p.path, err)
	}
	workErr := work()
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		return errors.Join(workErr, fmt.Errorf("write cpu profile %s: %w", p.path, err))
	}
	return workErr
}
