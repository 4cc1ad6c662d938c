package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/odsim/odsim/store/storetest"
)

// phone reads patient 1's HmPhone from the database dsn.
func phone(t *testing.T, dsn string) string {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var p string
	if err := db.QueryRow("SELECT HmPhone FROM patient WHERE PatNum = 1").Scan(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReplayAndSimulateWriteIntoTheOdsimAtURL reproduces the issue: replay and simulate wrote into
// whatever listened on 3307 and sent their UI steps to the odsim at --url. Now each writes into the
// database of the odsim it names (its embedded database directly; its MySQL database given again with
// --dsn), and a --dsn of another database is refused with both named.
func TestReplayAndSimulateWriteIntoTheOdsimAtURL(t *testing.T) {
	t.Parallel()
	a := serveInProcess(t, "--embedded-addr", "127.0.0.1:0")
	c := serveInProcess(t, "--embedded-addr", "127.0.0.1:0")
	bDSN := demoDSN(t)
	b := serveInProcess(t, "--dsn", bDSN)
	otherDSN := demoDSN(t)
	aDSN := "root@tcp(127.0.0.1:" + a.embedded + ")/opendental"
	cDSN := "root@tcp(127.0.0.1:" + c.embedded + ")/opendental"

	file := filepath.Join(t.TempDir(), "phone.yaml")
	write := func(number string) {
		src := "steps:\n  - update-patient: {patient: 1, HmPhone: \"" + number + "\"}\n"
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	replay := func(args ...string) (string, error) {
		out, errOut, err := runOdsim(t, append([]string{"replay", file, "--speed", "max"}, args...)...)
		return out + errOut, err
	}

	// Without --dsn: the embedded database of the odsim named, not of another one.
	write("(217)555-0001")
	if out, err := replay("--url", c.url); err != nil {
		t.Fatalf("replay --url C: %v\n%s", err, out)
	}
	if got := phone(t, cDSN); got != "(217)555-0001" {
		t.Errorf("C's patient 1 has phone %q after replay --url C", got)
	}
	if got := phone(t, aDSN); got == "(217)555-0001" {
		t.Errorf("replay --url C wrote into A's database")
	}

	// An odsim on MySQL/MariaDB does not hand out its credentials: --dsn gives them, and must match.
	write("(217)555-0002")
	_, err := replay("--url", b.url)
	if err == nil || !regexp.MustCompile(`^the odsim at `+regexp.QuoteMeta(b.url)+` polls database \S+ on server \S+ \(.*\), from its --dsn, whose credentials it does not give out: give --dsn with them`).MatchString(err.Error()) {
		t.Errorf("replay --url B without --dsn: %v", err)
	}
	if out, err := replay("--url", b.url, "--dsn", bDSN); err != nil || phone(t, bDSN) != "(217)555-0002" {
		t.Errorf("replay --url B --dsn B: %v\n%s", err, out)
	}
	for _, tt := range []struct {
		name, url, dsn, want string
	}{
		{"another database of the server", b.url, otherDSN, `^--dsn \S+ is database \S+ on server \S+ \(.*\), but the odsim at ` + regexp.QuoteMeta(b.url) + ` polls database \S+ on server \S+ \(.*\): its events would not show these changes`},
		{"a MySQL database for an embedded odsim", a.url, bDSN, `but the odsim at ` + regexp.QuoteMeta(a.url) + ` polls its embedded database opendental at 127\.0\.0\.1:` + a.embedded},
		{"an embedded database for a MySQL odsim", b.url, aDSN, `^--dsn root@127\.0\.0\.1:` + a.embedded + `/opendental is database opendental on server `},
	} {
		write("(217)555-0003")
		if _, err := replay("--url", tt.url, "--dsn", tt.dsn); err == nil || !regexp.MustCompile(tt.want).MatchString(err.Error()) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	for _, dsn := range []string{aDSN, bDSN, otherDSN} {
		if phone(t, dsn) == "(217)555-0003" {
			t.Errorf("a refused replay wrote into %s", dsn)
		}
	}

	// An odsim named by --url or ODSIM_URL must answer; --url '' writes into --dsn alone.
	dead := "http://" + deadAddr(t)
	if _, err := replay("--url", dead, "--dsn", otherDSN); err == nil || !strings.Contains(err.Error(), "cannot reach odsim at "+dead) ||
		!strings.Contains(err.Error(), "cannot check that --dsn is the database it polls") {
		t.Errorf("replay --url DEAD --dsn: %v", err)
	}
	write("(217)555-0004")
	if out, err := replay("--url=", "--dsn", otherDSN); err != nil || phone(t, otherDSN) != "(217)555-0004" {
		t.Errorf("replay --url '' --dsn: %v\n%s", err, out)
	}

	// simulate writes where replay does.
	if _, errOut, err := runOdsim(t, "simulate", "--url", b.url, "--duration", "100ms"); err == nil || !strings.Contains(err.Error(), "give --dsn with them") {
		t.Errorf("simulate --url B: %v %s", err, errOut)
	}
	if _, errOut, err := runOdsim(t, "simulate", "--url", b.url, "--dsn", otherDSN, "--duration", "100ms"); err == nil || !strings.Contains(err.Error(), "its events would not show these changes") {
		t.Errorf("simulate --url B --dsn OTHER: %v %s", err, errOut)
	}
	beforeA, beforeC := rowCounts(t, aDSN), rowCounts(t, cDSN)
	out, errOut, err := runOdsim(t, "simulate", "--url", a.url, "--rate", "6000", "--duration", "300ms", "--seed", "5", "--quiet")
	if err != nil || !strings.Contains(out, " changes (") {
		t.Fatalf("simulate --url A: %v\n%s%s", err, out, errOut)
	}
	kinds := map[string]int{}
	for _, m := range regexp.MustCompile(`(\d+) ([a-z-]+)`).FindAllStringSubmatch(out, -1) {
		kinds[m[2]] = atoi(t, m[1])
	}
	afterA := rowCounts(t, aDSN)
	t.Logf("simulate --url A: %s; A's patients and appointments %v -> %v", strings.TrimSpace(out), beforeA, afterA)
	if afterA[0]-beforeA[0] != kinds["add-patient"] || afterA[1]-beforeA[1] != kinds["book-appointment"]-kinds["delete-appointment"] ||
		kinds["add-patient"]+kinds["book-appointment"] == 0 {
		t.Errorf("A's patients and appointments went from %v to %v, but simulate reported %s", beforeA, afterA, out)
	}
	if afterC := rowCounts(t, cDSN); afterC != beforeC {
		t.Errorf("simulate --url A changed C's database: %v to %v", beforeC, afterC)
	}
}

// rowCounts is how many patients and appointments the database dsn holds.
func rowCounts(t *testing.T, dsn string) [2]int {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n [2]int
	if err := db.QueryRow("SELECT (SELECT COUNT(*) FROM patient), (SELECT COUNT(*) FROM appointment)").Scan(&n[0], &n[1]); err != nil {
		t.Fatal(err)
	}
	return n
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReplayRefusesAnotherOdsimsEmbeddedDatabase: two odsim processes each have their own embedded
// database, told apart without credentials; a --dsn of one with --url of the other is refused.
func TestReplayRefusesAnotherOdsimsEmbeddedDatabase(t *testing.T) {
	t.Parallel()
	var ports, apis []string
	for range 2 {
		p := startBinary(t, nil, "serve", "--listen", "127.0.0.1:0", "--embedded-addr", "127.0.0.1:0")
		apis = append(apis, strings.TrimSuffix(p.waitFor(t, apiRE), "/api/v1"))
		ports = append(ports, p.waitFor(t, embeddedRE))
	}
	file := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(file, []byte("steps:\n  - update-patient: {patient: 1, HmPhone: \"(217)555-0009\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	first := "root@tcp(127.0.0.1:" + ports[0] + ")/opendental"
	_, _, err := runOdsim(t, "replay", file, "--speed", "max", "--url", apis[1], "--dsn", first)
	if err == nil || !strings.Contains(err.Error(), "but the odsim at "+apis[1]+" polls its embedded database opendental at 127.0.0.1:"+ports[1]) {
		t.Errorf("replay --url SECOND --dsn FIRST: %v", err)
	}
	if out, _, err := runOdsim(t, "replay", file, "--speed", "max", "--url", apis[0], "--dsn", first); err != nil {
		t.Errorf("replay --url FIRST --dsn FIRST: %v\n%s", err, out)
	}
	if got := phone(t, first); got != "(217)555-0009" {
		t.Errorf("the first odsim's patient 1 has phone %q", got)
	}
}

// TestEmbeddedAddrFromHere: an engine on every interface (odsim in a container) is reached on the host
// odsim is reached on; a specific address is used as it is.
func TestEmbeddedAddrFromHere(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ addr, base, want string }{
		{"127.0.0.1:3307", "http://127.0.0.1:30223", "127.0.0.1:3307"},
		{"0.0.0.0:3307", "http://10.0.0.5:30223", "10.0.0.5:3307"},
		{"[::]:3307", "http://[::1]:30223", "[::1]:3307"},
		{"192.168.1.9:3307", "http://127.0.0.1:30223", "192.168.1.9:3307"},
	} {
		if got := embeddedAddr(tt.addr, tt.base); got != tt.want {
			t.Errorf("embeddedAddr(%q, %q) = %q, want %q", tt.addr, tt.base, got, tt.want)
		}
	}
}

// TestTargetWithoutAnOdsimAtTheDefaultURL: with --url left at its default and nothing answering there,
// --dsn is used as given, with a note; without --dsn the command says to start odsim.
func TestTargetWithoutAnOdsimAtTheDefaultURL(t *testing.T) {
	t.Parallel()
	dsn := storetest.NewDSN(t)
	dead := "http://" + deadAddr(t)
	cmd := &cobra.Command{Use: "x"}
	var url string
	var token secretFlags
	cmd.Flags().StringVar(&url, "url", dead, "")
	registerSecret(cmd.Flags(), &token, "control-token", false, "")
	var stderr bytes.Buffer
	e := env{getenv: func(string) string { return "" }, stdout: &stderr, stderr: &stderr}
	tg, err := openTarget(context.Background(), e, cmd.Flags(), url, &token, dsn)
	if err != nil {
		t.Fatal(err)
	}
	tg.db.Close()
	if !strings.Contains(stderr.String(), "note: no odsim answers at "+dead+"; writing into --dsn without checking") {
		t.Errorf("no note: %q", stderr.String())
	}
	if _, err := openTarget(context.Background(), e, cmd.Flags(), url, &token, ""); err == nil ||
		!strings.Contains(err.Error(), "cannot reach odsim at "+dead) || !strings.Contains(err.Error(), "start it with `odsim serve`") {
		t.Errorf("without --dsn: %v", err)
	}
}
