// The consumer's integration test against the real odsim binary, with node:test: odsim serve on the
// embedded database with its demo practice, the consumer's endpoint, subscriptions through Open
// Dental's Subscriptions API, a scenario that writes rows the way Open Dental's front desk does, poll
// now, and assertions on what the consumer built. Every body received is validated against the
// catalogue's JSON Schema with Ajv (draft 2020-12), and events.d.ts is checked to be what the
// catalogue generates today.
//
//   npm ci && npm test                 # builds odsim with go build, or uses $ODSIM_BIN

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { once } from "node:events";
import readline from "node:readline";
import { Ajv2020 } from "ajv/dist/2020.js";

import { Office, createEndpoint } from "./consumer.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..");
const KEY = "NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z"; // Open Dental's public test DeveloperKey/CustomerKey

const tmp = mkdtempSync(path.join(tmpdir(), "odsim-node-"));
/** @type {string} */
let odsimBin;
/** @type {import("node:child_process").ChildProcess} */
let odsim;
/** @type {string} */
let base;
const office = new Office();
const endpoint = createEndpoint(office);
/** @type {string} */
let endpointURL;

before(async () => {
  odsimBin = process.env.ODSIM_BIN || path.join(tmp, "odsim");
  if (!process.env.ODSIM_BIN) {
    execFileSync("go", ["build", "-o", odsimBin, "./cmd/odsim"], { cwd: repo, stdio: "inherit" });
  }
  endpoint.listen(0, "127.0.0.1");
  await once(endpoint, "listening");
  const addr = /** @type {import("node:net").AddressInfo} */ (endpoint.address());
  endpointURL = `http://127.0.0.1:${addr.port}/od/`;

  odsim = spawn(odsimBin, ["serve", "--listen", "127.0.0.1:0", "--embedded-addr", "127.0.0.1:0", "--workstation", "FRONTDESK"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  // The first line names the address: "odsim dev: Open Dental API at http://127.0.0.1:PORT/api/v1 ...".
  const lines = readline.createInterface({ input: /** @type {import("node:stream").Readable} */ (odsim.stdout) });
  for await (const line of lines) {
    const m = line.match(/(http:\/\/127\.0\.0\.1:\d+)\/api\/v1/);
    if (m) {
      base = m[1];
      break;
    }
  }
  assert.ok(base, "odsim serve did not print its address");
});

after(async () => {
  odsim?.kill("SIGTERM");
  if (odsim && odsim.exitCode === null) await once(odsim, "exit");
  endpoint.close();
  rmSync(tmp, { recursive: true, force: true });
});

/**
 * @param {string} method
 * @param {string} p
 * @param {unknown} [body]
 * @param {Record<string, string>} [headers]
 */
async function call(method, p, body, headers = {}) {
  const res = await fetch(base + p, {
    method,
    headers: body === undefined ? headers : { "Content-Type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

test("events.d.ts is what the catalogue generates", () => {
  const schema = path.join(tmp, "events.schema.json");
  writeFileSync(schema, execFileSync(odsimBin, ["catalogue", "--format", "jsonschema"]));
  const out = path.join(tmp, "events.d.ts");
  execFileSync(path.join(here, "node_modules", ".bin", "json2ts"), [
    "--input", schema, "--output", out, "--unreachableDefinitions", "--additionalProperties", "false",
  ]);
  assert.equal(readFileSync(out, "utf8"), readFileSync(path.join(here, "events.d.ts"), "utf8"), "run npm run types");
});

test("a new patient at the front desk reaches the consumer, typed and valid", async () => {
  for (const table of ["Patient", "PatField"]) {
    const r = await call("POST", "/api/v1/subscriptions", { EndPointUrl: endpointURL, WatchTable: table, PollingSeconds: 3600 }, { Authorization: "ODFHIR " + KEY });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  }
  const ui = await call("POST", "/api/v1/subscriptions", { EndPointUrl: endpointURL, UiEventType: "PatientSelected" }, { Authorization: "ODFHIR " + KEY });
  assert.equal(ui.status, 201);

  // The built-in scenario: the front desk selects patient 8, adds Samuel Okafor and his daughter Ada,
  // fills in patient fields; its rows are written as Open Dental writes them.
  let run = (await call("POST", "/odsim/v1/scenarios", { name: "new-patient", speed: "max" })).json;
  for (let i = 0; run.state === "running" && i < 500; i++) {
    await new Promise((r) => setTimeout(r, 20));
    run = (await call("GET", `/odsim/v1/scenarios/${run.id}`)).json;
  }
  assert.equal(run.state, "done", JSON.stringify(run));
  const poll = await call("POST", "/odsim/v1/poll", {});
  assert.equal(poll.status, 200);

  // What the consumer built from the events.
  const names = [...office.patients.values()].map((p) => `${p.FName} ${p.LName}`);
  assert.ok(names.includes("Samuel Okafor") && names.includes("Ada Okafor"), names.join(", "));
  const sam = [...office.patients.values()].find((p) => p.FName === "Samuel");
  assert.equal(sam?.City, "Springfield");
  assert.equal(sam?.PreferContactMethod, "WirelessPh");
  assert.ok(office.textable().includes("Samuel Okafor"));
  const fields = [...office.patFields.values()].filter((f) => f.PatNum === sam?.PatNum).map((f) => f.FieldName).sort();
  assert.deepEqual(fields, ["Consent on file", "Emergency Contact", "Last Insurance Verify", "Referral Source"]);
  const selected = office.selected.get("FRONTDESK");
  assert.equal(selected?.FName, "Ada");
  assert.equal(typeof selected?.ClinicNum, "string"); // PatientSelected's ClinicNum is a string, as Open Dental sends it

  // Every body the consumer received is valid against the catalogue's JSON Schema.
  const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false }) // the catalogue's patterns check dates;
  const validate = ajv.compile(JSON.parse(execFileSync(odsimBin, ["catalogue", "--format", "jsonschema"]).toString()));
  assert.ok(office.received.length >= 4);
  for (const r of office.received) {
    assert.ok(validate(r.body), `${r.eventType}: ${ajv.errorsText(validate.errors)}`);
  }
  // ... and the check can fail: a hand-broken element is refused.
  const broken = structuredClone(office.received.find((r) => r.eventType === "WatchTable: Patient")?.body);
  /** @type {any} */ (broken)[0].Gender = "M";
  assert.equal(validate(broken), false);
});
