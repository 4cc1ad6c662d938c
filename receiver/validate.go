package receiver

import (
	"fmt"
	"strings"
)

// checkDelivery checks a delivery against the event catalogue (Config.Validate): the headers Open
// Dental sends, the body against its event's JSON Schema, and the order of the keys. It returns the
// text printed under the delivery's line: nothing when the delivery matches, else one line per
// problem, key by key, so that traffic captured from a real Open Dental office shows exactly where it
// differs from odsim's catalogue.
func (s *Server) checkDelivery(d Delivery) string {
	ev, problems := s.validator.Check(d.Headers, d.Body)
	if len(problems) == 0 {
		return ""
	}
	name := "the catalogue"
	if ev != nil {
		name = ev.Name + "'s schema"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  differs from %s (%d):\n", name, len(problems))
	for _, p := range problems {
		b.WriteString("    " + printable(p.String()) + "\n")
	}
	return b.String()
}
