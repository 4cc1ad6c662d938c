package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/store/storetest"
)

// TestIdentity: two connections to one database have the Same identity, whatever address they use;
// another database of the server, or another engine, has another.
func TestIdentity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		id, err := db.Identity(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if id.Server == "" || id.Database == "" || id.Version == "" {
			t.Fatalf("identity %+v has an empty field", id)
		}
		var dbName string
		if err := db.SQL().QueryRowContext(ctx, "SELECT DATABASE()").Scan(&dbName); err != nil {
			t.Fatal(err)
		}
		if id.Database != dbName || !strings.Contains(id.String(), "database "+dbName+" on server "+id.Server) {
			t.Errorf("identity %+v (%s) does not name database %s", id, id, dbName)
		}
	})
}

// TestIdentityTellsDatabasesApart: the same database reached by two addresses is Same; two databases
// of one server, and the embedded engine, are not. (Two odsim processes' engines differ too: see
// cmd/odsim's tests of replay --dsn.)
func TestIdentityTellsDatabasesApart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	identity := func(dsn string) store.Identity {
		t.Helper()
		id, err := storetest.Open(t, dsn).Identity(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	a := storetest.NewDSN(t)
	cfg, err := mysql.ParseDSN(a)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(cfg.Addr, "127.0.0.1:") {
		cfg.Addr = "localhost:" + strings.TrimPrefix(cfg.Addr, "127.0.0.1:")
	}
	if !identity(a).Same(identity(cfg.FormatDSN())) {
		t.Errorf("%s and %s are one database but not the Same", a, cfg.FormatDSN())
	}
	if b := storetest.NewDSN(t); identity(a).Same(identity(b)) {
		t.Errorf("%s and %s are two databases but the Same: %+v", a, b, identity(b))
	}
	e, err := storetest.NewEmbedded(t).Identity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e.Same(identity(a)) {
		t.Errorf("the embedded engine (%+v) and %s are the Same", e, a)
	}
}
