package main

import (
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

// composeFile is the part of docker-compose.yml the wiring test reads.
type composeFile struct {
	Services map[string]struct {
		Image       string   `yaml:"image"`
		Build       any      `yaml:"build"`
		PullPolicy  string   `yaml:"pull_policy"`
		Command     []string `yaml:"command"`
		Ports       []string `yaml:"ports"`
		Environment map[string]string
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
	} `yaml:"services"`
}

// parseOdsimCommand resolves args with odsim's real command tree and parses their flags, so a flag the
// compose file uses that odsim lacks fails the test.
func parseOdsimCommand(t *testing.T, args []string) *cobra.Command {
	t.Helper()
	root := newRootCmd(env{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: io.Discard})
	cmd, rest, err := root.Find(args)
	if err != nil {
		t.Fatalf("odsim %v: %v", args, err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Fatalf("odsim %v: %v", args, err)
	}
	return cmd
}

// TestComposeWiring checks docker-compose.yml without a Docker engine: the services exist, start in
// order behind health checks, share one image built once, publish ports on loopback only (MySQL not on
// the host's 3306), and their odsim commands parse with odsim's own flags and point at each other (DSN
// host, subscribed receiver, published API port).
func TestComposeWiring(t *testing.T) {
	data, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("docker-compose.yml is not valid YAML: %v", err)
	}
	for _, name := range []string{"mysql", "seed", "listen", "odsim"} {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("service %q missing", name)
		}
	}
	my := c.Services["mysql"]
	if !strings.HasPrefix(my.Image, "mysql:8") {
		t.Errorf("mysql image = %q, want MySQL 8", my.Image)
	}
	if len(my.Healthcheck.Test) == 0 {
		t.Errorf("mysql has no health check; the others wait for it")
	}
	password := my.Environment["MYSQL_ROOT_PASSWORD"]

	checkDSN := func(service string, cmd *cobra.Command) {
		dsn, _ := cmd.Flags().GetString("dsn")
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatalf("%s --dsn %q: %v", service, dsn, err)
		}
		if cfg.Addr != "mysql:3306" || cfg.Passwd != password || cfg.DBName != my.Environment["MYSQL_DATABASE"] {
			t.Errorf("%s --dsn %q does not reach the mysql service's database", service, dsn)
		}
	}
	// The odsim image is built once: one service builds it, the others run it and never pull it.
	image := c.Services["odsim"].Image
	var builders []string
	for name, s := range c.Services {
		if s.Build != nil {
			builders = append(builders, name)
		}
	}
	if image == "" || len(builders) != 1 || builders[0] != "odsim" {
		t.Errorf("services with build: %v, odsim image %q; want only odsim to build, with an image name", builders, image)
	}
	for _, service := range []string{"seed", "listen"} {
		if s := c.Services[service]; s.Image != image || s.PullPolicy != "never" {
			t.Errorf("%s runs image %q (pull_policy %q), want odsim's %q, never pulled", service, s.Image, s.PullPolicy, image)
		}
	}

	// Every port is published on loopback only, and MySQL not on the host's 3306.
	for name, s := range c.Services {
		for _, p := range s.Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") || strings.Count(p, ":") != 2 {
				t.Errorf("%s publishes %q, want 127.0.0.1:HOST:CONTAINER", name, p)
			}
		}
	}
	if len(my.Ports) != 1 {
		t.Fatalf("mysql ports %v, want one", my.Ports)
	}
	mysqlHostPort := strings.Split(my.Ports[0], ":")[1]
	if mysqlHostPort == "3306" || !strings.HasSuffix(my.Ports[0], ":3306") {
		t.Errorf("mysql publishes %q: want the container's 3306 on another host port", my.Ports[0])
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "-h127.0.0.1 -P"+mysqlHostPort+" -uroot -podsim opendental") ||
		!strings.Contains(string(data), "-h127.0.0.1 -P"+mysqlHostPort+" -uroot -podsim opendental") {
		t.Errorf("README.md and the compose file's comment must show the mysql command on host port %s", mysqlHostPort)
	}

	seed := c.Services["seed"]
	seedCmd := parseOdsimCommand(t, seed.Command)
	if seedCmd.CommandPath() != "odsim seed demo" {
		t.Errorf("seed runs %q, want odsim seed demo", seedCmd.CommandPath())
	}
	checkDSN("seed", seedCmd)
	if ifEmpty, _ := seedCmd.Flags().GetBool("if-empty"); !ifEmpty {
		t.Errorf("seed lacks --if-empty: a second `docker compose up` would fail on the loaded database")
	}
	if seed.DependsOn["mysql"].Condition != "service_healthy" {
		t.Errorf("seed must wait for mysql to be healthy")
	}

	listen := c.Services["listen"]
	listenCmd := parseOdsimCommand(t, listen.Command)
	addr, _ := listenCmd.Flags().GetString("addr")
	_, listenPort, err := net.SplitHostPort(addr)
	if err != nil || listenCmd.CommandPath() != "odsim listen" {
		t.Fatalf("listen runs %v", listen.Command)
	}
	checkHealth := func(service string, test []string, port string) {
		if len(test) < 3 || test[0] != "CMD" || test[1] != "/odsim" {
			t.Errorf("%s health check %v: want [CMD /odsim healthcheck URL]", service, test)
			return
		}
		hc := parseOdsimCommand(t, test[2:])
		if hc.CommandPath() != "odsim healthcheck" || len(hc.Flags().Args()) != 1 {
			t.Errorf("%s health check runs %v", service, test[2:])
			return
		}
		u, err := url.Parse(hc.Flags().Args()[0])
		if err != nil || u.Port() != port || u.Path != "/healthz" {
			t.Errorf("%s health check URL %q: want port %s, /healthz", service, hc.Flags().Args()[0], port)
		}
	}
	checkHealth("listen", listen.Healthcheck.Test, listenPort)

	od := c.Services["odsim"]
	serveCmd := parseOdsimCommand(t, od.Command)
	if serveCmd.CommandPath() != "odsim serve" {
		t.Fatalf("odsim runs %v, want serve", od.Command)
	}
	checkDSN("odsim", serveCmd)
	apiAddr, _ := serveCmd.Flags().GetString("listen")
	_, apiPort, _ := net.SplitHostPort(apiAddr)
	if !strings.HasPrefix(apiAddr, "0.0.0.0:") || !slices.Contains(od.Ports, "127.0.0.1:"+apiPort+":"+apiPort) {
		t.Errorf("odsim --listen %s with ports %v: the API must listen on the container's interfaces and be published on the host's loopback", apiAddr, od.Ports)
	}
	if od.Environment["ODSIM_CONTROL_TOKEN"] == "" {
		t.Errorf("odsim listens on all interfaces without ODSIM_CONTROL_TOKEN: the host could not use the control API")
	}
	subs, _ := serveCmd.Flags().GetStringArray("subscribe")
	specs, err := parseSubscribeFlags(subs, 1)
	if err != nil || len(specs) != 9 {
		t.Fatalf("odsim --subscribe %v: %v (want every WatchTable and PatientSelected)", subs, err)
	}
	if u, _ := url.Parse(specs[0].EndPointURL); u.Hostname() != "listen" || u.Port() != listenPort {
		t.Errorf("odsim subscribes %s, want the listen service on port %s", specs[0].EndPointURL, listenPort)
	}
	checkHealth("odsim", od.Healthcheck.Test, apiPort)
	for dep, cond := range map[string]string{"mysql": "service_healthy", "seed": "service_completed_successfully", "listen": "service_healthy"} {
		if od.DependsOn[dep].Condition != cond {
			t.Errorf("odsim depends_on %s: condition %q, want %q", dep, od.DependsOn[dep].Condition, cond)
		}
	}

	docker, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CGO_ENABLED=0", "./cmd/odsim", "FROM scratch", `ENTRYPOINT ["/odsim"]`,
		// CA certificates where Go looks for them, so that https EndPointUrls verify (TestHTTPSDelivery).
		"COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt"} {
		if !strings.Contains(string(docker), want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}
