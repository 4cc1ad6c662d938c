package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/odsim/odsim/control"
)

func newSelectPatientCmd(e env) *cobra.Command {
	var (
		remote      remoteFlags
		workstation string
		wait        bool
	)
	cmd := &cobra.Command{
		Use:   "select-patient PATNUM",
		Short: "Select a patient on a workstation: fires PatientSelected at a running odsim",
		Long: `select-patient tells a running odsim that a user on a workstation selected a patient, as if
in Open Dental's Patient Select window. When that changes the workstation's selected patient,
odsim POSTs the PatientSelected UI event to every unexpired PatientSelected subscription whose
Workstation is that machine or blank. Selecting the patient already selected sends nothing, as
in Open Dental. UI events are sent once, without retry, whatever the answer.

--workstation may be left out when odsim plays only one. By default the command waits until
every POST was answered and shows each; --wait=false returns at once, as Open Dental sends
asynchronously (see the results with odsim deliveries).`,
		Example: `  odsim select-patient 28 --workstation MOLLYR
  odsim select-patient 28 --json
  ODSIM_URL=http://10.0.0.5:30223 odsim select-patient 27 --workstation FRONTDESK --wait=false`,
		Args: exactArgs(arg{"PATNUM", "the PatNum of the patient to select"}),
		RunE: func(cmd *cobra.Command, args []string) error {
			patNum, err := positiveArg("PATNUM", args[0])
			if err != nil {
				return err
			}
			c, err := remote.client(cmd.Flags())
			if err != nil {
				return err
			}
			sel, err := c.SelectPatient(cmd.Context(), control.SelectRequest{Workstation: workstation, PatNum: &patNum, Wait: &wait})
			if err != nil {
				return remoteError(err)
			}
			if remote.json {
				return printJSON(e.stdout, sel)
			}
			printSelection(e.stdout, sel)
			return nil
		},
	}
	f := cmd.Flags()
	remote.register(f)
	f.StringVar(&workstation, "workstation", "", "the `machine` where the patient is selected (one of odsim serve --workstation)")
	f.BoolVar(&wait, "wait", true, "wait until every POST was answered and show each")
	return cmd
}

func printSelection(w io.Writer, sel control.Selection) {
	switch {
	case !sel.Fired:
		fmt.Fprintf(w, "%s already has patient %d selected: nothing sent (Open Dental fires PatientSelected only when the selection changes).\n",
			sel.Workstation, sel.PatNum)
		return
	case len(sel.Subscriptions) == 0:
		fmt.Fprintf(w, "%s selected patient %d: no unexpired PatientSelected subscription fires on %s, nothing sent.\n",
			sel.Workstation, sel.PatNum, sel.Workstation)
		return
	}
	fmt.Fprintf(w, "%s selected patient %d: PatientSelected sent to %s", sel.Workstation, sel.PatNum, plural(len(sel.Subscriptions), "subscription"))
	if !sel.Waited {
		fmt.Fprintln(w, " (not waiting for answers: see odsim deliveries).")
		return
	}
	fmt.Fprintln(w, ".")
	for _, d := range sel.Deliveries {
		fmt.Fprintf(w, "  #%d  sub %d  %s  -> %s\n", d.ID, d.Subscription, d.URL, deliveryResult(d))
	}
}

// plural writes n and noun, in the plural unless n is 1 (delivery, deliveries; line, lines).
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	if strings.HasSuffix(noun, "y") && !strings.ContainsAny(noun[len(noun)-2:len(noun)-1], "aeiou") {
		return fmt.Sprintf("%d %sies", n, noun[:len(noun)-1])
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
