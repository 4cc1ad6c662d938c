package poller_test

import (
	"flag"
	"os"
	"testing"
)

// TestMain runs up to eight tests at once unless -parallel says otherwise. Most tests here wait on the
// database or on real seconds (slow statements and transactions across polls), not on the CPU, and go
// test's default, GOMAXPROCS (2 on the project's machine), would run them nearly one after another.
func TestMain(m *testing.M) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		if err := flag.Set("test.parallel", "8"); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
