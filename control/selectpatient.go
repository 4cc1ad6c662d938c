package control

import (
	"net/http"

	"github.com/odsim/odsim/deliveries"
)

// selectPatient is POST /odsim/v1/select-patient: workstation W selected patient N. When that changes
// W's selection, PatientSelected goes to W's and blank-workstation subscriptions. By default the answer
// waits until every POST was answered, so a test can assert on its receiver right after; with
// "wait": false it comes at once, as Open Dental sends asynchronously.
func (a *api) selectPatient(w http.ResponseWriter, r *http.Request) {
	var req SelectRequest
	if err := a.decodeBody(w, r, &req, []string{"workstation", "patNum", "wait"}, false); err != nil {
		a.fail(w, r, err)
		return
	}
	if req.PatNum == nil {
		a.fail(w, r, Errorf(Invalid, "patNum is required: the PatNum of the patient selected."))
		return
	}
	wait := req.Wait == nil || *req.Wait
	before := a.Log.LastID()
	sel, err := a.Workstations.SelectPatient(r.Context(), req.Workstation, *req.PatNum, wait)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	attempts := make([]deliveries.Attempt, len(sel.Deliveries))
	for i, d := range sel.Deliveries {
		attempts[i] = UIAttempt(d)
	}
	out := Selection{
		Workstation:   sel.Workstation,
		PatNum:        sel.PatNum,
		Previous:      sel.Previous,
		Fired:         sel.Fired,
		Subscriptions: sel.Subscriptions,
		Waited:        wait,
		Deliveries:    withIDs(a.Log, before, attempts),
	}
	if out.Subscriptions == nil {
		out.Subscriptions = []int64{}
	}
	writeJSON(w, http.StatusOK, out)
}
