package strictyaml

import (
	"fmt"
	"io"
	"os"
)

// MaxFileSize bounds a configuration file: scenarios and provider files
// are a few kilobytes. os.ReadFile of /dev/zero, or of a disk image named
// by mistake, grows its buffer until the process dies out of memory.
const MaxFileSize = 16 << 20

// ReadFile reads a configuration file of at most MaxFileSize bytes.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: larger than %d MiB, which no scenario or provider file is", path, MaxFileSize>>20)
	}
	return data, nil
}
