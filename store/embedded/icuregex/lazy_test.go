// odsim: tests of the patch described in PATCHES.md.

package regex

import (
	"context"
	"os"
	"testing"
)

// poolAtStart records whether package initialisation created the module pool, before any test runs.
var poolAtStart bool

func TestMain(m *testing.M) {
	poolAtStart = pool != nil
	os.Exit(m.Run())
}

// TestPoolIsCreatedOnFirstUse: loading the package compiles nothing; the first Regex creates the pool,
// and it works.
func TestPoolIsCreatedOnFirstUse(t *testing.T) {
	if poolAtStart {
		t.Fatal("package initialisation created the module pool (compiled the WebAssembly module)")
	}
	ctx := context.Background()
	r := CreateRegex(0)
	defer r.Close()
	if pool == nil {
		t.Fatal("CreateRegex did not create the module pool")
	}
	if err := r.SetRegexString(ctx, `^odsim\d+$`, RegexFlags_None); err != nil {
		t.Fatal(err)
	}
	if err := r.SetMatchString(ctx, "odsim42"); err != nil {
		t.Fatal(err)
	}
	if ok, err := r.Matches(ctx, 0, 0); err != nil || !ok {
		t.Errorf("Matches = %v, %v; want true", ok, err)
	}
	SetPoolFetchMax(64) // goes through the same lazily created pool
	if got := modulePool().maxFetch; got != 64 {
		t.Errorf("maxFetch = %d after SetPoolFetchMax(64)", got)
	}
}
