package bridge

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"

	"github.com/aquasecurity/tracee/types/trace"
	"google.golang.org/protobuf/encoding/protowire"
)

// recording reads a bundled legacy recording with Tracee's trace.Event decoding.
func recording(tb testing.TB, name string) []trace.Event {
	f, err := os.Open("../../fixtures/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []trace.Event
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e trace.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			tb.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// The fields TRC-1013 reads survive: exact timestamp, name, container id and
// started flag, comm, env, remote_addr (family, address, port), container_id.
func TestEventBytesKeepWhatTRC1013Reads(t *testing.T) {
	for _, e := range recording(t, "evasions.legacy.json") {
		b, unconverted := AppendEvent(nil, &e)
		if unconverted != 0 {
			t.Errorf("%s at %d: %d arguments without a protobuf kind", e.EventName, e.Timestamp, unconverted)
		}
		var sec, nanos uint64
		var name string
		_ = fields(b, "Event", func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
			switch num {
			case 1:
				return fields(v, "ts", func(num protowire.Number, _ protowire.Type, _ []byte, n uint64) error {
					if num == 1 {
						sec = n
					} else {
						nanos = n
					}
					return nil
				})
			case 3:
				name = string(v)
			}
			return nil
		})
		if int(sec)*1e9+int(nanos) != e.Timestamp || name != e.EventName {
			t.Fatalf("timestamp %d.%09d name %q, want %d %q", sec, nanos, name, e.Timestamp, e.EventName)
		}
	}
}

func TestSockaddrAndEnv(t *testing.T) {
	args := []trace.Argument{
		{ArgMeta: trace.ArgMeta{Name: "remote_addr"}, Value: map[string]interface{}{"sa_family": "AF_INET6", "sin6_addr": "fd00:10:96::1", "sin6_port": "443", "sin6_flowinfo": "0", "sin6_scopeid": "0"}},
		{ArgMeta: trace.ArgMeta{Name: "env"}, Value: []string{"A=1", "KUBERNETES_SERVICE_HOST=10.96.0.1"}},
		{ArgMeta: trace.ArgMeta{Name: "dirfd"}, Value: int32(-100)},
	}
	want := [][]byte{
		appendMessage(appendString(nil, 1, "remote_addr"), 12, appendVarint(appendString(appendVarint(nil, 1, 10), 5, "fd00:10:96::1"), 6, 443)),
		appendMessage(appendString(nil, 1, "env"), 9, appendString(appendString(nil, 1, "A=1"), 1, "KUBERNETES_SERVICE_HOST=10.96.0.1")),
		forceVarint(appendString(nil, 1, "dirfd"), 2, uint64(0xffffffffffffff9c)),
	}
	for i := range args {
		got, ok := appendValue(nil, &args[i])
		if !ok || string(got) != string(want[i]) {
			t.Errorf("%s: got %x, want %x", args[i].Name, got, want[i])
		}
	}
}

// Encoding cost per event on the plugin side: protowire into tracee.v1beta1.Event
// (what the bridge sends) against json.Marshal of trace.Event (the alternative wire).
func BenchmarkEncodeProtowire(b *testing.B) {
	events := recording(b, "pod-api-access.legacy.json")
	var buf []byte
	size := 0
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf, _ = AppendEvent(buf[:0], &events[i%len(events)])
		size += len(buf)
	}
	b.ReportMetric(float64(size)/float64(b.N), "bytes/event")
}

func BenchmarkEncodeJSON(b *testing.B) {
	events := recording(b, "pod-api-access.legacy.json")
	size := 0
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		out, _ := json.Marshal(events[i%len(events)])
		size += len(out)
	}
	b.ReportMetric(float64(size)/float64(b.N), "bytes/event")
}
