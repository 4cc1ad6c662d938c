package control

import "net/http"

// listWorkstations is GET /odsim/v1/workstations: the machine names odsim plays, in the order of
// --workstation, with the patient selected on each (0 for none).
func (a *api) listWorkstations(w http.ResponseWriter, r *http.Request) {
	if err := noQuery(r); err != nil {
		a.fail(w, r, err)
		return
	}
	var out WorkstationList
	for _, ws := range a.Workstations.List() {
		out.Workstations = append(out.Workstations, Workstation{Name: ws.Name, PatNum: ws.PatNum})
	}
	writeJSON(w, http.StatusOK, out)
}
