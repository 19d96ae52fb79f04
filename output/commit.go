package output

import (
	"context"
	"errors"
)

// A commit hook lets a writer that shares its documents with other writers
// (replicas of the daemon, each with its own output directory) decide at
// the last moment, once the new file is complete and synced and just
// before it is renamed into place, whether this writer is the one to
// write it. The window between the decision and the rename is one
// rename: a writer that dies there loses the document, and one that dies
// after it has written it, so no other writer does it again.

type commitKey struct{}

// CommitFunc reports whether the write may go ahead; false means another
// writer has written this document already.
type CommitFunc func() (bool, error)

// WithCommit returns a context that makes Write call commit before it
// renames a new or changed document into place. When commit says false,
// the temp file is removed and Write returns Duplicate; an error fails the
// write. Unchanged documents (nothing to write) do not call it.
func WithCommit(ctx context.Context, commit CommitFunc) context.Context {
	return context.WithValue(ctx, commitKey{}, commit)
}

// errNotCommitted: the commit hook said another writer has the document.
var errNotCommitted = errors.New("written by another writer")

func commit(ctx context.Context) error {
	c, _ := ctx.Value(commitKey{}).(CommitFunc)
	if c == nil {
		return nil
	}
	ok, err := c()
	if err != nil {
		return err
	}
	if !ok {
		return errNotCommitted
	}
	return nil
}
