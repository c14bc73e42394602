//go:build !unix

package results

import (
	"os"
)

// lockFile has no advisory lock to take here: a second run into the same
// folder is not refused on this platform.
func lockFile(f *os.File) (func(), error) {
	return func() { f.Close() }, nil
}
