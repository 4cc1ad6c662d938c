package apiservice

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/odsim/odsim/control"
	"github.com/odsim/odsim/deliveries"
	"github.com/odsim/odsim/metrics"
	"github.com/odsim/odsim/poller"
	"github.com/odsim/odsim/scenario"
	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/subscriptions"
	"github.com/odsim/odsim/uievents"
)

// Subscribe creates the subscriptions specs for customerKey, leaving identical existing ones alone so
// that a restart against the same database adds no duplicates.
func Subscribe(ctx context.Context, db *store.DB, customerKey string, specs []subscriptions.Spec) ([]Subscribed, error) {
	out := make([]Subscribed, 0, len(specs))
	for _, spec := range specs {
		sub, existing, err := subscriptions.Ensure(ctx, db, customerKey, spec)
		if err != nil {
			return nil, fmt.Errorf("--subscribe %s: %w", deliveries.MaskURL(spec.EndPointURL), err)
		}
		out = append(out, Subscribed{Subscription: sub, Existing: existing})
	}
	return out, nil
}

// observeDatabase is the poller's Observe: every database event POST goes to the delivery log and the
// metrics.
func observeDatabase(l *deliveries.Log, m *metrics.Metrics) func(poller.Delivery) {
	return func(d poller.Delivery) {
		a := control.DatabaseAttempt(d)
		l.Add(a)
		m.Observe(a)
	}
}

// observeUI is uievents' Observe: every UI event POST goes to the delivery log and the metrics.
func observeUI(l *deliveries.Log, m *metrics.Metrics) func(uievents.Delivery) {
	return func(d uievents.Delivery) {
		a := control.UIAttempt(d)
		l.Add(a)
		m.Observe(a)
	}
}

// selector lets scenario runs select patients through odsim's own UI events, waiting for the POSTs so
// that a scenario's events arrive in its order; a scenario naming a workstation odsim does not play is
// refused before it starts.
func selector(ui *uievents.Workstations) scenario.PatientSelector {
	return scenario.CheckedSelector{
		Select: func(ctx context.Context, ws string, patNum int64) error {
			_, err := ui.SelectPatient(ctx, ws, patNum, true)
			return err
		},
		Check: func(_ context.Context, ws string) error {
			_, err := ui.Resolve(ws)
			return err
		},
	}
}

// closeUIEvents lets UI events in flight finish for a few seconds, then abandons them.
func closeUIEvents(ui *uievents.Workstations) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ui.Close(ctx)
}

// loadCAs is the system's certificate pool with the CAs of files added; nil when files is empty, so
// that the sender keeps the system's own.
func loadCAs(files []string) (*x509.CertPool, error) {
	if len(files) == 0 {
		return nil, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool() // no system pool on this platform: the files alone
	}
	for _, f := range files {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("--ca-file: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-file %s: no PEM certificate in it", f)
		}
	}
	return pool, nil
}

// databaseInfo names the database odsim polls for GET /odsim/v1/database, without credentials.
func (s *Service) databaseInfo(ctx context.Context) (control.DatabaseInfo, error) {
	id, err := s.db.Identity(ctx)
	if err != nil {
		return control.DatabaseInfo{}, err
	}
	return control.DatabaseInfo{Server: id.Server, Database: id.Database, Version: id.Version, EmbeddedAddr: s.EmbeddedAddr()}, nil
}
