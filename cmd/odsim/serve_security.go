package main

import (
	"github.com/spf13/pflag"

	"github.com/odsim/odsim/control"
)

// securityConfig is who may use what on `odsim serve`'s listener, beside --control-token (README,
// "Security").
type securityConfig struct {
	allowedHosts []string // Host names answered besides localhost and loopback addresses
	allowSQL     bool     // scenarios with sql: steps may run through the control API
}

func (c *securityConfig) register(f *pflag.FlagSet) {
	f.StringArrayVar(&c.allowedHosts, "allowed-host", nil,
		"also answer requests addressed to this `host` name (the Host header), e.g. odsim.test; localhost and loopback addresses always are (repeatable)")
	f.BoolVar(&c.allowSQL, "allow-sql", false,
		"let scenarios with sql: steps run through the control API (POST /odsim/v1/scenarios); off, they are refused with 403. On a --listen other than loopback it needs --control-token")
}

func (c securityConfig) validate() error {
	for _, h := range c.allowedHosts {
		if _, err := control.NormalizeHost(h); err != nil {
			return err
		}
	}
	return nil
}
