package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/spf13/pflag"

	"github.com/odsim/odsim/control"
	"github.com/odsim/odsim/store"
)

// target is what odsim replay and odsim simulate write to: the database, and the odsim at --url that
// polls it (for select-patient steps).
type target struct {
	db     *store.DB
	client *control.Client // nil with --url ''
}

// selectPatient selects a patient on the odsim of t for select-patient steps and --select-patients.
func (t *target) selectPatient(ctx context.Context, req control.SelectRequest) error {
	if t.client == nil {
		return errors.New("selecting a patient needs a running odsim, and --url is empty")
	}
	_, err := t.client.SelectPatient(ctx, req)
	return remoteError(err)
}

// openTarget opens the database that the odsim at --url polls, so that the changes come out of that
// odsim's polling path:
//   - without --dsn, the odsim names its database (GET /odsim/v1/database): its embedded database is
//     opened directly (it needs no password); for a database of its own --dsn, whose credentials odsim
//     never sends over HTTP, the user must give --dsn;
//   - with --dsn, the DSN must be that same database (store.Identity, compared without credentials),
//     or the command is refused with both named. When no odsim answers at the default --url, the DSN
//     is used as given (a database odsim will poll later, or Open Dental's own); when --url or
//     ODSIM_URL named one, it must answer; --url ” uses the DSN with no odsim at all.
func openTarget(ctx context.Context, e env, f *pflag.FlagSet, addr string, token *secretFlags, dsn string) (*target, error) {
	if addr == "" { // --url '': no odsim at all, as asked
		if dsn == "" {
			return nil, errors.New("--url is empty: give --dsn, the database to write into")
		}
		db, err := store.Open(ctx, dsn)
		if err != nil {
			return nil, err
		}
		return &target{db: db}, nil
	}
	client, err := newClient(addr, token, f)
	if err != nil {
		return nil, err
	}
	urlNamed := f.Changed("url") || e.getenv("ODSIM_URL") != ""
	info, infoErr := client.Database(ctx)
	if infoErr != nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var unreachable *control.UnreachableError
	var apiErr *control.APIError
	switch {
	case infoErr == nil:
	case errors.As(infoErr, &apiErr) && (apiErr.Status == http.StatusUnauthorized || apiErr.Status == http.StatusForbidden):
		return nil, fmt.Errorf("the odsim at %s did not say which database it polls: %w (give --control-token, or ODSIM_CONTROL_TOKEN)", client.Base(), infoErr)
	case dsn == "" && errors.As(infoErr, &unreachable):
		return nil, fmt.Errorf("%w (is odsim running? start it with `odsim serve`, or point --url or ODSIM_URL at it; --dsn writes into a database directly)", infoErr)
	case dsn == "":
		return nil, fmt.Errorf("the odsim at %s did not say which database it polls (%v): give --dsn", client.Base(), infoErr)
	case errors.As(infoErr, &unreachable) && urlNamed:
		return nil, fmt.Errorf("%w: cannot check that --dsn is the database it polls (leave --url and ODSIM_URL out to write into --dsn without an odsim)", infoErr)
	case errors.As(infoErr, &unreachable):
		fmt.Fprintf(e.stderr, "note: no odsim answers at %s; writing into --dsn without checking which database an odsim polls (select-patient needs a running odsim)\n", client.Base())
	default:
		fmt.Fprintf(e.stderr, "note: %s did not say which database it polls (%v); writing into --dsn unchecked\n", client.Base(), infoErr)
	}
	polled := store.Identity{Server: info.Server, Database: info.Database, Version: info.Version}
	if dsn == "" {
		if info.EmbeddedAddr == "" {
			return nil, fmt.Errorf("the odsim at %s polls %s, from its --dsn, whose credentials it does not give out: give --dsn with them (user:password@tcp(host:port)/%s)",
				client.Base(), describePolled(info), info.Database)
		}
		dsn = "root@tcp(" + embeddedAddr(info.EmbeddedAddr, client.Base()) + ")/" + info.Database
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if infoErr != nil {
		return &target{db: db, client: client}, nil
	}
	id, err := db.Identity(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if !id.Same(polled) {
		db.Close()
		cfg, _ := store.ParseDSN(dsn)
		return nil, fmt.Errorf("--dsn %s@%s/%s is %s, but the odsim at %s polls %s: its events would not show these changes (point --dsn at that database, or --url at the odsim that polls this one)",
			cfg.User, cfg.Addr, cfg.DBName, id, client.Base(), describePolled(info))
	}
	return &target{db: db, client: client}, nil
}

// describePolled names the database an odsim polls for messages.
func describePolled(info control.DatabaseInfo) string {
	id := store.Identity{Server: info.Server, Database: info.Database, Version: info.Version}
	if info.EmbeddedAddr != "" {
		return fmt.Sprintf("its embedded database %s at %s (server %s)", info.Database, info.EmbeddedAddr, info.Server)
	}
	return id.String()
}

// embeddedAddr is where to reach odsim's embedded database from here: its address, except that an
// engine listening on every interface (odsim in a container, its port published) is reached on the
// host the command reaches odsim on.
func embeddedAddr(addr, odsimBase string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if u, err := url.Parse(odsimBase); err == nil && u.Hostname() != "" {
			return net.JoinHostPort(u.Hostname(), port)
		}
	}
	return addr
}
