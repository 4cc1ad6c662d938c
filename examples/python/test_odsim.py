#!/usr/bin/env python3
"""An integration test of a webhook consumer against odsim, written the way a consumer's own test suite
would be: it talks to odsim with plain HTTP only, and uses nothing but Python's standard library.

It builds and starts the real odsim binary against a fresh MariaDB/MySQL database, runs its own webhook
receiver, and then:

  1. creates subscriptions through Open Dental's Subscriptions API (POST /api/v1/subscriptions),
  2. changes data in the database with the mariadb client,
  3. makes odsim poll now (POST /odsim/v1/poll) instead of waiting PollingSeconds,
  4. fires PatientSelected (POST /odsim/v1/select-patient),
  5. asserts on what its receiver got and on odsim's delivery log (GET /odsim/v1/deliveries),
  6. checks every body its receiver got against odsim's event catalogue: the JSON Schema of each
     delivery (GET /odsim/v1/deliveries/{id}/schema, the same as `odsim catalogue --format jsonschema`),
     with the small validator below (the catalogue uses only type, enum, pattern, required,
     additionalProperties, items, minItems/maxItems and $ref), and the key order it notes (x-key-order).

Run it from anywhere:

    python3 examples/python/test_odsim.py -v

Environment:
    ODSIM_BIN       an odsim binary to use instead of building one with `go build`
    ODSIM_TEST_DSN  the database server, go-sql-driver form (default root@tcp(127.0.0.1:3306)/)
"""

import http.server
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KEY = "NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z"  # Open Dental's public test DeveloperKey/CustomerKey
CUSTOMER_KEY = KEY.split("/")[1]


def server_dsn():
    """The database server as (user, password, host, port) from ODSIM_TEST_DSN."""
    dsn = os.environ.get("ODSIM_TEST_DSN", "root@tcp(127.0.0.1:3306)/")
    m = re.match(r"^([^:@]*)(?::([^@]*))?@tcp\(([^:)]+):(\d+)\)/", dsn)
    if not m:
        raise RuntimeError("ODSIM_TEST_DSN %r: expected user[:password]@tcp(host:port)/" % dsn)
    return m.group(1), m.group(2) or "", m.group(3), m.group(4)


def sql(statements, database=None):
    """Runs SQL with the mariadb client under Open Dental's empty sql_mode and returns its output."""
    user, password, host, port = server_dsn()
    args = ["mariadb", "-h" + host, "-P" + port, "-u" + user, "--batch", "--skip-column-names"]
    if password:
        args.append("-p" + password)
    if database:
        args.append(database)
    out = subprocess.run(args, input="SET sql_mode='';\n" + statements, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def schema_problems(value, schema, root, where="body"):
    """The ways value differs from schema, a JSON Schema of odsim's catalogue (root holds its $defs)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return schema_problems(value, root["$defs"][name], root, where)
    problems = []
    kind = schema.get("type")
    python_types = {"object": dict, "array": list, "string": str, "number": (int, float), "integer": int}
    if kind and (not isinstance(value, python_types[kind]) or isinstance(value, bool)):
        return ["%s: %r is not a JSON %s" % (where, value, kind)]
    if "enum" in schema and value not in schema["enum"]:
        problems.append("%s: %r is not one of %s" % (where, value, schema["enum"]))
    if "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append("%s: %r does not match %s" % (where, value, schema["pattern"]))
    if kind == "array":
        if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value)):
            problems.append("%s: %d elements" % (where, len(value)))
        for i, item in enumerate(value):
            problems += schema_problems(item, schema["items"], root, "%s[%d]" % (where, i))
    if kind == "object":
        props = schema.get("properties", {})
        problems += ["%s: missing %s" % (where, k) for k in schema.get("required", []) if k not in value]
        if schema.get("additionalProperties") is False:
            problems += ["%s: unexpected key %s" % (where, k) for k in value if k not in props]
        order = schema.get("x-key-order")
        if order and list(value) != order and sorted(value) == sorted(order):
            problems.append("%s: keys out of order" % where)
        for k, v in value.items():
            if k in props:
                problems += schema_problems(v, props[k], root, "%s.%s" % (where, k))
    return problems


class Receiver:
    """The consumer's webhook endpoint: records every POST; paths starting /fail answer 500."""

    def __init__(self):
        self.requests = []
        self.cond = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = 500 if self.path.startswith("/fail") else 200
                with receiver.cond:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    receiver.cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self, path_prefix):
        with self.cond:
            return [r for r in self.requests if r["path"].startswith(path_prefix)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class OdsimTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="odsim-example-")
        binary = os.environ.get("ODSIM_BIN")
        if not binary:
            binary = os.path.join(cls.tmp, "odsim")
            subprocess.run(["go", "build", "-o", binary, "./cmd/odsim"], cwd=REPO, check=True)
        cls.binary = binary

        cls.database = "odsim_example_" + secrets.token_hex(4)
        sql("CREATE DATABASE `%s` CHARACTER SET utf8mb3;" % cls.database)
        user, password, host, port = server_dsn()
        cred = user + (":" + password if password else "")
        dsn = "%s@tcp(%s:%s)/%s" % (cred, host, port, cls.database)

        cls.receiver = Receiver()
        cls.log = open(os.path.join(cls.tmp, "odsim.log"), "w+")
        cls.odsim = subprocess.Popen(
            [binary, "serve", "--dsn", dsn, "--listen", "127.0.0.1:0", "--workstation", "MOLLYR,FRONTDESK",
             "--record", os.path.join(cls.tmp, "record.jsonl")],
            stdout=subprocess.PIPE, stderr=cls.log, text=True)
        # The first line names the address: "odsim dev: Open Dental API at http://127.0.0.1:PORT/api/v1 ..."
        line = cls.odsim.stdout.readline()
        m = re.search(r"(http://127\.0\.0\.1:\d+)/api/v1", line)
        if not m:
            cls.tearDownClass()
            raise RuntimeError("odsim did not start: %r" % line)
        cls.base = m.group(1)
        cls.checked = set()  # delivery IDs already checked against the catalogue
        deadline = time.time() + 10
        while True:
            try:
                if cls.http("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("odsim /healthz did not answer within 10s")
            time.sleep(0.1)
        # The tables exist now (odsim creates what a database lacks); add the rows the test relies on.
        sql("INSERT INTO patient (PatNum, LName, FName, Guarantor, ClinicNum) VALUES (28, 'Harrison', 'Bradley', 28, 0);",
            cls.database)

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "odsim", None):
            cls.odsim.terminate()
            try:
                cls.odsim.wait(10)
            except subprocess.TimeoutExpired:
                cls.odsim.kill()
            cls.odsim.stdout.close()
        if getattr(cls, "receiver", None):
            cls.receiver.close()
        if getattr(cls, "log", None):
            cls.log.close()
        if getattr(cls, "database", None):
            sql("DROP DATABASE IF EXISTS `%s`;" % cls.database)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def http(cls, method, path, body=None, headers=None):
        """Sends a request to odsim; returns (status, parsed JSON or None)."""
        data = None
        headers = dict(headers or {})
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(cls.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode()

    def tearDown(self):
        """Every body the receiver got in this test matches its delivery's schema in the catalogue."""
        status, page = self.http("GET", "/odsim/v1/deliveries?since=0")
        self.assertEqual(status, 200, page)
        for d in page["deliveries"]:
            if d["id"] in self.checked:
                continue
            self.checked.add(d["id"])
            status, full = self.http("GET", "/odsim/v1/deliveries/%d" % d["id"])
            status, schema = self.http("GET", "/odsim/v1/deliveries/%d/schema" % d["id"])
            self.assertEqual(status, 200, schema)
            body = json.loads(full["body"], object_pairs_hook=dict)
            self.assertEqual(schema_problems(body, schema["anyOf"][0], schema), [], d["eventType"])

    def test_catalogue_refuses_a_broken_body(self):
        """The catalogue check can fail: a hand-broken body is refused key by key."""
        out = subprocess.run([self.binary, "catalogue", "--format", "jsonschema", "--table", "PatientSelected"],
                             capture_output=True, text=True, check=True)
        schema = json.loads(out.stdout)
        with open(os.path.join(REPO, "testdata", "golden", "PatientSelected.json")) as f:
            body = json.load(f)
        self.assertEqual(schema_problems(body, schema["anyOf"][0], schema), [])
        body["ClinicNum"] = 1  # a number where Open Dental's example has a string
        body["Extra"] = "x"
        del body["TxtMsgOk"]
        self.assertEqual(sorted(schema_problems(body, schema["anyOf"][0], schema)), [
            "body.ClinicNum: 1 is not a JSON string", "body: missing TxtMsgOk", "body: unexpected key Extra"])

    def subscribe(self, **fields):
        status, sub = self.http("POST", "/api/v1/subscriptions", fields, {"Authorization": "ODFHIR " + KEY})
        self.assertEqual(status, 201, sub)
        return sub

    def test_database_event_poll_now(self):
        sub = self.subscribe(EndPointUrl=self.receiver.url + "/appointments", WatchTable="Appointment",
                             PollingSeconds=3600)
        sql("INSERT INTO appointment (AptNum, PatNum, AptStatus, Pattern, Op, Note) VALUES (1001, 28, 1, '//XX//', 1, 'cleaning');",
            self.database)

        status, res = self.http("POST", "/odsim/v1/poll", {"subscription": sub["SubscriptionNum"]})
        self.assertEqual(status, 200, res)
        # One outcome per workstation odsim plays, since the subscription names none: both send the
        # window (Open Dental's processes send duplicates the same way) and one of them moves the cursor.
        self.assertEqual(sorted(o["workstation"] for o in res["outcomes"]), ["FRONTDESK", "MOLLYR"])
        self.assertEqual([o["delivered"] for o in res["outcomes"]], [1, 1])
        self.assertTrue(any(o["advanced"] for o in res["outcomes"]))
        (outcome,) = [o for o in res["outcomes"] if o["workstation"] == "MOLLYR"]
        (delivery,) = outcome["deliveries"]
        self.assertEqual(delivery["keys"], [1001])
        self.assertTrue(delivery["ok"])

        # The receiver already has both POSTs when poll answers.
        got = self.receiver.received("/appointments")
        self.assertEqual(len(got), 2)
        self.assertEqual(sorted(r["headers"]["Workstation"] for r in got), ["FRONTDESK", "MOLLYR"])
        first = got[0]
        self.assertEqual(first["headers"]["Event-Type"], "WatchTable: Appointment")
        self.assertEqual(first["headers"]["Authorization"], CUSTOMER_KEY)
        (appointment,) = json.loads(first["body"])
        self.assertEqual((appointment["AptNum"], appointment["PatNum"], appointment["AptStatus"], appointment["Note"]),
                         (1001, 28, "Scheduled", "cleaning"))

        # The cursor moved to the window's end, as after a timed poll.
        status, subs = self.http("GET", "/api/v1/subscriptions", headers={"Authorization": "ODFHIR " + KEY})
        (stored,) = [s for s in subs if s["SubscriptionNum"] == sub["SubscriptionNum"]]
        self.assertEqual(stored["DateTimeStart"], outcome["windowStop"])

        # The delivery log has the same POST, its body byte for byte as received.
        status, page = self.http("GET", "/odsim/v1/deliveries?subscription=%d&workstation=MOLLYR" % sub["SubscriptionNum"])
        self.assertEqual([d["id"] for d in page["deliveries"]], [delivery["id"]])
        status, full = self.http("GET", "/odsim/v1/deliveries/%d" % delivery["id"])
        mollys = [r for r in got if r["headers"]["Workstation"] == "MOLLYR"][0]
        self.assertEqual(full["body"].encode(), mollys["body"])
        self.assertEqual(full["headers"]["Event-Type"], ["WatchTable: Appointment"])

    def test_failed_delivery_is_logged_and_cursor_stays(self):
        sub = self.subscribe(EndPointUrl=self.receiver.url + "/fail", WatchTable="Patient", PollingSeconds=3600,
                             Workstation="MOLLYR")
        sql("UPDATE patient SET Email = 'brad@example.com' WHERE PatNum = 28;", self.database)
        status, res = self.http("POST", "/odsim/v1/poll", {"subscription": sub["SubscriptionNum"]})
        self.assertEqual(status, 200, res)
        (outcome,) = res["outcomes"]
        self.assertFalse(outcome["advanced"])
        self.assertIn("HTTP 500", outcome["error"])
        status, page = self.http("GET", "/odsim/v1/deliveries?status=failed&subscription=%d" % sub["SubscriptionNum"])
        self.assertEqual([d["status"] for d in page["deliveries"]], [500])
        status, subs = self.http("GET", "/api/v1/subscriptions", headers={"Authorization": "ODFHIR " + KEY})
        (stored,) = [s for s in subs if s["SubscriptionNum"] == sub["SubscriptionNum"]]
        self.assertEqual(stored["DateTimeStart"], outcome["windowStart"])

    def test_patient_selected(self):
        self.subscribe(EndPointUrl=self.receiver.url + "/ui", UiEventType="PatientSelected", Workstation="MOLLYR")

        status, sel = self.http("POST", "/odsim/v1/select-patient", {"workstation": "MOLLYR", "patNum": 28})
        self.assertEqual(status, 200, sel)
        self.assertTrue(sel["fired"])
        (ui,) = self.receiver.received("/ui")
        self.assertEqual(ui["headers"]["Event-Type"], "UiEventType: PatientSelected")
        self.assertEqual(ui["headers"]["Workstation"], "MOLLYR")
        patient = json.loads(ui["body"])
        self.assertEqual((patient["PatNum"], patient["FName"], patient["ClinicNum"]), (28, "Bradley", "0"))

        # Selecting the same patient again sends nothing, as in Open Dental.
        status, sel = self.http("POST", "/odsim/v1/select-patient", {"workstation": "MOLLYR", "patNum": 28})
        self.assertFalse(sel["fired"])
        self.assertEqual(len(self.receiver.received("/ui")), 1)

        # FRONTDESK's selection does not reach a subscription for MOLLYR.
        status, sel = self.http("POST", "/odsim/v1/select-patient", {"workstation": "FRONTDESK", "patNum": 28})
        self.assertTrue(sel["fired"])
        self.assertEqual(sel["subscriptions"], [])
        self.assertEqual(len(self.receiver.received("/ui")), 1)

        status, page = self.http("GET", "/odsim/v1/deliveries?table=PatientSelected")
        self.assertEqual([(d["workstation"], d["keys"], d["ok"]) for d in page["deliveries"]], [("MOLLYR", [28], True)])
        status, ws = self.http("GET", "/odsim/v1/workstations")
        self.assertEqual(ws["workstations"], [{"name": "MOLLYR", "patNum": 28}, {"name": "FRONTDESK", "patNum": 28}])

    def test_bad_input_is_refused(self):
        status, before = self.http("GET", "/odsim/v1/deliveries?limit=1")
        for body, want_status, want in [
            ({"workstation": "MOLLYR", "patNum": 999}, 404, "Patient 999 not found."),
            ({"workstation": "BOB", "patNum": 28}, 400, 'workstation "BOB" is not one odsim plays'),
            ({"workstation": "MOLLYR", "patNum": "28"}, 400, "patNum must be a whole number"),
            ({"workstation": "MOLLYR", "patient": 28}, 400, 'Unknown field "patient"'),
        ]:
            status, err = self.http("POST", "/odsim/v1/select-patient", body)
            self.assertEqual(status, want_status, err)
            self.assertIn(want, err["error"])
        status, after = self.http("GET", "/odsim/v1/deliveries?limit=1")
        self.assertEqual(after["lastId"], before["lastId"])


if __name__ == "__main__":
    unittest.main()
