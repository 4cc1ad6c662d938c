package control

import (
	"context"
	"net/http"
	"strconv"

	"github.com/odsim/odsim/scenario"
)

// StartScenario starts a scenario run on odsim (POST /odsim/v1/scenarios) and returns its status at
// once; follow it with Scenario. A scenario with an sql: step gets an *APIError with Code
// SQLNotAllowed unless odsim serve runs with --allow-sql.
func (c *Client) StartScenario(ctx context.Context, req StartRequest) (scenario.RunStatus, error) {
	var out scenario.RunStatus
	err := c.do(ctx, http.MethodPost, Prefix+"scenarios", nil, req, &out)
	return out, err
}

// Scenario returns run id's progress, with every step run applied.
func (c *Client) Scenario(ctx context.Context, id int64) (scenario.RunStatus, error) {
	var out scenario.RunStatus
	err := c.do(ctx, http.MethodGet, Prefix+"scenarios/"+strconv.FormatInt(id, 10), nil, nil, &out)
	return out, err
}

// StopScenario stops run id; the step in progress completes.
func (c *Client) StopScenario(ctx context.Context, id int64) (scenario.RunStatus, error) {
	var out scenario.RunStatus
	err := c.do(ctx, http.MethodDelete, Prefix+"scenarios/"+strconv.FormatInt(id, 10), nil, nil, &out)
	return out, err
}

// Scenarios lists the built-in scenarios and the runs odsim remembers.
func (c *Client) Scenarios(ctx context.Context) (ScenarioList, error) {
	var out ScenarioList
	err := c.do(ctx, http.MethodGet, Prefix+"scenarios", nil, nil, &out)
	return out, err
}
