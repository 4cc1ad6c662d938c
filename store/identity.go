package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-sql-driver/mysql"
)

// Identity names a database without its credentials, the same whoever connects and by whatever
// address (a port published by Docker, localhost or 127.0.0.1): the server as it names itself and the
// database's name. Two connections write into the same database exactly when their Identities are the
// Same, which lets a command check that a DSN belongs to a running odsim without asking it for
// credentials.
type Identity struct {
	// Server is the server's own UUID (MySQL 8; the embedded engine draws one per process, so every
	// odsim serve differs), or else its host name and port as it reports them (MariaDB).
	Server   string `json:"server"`
	Database string `json:"database"`
	Version  string `json:"version"` // for messages
}

// Same reports whether i and o are the same database.
func (i Identity) Same(o Identity) bool { return i.Server == o.Server && i.Database == o.Database }

// String names the database for messages: database opendental on server db1:3306 (10.11.19-MariaDB).
func (i Identity) String() string {
	return fmt.Sprintf("database %s on server %s (%s)", i.Database, i.Server, i.Version)
}

// Identity reads the database's identity from the server.
func (db *DB) Identity(ctx context.Context) (Identity, error) {
	var id Identity
	var host string
	var port int
	err := db.db.QueryRowContext(ctx, "SELECT DATABASE(), @@version, @@hostname, @@port").Scan(&id.Database, &id.Version, &host, &port)
	if err != nil {
		return Identity{}, fmt.Errorf("read database identity: %w", err)
	}
	var uuid string
	err = db.db.QueryRowContext(ctx, "SELECT @@server_uuid").Scan(&uuid)
	var me *mysql.MySQLError
	switch {
	case err == nil && uuid != "":
		id.Server = uuid
	case err == nil, errors.As(err, &me) && me.Number == 1193: // MariaDB: unknown system variable
		id.Server = fmt.Sprintf("%s:%d", host, port)
	default:
		return Identity{}, fmt.Errorf("read database identity: %w", err)
	}
	return id, nil
}
