// Command winnow crawls news sites and writes clean article text.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// Exit statuses of the contract.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// usageError marks bad usage or bad configuration: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// streams are what a subcommand reads and writes.
type streams struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// subcommand parses its own arguments and does its work.
type subcommand struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, s streams) error
}

func subcommands() []subcommand {
	return []subcommand{
		{"clean", "clean saved HTML pages into documents", cmdClean},
		{"crawl", "one-off crawl in the foreground", cmdCrawl},
		{"reclean", "clean archived responses (WARC) again into documents, as a crawl would", cmdReclean},
		{"daemon", "run every job on its schedule and serve the HTTP endpoints", cmdDaemon},
		{"trigger", "ask a running daemon to start a job now", cmdTrigger},
		{"eval", "measure extraction quality on a benchmark dataset", cmdEval},
		{"config", "validate a configuration file (config check FILE)", cmdConfig},
		{"demo", "offline demo against an embedded sample news site", cmdDemo},
		{"version", "print version, commit and Go version", cmdVersion},
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := streams{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		printUsage(stderr)
		return exitUsage
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdout) // asked for: a result, so it can be piped to a pager
		return exitOK
	}
	for _, sc := range subcommands() {
		if sc.name != args[0] {
			continue
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return exitCode(sc.run(ctx, args[1:], s), stderr)
	}
	fmt.Fprintf(stderr, "winnow: unknown command %q\n\n", args[0])
	printUsage(stderr)
	return exitUsage
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: winnow COMMAND [flags] [args]\n\nCommands:")
	for _, sc := range subcommands() {
		fmt.Fprintf(w, "  %-8s %s\n", sc.name, sc.summary)
	}
	fmt.Fprintln(w, "\nRun 'winnow COMMAND --help' for a command's flags.")
}

func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	}
	fmt.Fprintf(stderr, "winnow: %v\n", err)
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFailed
}

// logFlags are the logging flags every subcommand takes.
type logFlags struct {
	format string
	level  string
}

func (l *logFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.format, "log-format", "text", "log format: text or json")
	fs.StringVar(&l.level, "log-level", "info", "log level: debug, info, warn or error")
}

// logger builds the one logger of a command, writing to stderr.
func (l logFlags) logger(stderr io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.level)); err != nil {
		return nil, usagef("--log-level %q: want debug, info, warn or error", l.level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(l.format) {
	case "text":
		return slog.New(slog.NewTextHandler(stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(stderr, opts)), nil
	}
	return nil, usagef("--log-format %q: want text or json", l.format)
}

// newFlagSet makes a FlagSet that reports errors instead of exiting. Its
// usage, asked for with --help, goes to stdout.
func newFlagSet(name, usage string, s streams) *flag.FlagSet {
	fs := flag.NewFlagSet("winnow "+name, flag.ContinueOnError)
	fs.SetOutput(s.stdout)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: %s\n", strings.TrimSpace("winnow "+name+" "+usage))
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(w, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args; bad flags are a usage error naming the flag (the
// full usage only on --help), --help is not an error.
// Flags may come before or after positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	out, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard) // the flag package's own error lines: we report once, below
	fs.Usage = func() {}
	defer func() { fs.SetOutput(out); fs.Usage = usage }()
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(out)
				usage()
				return nil, err
			}
			return nil, usagef("%v (see '%s --help')", err, fs.Name())
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, nil
		}
		if args[0] == "--" {
			return append(rest, args[1:]...), nil
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
}
