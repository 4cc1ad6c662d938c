// A webhook consumer of Open Dental's API Events, in modern JavaScript type-checked by TypeScript
// (tsc --checkJs) against events.d.ts: the types of every event body, generated from odsim's event
// catalogue (npm run types). A consumer of a real Open Dental office would look the same.

import http from "node:http";

/** @typedef {import("./events.js").Appointment} Appointment */
/** @typedef {import("./events.js").Patient} Patient */
/** @typedef {import("./events.js").PatField} PatField */
/** @typedef {import("./events.js").PatientSelected} PatientSelected */
/** @typedef {import("./events.js").EventBody} EventBody */

/**
 * What the consumer keeps: the office's patients and patient fields as the events last showed them,
 * and which patient each workstation has selected.
 */
export class Office {
  /** @type {Map<number, Patient>} */
  patients = new Map();
  /** @type {Map<number, PatField>} */
  patFields = new Map();
  /** @type {Map<number, Appointment>} */
  appointments = new Map();
  /** @type {Map<string, PatientSelected>} workstation → selected patient */
  selected = new Map();
  /** @type {{eventType: string, workstation: string, body: unknown}[]} every POST, in order */
  received = [];

  /**
   * Applies one POST. eventType is the Event-Type header: "WatchTable: Patient", "UiEventType:
   * PatientSelected", ...
   * @param {string} eventType
   * @param {string} workstation
   * @param {unknown} body the parsed JSON body
   */
  apply(eventType, workstation, body) {
    this.received.push({ eventType, workstation, body });
    switch (eventType) {
      case "WatchTable: Patient":
        for (const p of /** @type {import("./events.js").PatientBody} */ (body)) {
          this.patients.set(p.PatNum, p);
        }
        break;
      case "WatchTable: PatField":
        for (const f of /** @type {import("./events.js").PatFieldBody} */ (body)) {
          this.patFields.set(f.PatFieldNum, f);
        }
        break;
      case "WatchTable: Appointment":
        for (const a of /** @type {import("./events.js").AppointmentBody} */ (body)) {
          this.appointments.set(a.AptNum, a);
        }
        break;
      case "UiEventType: PatientSelected":
        this.selected.set(workstation, /** @type {PatientSelected} */ (body));
        break;
    }
  }

  /**
   * The patients who prefer text messages and allow them: what a reminder service would ask.
   * @returns {string[]}
   */
  textable() {
    return [...this.patients.values()]
      .filter((p) => p.PreferContactMethod === "TextMessage" || (p.TxtMsgOk === "Yes" && p.WirelessPhone !== ""))
      .map((p) => `${p.FName} ${p.LName}`);
  }
}

/**
 * Serves the consumer's endpoint: every POST is parsed, applied to office and answered 200, which
 * Open Dental counts as delivered; a body that is not JSON gets 400 (Open Dental sends it again).
 * @param {Office} office
 * @returns {http.Server}
 */
export function createEndpoint(office) {
  return http.createServer((req, res) => {
    if (req.method !== "POST") {
      res.writeHead(405).end();
      return;
    }
    /** @type {Buffer[]} */
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        res.writeHead(400).end();
        return;
      }
      office.apply(String(req.headers["event-type"] ?? ""), String(req.headers["workstation"] ?? ""), body);
      res.writeHead(200).end();
    });
  });
}
