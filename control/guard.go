package control

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/odsim/odsim/httpjson"
)

// SessionCookie is the cookie a browser holds instead of the control token (POST /odsim/v1/session
// sets it): HttpOnly, so that no script can read it, and SameSite=Strict, so that no other site's page
// makes the browser send it.
const SessionCookie = "odsim_control"

// forwardingHeaders are the headers a reverse proxy adds. Behind a proxy on the same machine every
// client's TCP peer is loopback, so without a token a request carrying one of them is not trusted as
// local.
var forwardingHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-Ip", "Via"}

// GuardConfig says who may use odsim's own HTTP surface: the control API, and the web page that is a
// client of it.
type GuardConfig struct {
	// Token, when set, is required on every request, from any address, as "Authorization: Bearer
	// <token>" or as the session cookie. When empty, only requests whose TCP peer is loopback and that
	// came through no proxy are served.
	Token string
	// AllowedHosts are the names or addresses, besides loopback ones, that a request's Host header may
	// give (odsim serve --allowed-host).
	AllowedHosts []string
	// Logger receives internal errors of the routes the guard wraps; nil discards them.
	Logger *slog.Logger
}

// Guard admits requests to odsim's own HTTP surface. Every request must
//
//  1. be addressed to this machine: its Host is localhost (or a name under .localhost), a loopback
//     address, or one of AllowedHosts. A web page on a DNS-rebinding domain is same-origin to the
//     browser, so neither the Origin check nor CORS stops it; its Host header does.
//  2. come from someone entitled: with a token, the token (header or cookie); without one, a loopback
//     TCP peer and no proxy's forwarding header.
//  3. if it changes anything (any method but GET, HEAD and OPTIONS), pass http.CrossOriginProtection
//     (Sec-Fetch-Site or Origin must be this origin; tools that send neither pass), and if it is a POST,
//     say Content-Type: application/json, which no page can send to another origin without a CORS
//     preflight that odsim never grants — an empty-body POST included.
//
// The token is compared in constant time and appears in no answer or log.
type Guard struct {
	token   string
	session string // the session cookie's value: a MAC of the token, so the cookie is not the token
	hosts   map[string]bool
	cop     *http.CrossOriginProtection
	log     *slog.Logger
}

// NewGuard returns a Guard, or an error naming an AllowedHosts entry that is not a host.
func NewGuard(cfg GuardConfig) (*Guard, error) {
	g := &Guard{token: cfg.Token, hosts: map[string]bool{}, cop: http.NewCrossOriginProtection(), log: cfg.Logger}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.token != "" {
		mac := hmac.New(sha256.New, []byte(g.token))
		mac.Write([]byte("odsim control session"))
		g.session = hex.EncodeToString(mac.Sum(nil))
	}
	for _, h := range cfg.AllowedHosts {
		n, err := NormalizeHost(h)
		if err != nil {
			return nil, err
		}
		g.hosts[n] = true
	}
	return g, nil
}

// NormalizeHost checks a host as --allowed-host takes it (a name or an address, without scheme, port
// or path) and returns the form the Host check compares: lower case, no trailing dot, an IPv6 address
// without brackets and in its shortest form.
func NormalizeHost(h string) (string, error) {
	v := strings.TrimSpace(h)
	if inner, ok := strings.CutPrefix(v, "["); ok {
		v = strings.TrimSuffix(inner, "]")
	}
	if ip := net.ParseIP(v); ip != nil {
		return ip.String(), nil
	}
	v = strings.ToLower(strings.TrimSuffix(v, "."))
	switch {
	case v == "":
		return "", fmt.Errorf("--allowed-host %q: give a host name or an address", h)
	case strings.Contains(v, "://") || strings.ContainsAny(v, "/?#@"):
		return "", fmt.Errorf("--allowed-host %q: give the host alone, like odsim.test, not a URL", h)
	case strings.Contains(v, ":"):
		return "", fmt.Errorf("--allowed-host %q: give the host without a port", h)
	case strings.ContainsAny(v, "*"):
		return "", fmt.Errorf("--allowed-host %q: give a host name, not a pattern", h)
	}
	for _, label := range strings.Split(v, ".") {
		if label == "" || len(label) > 63 || strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return "", fmt.Errorf("--allowed-host %q is not a host name", h)
		}
	}
	return v, nil
}

// TokenRequired reports whether a control token is set.
func (g *Guard) TokenRequired() bool { return g.token != "" }

// Wrap admits requests to h by the three rules of Guard.
func (g *Guard) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := g.Check(r); err != nil {
			writeError(w, r, g.log, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// HostOnly admits requests to h by the first rule alone. odsim serve puts Open Dental's Subscriptions
// API behind it when it listens on loopback only, where no other name can be meant: a page on a
// rebinding domain could otherwise subscribe a URL of its own to the practice's rows.
func (g *Guard) HostOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := g.checkHost(r); err != nil {
			code, msg := classify(err)
			// Open Dental's API answers errors as a JSON string.
			body, _ := jsonString(msg)
			httpjson.WriteRaw(w, statuses[code], body)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Check applies the three rules to r and returns the first one it breaks as an *Error.
func (g *Guard) Check(r *http.Request) error {
	if err := g.checkHost(r); err != nil {
		return err
	}
	if err := g.checkCaller(r, true); err != nil {
		return err
	}
	return g.checkWrite(r)
}

// checkPublic is Check for the session routes, which a browser calls before it holds the token.
func (g *Guard) checkPublic(r *http.Request) error {
	if err := g.checkHost(r); err != nil {
		return err
	}
	if err := g.checkCaller(r, false); err != nil {
		return err
	}
	return g.checkWrite(r)
}

func (g *Guard) checkHost(r *http.Request) error {
	if g.HostAllowed(r.Host) {
		return nil
	}
	return Errorf(Forbidden,
		"Host %q is not this machine: odsim answers only requests addressed to localhost, a loopback address or a name given with --allowed-host (so that a web page on a DNS-rebinding domain cannot drive it).",
		httpjson.Shorten(r.Host))
}

// HostAllowed reports whether hostport, a Host header, names this machine by the first rule.
func (g *Guard) HostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback() || g.hosts[ip.String()]
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" {
		return false
	}
	return host == "localhost" || strings.HasSuffix(host, ".localhost") || g.hosts[host]
}

// checkCaller applies the second rule; with needToken false (the session routes), a token-holding
// odsim lets the request through without it.
func (g *Guard) checkCaller(r *http.Request, needToken bool) error {
	if g.token != "" {
		if !needToken || g.Authenticated(r) {
			return nil
		}
		return Errorf(Unauthorized,
			"The control API needs Authorization: Bearer <token>, the token odsim serve was given with --control-token (the CLI sends --control-token or ODSIM_CONTROL_TOKEN).")
	}
	if !fromLoopback(r) {
		return Errorf(Forbidden,
			"The control API answers only requests from this machine (loopback) unless odsim serve runs with --control-token; then send Authorization: Bearer <token>.")
	}
	for _, name := range forwardingHeaders {
		if r.Header.Get(name) != "" {
			return Errorf(Forbidden,
				"This request came through a proxy (it has a %s header), so odsim cannot tell that it comes from this machine: run odsim serve with --control-token to use the control API through a proxy.", name)
		}
	}
	return nil
}

// Authenticated reports whether r carries the control token, as a Bearer token or as the session
// cookie. It is false when no token is set.
func (g *Guard) Authenticated(r *http.Request) bool {
	if g.token == "" {
		return false
	}
	if g.bearer(r) {
		return true
	}
	c, err := r.Cookie(SessionCookie)
	return err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(g.session)) == 1
}

// bearer reports whether r carries the token as "Authorization: Bearer <token>".
func (g *Guard) bearer(r *http.Request) bool {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	return strings.EqualFold(scheme, "Bearer") && g.validToken(token)
}

func (g *Guard) checkWrite(r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if err := g.cop.Check(r); err != nil {
		return Errorf(Forbidden,
			"Cross-origin request refused: a page of another site (Origin %q) cannot change odsim's state.", httpjson.Shorten(r.Header.Get("Origin")))
	}
	if r.Method == http.MethodPost && !httpjson.IsJSON(r) {
		return Errorf(NotJSON,
			"Content-Type must be application/json, also for an empty body (curl: --json '{}', or -H 'Content-Type: application/json'): a web page cannot send that to another site, so odsim knows no page sent it.")
	}
	return nil
}

// sessionCookie is the cookie that stands for the token in a browser.
func (g *Guard) sessionCookie(r *http.Request) *http.Cookie {
	return &http.Cookie{Name: SessionCookie, Value: g.session, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: 30 * 24 * 3600}
}

// validToken reports whether token is the control token.
func (g *Guard) validToken(token string) bool {
	return g.token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(g.token)) == 1
}

// fromLoopback reports whether the request's TCP peer is a loopback address.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// jsonString is s as a JSON string, the form of Open Dental's error answers.
func jsonString(s string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(s)
	return buf.Bytes(), err
}
