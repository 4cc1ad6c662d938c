package store

import (
	"strconv"
	"testing"

	"github.com/odsim/odsim/payload"
	"github.com/odsim/odsim/subscriptions"
)

// BenchmarkEncodePage measures encoding one page of 1000 elements of each WatchTable from database
// text, as ReadPage does after each Scan, into a reused buffer. The values are typical of a practice
// (names, notes with a line break and quotes, dates, enums, colours); compare runs with benchstat.
func BenchmarkEncodePage(b *testing.B) {
	for _, wt := range subscriptions.WatchTables {
		b.Run(string(wt), func(b *testing.B) {
			q := windowQueries[wt]
			rows := sampleRows(q.object.Fields(), 1000)
			var body []byte
			b.ReportAllocs()
			for b.Loop() {
				body = append(body[:0], '[')
				for i, values := range rows {
					if i > 0 {
						body = append(body, ',')
					}
					body = q.object.Append(body, values)
				}
				body = append(body, ']')
			}
			b.SetBytes(int64(len(body)))
			b.ReportMetric(float64(len(body))/1000, "B/element")
		})
	}
}

// sampleRows makes n rows of database text for fields, varied by row.
func sampleRows(fields []payload.Field, n int) [][][]byte {
	texts := []string{"Harrison", "Patient prefers mornings", `Wants "early" slot` + "\r\nCall mom first", "", "Zoë Müller", "PerEx, Pro, 4BW"}
	rows := make([][][]byte, n)
	for i := range rows {
		row := make([][]byte, len(fields))
		for j, f := range fields {
			var v string
			switch f.Kind {
			case payload.Int, payload.IntString:
				v = strconv.Itoa(1000 + i*7 + j)
			case payload.Money:
				v = strconv.FormatFloat(float64(i%500)+0.25, 'f', -1, 64)
			case payload.String:
				v = texts[(i+j)%len(texts)]
			case payload.Bool:
				v = strconv.Itoa((i + j) % 2)
			case payload.Enum:
				v = strconv.Itoa((i + j) % 3)
			case payload.Date:
				v = "2026-11-28"
			case payload.DateTime:
				v = "2026-11-28 09:30:00"
			case payload.Time:
				v = "08:00:00"
			case payload.Colour:
				v = "-16744448"
			case payload.Float:
				v = "1.5"
			}
			row[j] = []byte(v)
		}
		rows[i] = row
	}
	return rows
}
