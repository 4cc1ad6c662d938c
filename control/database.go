package control

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/odsim/odsim/subscriptions"
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

// DatabaseHandler serves GET /odsim/v1/database with what info reads. odsim serve mounts it behind the
// control API's guard, as every control route.
func DatabaseHandler(info func(context.Context) (DatabaseInfo, error), log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := noQuery(r); err != nil {
			writeJSON(w, http.StatusBadRequest, errorBody{subscriptions.ErrorMessage(err)})
			return
		}
		out, err := info(r.Context())
		if err != nil {
			log.ErrorContext(r.Context(), "control api: read the database identity", "error", err)
			writeJSON(w, http.StatusInternalServerError, errorBody{"Internal error: odsim could not read its database's identity."})
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// Database asks the odsim which database it polls.
func (c *Client) Database(ctx context.Context) (DatabaseInfo, error) {
	var out DatabaseInfo
	err := c.do(ctx, http.MethodGet, Prefix+"database", nil, nil, &out)
	return out, err
}
