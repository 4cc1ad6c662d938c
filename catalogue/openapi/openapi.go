// Package openapi builds odsim's OpenAPI 3.1 document: both HTTP surfaces odsim serves (Open Dental's
// Subscriptions API under /api/v1 and odsim's control API under /odsim/v1) and, under webhooks, every
// event odsim POSTs, with the headers Open Dental sends and each body's JSON Schema from the event
// catalogue. Nothing in it is written by hand that the code knows: event schemas come from package
// catalogue, the control API's JSON shapes are reflected from its Go types. docs/openapi.json is this
// document; a test fails when it differs from what the code generates.
package openapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/odsim/odsim/catalogue"
	"github.com/odsim/odsim/control"
	"github.com/odsim/odsim/scenario"
	"github.com/odsim/odsim/subscriptions"
)

// obj and m are catalogue.Object and catalogue.Member under short local names (vet wants keyed
// literals of imported struct types).
type obj []m

type m struct {
	Key   string
	Value any
}

// MarshalJSON writes the members in order.
func (o obj) MarshalJSON() ([]byte, error) {
	c := make(catalogue.Object, len(o))
	for i, x := range o {
		c[i] = catalogue.Member{Key: x.Key, Value: x.Value}
	}
	return c.MarshalJSON()
}

func fromCatalogue(c catalogue.Object) obj {
	o := make(obj, len(c))
	for i, x := range c {
		o[i] = m{x.Key, x.Value}
	}
	return o
}

// Path is where odsim serves the document.
const Path = "/openapi.json"

// Version is the document's info.version: it changes when the document's shapes do.
const Version = "1.0.0"

// Document returns the OpenAPI 3.1 document.
func Document() obj {
	r := newReflector()
	comps := fromCatalogue(catalogue.Schemas(catalogue.Events(), catalogue.ComponentsRefs))
	comps = append(comps,
		m{"Subscription", subscriptionSchema()},
		m{"SubscriptionRequest", subscriptionRequestSchema()},
		m{"ODError", obj{{"type", "string"}, {"description", "Open Dental's API answers errors with a JSON string explaining them; odsim's names the field (\"PollingSeconds must be 1 or more.\")."}}},
		m{"ControlError", obj{{"type", "object"}, {"properties", obj{
			{"error", obj{{"type", "string"}, {"description", "what is wrong, naming the field or parameter"}}},
			{"code", obj{{"type", "string"}, {"enum", control.ErrorCodes()}, {"description", "the kind of refusal, for programs (control/errors.go)"}}},
		}}, {"required", []string{"error", "code"}}, {"additionalProperties", false}}},
	)
	paths := append(subscriptionPaths(), controlPaths(r)...)
	paths = append(paths, m{Path, obj{{"get", obj{
		{"operationId", "getOpenAPI"}, {"tags", []string{"odsim"}},
		{"summary", "This document"},
		{"responses", obj{{"200", obj{{"description", "The OpenAPI 3.1 document of this odsim."}, {"content", jsonContent(obj{{"type", "object"}})}}}}},
	}}}})
	comps = append(comps, r.defs...)
	return obj{
		{"openapi", "3.1.0"},
		{"info", obj{
			{"title", "odsim: Open Dental API Service simulator"},
			{"version", Version},
			{"summary", "Open Dental's Subscriptions API and API Events (webhooks) as odsim serves and sends them, and odsim's control API."},
			{"description", "Generated from odsim's code (`odsim catalogue --format openapi`). Open Dental publishes no schema of its API Events; the webhook bodies here are odsim's, which follow Open Dental's documentation and examples where they exist and the matching API GET shapes where they do not (each schema's description says which)."},
			{"license", obj{{"name", "see the odsim repository"}, {"identifier", "MIT"}}},
		}},
		{"servers", []obj{{{"url", "http://127.0.0.1:30223"}, {"description", "odsim serve (Open Dental API Service's port)"}}}},
		{"tags", []obj{
			{{"name", "subscriptions"}, {"description", "Open Dental's Subscriptions API (since 22.1), as odsim serves it."}},
			{{"name", "control"}, {"description", "odsim's control API: addressed to this machine (Host), from loopback clients only, or with Authorization: Bearer <--control-token>; writes from no other site's page, POSTs with Content-Type: application/json (README, Security)."}},
			{{"name", "odsim"}, {"description", "odsim itself."}},
		}},
		{"paths", obj(paths)},
		{"webhooks", webhooks()},
		{"components", obj{
			{"schemas", comps},
			{"securitySchemes", obj{
				{"ODFHIR", obj{{"type", "apiKey"}, {"in", "header"}, {"name", "Authorization"},
					{"description", "Authorization: ODFHIR {DeveloperKey}/{CustomerKey}. The customer key scopes subscriptions; Open Dental's public test key is ODFHIR NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z."}}},
				{"ControlToken", obj{{"type", "http"}, {"scheme", "bearer"},
					{"description", "Only when odsim serve runs with --control-token; without it the control API serves loopback clients only."}}},
			}},
		}},
	}
}

func ref(name string) obj { return obj{{"$ref", "#/components/schemas/" + name}} }

func jsonContent(schema any) obj {
	return obj{{"application/json", obj{{"schema", schema}}}}
}

func odError(desc string) obj {
	return obj{{"description", desc}, {"content", jsonContent(ref("ODError"))}}
}

func controlError(desc string) obj {
	return obj{{"description", desc}, {"content", jsonContent(ref("ControlError"))}}
}

// subscriptionSchema is the Subscription as Open Dental's API shows it (opendental-events.md §1.4).
func subscriptionSchema() obj {
	dt := obj{{"type", "string"}, {"pattern", `^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$`}}
	var tables []string
	for _, w := range subscriptions.WatchTables {
		tables = append(tables, string(w))
	}
	var uis []string
	for _, u := range subscriptions.UiEventTypes {
		uis = append(uis, string(u))
	}
	keys := []string{"SubscriptionNum", "EndPointUrl", "Workstation", "CustomerKey", "WatchTable", "PollingSeconds", "UiEventType", "DateTimeStart", "DateTimeStop", "Note"}
	return obj{
		{"title", "Subscription"},
		{"description", "A subscription as Open Dental's Subscriptions API answers it, keys in this order."},
		{"type", "object"},
		{"properties", obj{
			{"SubscriptionNum", obj{{"type", "integer"}}},
			{"EndPointUrl", obj{{"type", "string"}, {"description", "where events are POSTed, exactly as stored"}}},
			{"Workstation", obj{{"type", "string"}, {"description", `the machine that sends; "" for every machine`}}},
			{"CustomerKey", obj{{"type", "string"}, {"description", "the customer key of the Authorization header that created it"}}},
			{"WatchTable", obj{{"type", "string"}, {"enum", append([]string{""}, tables...)}}},
			{"PollingSeconds", obj{{"type", "integer"}, {"minimum", 0}, {"description", "0 for UI events"}}},
			{"UiEventType", obj{{"type", "string"}, {"enum", append([]string{""}, uis...)}}},
			{"DateTimeStart", append(dt, m{"description", "start of the next polling window (the cursor), database clock"})},
			{"DateTimeStop", append(dt, m{"description", "expiry; 0001-01-01 00:00:00 for none"})},
			{"Note", obj{{"type", "string"}}},
		}},
		{"required", keys},
		{"additionalProperties", false},
		{"x-key-order", keys},
	}
}

func subscriptionRequestSchema() obj {
	return obj{
		{"title", "SubscriptionRequest"},
		{"description", "The body of POST (EndPointUrl and WatchTable with PollingSeconds, or UiEventType) and of PUT (any of EndPointUrl, Workstation, PollingSeconds, DateTimeStart, DateTimeStop, Note). Unknown or repeated keys, null and wrong JSON types are refused with 400."},
		{"type", "object"},
		{"properties", obj{
			{"EndPointUrl", obj{{"type", "string"}, {"maxLength", 255}}},
			{"Workstation", obj{{"type", "string"}, {"maxLength", 255}}},
			{"WatchTable", propRef("Subscription", "WatchTable")},
			{"PollingSeconds", obj{{"type", "integer"}}},
			{"UiEventType", propRef("Subscription", "UiEventType")},
			{"DateTimeStart", obj{{"type", "string"}, {"description", `"2022-01-31" or "2022-01-31 13:45:00"`}}},
			{"DateTimeStop", obj{{"type", "string"}}},
			{"Note", obj{{"type", "string"}, {"maxLength", 255}}},
		}},
		{"additionalProperties", false},
	}
}

// propRef refers to one property of a component schema.
func propRef(schema, prop string) obj {
	return obj{{"$ref", "#/components/schemas/" + schema + "/properties/" + prop}}
}

func subscriptionPaths() []m {
	security := []obj{{{"ODFHIR", []string{}}}}
	common := func(op obj, responses obj) obj {
		responses = append(responses,
			m{"401", odError("The Authorization header is missing or not ODFHIR {DeveloperKey}/{CustomerKey}, or the pair is not accepted (--api-key).")},
			m{"403", odError("odsim listens on loopback only and the Host header is not this machine (localhost, a loopback address or an --allowed-host).")},
			m{"500", odError("Internal error (details in odsim's log).")})
		return append(op, m{"security", security}, m{"responses", responses})
	}
	body := obj{{"required", true}, {"content", jsonContent(ref("SubscriptionRequest"))}}
	numParam := []obj{{{"name", "SubscriptionNum"}, {"in", "path"}, {"required", true}, {"schema", obj{{"type", "integer"}}}}}
	return []m{
		{"/api/v1/subscriptions", obj{
			{"post", common(obj{{"operationId", "createSubscription"}, {"tags", []string{"subscriptions"}}, {"summary", "Create a subscription"}, {"requestBody", body}},
				obj{
					{"201", obj{{"description", "Created; the body is the subscription (no Location header)."}, {"content", jsonContent(ref("Subscription"))}}},
					{"400", odError("A field is missing or invalid, Content-Type is not application/json, or another unexpired subscription has the same EndPointUrl, Workstation and event type; the message names the field.")},
					{"413", odError("The body is larger than 64 KiB.")},
				})},
			{"get", common(obj{{"operationId", "listSubscriptions"}, {"tags", []string{"subscriptions"}}, {"summary", "List the caller's subscriptions (those of its customer key)"}},
				obj{{"200", obj{{"description", "Every subscription of the caller's customer key."}, {"content", jsonContent(obj{{"type", "array"}, {"items", ref("Subscription")}})}}}})},
		}},
		{"/api/v1/subscriptions/{SubscriptionNum}", obj{
			{"parameters", numParam},
			{"put", common(obj{{"operationId", "updateSubscription"}, {"tags", []string{"subscriptions"}}, {"summary", "Update a subscription; keys left out stay unchanged"}, {"requestBody", body}},
				obj{
					{"200", obj{{"description", "The updated subscription."}, {"content", jsonContent(ref("Subscription"))}}},
					{"400", odError("A field is invalid or may not change (WatchTable, UiEventType, CustomerKey); the message names it.")},
					{"404", odError("Subscription not found (or it belongs to another customer key).")},
					{"413", odError("The body is larger than 64 KiB.")},
				})},
			{"delete", common(obj{{"operationId", "deleteSubscription"}, {"tags", []string{"subscriptions"}}, {"summary", "Delete a subscription"}},
				obj{
					{"200", obj{{"description", "Deleted; empty body."}}},
					{"400", odError("SubscriptionNum is not a number.")},
					{"404", odError("Subscription not found (or it belongs to another customer key).")},
				})},
		}},
	}
}

func controlPaths(r *reflector) []m {
	security := []obj{{}, {{"ControlToken", []string{}}}}
	// answer is an operation whose success is status with ok's JSON.
	answer := func(method, id, summary string, req any, reqDesc string, status string, ok any, okDesc string, errs obj) obj {
		o := obj{{"operationId", id}, {"tags", []string{"control"}}, {"summary", summary}, {"security", security}}
		if req != nil {
			o = append(o, m{"requestBody", obj{{"required", false}, {"description", reqDesc}, {"content", jsonContent(r.schema(reflect.TypeOf(req)))}}})
		}
		resp := obj{{status, obj{{"description", okDesc}, {"content", jsonContent(r.schema(reflect.TypeOf(ok)))}}}}
		resp = append(resp, errs...)
		resp = append(resp,
			m{"401", controlError("--control-token is set and the request lacks Authorization: Bearer <token> (or the session cookie).")},
			m{"403", controlError("The Host header is not this machine (localhost, a loopback address or an --allowed-host); or, without --control-token, the client is not on loopback or came through a proxy; or a write came from another site's page.")})
		if method == http.MethodPost {
			resp = append(resp, m{"415", controlError("Content-Type is not application/json (every POST says it, also with an empty body).")})
		}
		resp = append(resp, m{"500", controlError("Internal error (details in odsim's log).")})
		return append(o, m{"responses", resp})
	}
	op := func(method, id, summary string, req any, reqDesc string, ok any, okDesc string, errs obj) obj {
		return answer(method, id, summary, req, reqDesc, "200", ok, okDesc, errs)
	}
	bad := func(d string) obj { return obj{{"400", controlError(d)}} }
	tooLarge := func(limit string) m { return m{"413", controlError("The body is larger than " + limit + ".")} }
	query := func(name, desc string, schema obj) obj {
		return obj{{"name", name}, {"in", "query"}, {"required", false}, {"description", desc}, {"schema", schema}}
	}
	str, integer := obj{{"type", "string"}}, obj{{"type", "integer"}}
	get, post, del := http.MethodGet, http.MethodPost, http.MethodDelete
	return []m{
		{"/odsim/v1/", obj{{"get", op(get, "listRoutes", "Every route of the control API", nil, "", control.RouteList{}, "The routes.", bad("A query string was given."))}}},
		{"/odsim/v1/poll", obj{{"post", op(post, "pollNow", "Poll now: every subscription, or one; answers once every POST was answered",
			control.PollRequest{}, "{} to poll every subscription.", control.PollResult{}, "What each subscription's poll sent.",
			append(bad("The body is invalid (unknown key, wrong type); the message names the field."), m{"404", controlError("No such subscription.")}, tooLarge("16 KiB")))}}},
		{"/odsim/v1/select-patient", obj{{"post", op(post, "selectPatient", "A workstation selects a patient: PatientSelected to every matching UI subscription",
			control.SelectRequest{}, "", control.Selection{}, "What was sent.",
			append(bad("The body is invalid, or the workstation is not one odsim plays."), m{"404", controlError("No such patient.")}, tooLarge("16 KiB")))}}},
		{"/odsim/v1/deliveries", obj{{"get", append(op(get, "listDeliveries", "The delivery log, oldest first", nil, "", control.DeliveryPage{}, "The deliveries that match.",
			append(bad("A filter is invalid; the message names it."), m{"429", controlError("As many long polls as odsim holds at once are waiting (see Retry-After).")})),
			m{"parameters", []obj{
				query("subscription", "only this subscription's", integer),
				query("table", "only this WatchTable's (or PatientSelected)", str),
				query("workstation", "only this workstation's", str),
				query("status", "ok, failed, or an HTTP status code", str),
				query("since", "only deliveries after this ID", integer),
				query("limit", "at most this many", integer),
				query("wait", `long poll: wait up to this long ("30s") for a delivery after since`, str),
			}})}}},
		{"/odsim/v1/deliveries/{id}", obj{
			{"parameters", []obj{{{"name", "id"}, {"in", "path"}, {"required", true}, {"schema", integer}}}},
			{"get", op(get, "getDelivery", "One delivery with its headers and body as sent", nil, "", control.Delivery{}, "The delivery.",
				append(bad("id is not a number."), m{"404", controlError("The log holds no such delivery (never, or dropped).")}))},
		}},
		{"/odsim/v1/deliveries/{id}/schema", obj{
			{"parameters", []obj{{{"name", "id"}, {"in", "path"}, {"required", true}, {"schema", integer}}}},
			{"get", obj{{"operationId", "getDeliverySchema"}, {"tags", []string{"control"}}, {"security", security},
				{"summary", "The JSON Schema (draft 2020-12) of one delivery's body, from the event catalogue"},
				{"responses", obj{
					{"200", obj{{"description", "A standalone JSON Schema: $defs/<Event>Body (database events) or $defs/<Event> (UI events)."}, {"content", obj{{"application/schema+json", obj{{"schema", obj{{"type", "object"}}}}}}}}},
					{"400", controlError("id is not a number, or a query string was given.")},
					{"404", controlError("The log holds no such delivery.")},
					{"401", controlError("--control-token is set and the request lacks Authorization: Bearer <token> (or the session cookie).")},
					{"403", controlError("The Host header is not this machine, or, without --control-token, the client is not on loopback or came through a proxy.")},
				}},
			}},
		}},
		{"/odsim/v1/workstations", obj{{"get", op(get, "listWorkstations", "The workstations odsim plays and their selected patients", nil, "", control.WorkstationList{}, "The workstations.", nil)}}},
		{"/odsim/v1/database", obj{{"get", op(get, "getDatabase", "The database odsim polls, named without credentials (odsim replay and simulate check a --dsn against it)", nil, "",
			control.DatabaseInfo{}, "The database's identity, and the embedded database's address when odsim runs one.", bad("A query string was given."))}}},
		{"/odsim/v1/scenarios", obj{
			{"get", op(get, "listScenarios", "The built-in scenarios and the runs of this odsim", nil, "", control.ScenarioList{}, "Built-ins and runs.", nil)},
			{"post", answer(post, "startScenario", "Start a scenario (a built-in by name, or YAML); its Location is the run", control.StartRequest{}, "", "202", scenario.RunStatus{}, "The run, started.",
				obj{
					{"400", controlError("The body or the scenario is invalid; the message names the field or the line.")},
					{"413", controlError("The body is larger than 1 MiB.")},
					{"429", controlError("As many runs as odsim runs at once are in progress (see Retry-After).")},
				})},
		}},
		{"/odsim/v1/scenarios/{id}", obj{
			{"parameters", []obj{{{"name", "id"}, {"in", "path"}, {"required", true}, {"schema", integer}}}},
			{"get", op(get, "getScenario", "A run's progress", nil, "", scenario.RunStatus{}, "The run.", append(bad("id is not a number."), m{"404", controlError("No such run.")}))},
			{"delete", op(del, "stopScenario", "Stop a run", nil, "", scenario.RunStatus{}, "The run, stopped.", append(bad("id is not a number."), m{"404", controlError("No such run.")}))},
		}},
		{"/odsim/v1/session", obj{
			{"get", op(get, "getSession", "Whether odsim needs the control token, and whether this request holds it", nil, "", control.Session{}, "The session.", nil)},
			{"post", op(post, "startSession", "Hold the control token in the browser, as an HttpOnly, SameSite=Strict cookie", control.SessionRequest{}, "", control.Session{}, "The cookie is set (with --control-token).",
				append(bad("The body is invalid."), tooLarge("16 KiB")))},
			{"delete", op(del, "endSession", "Drop the session cookie", nil, "", control.Session{}, "The cookie is dropped.", nil)},
		}},
	}
}

// webhooks has one entry per event: the POST Open Dental sends, its headers and body.
func webhooks() obj {
	var out obj
	for _, e := range catalogue.Events() {
		kind, value := "WatchTable", e.Name
		if e.UI {
			kind = "UiEventType"
		}
		params := []obj{
			{{"name", "Authorization"}, {"in", "header"}, {"required", true}, {"description", "The subscription's customer key, bare (no ODFHIR, no developer key)."}, {"schema", obj{{"type", "string"}}}},
			{{"name", "Workstation"}, {"in", "header"}, {"required", true}, {"description", "The sending machine's name (Open Dental since 22.4.28)."}, {"schema", obj{{"type", "string"}}}},
			{{"name", "Event-Type"}, {"in", "header"}, {"required", true}, {"description", "The event's type (Open Dental since 22.4.35)."}, {"schema", obj{{"type", "string"}, {"const", kind + ": " + value}}}},
		}
		desc := e.About + " Added in Open Dental " + e.Added + ". Shape: " + e.Source + "."
		if e.UI {
			desc += " The body is one JSON object; it is sent once, whatever the answer."
		} else {
			desc += fmt.Sprintf(" Polled from %s.%s every PollingSeconds; the body is an array of at most %d elements, several POSTs in order when more rows changed. Only 200 counts as delivered; anything else sends the same window again next cycle.", e.Table, e.Watch, catalogue.MaxBatch)
		}
		content := obj{{"schema", ref(catalogue.BodyName(e))}}
		if ex := catalogue.Example(e); ex != nil {
			content = append(content, m{"example", ex})
		}
		out = append(out, m{e.Name, obj{{"post", obj{
			{"operationId", "event" + e.Name},
			{"summary", kind + ": " + value},
			{"description", desc},
			{"parameters", params},
			{"requestBody", obj{{"required", true}, {"content", obj{{"application/json", content}}}}},
			{"responses", obj{
				{"200", obj{{"description", "Delivered. Open Dental moves the subscription's cursor only after every page got 200."}}},
				{"default", obj{{"description", "Any other answer, a timeout (about 60 s) or a connection error: not delivered; the window is sent again on a later cycle (database events) or never (UI events)."}}},
			}},
		}}}})
	}
	return out
}

// reflector builds JSON Schemas of the control API's Go types from their json tags, naming each
// struct type once under components/schemas.
type reflector struct {
	defs  obj
	named map[reflect.Type]string
}

func newReflector() *reflector { return &reflector{named: map[reflect.Type]string{}} }

var (
	timeType   = reflect.TypeOf(time.Time{})
	headerType = reflect.TypeOf(http.Header{})
	rawType    = reflect.TypeOf(json.RawMessage{})
)

func (r *reflector) schema(t reflect.Type) obj {
	switch t {
	case timeType:
		return obj{{"type", "string"}, {"format", "date-time"}}
	case headerType:
		return obj{{"type", "object"}, {"additionalProperties", obj{{"type", "array"}, {"items", obj{{"type", "string"}}}}}}
	case rawType:
		return obj{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return r.schema(t.Elem())
	case reflect.String:
		return obj{{"type", "string"}}
	case reflect.Bool:
		return obj{{"type", "boolean"}}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return obj{{"type", "integer"}}
	case reflect.Float64:
		return obj{{"type", "number"}}
	case reflect.Slice:
		return obj{{"type", "array"}, {"items", r.schema(t.Elem())}}
	case reflect.Struct:
		if t.Name() == "" {
			return r.object(t)
		}
		name := r.named[t]
		if name == "" {
			// Named by package and type: ControlDelivery, ScenarioRunStatus.
			pkg := t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:]
			name = strings.ToUpper(pkg[:min(1, len(pkg))]) + pkg[min(1, len(pkg)):] + strings.ToUpper(t.Name()[:1]) + t.Name()[1:]
			r.named[t] = name
			r.defs = append(r.defs, m{name, nil})
			i := len(r.defs) - 1
			r.defs[i].Value = r.object(t)
		}
		return ref(name)
	}
	panic("openapi: no schema for " + t.String())
}

func (r *reflector) object(t reflect.Type) obj {
	var props obj
	var required []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props = append(props, m{name, r.schema(f.Type)})
		if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
			required = append(required, name)
		}
	}
	o := obj{{"type", "object"}, {"properties", props}}
	if len(required) > 0 {
		o = append(o, m{"required", required})
	}
	return o
}

// JSON returns the document as committed in docs/openapi.json and served at Path.
func JSON() ([]byte, error) { return catalogue.Indent(Document()) }

// Handler serves the document as JSON.
func Handler() http.Handler {
	doc, err := JSON()
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if err != nil {
			http.Error(w, `{"error":"openapi document: `+err.Error()+`"}`, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(doc)
	})
}
