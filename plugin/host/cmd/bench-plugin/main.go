// bench-plugin: events/s through Tracee's call path -> tracee-sig.so -> serve ->
// findings back into the Callback, beside Tracee v0.24.1's own TRC-1013 run
// in-process on the same events; OnEvent's cost per call; no drops at 50,000
// events/s sustained; event-to-Callback latency at 10,000 events/s. Writes its
// section of bench/RESULTS.md. Run by `make bench-plugin` (after make plugin-test
// has built the .so files).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aquasecurity/tracee/types/detect"
	"github.com/aquasecurity/tracee/types/protocol"
	"github.com/aquasecurity/tracee/types/trace"
	"github.com/tracee-sig/plugin/host"
)

var (
	root     = flag.String("root", "../..", "the repository")
	count    = flag.Int("events", 200000, "events per throughput run")
	runs     = flag.Int("runs", 3, "throughput runs per configuration (median reported)")
	seconds  = flag.Int("seconds", 10, "length of the paced runs")
	results  = flag.String("results", "", "RESULTS.md to write the section into (default: print only)")
	sections []string
)

type stats interface{ BridgeStats() map[string]uint64 }

func main() {
	flag.Parse()
	r, _ := filepath.Abs(*root)
	*root = r
	sock := filepath.Join(os.TempDir(), fmt.Sprintf("tsig-bench-%d.sock", os.Getpid()))
	serve := exec.Command(filepath.Join(*root, "bin", "tracee-sig"), "serve", "--listen", "unix://"+sock, "--log-level", "warn")
	serve.Stderr = os.Stderr
	must(serve.Start())
	defer func() { _ = serve.Process.Kill(); _ = serve.Wait() }()
	for i := 0; ; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if i > 1500 {
			fail("serve did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	os.Setenv("TRACEE_SIG_ADDRESS", "unix://"+sock)
	os.Setenv("TRACEE_SIG_CONFIG", filepath.Join(os.TempDir(), "tracee-sig-bench-none.conf"))

	oursAll, err := host.Load(filepath.Join(*root, "dist", "plugin"))
	must(err)
	ours := host.ByID(oursAll, "TRC-1013")
	theirsAll, err := host.Load(filepath.Join(*root, "dist", "tracee-builtin"))
	must(err)
	theirs := host.ByID(theirsAll, "TRC-1013")
	if ours == nil || theirs == nil {
		fail("TRC-1013 missing from dist/plugin/tracee-sig.so or dist/tracee-builtin/builtin.so (make plugin-test builds both)")
	}

	mixes := []struct {
		name   string
		events []trace.Event
	}{
		{"all selected (1 exec : 4 connects, 64 containers, 10% findings)", allSelected(*count)},
		{"recording mix (pod-api-access + evasions repeated; 30% selected)", recordingMix(*count)},
	}
	var table []string
	table = append(table, "| traffic | selected events | tracee-sig.so → serve → Callback, selected events/s | runs | findings | dropped | Tracee's TRC-1013 in-process, selected events/s | Node client → serve, events/s (runs) | OnEvent p50 / p99 / max |",
		"| --- | ---: | ---: | --- | ---: | ---: | ---: | --- | --- |")
	for _, mix := range mixes {
		selected := selectedOnly(ours, mix.events)
		var rates, nodeRates []float64
		var findings, dropped uint64
		var calls []time.Duration
		for i := 0; i < *runs; i++ { // interleaved with the Node client on the same serve, where the mix is its own
			rate, f, d, c := throughput(ours, selected)
			rates = append(rates, rate)
			findings, dropped, calls = f, dropped+d, c
			if strings.HasPrefix(mix.name, "all selected") {
				nodeRates = append(nodeRates, nodeClient(sock, len(selected)))
			}
		}
		node := "–"
		if len(nodeRates) > 0 {
			node = fmt.Sprintf("%s (%s)", thousands(int(median(nodeRates))), list(nodeRates))
		}
		var theirRates []float64
		for i := 0; i < *runs; i++ {
			theirRates = append(theirRates, inProcess(theirs, selectedOnly(theirs, mix.events)))
		}
		if allSelectedRate == 0 {
			allSelectedRate = median(rates)
		}
		table = append(table, fmt.Sprintf("| %s | %s | **%s** | %s | %d | %d | %s | %s | %s |", mix.name, thousands(len(selected)),
			thousands(int(median(rates))), list(rates), findings, dropped, thousands(int(median(theirRates))), node, percentiles(calls)))
	}

	sustained := paced(ours, allSelected(50000**seconds), 50000)
	latency := paced(ours, allSelected(10000**seconds), 10000)

	var load [3]float64
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Sscanf(string(b), "%f %f %f", &load[0], &load[1], &load[2])
	}
	section := fmt.Sprintf(`## Tracee plugin

**Command:** `+"`make bench-plugin`"+` (after `+"`make plugin-test`"+`), i.e. `+"`go run ./cmd/bench-plugin`"+` in `+"`plugin/host`"+`
(`+"`-runs`, `-events`, `-seconds`"+` override %d runs of %s events and %d s paced runs). One `+"`bin/tracee-sig serve`"+`
on a unix socket; `+"`dist/plugin/tracee-sig.so`"+` and Tracee v0.24.1's `+"`builtin.so`"+` loaded with Tracee's own loader
into one Go host that calls `+"`OnEvent`"+` on one goroutine, as Tracee v0.24's engine does, with the events the
signature selected (Tracee's engine filters the others before any signature sees them).
**Throughput**: from the first `+"`OnEvent`"+` to the last answer handed to the Callback (`+"`OnSignal(source complete)`"+`
returns once every accepted event is answered), queue sized to hold the run (so nothing is dropped), default
batching (512 events, 2 ms linger, 32 batches in flight); median of the runs. Tracee's TRC-1013 runs the same
events in-process (its Callback is called inside `+"`OnEvent`"+`).
**Paced runs**: default settings (queue 65,536), events offered at a fixed rate in 1 ms steps.

**Machine:** %d CPUs, %s; load average %.2f %.2f %.2f after the run (other developers' jobs share the machine).

%s

| paced run | offered | accepted | dropped | lost | findings | OnEvent p50 / p99 / max | event → Callback p50 / p99 / max |
| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |
| 50,000 events/s for %d s | %s | %s | %d | %d | %d | %s | %s |
| 10,000 events/s for %d s | %s | %s | %d | %d | %d | %s | %s |

Event → Callback: from the start of the `+"`OnEvent`"+` call of a triggering event to the Callback with its finding
(batch linger, the stream, serve's decode and TRC-1013, the answer, the Callback).

**Node client → serve**: `+"`bench/grpc/client.ts`"+` (section "gRPC OnEvents"), a separate Node process streaming the same
mix pre-encoded at batch 512 to the same serve, run between the plugin's runs: what serve takes from a client
that spends nothing on encoding. Single runs vary widely with the other jobs on this shared machine (all
runs are listed); compare figures of the same run.

**Against the targets:** %s
`, *runs, thousands(*count), *seconds, runtime.NumCPU(), runtime.Version(), load[0], load[1], load[2], strings.Join(table, "\n"),
		*seconds, thousands(sustained.offered), thousands(int(sustained.accepted)), sustained.dropped, sustained.lost, sustained.findings, percentiles(sustained.calls), percentiles(sustained.latency),
		*seconds, thousands(latency.offered), thousands(int(latency.accepted)), latency.dropped, latency.lost, latency.findings, percentiles(latency.calls), percentiles(latency.latency),
		targets(sustained, latency))
	fmt.Print(section)
	if *results != "" {
		must(replaceSection(*results, "## Tracee plugin", section))
	}
}

// allSelectedRate is the median end-to-end rate on all-selected traffic (the target's figure).
var allSelectedRate float64

func targets(sustained, latency pacedResult) string {
	var out []string
	check := func(ok bool, what string) {
		verdict := "**met**"
		if !ok {
			verdict = "**missed**"
		}
		out = append(out, what+": "+verdict)
	}
	check(allSelectedRate >= 100000, fmt.Sprintf("at least 100,000 selected events/s end to end (all selected: %s)", thousands(int(allSelectedRate))))
	check(sustained.dropped == 0 && sustained.lost == 0, fmt.Sprintf("no drops at 50,000 events/s sustained (%d dropped, %d lost)", sustained.dropped, sustained.lost))
	all := append(append([]time.Duration(nil), sustained.calls...), latency.calls...)
	p99 := pct(all, 0.99)
	check(p99 < 2*time.Microsecond, fmt.Sprintf("OnEvent p99 under 2 µs (%v over both paced runs; it never blocks: a full queue drops)", p99))
	return strings.Join(out, "; ") + "."
}

// nodeClient runs bench/grpc/client.ts against serve: events/s.
func nodeClient(sock string, events int) float64 {
	out, err := exec.Command("node", filepath.Join(*root, "dist", "bench", "grpc", "client.js"), sock, "512", fmt.Sprint(events)).Output()
	if err != nil {
		fail("node client: " + err.Error())
	}
	var r struct{ EventsPerSecond float64 }
	must(json.Unmarshal(out, &r))
	return r.EventsPerSecond
}

// throughput runs the selected events through the plugin as fast as OnEvent takes them.
func throughput(sig detect.Signature, events []protocol.Event) (rate float64, findings, dropped uint64, calls []time.Duration) {
	os.Setenv("TRACEE_SIG_QUEUE_SIZE", fmt.Sprint(len(events)+1))
	defer os.Unsetenv("TRACEE_SIG_QUEUE_SIZE")
	var found atomic.Uint64
	must(sig.Init(detect.SignatureContext{Callback: func(*detect.Finding) { found.Add(1) }, Logger: quiet{}}))
	before := sig.(stats).BridgeStats()
	calls = make([]time.Duration, len(events))
	runtime.GC()
	start := time.Now()
	for i := range events {
		t := time.Now()
		_ = sig.OnEvent(events[i])
		calls[i] = time.Since(t)
	}
	_ = sig.OnSignal(detect.SignalSourceComplete("tracee"))
	elapsed := time.Since(start)
	sig.Close()
	after := sig.(stats).BridgeStats()
	rate = float64(len(events)) / elapsed.Seconds()
	return rate, found.Load(), after["dropped"] - before["dropped"] + after["lost"] - before["lost"], calls
}

func inProcess(sig detect.Signature, events []protocol.Event) float64 {
	must(sig.Init(detect.SignatureContext{Callback: func(*detect.Finding) {}, Logger: quiet{}}))
	start := time.Now()
	for i := range events {
		_ = sig.OnEvent(events[i])
	}
	_ = sig.OnSignal(detect.SignalSourceComplete("tracee"))
	elapsed := time.Since(start)
	sig.Close()
	return float64(len(events)) / elapsed.Seconds()
}

type pacedResult struct {
	offered                 int
	accepted                uint64
	dropped, lost, findings uint64
	calls, latency          []time.Duration
}

// paced offers the events at rate per second, in 1 ms steps, with default settings.
func paced(sig detect.Signature, events []trace.Event, rate int) pacedResult {
	protos := make([]protocol.Event, len(events))
	for i := range events {
		protos[i] = events[i].ToProtocol()
	}
	var mu sync.Mutex
	sentAt := make(map[int]time.Time, len(events)/10)
	var latency []time.Duration
	var found atomic.Uint64
	must(sig.Init(detect.SignatureContext{Callback: func(f *detect.Finding) {
		now := time.Now()
		found.Add(1)
		ts := f.Event.Payload.(trace.Event).Timestamp
		mu.Lock()
		if t, ok := sentAt[ts]; ok {
			latency = append(latency, now.Sub(t))
		}
		mu.Unlock()
	}, Logger: quiet{}}))
	before := sig.(stats).BridgeStats()
	perStep := rate / 1000
	calls := make([]time.Duration, 0, len(protos))
	start := time.Now()
	for i := 0; i < len(protos); i += perStep {
		due := start.Add(time.Duration(i/perStep) * time.Millisecond)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		for j := i; j < min(i+perStep, len(protos)); j++ {
			if protos[j].Headers.Selector.Name == "security_socket_connect" {
				mu.Lock()
				sentAt[events[j].Timestamp] = time.Now()
				mu.Unlock()
			}
			t := time.Now()
			_ = sig.OnEvent(protos[j])
			calls = append(calls, time.Since(t))
		}
	}
	_ = sig.OnSignal(detect.SignalSourceComplete("tracee"))
	sig.Close()
	after := sig.(stats).BridgeStats()
	return pacedResult{offered: len(protos), accepted: after["accepted"] - before["accepted"], dropped: after["dropped"] - before["dropped"],
		lost: after["lost"] - before["lost"], findings: found.Load(), calls: calls, latency: latency}
}

const containers = 64

var env = []string{
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8",
	"KUBERNETES_SERVICE_PORT=443", "KUBERNETES_SERVICE_PORT_HTTPS=443", "KUBERNETES_PORT=tcp://10.96.0.1:443",
	"KUBERNETES_PORT_443_TCP=tcp://10.96.0.1:443", "KUBERNETES_PORT_443_TCP_PROTO=tcp", "KUBERNETES_PORT_443_TCP_PORT=443",
	"KUBERNETES_PORT_443_TCP_ADDR=10.96.0.1", "REDIS_SERVICE_HOST=10.96.12.7", "REDIS_SERVICE_PORT=6379",
	"API_SERVICE_HOST=10.96.40.2", "API_SERVICE_PORT=8080", "LOG_LEVEL=info", "KUBERNETES_SERVICE_HOST=10.96.0.1",
}

// allSelected is bench/grpc/events.ts's mix as Tracee v0.24 events: 1 exec to 4
// connects across 64 containers; 1 connect in 8 goes to the API server.
func allSelected(n int) []trace.Event {
	out := make([]trace.Event, n)
	for i := range out {
		c := i % containers
		id := strings.Repeat(fmt.Sprintf("%08xc0ffee", c), 5)[:64]
		e := trace.Event{
			Timestamp: 1772446530000000000 + i*1000, ProcessName: "curl", HostProcessID: 40000 + c, ProcessID: 7, ThreadID: 7,
			Container:    trace.Container{ID: id, Name: fmt.Sprintf("app-%d", c), ImageName: "ghcr.io/acme/app:1"},
			ContextFlags: trace.ContextFlags{ContainerStarted: true}, Executable: trace.File{Path: "/usr/bin/curl"},
		}
		if i%5 == 0 {
			e.EventName, e.EventID, e.Syscall = "sched_process_exec", 715, "execve"
			e.Args = []trace.Argument{
				{ArgMeta: trace.ArgMeta{Name: "cmdpath", Type: "string"}, Value: "/usr/bin/curl"},
				{ArgMeta: trace.ArgMeta{Name: "pathname", Type: "string"}, Value: "/usr/bin/curl"},
				{ArgMeta: trace.ArgMeta{Name: "argv", Type: "[]string"}, Value: []string{"curl", "-s", "https://10.96.0.1/api"}},
				{ArgMeta: trace.ArgMeta{Name: "env", Type: "[]string"}, Value: append([]string{fmt.Sprintf("HOSTNAME=pod-%d", c)}, env...)},
			}
		} else {
			k := i/5*4 + i%5 - 1
			ip, port := fmt.Sprintf("10.244.%d.%d", c, k%250+2), "8080"
			if k%8 == 0 {
				ip, port = "10.96.0.1", "443"
			}
			e.EventName, e.EventID, e.Syscall = "security_socket_connect", 1035, "connect"
			e.Args = []trace.Argument{
				{ArgMeta: trace.ArgMeta{Name: "sockfd", Type: "int32"}, Value: int32(3)},
				{ArgMeta: trace.ArgMeta{Name: "type", Type: "int32"}, Value: int32(1)},
				{ArgMeta: trace.ArgMeta{Name: "remote_addr", Type: "SockAddr"}, Value: map[string]string{"sa_family": "AF_INET", "sin_addr": ip, "sin_port": port}},
			}
		}
		out[i] = e
	}
	return out
}

// recordingMix repeats bundled recordings (all their events, selected or not), timestamps shifted.
func recordingMix(n int) []trace.Event {
	var base []trace.Event
	for _, f := range []string{"pod-api-access.legacy.json", "evasions.legacy.json"} {
		events, errs := host.ReadRecording(filepath.Join(*root, "fixtures", f))
		if len(errs) > 0 {
			fail(errs[0].Error())
		}
		base = append(base, events...)
	}
	out := make([]trace.Event, n)
	for i := range out {
		e := base[i%len(base)]
		e.Timestamp += (i / len(base)) * 1000
		out[i] = e
	}
	return out
}

func selectedOnly(sig detect.Signature, events []trace.Event) []protocol.Event {
	sel, _ := sig.GetSelectedEvents()
	var out []protocol.Event
	for i := range events {
		if p := events[i].ToProtocol(); host.Selects(sel, p.Headers.Selector) {
			out = append(out, p)
		}
	}
	return out
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(float64(len(s)-1)*p)]
}

func percentiles(d []time.Duration) string {
	if len(d) == 0 {
		return "–"
	}
	m := time.Duration(0)
	for _, x := range d {
		m = max(m, x)
	}
	return fmt.Sprintf("%v / %v / %v", pct(d, 0.5), pct(d, 0.99), m)
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func list(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = thousands(int(x))
	}
	return strings.Join(parts, " ")
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// replaceSection puts body in place of the file's section that starts with heading (or appends it).
func replaceSection(file, heading, body string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	text := string(b)
	start := strings.Index(text, "\n"+heading+"\n")
	if start < 0 {
		return os.WriteFile(file, []byte(strings.TrimRight(text, "\n")+"\n\n"+body), 0o644)
	}
	start++
	end := strings.Index(text[start+len(heading):], "\n## ")
	if end < 0 {
		return os.WriteFile(file, []byte(text[:start]+body), 0o644)
	}
	end += start + len(heading) + 1
	return os.WriteFile(file, []byte(text[:start]+body+"\n"+text[end:]), 0o644)
}

type quiet struct{}

func (quiet) Debugw(string, ...interface{}) {}
func (quiet) Infow(string, ...interface{})  {}
func (quiet) Warnw(m string, kv ...interface{}) {
	fmt.Fprintln(os.Stderr, append([]interface{}{m}, kv...)...)
}
func (quiet) Errorw(m string, kv ...interface{}) {
	fmt.Fprintln(os.Stderr, append([]interface{}{m}, kv...)...)
}

func must(err error) {
	if err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "bench-plugin: "+msg)
	os.Exit(1)
}
