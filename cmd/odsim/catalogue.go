package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/odsim/odsim/catalogue"
	"github.com/odsim/odsim/catalogue/openapi"
)

func newCatalogueCmd(e env) *cobra.Command {
	var format, table string
	cmd := &cobra.Command{
		Use:   "catalogue",
		Short: "Print the event catalogue: OpenAPI 3.1, JSON Schema or Markdown of every event odsim sends",
		Long: `catalogue prints the machine-readable description of what odsim serves and sends, generated from
the same field tables that build every payload:

  openapi     the OpenAPI 3.1 document of the Subscriptions API, the control API and, under
              "webhooks", every WatchTable and UiEventType with its headers and body schema
              (docs/openapi.json; odsim serve also serves it at /openapi.json)
  jsonschema  a JSON Schema (draft 2020-12) of the event bodies, for validators and code
              generators; --table narrows it to one event
  markdown    a table of keys, types and meanings per event (docs/events.md)`,
		Example: `  odsim catalogue > openapi.json
  odsim catalogue --format jsonschema --table Appointment > appointment.schema.json
  npx json-schema-to-typescript -i events.schema.json   # after odsim catalogue --format jsonschema > events.schema.json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var doc []byte
			var err error
			switch format {
			case "openapi":
				if table != "" {
					return fmt.Errorf("--table narrows --format jsonschema only; the OpenAPI document has every event")
				}
				doc, err = openapi.JSON()
			case "jsonschema":
				evs := catalogue.Events()
				if table != "" {
					ev := catalogue.ByName(table)
					if ev == nil {
						return fmt.Errorf("--table %q is not a WatchTable or UiEventType: use one of %s", table, eventNames())
					}
					evs = []*catalogue.Event{ev}
				}
				doc, err = catalogue.Indent(catalogue.JSONSchema(evs))
			case "markdown":
				if table != "" {
					return fmt.Errorf("--table narrows --format jsonschema only")
				}
				doc = catalogue.Markdown()
			default:
				return fmt.Errorf("--format %q: use openapi, jsonschema or markdown", format)
			}
			if err != nil {
				return fmt.Errorf("build the catalogue: %w", err)
			}
			_, err = e.stdout.Write(doc)
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "openapi", "`openapi`, jsonschema or markdown")
	cmd.Flags().StringVar(&table, "table", "", "with --format jsonschema: only this `event` (a WatchTable or UiEventType, e.g. Appointment)")
	return cmd
}

func eventNames() string {
	var names []string
	for _, ev := range catalogue.Events() {
		names = append(names, ev.Name)
	}
	return strings.Join(names, ", ")
}
