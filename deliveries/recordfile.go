package deliveries

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
)

// DefaultRecordMaxBytes is where a recording file is rotated when RecordFile is given no size.
const DefaultRecordMaxBytes = 256 << 20

// RecordFile is the file `odsim serve --record` appends to. It holds every request's headers (the
// customer key among them), so it is created readable by its owner only (0600), and one already there
// is narrowed to that. It is bounded: a line that would take it past its size first moves it to
// FILE.1, replacing the FILE.1 of the rotation before, and starts FILE afresh, so that the recording
// takes at most twice its size on disk however many receivers fail. Each rotation says in the log what
// it dropped. A single line larger than the size is written whole.
type RecordFile struct {
	path string
	max  int64
	log  *slog.Logger

	mu          sync.Mutex
	f           *os.File
	size        int64 // bytes in f
	lines       int64 // lines written to f since odsim started (-1: f held lines before, of unknown count)
	rotatedKept int64 // lines in FILE.1, when this process wrote it (-1: unknown)
}

// OpenRecordFile opens (or creates) path for appending, rotating at maxBytes (DefaultRecordMaxBytes
// when 0 or less).
func OpenRecordFile(path string, maxBytes int64, log *slog.Logger) (*RecordFile, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultRecordMaxBytes
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &RecordFile{path: path, max: maxBytes, log: log, rotatedKept: -1}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *RecordFile) open() error {
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open delivery recording: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open delivery recording: %w", err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		if err := f.Chmod(perm & 0o700); err != nil {
			f.Close()
			return fmt.Errorf("delivery recording %s is readable by others (%v) and cannot be narrowed: %w", r.path, perm, err)
		}
		r.log.Info("delivery recording made readable by its owner only: it holds customer keys", "file", r.path, "was", perm.String())
	}
	r.f, r.size, r.lines = f, st.Size(), 0
	if st.Size() > 0 {
		r.lines = -1
	}
	return nil
}

// Write appends p, one whole line, rotating the file first when p would take it past its size.
func (r *RecordFile) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return 0, errors.New("delivery recording is closed")
	}
	if r.size > 0 && r.size+int64(len(p)) > r.max {
		if err := r.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	if r.lines >= 0 {
		r.lines++
	}
	return n, err
}

// rotate moves FILE to FILE.1 and opens a new FILE. r.mu is held.
func (r *RecordFile) rotate() error {
	old := r.path + ".1"
	dropped := "nothing (there was no FILE.1)"
	if _, err := os.Stat(old); err == nil {
		dropped = "FILE.1 as it was before odsim started"
		if r.rotatedKept >= 0 {
			dropped = fmt.Sprintf("%d lines", r.rotatedKept)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("rotate delivery recording: %w", err)
	}
	if err := r.f.Close(); err != nil {
		return fmt.Errorf("rotate delivery recording: %w", err)
	}
	r.f = nil
	if err := os.Rename(r.path, old); err != nil {
		return fmt.Errorf("rotate delivery recording: %w", err)
	}
	r.rotatedKept = r.lines
	if err := r.open(); err != nil {
		return err
	}
	r.log.Warn("delivery recording reached its size: it was moved to FILE.1, replacing the one before, whose lines are dropped, and a new FILE began",
		"file", r.path, "moved_to", old, "max_bytes", r.max, "dropped", dropped)
	return nil
}

// Close closes the file.
func (r *RecordFile) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}
