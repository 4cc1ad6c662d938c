package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultAddr is where a local odsim serves: Open Dental's API Service port on loopback.
const DefaultAddr = "http://127.0.0.1:30223"

// maxAnswerBytes bounds an answer the client reads: a page of the delivery log is the largest.
const maxAnswerBytes = 64 << 20

// Client talks to a running odsim over HTTP: its control API, and the Open Dental Subscriptions API it
// serves (which works against a real Open Dental API Service too). It is what the CLI's subcommands use.
type Client struct {
	base  string // scheme://host:port, no trailing slash
	hc    *http.Client
	token string // control API token, sent as Authorization: Bearer; "" sends none
}

// SetControlToken makes the client send token on every control API request, as odsim serve
// --control-token requires.
func (c *Client) SetControlToken(token string) { c.token = token }

// NewClient returns a client of the odsim at addr: a URL (http://127.0.0.1:30223) or host:port. hc is
// the HTTP client to use; a default one when nil.
func NewClient(addr string, hc *http.Client) (*Client, error) {
	a := strings.TrimSpace(addr)
	if !strings.Contains(a, "://") {
		a = "http://" + a
	}
	u, err := url.Parse(a)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.User != nil {
		return nil, fmt.Errorf("odsim address %q: use http://host:port, like %s", addr, DefaultAddr)
	}
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{base: u.Scheme + "://" + u.Host, hc: hc}, nil
}

// Base is the odsim the client talks to, as scheme://host:port.
func (c *Client) Base() string { return c.base }

// APIError is an answer other than success, with the message odsim (or Open Dental) gave.
type APIError struct {
	Status  int
	Message string
	Code    string // the control API's error code (errors.go), "" from Open Dental's API
}

func (e *APIError) Error() string { return fmt.Sprintf("%s (HTTP %d)", e.Message, e.Status) }

// UnreachableError means no odsim answered at the address.
type UnreachableError struct {
	Addr string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach odsim at %s: %v", e.Addr, e.Err)
}
func (e *UnreachableError) Unwrap() error { return e.Err }

// SelectPatient asks workstation req.Workstation to select patient req.PatNum.
func (c *Client) SelectPatient(ctx context.Context, req SelectRequest) (Selection, error) {
	var out Selection
	err := c.do(ctx, http.MethodPost, Prefix+"select-patient", nil, req, &out)
	return out, err
}

// Poll polls subscription num now (every subscription when num is 0) and returns what was sent.
func (c *Client) Poll(ctx context.Context, num int64) (PollResult, error) {
	var req PollRequest
	if num != 0 {
		req.Subscription = &num
	}
	var out PollResult
	err := c.do(ctx, http.MethodPost, Prefix+"poll", nil, req, &out)
	return out, err
}

// DeliveryQuery selects deliveries; zero fields select everything.
type DeliveryQuery struct {
	Subscription int64
	Table        string
	Workstation  string
	Status       string
	Since        *int64 // nil: the newest Limit
	Limit        int
	Wait         time.Duration // long poll; needs Since
}

// Deliveries lists deliveries from the log.
func (c *Client) Deliveries(ctx context.Context, q DeliveryQuery) (DeliveryPage, error) {
	v := url.Values{}
	if q.Subscription != 0 {
		v.Set("subscription", strconv.FormatInt(q.Subscription, 10))
	}
	if q.Table != "" {
		v.Set("table", q.Table)
	}
	if q.Workstation != "" {
		v.Set("workstation", q.Workstation)
	}
	if q.Status != "" {
		v.Set("status", q.Status)
	}
	if q.Since != nil {
		v.Set("since", strconv.FormatInt(*q.Since, 10))
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Wait != 0 {
		v.Set("wait", q.Wait.String())
	}
	var out DeliveryPage
	err := c.do(ctx, http.MethodGet, Prefix+"deliveries", v, nil, &out)
	return out, err
}

// Delivery returns one delivery with its headers and body.
func (c *Client) Delivery(ctx context.Context, id int64) (Delivery, error) {
	var out Delivery
	err := c.do(ctx, http.MethodGet, Prefix+"deliveries/"+strconv.FormatInt(id, 10), nil, nil, &out)
	return out, err
}

// Workstations lists the workstations odsim plays.
func (c *Client) Workstations(ctx context.Context) (WorkstationList, error) {
	var out WorkstationList
	err := c.do(ctx, http.MethodGet, Prefix+"workstations", nil, nil, &out)
	return out, err
}

// ODSubscription is a subscription as Open Dental's Subscriptions API shows it, in its field order.
type ODSubscription struct {
	SubscriptionNum int64
	EndPointUrl     string
	Workstation     string
	CustomerKey     string
	WatchTable      string
	PollingSeconds  int
	UiEventType     string
	DateTimeStart   string
	DateTimeStop    string
	Note            string
}

// NewODSubscription is the body of a Subscriptions POST; empty fields are left out.
type NewODSubscription struct {
	EndPointUrl    string
	Workstation    string `json:",omitempty"`
	WatchTable     string `json:",omitempty"`
	PollingSeconds int    `json:",omitempty"`
	UiEventType    string `json:",omitempty"`
	DateTimeStart  string `json:",omitempty"`
	DateTimeStop   string `json:",omitempty"`
	Note           string `json:",omitempty"`
}

// CreateSubscription creates a subscription through Open Dental's API with the key pair
// "DeveloperKey/CustomerKey".
func (c *Client) CreateSubscription(ctx context.Context, keyPair string, s NewODSubscription) (ODSubscription, error) {
	var out ODSubscription
	err := c.doOD(ctx, http.MethodPost, keyPair, "", s, &out)
	return out, err
}

// ListSubscriptions lists the subscriptions of the key pair's CustomerKey through Open Dental's API.
func (c *Client) ListSubscriptions(ctx context.Context, keyPair string) ([]ODSubscription, error) {
	var out []ODSubscription
	err := c.doOD(ctx, http.MethodGet, keyPair, "", nil, &out)
	return out, err
}

// UpdateODSubscription is the body of a Subscriptions PUT. Only the fields set are sent; Open Dental
// leaves the others unchanged. WatchTable, UiEventType and CustomerKey cannot change.
type UpdateODSubscription struct {
	EndPointUrl    *string `json:",omitempty"`
	Workstation    *string `json:",omitempty"`
	PollingSeconds *int    `json:",omitempty"`
	DateTimeStart  *string `json:",omitempty"`
	DateTimeStop   *string `json:",omitempty"`
	Note           *string `json:",omitempty"`
}

// UpdateSubscription changes subscription num of the key pair's CustomerKey through Open Dental's API.
// Open Dental documents only "200 OK" for a PUT; odsim answers with the subscription as stored, which
// is returned with ok true (ok is false when the answer had no body).
func (c *Client) UpdateSubscription(ctx context.Context, keyPair string, num int64, u UpdateODSubscription) (_ ODSubscription, ok bool, _ error) {
	var out ODSubscription
	err := c.doOD(ctx, http.MethodPut, keyPair, "/"+strconv.FormatInt(num, 10), u, &out)
	return out, out.SubscriptionNum != 0, err
}

// DeleteSubscription deletes subscription num of the key pair's CustomerKey through Open Dental's API.
func (c *Client) DeleteSubscription(ctx context.Context, keyPair string, num int64) error {
	return c.doOD(ctx, http.MethodDelete, keyPair, "/"+strconv.FormatInt(num, 10), nil, nil)
}

func (c *Client) doOD(ctx context.Context, method, keyPair, sub string, in, out any) error {
	h := http.Header{"Authorization": {"ODFHIR " + keyPair}}
	return c.request(ctx, method, "/api/v1/subscriptions"+sub, nil, h, in, out)
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	h := http.Header{}
	if c.token != "" {
		h.Set("Authorization", "Bearer "+c.token)
	}
	return c.request(ctx, method, path, q, h, in, out)
}

// request sends in as JSON (when not nil) and decodes a 2xx answer into out.
func (c *Client) request(ctx context.Context, method, path string, q url.Values, h http.Header, in, out any) error {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(data)
		h.Set("Content-Type", "application/json")
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header = h
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &UnreachableError{Addr: c.base, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return fmt.Errorf("read answer of %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		msg, code := errorMessage(data, resp.Status)
		return &APIError{Status: resp.StatusCode, Message: msg, Code: code}
	}
	if out == nil {
		return nil
	}
	if len(bytes.TrimSpace(data)) == 0 && (method == http.MethodPut || method == http.MethodDelete) {
		return nil // Open Dental documents only "200 OK" for these: out stays as it was
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("answer of %s %s is not what odsim sends (is %s odsim?): %w", method, path, c.base, err)
	}
	return nil
}

// errorMessage reads an error answer: odsim's {"error": "...", "code": "..."}, Open Dental's JSON
// string, or text.
func errorMessage(data []byte, status string) (message, code string) {
	var obj ErrorBody
	if json.Unmarshal(data, &obj) == nil && obj.Error != "" {
		return obj.Error, obj.Code
	}
	var s string
	if json.Unmarshal(data, &s) == nil && s != "" {
		return s, ""
	}
	if t := strings.TrimSpace(string(data)); t != "" && len(t) < 500 {
		return t, ""
	}
	return status, ""
}
