//go:build unix

package results

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on f, without waiting; the
// kernel releases it if the process dies.
func lockFile(f *os.File) (func(), error) {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
