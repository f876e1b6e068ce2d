package host

// tracee-sig.so loaded by Tracee v0.24.1's own loader, driven in the engine's
// call order against a real `bin/tracee-sig serve` on a unix socket, with
// events decoded from the bundled recordings by Tracee's trace.Event JSON.
// Run by `make plugin-test` (after make build and make plugin).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aquasecurity/tracee/types/detect"
	"github.com/aquasecurity/tracee/types/trace"
)

var root = func() string { r, _ := filepath.Abs("../.."); return r }()

// pluginDir holds tracee-sig.so alone; builtinDir Tracee v0.24.1's signatures/golang as builtin.so.
var (
	pluginDir  = envOr("TRACEE_SIG_PLUGIN_DIR", filepath.Join(root, "dist", "plugin"))
	builtinDir = envOr("TRACEE_BUILTIN_DIR", filepath.Join(root, "dist", "tracee-builtin"))
)

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

// finding is what the plugin's findings must share with replay's.
type finding struct {
	Timestamp int // the triggering event's, all 19 digits
	IP        string
	Container string
	Comm      string
	Port      int
}

func (f finding) String() string {
	return fmt.Sprintf("%d %s %s:%d (%s)", f.Timestamp, f.Comm, f.IP, f.Port, shortID(f.Container))
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

type stats interface{ BridgeStats() map[string]uint64 }

var ours detect.Signature

func TestMain(m *testing.M) {
	if _, err := os.Stat(filepath.Join(pluginDir, "tracee-sig.so")); err != nil {
		fmt.Fprintf(os.Stderr, "host tests need %s/tracee-sig.so (make plugin): %v\n", pluginDir, err)
		os.Exit(1)
	}
	sigs, err := Load(pluginDir)
	if err != nil || len(sigs) == 0 {
		fmt.Fprintf(os.Stderr, "Tracee's loader did not load %s: %v (%d signatures)\n", pluginDir, err, len(sigs))
		os.Exit(1)
	}
	ours = ByID(sigs, "TRC-1013")
	if ours == nil {
		fmt.Fprintln(os.Stderr, "tracee-sig.so exports no TRC-1013")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// serve is a running `bin/tracee-sig serve` on a unix socket.
type serve struct {
	cmd    *exec.Cmd
	socket string
	stderr bytes.Buffer
}

func startServe(t *testing.T, socket string) *serve {
	t.Helper()
	s := &serve{socket: socket}
	s.cmd = exec.Command(filepath.Join(root, "bin", "tracee-sig"), "serve", "--listen", "unix://"+socket, "--log-level", "warn")
	s.cmd.Stderr = &s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.kill() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(socket); err == nil {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not create %s: %s", socket, s.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *serve) kill() {
	if s.cmd.ProcessState == nil {
		_ = s.cmd.Process.Signal(syscall.SIGCONT)
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
}

func socketIn(t *testing.T) string {
	dir, err := os.MkdirTemp("", "tsig-host")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "serve.sock")
}

// configure points the plugin at socket with extra settings (read at Init).
func configure(t *testing.T, socket string, env map[string]string) {
	t.Setenv("TRACEE_SIG_ADDRESS", "unix://"+socket)
	t.Setenv("TRACEE_SIG_CONFIG", filepath.Join(t.TempDir(), "none.conf"))
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// replayFindings runs `bin/tracee-sig replay` on the recording.
func replayFindings(t *testing.T, file string) []finding {
	t.Helper()
	out, err := exec.Command(filepath.Join(root, "bin", "tracee-sig"), "replay", file).Output()
	if err != nil {
		t.Fatalf("replay %s: %v", file, err)
	}
	var list []finding
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e struct {
			Timestamp json.Number
			Args      []struct {
				Name  string
				Value interface{}
			}
		}
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.UseNumber()
		if err := d.Decode(&e); err != nil {
			t.Fatalf("replay output: %v", err)
		}
		ts, _ := e.Timestamp.Int64()
		f := finding{Timestamp: int(ts)}
		for _, a := range e.Args {
			switch a.Name {
			case "ip":
				f.IP, _ = a.Value.(string)
			case "container_id":
				f.Container, _ = a.Value.(string)
			case "comm":
				f.Comm, _ = a.Value.(string)
			case "port":
				n, _ := a.Value.(json.Number).Int64()
				f.Port = int(n)
			}
		}
		list = append(list, f)
	}
	return list
}

// pluginFindings reads Tracee findings as Tracee's findings.go would: the payload is the trigger.
func pluginFindings(t *testing.T, list []*detect.Finding) []finding {
	t.Helper()
	var out []finding
	for _, f := range list {
		ev, ok := f.Event.Payload.(trace.Event)
		if !ok {
			t.Fatalf("finding's Event.Payload is %T, Tracee needs trace.Event", f.Event.Payload)
		}
		if f.SigMetadata.EventName != "k8s_api_connection" {
			t.Errorf("finding's SigMetadata.EventName %q", f.SigMetadata.EventName)
		}
		x := finding{Timestamp: ev.Timestamp}
		x.IP, _ = f.Data["ip"].(string)
		x.Container, _ = f.Data["container_id"].(string)
		x.Comm, _ = f.Data["comm"].(string)
		port, isInt := f.Data["port"].(int)
		if !isInt {
			t.Errorf("port is %T, Tracee converts a Go int", f.Data["port"])
		}
		x.Port = port
		out = append(out, x)
	}
	return out
}

// legacyRecordings are the bundled recordings Tracee's trace.Event decoding reads, and why others are left out.
func legacyRecordings(t *testing.T) (map[string][]trace.Event, map[string]string) {
	files, _ := filepath.Glob(filepath.Join(root, "fixtures", "*.json"))
	read := map[string][]trace.Event{}
	skipped := map[string]string{}
	for _, f := range files {
		events, errs := ReadRecording(f)
		name := filepath.Base(f)
		switch {
		case len(errs) > 0:
			skipped[name] = fmt.Sprintf("%d of its lines are refused by Tracee v0.24.1's trace.Event decoding (first: %v)", len(errs), errs[0])
		case len(events) == 0:
			skipped[name] = "no events"
		default:
			read[name] = events
		}
	}
	return read, skipped
}

func TestFindingsEqualReplayForEveryRecording(t *testing.T) {
	recordings, skipped := legacyRecordings(t)
	names := make([]string, 0, len(skipped))
	for n := range skipped {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Logf("not driven through the plugin: %s: %s", n, skipped[n])
	}
	for _, want := range []string{"pod-api-access.legacy.json", "evasions.legacy.json", "ipv6-cluster.legacy.json", "no-env-capture.legacy.json"} {
		if recordings[want] == nil {
			t.Errorf("%s must decode with trace.Event: %s", want, skipped[want])
		}
	}
	for name, events := range recordings {
		t.Run(name, func(t *testing.T) {
			sock := socketIn(t)
			startServe(t, sock)
			configure(t, sock, nil)
			log := &Logger{}
			eng, err := Start(ours, log)
			if err != nil {
				t.Fatal(err)
			}
			eng.Feed(events)
			eng.Finish()
			got := pluginFindings(t, eng.Run.Snapshot())
			want := replayFindings(t, filepath.Join(root, "fixtures", name))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("findings through Tracee's loader and the plugin differ from replay's:\n got %v\nwant %v\nlog:\n%s", got, want, strings.Join(log.Lines, "\n"))
			}
			if n := countLines(log, "does not register it"); n != 0 {
				t.Errorf("bundled serve and plugin disagree on signatures:\n%s", strings.Join(log.Lines, "\n"))
			}
			s := ours.(stats).BridgeStats()
			t.Logf("%s: %d events, %d selected, %d findings; bridge %v", name, len(events), len(eng.Run.Calls), len(got), s)
		})
	}
}

func countLines(l *Logger, substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.Lines {
		if strings.Contains(line, substr) {
			n++
		}
	}
	return n
}
