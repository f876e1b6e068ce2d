package bridge

import (
	"os"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aquasecurity/tracee/types/detect"
	"github.com/aquasecurity/tracee/types/trace"
)

func socketPath(t *testing.T) string {
	// unix socket paths are limited to 108 bytes: t.TempDir() can be longer.
	dir, err := os.MkdirTemp("", "tsig")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s.sock")
}

func TestFindingsComeBackWithTheTriggeringEvent(t *testing.T) {
	sock := socketPath(t)
	startFake(t, sock)
	got := &findings{}
	b, sig, log := newTestBridge(t, sock, nil, got.add)
	sent := connectEvent("curl")
	exec := connectEvent("sh")
	exec.Headers.Selector.Name = "sched_process_exec"
	exec.Payload = func() trace.Event { e := exec.Payload.(trace.Event); e.EventName = "sched_process_exec"; return e }()
	for _, ev := range []detect.Signature{sig} {
		_ = ev.OnEvent(exec)
		_ = ev.OnEvent(sent)
	}
	if err := sig.OnSignal(detect.SignalSourceComplete("tracee")); err != nil {
		t.Fatal(err)
	}
	if got.len() != 1 {
		t.Fatalf("findings: got %d, want 1; log:\n%s", got.len(), log)
	}
	f := got.list[0]
	if !reflect.DeepEqual(f.Event, sent) {
		t.Errorf("finding's event is not the triggering event:\n got %+v\nwant %+v", f.Event, sent)
	}
	want := map[string]interface{}{"ip": "10.96.0.1", "comm": "curl", "port": 443}
	if !reflect.DeepEqual(f.Data, want) {
		t.Errorf("data: got %#v, want %#v", f.Data, want)
	}
	if f.SigMetadata.ID != "TRC-1013" || f.SigMetadata.Properties["Severity"] != 1 || f.SigMetadata.Properties["external_id"] != "T1526" {
		t.Errorf("metadata: %+v", f.SigMetadata)
	}
	sig.Close()
	s := b.Stats()
	if s.Accepted != 2 || s.Answered != 2 || s.Findings != 1 || s.Dropped != 0 || s.Lost != 0 {
		t.Errorf("stats: %+v", s)
	}
}

func TestFullQueueNeverBlocksAndCounts(t *testing.T) {
	sock := socketPath(t) // nothing listens: the sender never takes from the queue
	b, sig, log := newTestBridge(t, sock, map[string]string{"TRACEE_SIG_QUEUE_SIZE": "10", "TRACEE_SIG_FLUSH_TIMEOUT": "50ms"}, func(*detect.Finding) {})
	ev := connectEvent("curl")
	var worst time.Duration
	for i := 0; i < 10000; i++ {
		start := time.Now()
		_ = sig.OnEvent(ev)
		if d := time.Since(start); d > worst {
			worst = d
		}
	}
	s := b.Stats()
	if s.Accepted != 10 || s.Dropped != 9990 {
		t.Fatalf("accepted %d dropped %d, want 10 and 9990", s.Accepted, s.Dropped)
	}
	if n := log.count("queue full"); n != 1 {
		t.Errorf("queue-full log lines: %d, want 1 (rate-limited)\n%s", n, log)
	}
	t.Logf("worst OnEvent call with a full queue: %v", worst)
	start := time.Now()
	sig.Close()
	t.Logf("Close with serve absent: %v", time.Since(start))
	if s := b.Stats(); s.Lost != 10 {
		t.Errorf("queued events not sent at Close are lost and counted: %+v", s)
	}
}

func TestBatchesAreBounded(t *testing.T) {
	sock := socketPath(t)
	fake := startFake(t, sock)
	got := &findings{}
	_, sig, _ := newTestBridge(t, sock, map[string]string{"TRACEE_SIG_BATCH_SIZE": "4", "TRACEE_SIG_BATCH_LINGER": "1s"}, got.add)
	for i := 0; i < 10; i++ {
		_ = sig.OnEvent(connectEvent("curl"))
	}
	// 8 events go in two full batches without lingering; the last 2 wait for more or a flush.
	waitFor(t, "two full batches", 5*time.Second, func() bool { return len(fake.sizes()) >= 2 })
	_ = sig.OnSignal(detect.SignalSourceComplete("tracee"))
	sizes := fake.sizes()
	total := 0
	for _, n := range sizes {
		if n > 4 {
			t.Errorf("batch of %d events, limit 4", n)
		}
		total += n
	}
	if total != 10 || got.len() != 10 {
		t.Errorf("batches %v (%d events), findings %d; want 10 and 10", sizes, total, got.len())
	}
	sig.Close()
}

func TestReconnectsAndFindingsResume(t *testing.T) {
	sock := socketPath(t)
	got := &findings{}
	b, sig, log := newTestBridge(t, sock, map[string]string{"TRACEE_SIG_BACKOFF_MIN": "10ms", "TRACEE_SIG_BACKOFF_MAX": "50ms", "TRACEE_SIG_CONNECT_TIMEOUT": "200ms"}, got.add)
	// serve is down at start: events wait in the queue.
	_ = sig.OnEvent(connectEvent("early"))
	time.Sleep(100 * time.Millisecond)
	fake := startFake(t, sock)
	waitFor(t, "the queued event answered after serve started", 5*time.Second, func() bool { return got.len() == 1 })
	// serve stops mid-stream and comes back.
	fake.server.Stop()
	os.Remove(sock)
	for i := 0; i < 5; i++ {
		_ = sig.OnEvent(connectEvent("during"))
	}
	time.Sleep(100 * time.Millisecond)
	fake.start(t)
	waitFor(t, "a reconnect", 5*time.Second, func() bool { return b.Stats().Reconnects > 0 })
	_ = sig.OnEvent(connectEvent("after"))
	waitFor(t, "findings after the restart", 5*time.Second, func() bool {
		got.mu.Lock()
		defer got.mu.Unlock()
		return len(got.list) > 0 && got.list[len(got.list)-1].Data["comm"] == "after"
	})
	sig.Close()
	s := b.Stats()
	if s.Accepted != 7 || s.Answered+s.Lost != 7 {
		t.Errorf("every accepted event is answered or counted lost: %+v", s)
	}
	if log.count("reconnecting") == 0 {
		t.Errorf("no reconnect line in the log:\n%s", log)
	}
}

func TestSilentServeIsLeftAndCloseIsBounded(t *testing.T) {
	sock := socketPath(t)
	fake := startFake(t, sock)
	fake.silent.Store(true)
	got := &findings{}
	b, sig, _ := newTestBridge(t, sock, map[string]string{"TRACEE_SIG_ANSWER_TIMEOUT": "200ms", "TRACEE_SIG_FLUSH_TIMEOUT": "300ms",
		"TRACEE_SIG_BACKOFF_MIN": "10ms", "TRACEE_SIG_BACKOFF_MAX": "20ms"}, got.add)
	for i := 0; i < 3; i++ {
		_ = sig.OnEvent(connectEvent("curl"))
	}
	waitFor(t, "the unanswered batch given up", 5*time.Second, func() bool { return b.Stats().Lost == 3 })
	fake.silent.Store(false)
	_ = sig.OnEvent(connectEvent("resumed"))
	waitFor(t, "findings once serve answers again", 5*time.Second, func() bool { return got.len() == 1 })
	fake.silent.Store(true)
	_ = sig.OnEvent(connectEvent("never answered"))
	start := time.Now()
	sig.Close()
	// Close waits FlushTimeout for answers, then stops the goroutines: it must not wait for serve.
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v with a silent serve (flush timeout 300ms)", d)
	}
	if s := b.Stats(); s.Reconnects == 0 || s.Lost != 4 {
		t.Errorf("stats: %+v", s)
	}
}

func TestNoCallbackAfterClose(t *testing.T) {
	sock := socketPath(t)
	fake := startFake(t, sock)
	fake.delay = 300 * time.Millisecond // answers arrive after Close gave up waiting
	var closed, late atomic.Bool
	_, sig, _ := newTestBridge(t, sock, map[string]string{"TRACEE_SIG_FLUSH_TIMEOUT": "50ms", "TRACEE_SIG_BATCH_SIZE": "1"}, func(*detect.Finding) {
		if closed.Load() {
			late.Store(true)
		}
	})
	for i := 0; i < 5; i++ {
		_ = sig.OnEvent(connectEvent("curl"))
	}
	sig.Close()
	closed.Store(true)
	time.Sleep(time.Second)
	if late.Load() {
		t.Fatal("Callback called after Close returned")
	}
	_ = sig.OnEvent(connectEvent("after close")) // ignored, no panic
}

func TestCallbackPanicIsContained(t *testing.T) {
	sock := socketPath(t)
	startFake(t, sock)
	var calls atomic.Int32
	b, sig, log := newTestBridge(t, sock, nil, func(*detect.Finding) {
		if calls.Add(1) == 1 {
			panic("send on closed channel")
		}
	})
	_ = sig.OnEvent(connectEvent("one"))
	_ = sig.OnEvent(connectEvent("two"))
	_ = sig.OnSignal(detect.SignalSourceComplete("tracee"))
	if s := b.Stats(); s.CallbackPanics != 1 || s.Findings != 1 {
		t.Errorf("stats: %+v", s)
	}
	if log.count("panicked") != 1 {
		t.Errorf("log:\n%s", log)
	}
	sig.Close()
}

func TestMismatchedSignaturesReportedOnceByName(t *testing.T) {
	sock := socketPath(t)
	startFake(t, sock, "TRC-9000")
	got := &findings{}
	_, sig, log := newTestBridge(t, sock, nil, got.add)
	_ = sig.OnEvent(connectEvent("curl"))
	_ = sig.OnSignal(detect.SignalSourceComplete("tracee"))
	if log.count("runs TRC-9000 but this plugin does not register it") != 1 || log.count("registers TRC-1013 (k8s_api_connection) but serve") != 1 {
		t.Errorf("log:\n%s", log)
	}
	sig.Close()
}

func TestMetadataIsPureBeforeInit(t *testing.T) {
	b := New(testSpecs(t), "test", nil, "")
	sig := b.Signatures()[0]
	m1, _ := sig.GetMetadata()
	m1.Properties["Severity"] = 99 // a caller editing its copy changes nothing
	m2, _ := sig.GetMetadata()
	if m2.Properties["Severity"] != 1 || m2.EventName != "k8s_api_connection" {
		t.Errorf("metadata: %+v", m2)
	}
	sel, _ := sig.GetSelectedEvents()
	if len(sel) != 2 || sel[0].Source != "tracee" {
		t.Errorf("selectors: %+v", sel)
	}
	if err := sig.OnEvent(connectEvent("x")); err != nil || b.Stats().Accepted != 0 {
		t.Errorf("OnEvent before Init queued: %v %+v", err, b.Stats())
	}
}

func TestPayloadThatIsNotATraceEventIsCountedAndReportedOnce(t *testing.T) {
	sock := socketPath(t)
	startFake(t, sock)
	got := &findings{}
	b, sig, log := newTestBridge(t, sock, nil, got.add)
	odd := connectEvent("curl")
	odd.Payload = "not an event"
	_ = sig.OnEvent(odd)
	_ = sig.OnEvent(odd)
	_ = sig.OnEvent(connectEvent("curl"))
	_ = sig.OnSignal(detect.SignalSourceComplete("tracee"))
	if s := b.Stats(); s.Unconvertible != 2 || s.Findings != 1 {
		t.Errorf("stats: %+v", s)
	}
	if log.count("payload, not a trace.Event") != 1 {
		t.Errorf("log:\n%s", log)
	}
	sig.Close()
}
