package apiservice

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"
)

// A client that asks for an answer and never reads it holds the handler only until WriteTimeout after
// the first byte: the write then fails and the connection closes, however large the answer. The client
// here reads one byte and stops, with a small receive buffer so that the answer cannot all sit in it.
func TestSlowReaderIsCutOff(t *testing.T) {
	t.Parallel()
	wrote := make(chan error, 1)
	big := make([]byte, 64<<20)
	limits := HTTPLimits{WriteTimeout: 300 * time.Millisecond}.withDefaults()
	srv := httptest.NewServer(limits.bounded(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := w.Write(big)
		wrote <- err
	})))
	t.Cleanup(srv.Close)
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return serr
	}}
	c, err := d.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-wrote:
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("writing 64 MiB to a client that does not read: %v, want a timeout", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the handler was still writing to a client that does not read after 15s")
	}
}
