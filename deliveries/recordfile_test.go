package deliveries_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/odsim/odsim/deliveries"
)

// The recording is created 0600 (it holds customer keys), and one already readable by others is
// narrowed, with a line saying so.
func TestRecordFileIsOwnersOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fresh := filepath.Join(dir, "fresh.jsonl")
	r, err := deliveries.OpenRecordFile(fresh, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if st, err := os.Stat(fresh); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("new recording: %v %v, want 0600", st.Mode(), err)
	}
	wide := filepath.Join(dir, "wide.jsonl")
	if err := os.WriteFile(wide, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(wide, 0o644) // whatever the umask
	var logs bytes.Buffer
	r, err = deliveries.OpenRecordFile(wide, 0, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if st, err := os.Stat(wide); err != nil || st.Mode().Perm() != 0o600 || !strings.Contains(logs.String(), "readable by its owner only") {
		t.Errorf("existing 0644 recording: %v %v, log %q", st.Mode(), err, logs.String())
	}
}

// A line that would take the recording past its size first moves it to FILE.1, replacing the one
// before, and each rotation says in the log how many lines it dropped: the recording stays within
// twice its size however long odsim runs, and the newest lines are always kept whole.
func TestRecordFileRotates(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "record.jsonl")
	var logs bytes.Buffer
	r, err := deliveries.OpenRecordFile(path, 100, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	line := func(c byte) []byte { return append(bytes.Repeat([]byte{c}, 39), '\n') } // 40 bytes
	for _, c := range []byte("abcdefg") {
		if n, err := r.Write(line(c)); err != nil || n != 40 {
			t.Fatalf("write %c: %d %v", c, n, err)
		}
	}
	// a b | c d | e f | g: FILE holds g, FILE.1 holds e f; a b and c d were dropped.
	cur, _ := os.ReadFile(path)
	prev, _ := os.ReadFile(path + ".1")
	if string(cur) != string(line('g')) || string(prev) != string(line('e'))+string(line('f')) {
		t.Errorf("FILE %q, FILE.1 %q", cur, prev)
	}
	if n := strings.Count(logs.String(), "delivery recording reached its size"); n != 3 {
		t.Errorf("%d rotation lines, want 3:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), `dropped="nothing (there was no FILE.1)"`) || strings.Count(logs.String(), `dropped="2 lines"`) != 2 {
		t.Errorf("rotation lines do not say what they dropped:\n%s", logs.String())
	}
	if st, err := os.Stat(path + ".1"); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("FILE.1: %v %v", st.Mode(), err)
	}
	big := bytes.Repeat([]byte("x"), 250)
	if n, err := r.Write(big); err != nil || n != 250 {
		t.Errorf("a line larger than the size: %d %v, want it written whole", n, err)
	}
}
