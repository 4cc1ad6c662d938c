package subscriptions

import (
	"crypto/subtle"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/odsim/odsim/httpjson"
)

// DefaultMaxBodyBytes bounds a request body when HandlerOptions.MaxBodyBytes is 0. A subscription is a
// few hundred bytes; Open Dental's own 16.8 M character limit would only let a caller make odsim buffer.
const DefaultMaxBodyBytes = 64 << 10

// maxKeyLen bounds each half of the Authorization key pair: CustomerKey is stored in a varchar(255),
// which would cut a longer key silently and so merge tenants.
const maxKeyLen = 255

// HandlerOptions configures the Subscriptions API.
type HandlerOptions struct {
	// APIKeys are the accepted "DeveloperKey/CustomerKey" pairs. Empty accepts any well-formed pair, as a
	// simulator should; Open Dental itself checks keys with its headquarters.
	APIKeys []string
	// MaxBodyBytes bounds POST and PUT bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Logger receives internal errors, once each, with the request's context; nil means slog.Default().
	Logger *slog.Logger
}

// api serves Open Dental's Subscriptions REST API over a Store.
type api struct {
	store   Store
	keys    []string
	maxBody int64
	logger  *slog.Logger
}

// NewHandler returns the Subscriptions API as a handler of its own that serves only /api/v1/subscriptions
// paths. To share a listener, call Register on the shared mux instead.
func NewHandler(store Store, opts HandlerOptions) http.Handler {
	mux := http.NewServeMux()
	Register(mux, store, opts)
	return mux
}

// Register adds the Subscriptions API's routes to mux. It claims only method patterns under
// /api/v1/subscriptions, so other routes (the control API, the dashboard) can share the mux; a request
// with another method on these paths gets the mux's own 405.
func Register(mux *http.ServeMux, store Store, opts HandlerOptions) {
	a := &api{store: store, keys: opts.APIKeys, maxBody: opts.MaxBodyBytes, logger: opts.Logger}
	if a.maxBody <= 0 {
		a.maxBody = DefaultMaxBodyBytes
	}
	if a.logger == nil {
		a.logger = slog.Default()
	}
	a.routes(mux)
}

// Path is where Open Dental's API Service serves the Subscriptions API.
const Path = "/api/v1/subscriptions"

// routes lists every route of the API.
func (a *api) routes(mux *http.ServeMux) {
	mux.Handle("POST "+Path, a.authorized(a.createSubscription))
	mux.Handle("GET "+Path, a.authorized(a.listSubscriptions))
	mux.Handle("PUT "+Path+"/{num}", a.authorized(a.updateSubscription))
	mux.Handle("DELETE "+Path+"/{num}", a.authorized(a.deleteSubscription))
}

// createSubscription is POST /api/v1/subscriptions: 201 and the stored subscription.
func (a *api) createSubscription(w http.ResponseWriter, r *http.Request, customerKey string) {
	data, err := a.readBody(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	body, err := decodeBody(data, createFields)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	s, err := body.newSubscription(customerKey)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	created, existing, err := create(r.Context(), a.store, s)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if existing {
		a.fail(w, r, Errorf(Invalid,
			"A subscription with the same EndPointUrl, Workstation, WatchTable and UiEventType exists and has not expired: SubscriptionNum %d.",
			created.Num))
		return
	}
	writeJSON(w, http.StatusCreated, created.AppendJSON(nil))
}

// listSubscriptions is GET /api/v1/subscriptions: the caller's subscriptions by SubscriptionNum. It takes no
// parameters; any query string is ignored.
func (a *api) listSubscriptions(w http.ResponseWriter, r *http.Request, customerKey string) {
	list, err := a.store.ListSubscriptions(r.Context(), customerKey)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, appendSubscriptionList(nil, list))
}

// updateSubscription is PUT /api/v1/subscriptions/{num}: 200 and the subscription as stored afterwards (Open Dental
// documents only "200 OK"; the body lets a caller see the result without a second request).
func (a *api) updateSubscription(w http.ResponseWriter, r *http.Request, customerKey string) {
	num, err := parseNum(r.PathValue("num"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	data, err := a.readBody(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	body, err := decodeBody(data, updateFields)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	u, err := body.update()
	if err != nil {
		a.fail(w, r, err)
		return
	}
	cur, err := a.store.GetSubscription(r.Context(), customerKey, num)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if u, err = checkUpdate(cur, u); err != nil {
		a.fail(w, r, err)
		return
	}
	updated, err := a.store.UpdateSubscription(r.Context(), customerKey, num, u)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, updated.AppendJSON(nil))
}

// deleteSubscription is DELETE /api/v1/subscriptions/{num}: 200 with an empty body.
func (a *api) deleteSubscription(w http.ResponseWriter, r *http.Request, customerKey string) {
	num, err := parseNum(r.PathValue("num"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.store.DeleteSubscription(r.Context(), customerKey, num); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// authorized runs h with the caller's CustomerKey once the Authorization header names an accepted key
// pair; otherwise it answers 401. The keys go nowhere else: not into logs, not into errors.
func (a *api) authorized(h func(http.ResponseWriter, *http.Request, string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dev, cust, err := ParseAuthorization(r.Header.Get("Authorization"))
		if err == nil && !a.accepts(dev+"/"+cust) {
			err = Errorf(Unauthorized, "The DeveloperKey/CustomerKey pair in the Authorization header is not accepted.")
		}
		if err != nil {
			w.Header().Set("WWW-Authenticate", "ODFHIR")
			a.fail(w, r, err)
			return
		}
		h(w, r, cust)
	})
}

// accepts reports whether pair is allowed: any pair without a configured list, else one of the list,
// compared in constant time.
func (a *api) accepts(pair string) bool {
	if len(a.keys) == 0 {
		return true
	}
	ok := 0
	for _, k := range a.keys {
		ok |= subtle.ConstantTimeCompare([]byte(k), []byte(pair))
	}
	return ok == 1
}

// ParseAuthorization reads an Open Dental Authorization header, "ODFHIR {DeveloperKey}/{CustomerKey}"
// (the scheme in any letter case), into its two keys. Each key must be 1 to 255 visible ASCII characters
// without "/". Errors have code Unauthorized and never repeat the keys.
func ParseAuthorization(header string) (developerKey, customerKey string, err error) {
	const form = "Authorization: ODFHIR {DeveloperKey}/{CustomerKey}"
	if header == "" {
		return "", "", Errorf(Unauthorized, "The Authorization header is required: %s.", form)
	}
	scheme, pair, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "ODFHIR") {
		return "", "", Errorf(Unauthorized, "The Authorization header must use the ODFHIR scheme: %s.", form)
	}
	developerKey, customerKey, err = ParseKeyPair(pair)
	if err != nil {
		return "", "", Errorf(Unauthorized, "The Authorization header %s: %s.", err.Error(), form)
	}
	return developerKey, customerKey, nil
}

// ParseKeyPair splits "DeveloperKey/CustomerKey" as ParseAuthorization and --api-key take it. Its error
// says what is wrong without repeating the keys.
func ParseKeyPair(pair string) (developerKey, customerKey string, err error) {
	dev, cust, ok := strings.Cut(pair, "/")
	switch {
	case !ok || strings.Contains(cust, "/"):
		return "", "", errors.New("must hold exactly one \"/\" between the DeveloperKey and the CustomerKey")
	case dev == "" || cust == "":
		return "", "", errors.New("must have a non-empty DeveloperKey and CustomerKey")
	case len(dev) > maxKeyLen || len(cust) > maxKeyLen:
		return "", "", errors.New("has a key longer than 255 characters")
	case !visibleASCII(dev) || !visibleASCII(cust):
		return "", "", errors.New("has a key with spaces or characters other than visible ASCII")
	}
	return dev, cust, nil
}

func visibleASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// parseNum reads the {num} path segment: a SubscriptionNum is a positive whole number, written in digits.
func parseNum(v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 || strings.Trim(v, "0123456789") != "" {
		return 0, Errorf(Invalid, "SubscriptionNum in the URL must be a positive whole number, not %s.", quoteKey(v))
	}
	return n, nil
}

// readBody checks that a POST or PUT declares a JSON body and reads it, at most a.maxBody bytes.
func (a *api) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	mediaType, params, err := mime.ParseMediaType(ct)
	if err != nil || mediaType != "application/json" {
		return nil, Errorf(Invalid, "Content-Type must be application/json.")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return nil, Errorf(Invalid, "Content-Type charset must be utf-8.")
	}
	data, err := httpjson.ReadBody(w, r, a.maxBody)
	var je *httpjson.Error
	if errors.As(err, &je) {
		if je.Status == http.StatusRequestEntityTooLarge {
			return nil, Errorf(TooLarge, "%s", je.Message)
		}
		return nil, Errorf(Invalid, "%s", je.Message)
	}
	return data, err
}

// fail answers with err's status and caller-safe message. Internal errors are logged here, once, with
// the request's context; their detail never reaches the caller.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := ErrorCode(err)
	if code == Internal {
		a.logger.ErrorContext(r.Context(), "subscriptions api: request failed",
			"method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, HTTPStatus(code), appendJSONString(nil, ErrorMessage(err)))
}

// writeJSON sends body, already JSON, with status.
func writeJSON(w http.ResponseWriter, status int, body []byte) { httpjson.WriteRaw(w, status, body) }
