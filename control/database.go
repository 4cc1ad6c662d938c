package control

import (
	"context"
	"fmt"
	"net/http"
)

// DatabaseInfo is the answer of GET /odsim/v1/database: the database odsim polls, named without
// credentials, so that a command that writes changes (odsim replay, odsim simulate) can write into the
// very database this odsim polls, or refuse a DSN that names another one.
type DatabaseInfo struct {
	// Server, Database and Version are the database's identity as the server reports it
	// (store.Identity): the server's UUID or host name and port, the database's name.
	Server   string `json:"server"`
	Database string `json:"database"`
	Version  string `json:"version"`
	// EmbeddedAddr is where odsim's embedded database listens (any user, no password) when it runs
	// one; "" when odsim polls the database of its --dsn, whose credentials odsim never sends.
	EmbeddedAddr string `json:"embeddedAddr,omitempty"`
}

// getDatabase is GET /odsim/v1/database.
func (a *api) getDatabase(w http.ResponseWriter, r *http.Request) {
	if err := noQuery(r); err != nil {
		a.fail(w, r, err)
		return
	}
	out, err := a.Database(r.Context())
	if err != nil {
		a.fail(w, r, fmt.Errorf("read the database identity: %w", err))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// Database asks the odsim which database it polls.
func (c *Client) Database(ctx context.Context) (DatabaseInfo, error) {
	var out DatabaseInfo
	err := c.do(ctx, http.MethodGet, Prefix+"database", nil, nil, &out)
	return out, err
}
