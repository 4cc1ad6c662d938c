package control

import (
	"net/http"

	"github.com/odsim/odsim/httpjson"
)

// The session routes let a browser hold the control token without any script seeing it: the page asks
// the user for the token once, POSTs it here, and from then on the browser sends the HttpOnly,
// SameSite=Strict session cookie that stands for it. They are guarded like every control route (Host,
// and without a token a loopback peer; writes need this origin and JSON) except that they do not need
// the token themselves.

var sessionFields = httpjson.Object{Fields: []string{"token"}}

// getSession is GET /odsim/v1/session: whether odsim needs a token, and whether this request has it.
func (a *api) getSession(w http.ResponseWriter, r *http.Request) {
	if err := noQuery(r); err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.sessionOf(r))
}

func (a *api) sessionOf(r *http.Request) Session {
	if !a.guard.TokenRequired() {
		return Session{TokenRequired: false, Authenticated: true}
	}
	return Session{TokenRequired: true, Authenticated: a.guard.Authenticated(r)}
}

// startSession is POST /odsim/v1/session {"token": "..."}: with the right token, set the session cookie.
// Without --control-token there is nothing to hold, and the answer says so.
func (a *api) startSession(w http.ResponseWriter, r *http.Request) {
	var req SessionRequest
	data, err := httpjson.ReadBody(w, r, a.maxBody)
	if err == nil {
		err = sessionFields.Decode(data, &req, false)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if !a.guard.TokenRequired() {
		writeJSON(w, http.StatusOK, a.sessionOf(r))
		return
	}
	if !a.guard.validToken(req.Token) {
		a.fail(w, r, Errorf(Unauthorized, "token is not the token odsim serve was given with --control-token."))
		return
	}
	http.SetCookie(w, a.guard.sessionCookie(r))
	writeJSON(w, http.StatusOK, Session{TokenRequired: true, Authenticated: true})
}

// endSession is DELETE /odsim/v1/session: drop the session cookie.
func (a *api) endSession(w http.ResponseWriter, r *http.Request) {
	if err := noQuery(r); err != nil {
		a.fail(w, r, err)
		return
	}
	if a.guard.TokenRequired() {
		c := a.guard.sessionCookie(r)
		c.Value, c.MaxAge = "", -1
		http.SetCookie(w, c)
	}
	s := a.sessionOf(r)
	s.Authenticated = !a.guard.TokenRequired() || a.guard.bearer(r)
	writeJSON(w, http.StatusOK, s)
}
