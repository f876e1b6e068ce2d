package host

// Faults with a real serve: down at start, killed and restarted mid-replay,
// stopped (SIGSTOP: connected, never answering). In each, OnEvent stays
// non-blocking (its worst call is logged), what is dropped or lost is counted,
// Close returns in bounded time, and findings resume.

import (
	"reflect"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/aquasecurity/tracee/types/trace"
)

func worst(calls []time.Duration) time.Duration {
	var w time.Duration
	for _, c := range calls {
		w = max(w, c)
	}
	return w
}

func percentile(calls []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), calls...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return 0
	}
	return s[int(float64(len(s)-1)*p)]
}

func waitStats(t *testing.T, what string, cond func(map[string]uint64) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond(ours.(stats).BridgeStats()) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30s for %s: %v", what, ours.(stats).BridgeStats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// firstSelected is the recording up to the first event the signature selects.
func firstSelected(eng *Engine, events []trace.Event) []trace.Event {
	for i := range events {
		if eng.Selects(events[i].ToProtocol().Headers.Selector) {
			return events[:i+1]
		}
	}
	return events
}

func recording(t *testing.T, name string) ([]trace.Event, []finding) {
	events, errs := ReadRecording(root + "/fixtures/" + name)
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	return events, replayFindings(t, root+"/fixtures/"+name)
}

func TestServeDownAtStart(t *testing.T) {
	events, want := recording(t, "pod-api-access.legacy.json")
	sock := socketIn(t)
	configure(t, sock, map[string]string{"TRACEE_SIG_BACKOFF_MIN": "20ms", "TRACEE_SIG_BACKOFF_MAX": "100ms"})
	log := &Logger{}
	eng, err := Start(ours, log)
	if err != nil {
		t.Fatal(err)
	}
	before := ours.(stats).BridgeStats()
	eng.Feed(events) // nobody listens: the events wait in the queue
	time.Sleep(300 * time.Millisecond)
	startServe(t, sock)
	eng.Finish()
	after := ours.(stats).BridgeStats()
	got := pluginFindings(t, eng.Run.Snapshot())
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings once serve came up:\n got %v\nwant %v", got, want)
	}
	if after["dropped"] != before["dropped"] || after["reconnects"] == before["reconnects"] || countLines(log, "reconnecting") == 0 {
		t.Errorf("expected reconnects and no drops: before %v after %v", before, after)
	}
	t.Logf("serve down at start: OnEvent worst %v over %d calls; %d findings after it came up", worst(eng.Run.Calls), len(eng.Run.Calls), len(got))
}

func TestServeKilledAndRestartedMidReplay(t *testing.T) {
	events, want := recording(t, "pod-api-access.legacy.json")
	sock := socketIn(t)
	srv := startServe(t, sock)
	configure(t, sock, map[string]string{"TRACEE_SIG_BACKOFF_MIN": "20ms", "TRACEE_SIG_BACKOFF_MAX": "100ms"})
	eng, err := Start(ours, &Logger{})
	if err != nil {
		t.Fatal(err)
	}
	base := ours.(stats).BridgeStats()
	eng.Feed(events)
	waitStats(t, "the first pass answered", func(s map[string]uint64) bool { return s["answered"]-base["answered"] == uint64(len(eng.Run.Calls)) })
	first := len(eng.Run.Snapshot())
	srv.kill() // SIGKILL: the stream breaks, serve's state is gone
	waitStats(t, "the broken stream noticed", func(s map[string]uint64) bool { return s["reconnects"] > base["reconnects"] })
	eng.Feed(events) // waits in the queue for the new serve
	time.Sleep(200 * time.Millisecond)
	startServe(t, sock) // a fresh serve: the queued second pass goes to it
	start := time.Now()
	eng.Finish()
	closeTook := time.Since(start)
	s := ours.(stats).BridgeStats()
	all := pluginFindings(t, eng.Run.Snapshot())
	if first != len(want) || !reflect.DeepEqual(all[first:], want) {
		t.Errorf("findings after the restart:\n got %v\nwant %v (first pass %d)", all[first:], want, first)
	}
	if s["reconnects"] == base["reconnects"] || s["accepted"]-base["accepted"] != s["answered"]-base["answered"]+s["lost"]-base["lost"] {
		t.Errorf("counters: before %v after %v", base, s)
	}
	t.Logf("killed and restarted: OnEvent worst %v; lost in flight %d; Finish took %v", worst(eng.Run.Calls), s["lost"]-base["lost"], closeTook)
}

// frozenAfterConnecting starts the plugin, waits until serve answered it once, then
// freezes serve (SIGSTOP): the connection stays open and nothing is answered.
func frozenAfterConnecting(t *testing.T, srv *serve, events []trace.Event) (*Engine, map[string]uint64) {
	t.Helper()
	eng, err := Start(ours, &Logger{})
	if err != nil {
		t.Fatal(err)
	}
	base := ours.(stats).BridgeStats()
	eng.Feed(firstSelected(eng, events))
	waitStats(t, "connected", func(s map[string]uint64) bool { return s["answered"] > base["answered"] })
	if err := srv.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	return eng, base
}

func TestServeNeverAnswering(t *testing.T) {
	events, want := recording(t, "pod-api-access.legacy.json")
	sock := socketIn(t)
	srv := startServe(t, sock)
	configure(t, sock, map[string]string{"TRACEE_SIG_QUEUE_SIZE": "64", "TRACEE_SIG_BATCH_SIZE": "8", "TRACEE_SIG_MAX_IN_FLIGHT": "2",
		"TRACEE_SIG_ANSWER_TIMEOUT": "500ms", "TRACEE_SIG_FLUSH_TIMEOUT": "1s", "TRACEE_SIG_CONNECT_TIMEOUT": "500ms",
		"TRACEE_SIG_BACKOFF_MIN": "20ms", "TRACEE_SIG_BACKOFF_MAX": "100ms"})
	eng, base := frozenAfterConnecting(t, srv, events)
	for i := 0; i < 100; i++ { // 1,600 selected events at full speed into a 64-event queue
		eng.Feed(events)
	}
	stalled := ours.(stats).BridgeStats()
	if stalled["dropped"] == base["dropped"] {
		t.Errorf("a frozen serve and a full queue must drop: %v", stalled)
	}
	calls := eng.Run.Calls
	t.Logf("serve frozen: %d OnEvent calls, p50 %v p99 %v worst %v; dropped %d", len(calls), percentile(calls, 0.5), percentile(calls, 0.99), worst(calls), stalled["dropped"]-base["dropped"])
	waitStats(t, "the silent stream given up", func(s map[string]uint64) bool { return s["lost"] > base["lost"] })
	if err := srv.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	// serve answers again: a full pass learns and reports again.
	eng.Run.Calls = nil
	mark := len(eng.Run.Snapshot())
	waitStats(t, "the queue drained", func(s map[string]uint64) bool { return s["accepted"] == s["answered"]+s["lost"]+s["unconvertible"] })
	mark = len(eng.Run.Snapshot())
	t.Logf("before the last pass: %v", ours.(stats).BridgeStats())
	eng.Feed(events)
	start := time.Now()
	eng.Finish()
	closeTook := time.Since(start)
	got := pluginFindings(t, eng.Run.Snapshot())[mark:]
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings once serve answers again:\n got %v\nwant %v", got, want)
	}
	if closeTook > 5*time.Second {
		t.Errorf("OnSignal and Close took %v (flush timeout 1s)", closeTook)
	}
	s := ours.(stats).BridgeStats()
	t.Logf("never answering: reconnects %d, lost %d, dropped %d; Finish took %v", s["reconnects"]-base["reconnects"], s["lost"]-base["lost"], s["dropped"]-base["dropped"], closeTook)
}

func TestCloseBoundedWhenServeNeverAnswers(t *testing.T) {
	events, _ := recording(t, "pod-api-access.legacy.json")
	sock := socketIn(t)
	srv := startServe(t, sock)
	configure(t, sock, map[string]string{"TRACEE_SIG_FLUSH_TIMEOUT": "500ms", "TRACEE_SIG_ANSWER_TIMEOUT": "10s", "TRACEE_SIG_CONNECT_TIMEOUT": "500ms"})
	eng, base := frozenAfterConnecting(t, srv, events)
	eng.Feed(events)
	start := time.Now()
	eng.Finish() // OnSignal waits FlushTimeout, Close waits FlushTimeout again at most, then stops
	took := time.Since(start)
	if took > 4*time.Second {
		t.Errorf("Finish took %v with serve frozen (flush timeout 500ms, connect timeout 500ms)", took)
	}
	s := ours.(stats).BridgeStats()
	if s["lost"] == base["lost"] {
		t.Errorf("unanswered events must be counted lost: %v", s)
	}
	t.Logf("frozen serve: OnSignal+Close returned in %v, %d events counted lost", took, s["lost"]-base["lost"])
}
