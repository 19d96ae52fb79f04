// Package output writes Documents to files: formats, atomic writes and the manifest.
package output

import (
	"errors"

	"winnow/cleaner"
)

// Encode renders doc in format ("txt" or "json").
func Encode(doc cleaner.Document, format string) ([]byte, error) {
	return nil, errors.New("encode: not yet implemented")
}
