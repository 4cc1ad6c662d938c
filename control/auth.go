package control

import (
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/odsim/odsim/subscriptions"
)

// guard admits a request to the control API, which can fire events, force polls and read every
// delivered body: without a token only from loopback (127.0.0.0/8, ::1), whatever address odsim
// listens on, since anyone who can reach the port could otherwise drive it; with a token from anywhere,
// but only with "Authorization: Bearer <token>". The token is compared in constant time and appears in
// no answer or log.
func (a *api) guard(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.token == "" {
			if !fromLoopback(r) {
				a.fail(w, r, &statusError{http.StatusForbidden,
					"The control API answers only requests from this machine (loopback) unless odsim serve runs with --control-token; then send Authorization: Bearer <token>."})
				return
			}
			h(w, r)
			return
		}
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(token), []byte(a.token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="odsim control"`)
			a.fail(w, r, subscriptions.Errorf(subscriptions.Unauthorized,
				"The control API needs Authorization: Bearer <token>, the token odsim serve was given with --control-token (the CLI sends --control-token or ODSIM_CONTROL_TOKEN)."))
			return
		}
		h(w, r)
	}
}

// Guard wraps h, control routes served by another package (the scenario runs), with the same rule as
// the control API's own routes: loopback only without a token, the token from anywhere with one.
func Guard(token string, h http.Handler) http.Handler {
	a := &api{token: token, log: slog.New(slog.DiscardHandler)}
	return a.guard(h.ServeHTTP)
}

// fromLoopback reports whether the request's peer is a loopback address.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
