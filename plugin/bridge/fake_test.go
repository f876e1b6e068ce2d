package bridge

// A fake tracee.sig.v1.SignatureService for the bridge's unit tests: it answers
// every security_socket_connect with one k8s_api_connection finding, and can be
// told to stay silent or to offer other signatures.

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aquasecurity/tracee/types/detect"
	"github.com/aquasecurity/tracee/types/protocol"
	"github.com/aquasecurity/tracee/types/trace"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protowire"
)

type fakeServe struct {
	socket     string
	server     *grpc.Server
	silent     atomic.Bool   // read batches, never answer
	delay      time.Duration // before each answer
	offered    []string      // GetMetadata ids
	mu         sync.Mutex
	batchSizes []int
	signals    int
}

func startFake(t *testing.T, socket string, offered ...string) *fakeServe {
	t.Helper()
	if len(offered) == 0 {
		offered = []string{"TRC-1013"}
	}
	f := &fakeServe{socket: socket, offered: offered}
	f.start(t)
	return f
}

func (f *fakeServe) start(t *testing.T) {
	t.Helper()
	lis, err := net.Listen("unix", f.socket)
	if err != nil {
		t.Fatalf("listen %s: %v", f.socket, err)
	}
	f.server = grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.UnknownServiceHandler(f.handle))
	go f.server.Serve(lis)
	t.Cleanup(f.server.Stop)
}

func (f *fakeServe) handle(_ any, stream grpc.ServerStream) error {
	method, _ := grpc.MethodFromServerStream(stream)
	var req []byte
	switch method {
	case methodGetMetadata:
		if err := stream.RecvMsg(&req); err != nil {
			return err
		}
		var resp []byte
		for _, id := range f.offered {
			resp = appendMessage(resp, 1, appendString(nil, 1, id))
		}
		return stream.SendMsg(&resp)
	case methodOnSignal:
		if err := stream.RecvMsg(&req); err != nil {
			return err
		}
		f.mu.Lock()
		f.signals++
		f.mu.Unlock()
		resp := []byte{}
		return stream.SendMsg(&resp)
	case methodOnEvents:
		for {
			if err := stream.RecvMsg(&req); err != nil {
				return nil
			}
			answer, n := fakeAnswer(req)
			f.mu.Lock()
			f.batchSizes = append(f.batchSizes, n)
			f.mu.Unlock()
			if f.silent.Load() {
				continue
			}
			time.Sleep(f.delay)
			if err := stream.SendMsg(&answer); err != nil {
				return err
			}
		}
	}
	return fmt.Errorf("unknown method %s", method)
}

func (f *fakeServe) sizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.batchSizes...)
}

// fakeAnswer finds, like TRC-1013 minus the learning, connects in an EventBatch.
func fakeAnswer(batch []byte) ([]byte, int) {
	var findings [][]byte
	var triggers []byte
	n := 0
	_ = fields(batch, "EventBatch", func(num protowire.Number, _ protowire.Type, ev []byte, _ uint64) error {
		if num != 1 {
			return nil
		}
		var name, comm string
		_ = fields(ev, "Event", func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
			switch num {
			case 3:
				name = string(v)
			case 5: // workload.process.thread.name
				_ = fields(v, "w", func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
					if num == 1 {
						_ = fields(v, "p", func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
							if num == 6 {
								_ = fields(v, "t", func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
									if num == 2 {
										comm = string(v)
									}
									return nil
								})
							}
							return nil
						})
					}
					return nil
				})
			}
			return nil
		})
		if name == "security_socket_connect" {
			var f []byte
			f = appendString(f, 3, "k8s_api_connection")
			f = appendMessage(f, 6, appendString(appendString(nil, 1, "ip"), 6, "10.96.0.1"))
			f = appendMessage(f, 6, appendString(appendString(nil, 1, "comm"), 6, comm))
			f = appendMessage(f, 6, forceVarint(appendString(nil, 1, "port"), 4, 443))
			f = appendMessage(f, 7, appendVarint(nil, 3, 1))
			findings = append(findings, f)
			triggers = protowire.AppendVarint(triggers, uint64(n))
		}
		n++
		return nil
	})
	var out []byte
	for _, f := range findings {
		out = appendMessage(out, 1, f)
	}
	out = appendVarint(out, 2, uint64(n))
	if len(triggers) > 0 {
		out = appendMessage(out, 3, triggers)
	}
	return out, n
}

// testLogger keeps Tracee's log lines.
type testLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *testLogger) add(level, msg string, kv []interface{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, level+" "+msg+" "+fmt.Sprint(kv...))
}
func (l *testLogger) Debugw(m string, kv ...interface{}) { l.add("DEBUG", m, kv) }
func (l *testLogger) Infow(m string, kv ...interface{})  { l.add("INFO", m, kv) }
func (l *testLogger) Warnw(m string, kv ...interface{})  { l.add("WARN", m, kv) }
func (l *testLogger) Errorw(m string, kv ...interface{}) { l.add("ERROR", m, kv) }

func (l *testLogger) count(substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		if strings.Contains(line, substr) {
			n++
		}
	}
	return n
}

func (l *testLogger) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// findings collects what the Callback received.
type findings struct {
	mu   sync.Mutex
	list []*detect.Finding
}

func (f *findings) add(x *detect.Finding) {
	f.mu.Lock()
	f.list = append(f.list, x)
	f.mu.Unlock()
}

func (f *findings) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.list)
}

func testSpecs(t *testing.T) []Spec {
	t.Helper()
	specs, problems := ParseCatalogue([]byte(`[{"metadata":{"id":"TRC-1013","version":"0.1.0","name":"K8s API","eventName":"k8s_api_connection",
	  "description":"d","tags":["container"],"severity":1,"category":"discovery",
	  "mitre":{"tactic":"Discovery","technique":{"id":"T1526","name":"Cloud Service Discovery"}},"properties":{"MITRE ATT&CK":"Discovery: Cloud Service Discovery"}},
	  "selectedEvents":[{"source":"tracee","name":"sched_process_exec","origin":"container"},{"source":"tracee","name":"security_socket_connect","origin":"container"}]}]`), "test")
	if len(problems) > 0 || len(specs) != 1 {
		t.Fatalf("test catalogue: %v", problems)
	}
	return specs
}

// newTestBridge initialises a one-proxy bridge against socket, with the given env settings.
func newTestBridge(t *testing.T, socket string, env map[string]string, cb detect.SignatureHandler) (*Bridge, detect.Signature, *testLogger) {
	t.Helper()
	t.Setenv("TRACEE_SIG_ADDRESS", "unix://"+socket)
	t.Setenv("TRACEE_SIG_CONFIG", filepath.Join(t.TempDir(), "absent.conf"))
	for k, v := range env {
		t.Setenv(k, v)
	}
	b := New(testSpecs(t), "test", nil, "")
	sig := b.Signatures()[0]
	log := &testLogger{}
	if err := sig.Init(detect.SignatureContext{Callback: cb, Logger: log}); err != nil {
		t.Fatal(err)
	}
	return b, sig, log
}

var nextTs atomic.Int64

func connectEvent(comm string) protocol.Event {
	e := trace.Event{
		Timestamp:    int(1772446445118217052 + nextTs.Add(1)),
		EventName:    "security_socket_connect",
		ProcessName:  comm,
		Container:    trace.Container{ID: "c0ffee"},
		ContextFlags: trace.ContextFlags{ContainerStarted: true},
		Args: []trace.Argument{{ArgMeta: trace.ArgMeta{Name: "remote_addr", Type: "SockAddr"},
			Value: map[string]string{"sa_family": "AF_INET", "sin_addr": "10.96.0.1", "sin_port": "443"}}},
	}
	return e.ToProtocol()
}

func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", limit, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
