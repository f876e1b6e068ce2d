package bridge

// The bytes of tracee.sig.v1.SignatureService, written and read with protowire:
// events go out as tracee.v1beta1.Event (proto/tracee/v1beta1/event.proto), the
// message serve's hot path already walks lazily; findings come back in
// FindingBatch. No protobuf type is registered here: Tracee's binary registers
// its own tracee.v1beta1.*, and a second registration panics at load.

import (
	"fmt"
	"math"
	"sort"

	"github.com/aquasecurity/tracee/types/trace"
	"google.golang.org/protobuf/encoding/protowire"
)

// sa_family_t of event_data.proto.
var families = map[string]uint64{"AF_UNIX": 1, "AF_LOCAL": 1, "AF_INET": 2, "AF_INET6": 10}

// begin starts a length-delimited field at the end of b; end closes it. The
// body is written in place and its length inserted once known, so nested
// messages cost no allocation.
func begin(b []byte, num protowire.Number) ([]byte, int) {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return b, len(b)
}

func end(b []byte, start int) []byte {
	size := len(b) - start
	n := protowire.SizeVarint(uint64(size))
	b = append(b, make([]byte, n)...)
	copy(b[start+n:], b[start:start+size])
	protowire.AppendVarint(b[start:start], uint64(size))
	return b
}

func appendTimestamp(b []byte, num protowire.Number, nanos int) []byte {
	if nanos == 0 {
		return b
	}
	sec, ns := int64(nanos)/1e9, int64(nanos)%1e9
	if ns < 0 { // google.protobuf.Timestamp: nanos is never negative
		sec, ns = sec-1, ns+1e9
	}
	b, at := begin(b, num)
	b = appendVarint(b, 1, uint64(sec))
	b = appendVarint(b, 2, uint64(ns))
	return end(b, at)
}

func appendMessage(b []byte, num protowire.Number, m []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// google.protobuf.UInt32Value: present even when zero (pid 0 is a value).
func appendUInt32Value(b []byte, num protowire.Number, v int) []byte {
	b, at := begin(b, num)
	b = appendVarint(b, 1, uint64(uint32(v)))
	return end(b, at)
}

// AppendEvent writes e as a tracee.v1beta1.Event: timestamp (exact nanoseconds),
// name, id, policies, workload (process, thread, container, pod) and every
// argument whose Go type has a tracee.v1beta1.EventValue kind. An argument of
// another type is sent by name only, and counted in unconverted.
func AppendEvent(b []byte, e *trace.Event) (out []byte, unconverted int) {
	b = appendTimestamp(b, 1, e.Timestamp)
	b = appendVarint(b, 2, uint64(uint32(e.EventID)))
	b = appendString(b, 3, e.EventName)
	if len(e.MatchedPolicies) > 0 {
		var at int
		b, at = begin(b, 4)
		for _, name := range e.MatchedPolicies {
			b = protowire.AppendTag(b, 1, protowire.BytesType)
			b = protowire.AppendString(b, name)
		}
		b = end(b, at)
	}
	b = appendWorkload(b, e)
	for i := range e.Args {
		var at int
		var ok bool
		b, at = begin(b, 6)
		if b, ok = appendValue(b, &e.Args[i]); !ok {
			unconverted++
		}
		b = end(b, at)
	}
	return b, unconverted
}

func appendWorkload(b []byte, e *trace.Event) []byte {
	b, workload := begin(b, 5)
	b, process := begin(b, 1)
	if e.Executable.Path != "" {
		var at int
		b, at = begin(b, 1)
		b = appendString(b, 1, e.Executable.Path)
		b = end(b, at)
	}
	b = appendUInt32Value(b, 2, int(e.ProcessEntityId))
	b = appendUInt32Value(b, 3, e.HostProcessID)
	b = appendUInt32Value(b, 4, e.ProcessID)
	b, user := begin(b, 5)
	b = appendUInt32Value(b, 1, e.UserID)
	b = end(b, user)
	b, thread := begin(b, 6)
	b = appendTimestamp(b, 1, e.ThreadStartTime)
	b = appendString(b, 2, e.ProcessName)
	b = appendUInt32Value(b, 3, int(e.ThreadEntityId))
	b = appendUInt32Value(b, 4, e.HostThreadID)
	b = appendUInt32Value(b, 5, e.ThreadID)
	b = appendString(b, 6, e.Syscall)
	if e.ContextFlags.IsCompat {
		b = appendVarint(b, 7, 1)
	}
	b = end(b, thread)
	if e.ParentEntityId != 0 || e.HostParentProcessID != 0 {
		var parent int
		b, parent = begin(b, 7)
		b = appendUInt32Value(b, 2, int(e.ParentEntityId))
		b = appendUInt32Value(b, 3, e.HostParentProcessID)
		b = appendUInt32Value(b, 4, e.ParentProcessID)
		b = end(b, parent)
	}
	b = end(b, process)

	id := e.Container.ID
	if id == "" {
		id = e.ContainerID
	}
	if id != "" {
		var c int
		b, c = begin(b, 2)
		b = appendString(b, 1, id)
		b = appendString(b, 2, e.Container.Name)
		if e.Container.ImageName != "" || e.Container.ImageDigest != "" {
			var img int
			b, img = begin(b, 3)
			b = appendString(b, 2, e.Container.ImageDigest)
			b = appendString(b, 3, e.Container.ImageName)
			b = end(b, img)
		}
		if e.ContextFlags.ContainerStarted {
			b = appendVarint(b, 4, 1)
		}
		b = end(b, c)
	}
	if k := e.Kubernetes; k.PodName != "" {
		var k8s, pod, ns int
		b, k8s = begin(b, 3)
		b, pod = begin(b, 1)
		b = appendString(b, 1, k.PodName)
		b = appendString(b, 2, k.PodUID)
		b = end(b, pod)
		b, ns = begin(b, 2)
		b = appendString(b, 1, k.PodNamespace)
		b = end(b, ns)
		b = end(b, k8s)
	}
	return end(b, workload)
}

// appendValue writes one tracee.v1beta1.EventValue; false when the Go type has no kind.
func appendValue(b []byte, a *trace.Argument) ([]byte, bool) {
	b = appendString(b, 1, a.Name)
	switch v := a.Value.(type) {
	case nil:
	case int32:
		b = forceVarint(b, 2, uint64(int64(v)))
	case int16:
		b = forceVarint(b, 2, uint64(int64(v)))
	case int8:
		b = forceVarint(b, 2, uint64(int64(v)))
	case int:
		b = forceVarint(b, 3, uint64(int64(v)))
	case int64:
		b = forceVarint(b, 3, uint64(v))
	case uint32:
		b = forceVarint(b, 4, uint64(v))
	case uint16:
		b = forceVarint(b, 4, uint64(v))
	case uint8:
		b = forceVarint(b, 4, uint64(v))
	case uint64:
		b = forceVarint(b, 5, v)
	case uint:
		b = forceVarint(b, 5, uint64(v))
	case trace.Pointer:
		b = forceVarint(b, 31, uint64(v))
	case uintptr:
		b = forceVarint(b, 31, uint64(v))
	case string:
		b = protowire.AppendTag(b, 6, protowire.BytesType)
		b = protowire.AppendString(b, v)
	case []byte:
		b = protowire.AppendTag(b, 7, protowire.BytesType)
		b = protowire.AppendBytes(b, v)
	case bool:
		b = protowire.AppendTag(b, 8, protowire.VarintType)
		b = protowire.AppendVarint(b, protowire.EncodeBool(v))
	case []string:
		var at int
		b, at = begin(b, 9)
		for _, s := range v {
			b = protowire.AppendTag(b, 1, protowire.BytesType)
			b = protowire.AppendString(b, s)
		}
		b = end(b, at)
	case []int32:
		b = appendMessage(b, 10, packedInt32(v))
	case [2]int32:
		b = appendMessage(b, 10, packedInt32(v[:]))
	case []uint64:
		var m []byte
		if len(v) > 0 {
			var p []byte
			for _, x := range v {
				p = protowire.AppendVarint(p, x)
			}
			m = appendMessage(m, 1, p)
		}
		b = appendMessage(b, 11, m)
	case map[string]string:
		if _, ok := v["sa_family"]; !ok {
			return b, false
		}
		b, at := begin(b, 12)
		return end(sockaddr(b, v), at), true
	case map[string]interface{}:
		if _, ok := v["sa_family"]; !ok {
			return b, false
		}
		text := make(map[string]string, len(v))
		for k, x := range v {
			text[k] = fmt.Sprint(x)
		}
		b, at := begin(b, 12)
		return end(sockaddr(b, text), at), true
	case float64:
		b = appendMessage(b, 14, timespec(v))
	case float32:
		b = appendMessage(b, 14, timespec(float64(v)))
	default:
		return b, false
	}
	return b, true
}

// timespec writes a Timespec{value: DoubleValue}.
func timespec(v float64) []byte {
	d := protowire.AppendTag(nil, 1, protowire.Fixed64Type)
	d = protowire.AppendFixed64(d, math.Float64bits(v))
	return appendMessage(nil, 1, d)
}

// forceVarint writes the field even when zero: the kind says what the value is.
func forceVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func packedInt32(v []int32) []byte {
	if len(v) == 0 {
		return nil
	}
	var p []byte
	for _, x := range v {
		p = protowire.AppendVarint(p, uint64(int64(x)))
	}
	return appendMessage(nil, 1, p)
}

// sockaddr writes a SockAddr from Tracee's map form ({"sa_family":"AF_INET","sin_addr":…,"sin_port":"443"}).
func sockaddr(b []byte, m map[string]string) []byte {
	b = appendVarint(b, 1, families[m["sa_family"]])
	b = appendString(b, 2, m["sun_path"])
	b = appendString(b, 3, m["sin_addr"])
	b = appendVarint(b, 4, portNumber(m["sin_port"]))
	b = appendString(b, 5, m["sin6_addr"])
	b = appendVarint(b, 6, portNumber(m["sin6_port"]))
	b = appendVarint(b, 7, portNumber(m["sin6_flowinfo"]))
	b = appendVarint(b, 8, portNumber(m["sin6_scopeid"]))
	return b
}

func portNumber(s string) uint64 {
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' || n > math.MaxUint32 {
			return 0
		}
		n = n*10 + uint64(c-'0')
	}
	if n > math.MaxUint32 {
		return 0
	}
	return n
}

// AppendEventBatch frames encoded events as a tracee.sig.v1.EventBatch.
func AppendEventBatch(b []byte, events [][]byte) []byte {
	for _, e := range events {
		b = appendMessage(b, 1, e)
	}
	return b
}

// Finding is one finding of a FindingBatch, as the bridge needs it.
type Finding struct {
	EventName string                 // the signature's event, e.g. k8s_api_connection
	Data      map[string]interface{} // ip, container_id, comm, port, ... as Go types Tracee converts
	Severity  int                    // threat.severity (0 INFO … 4 CRITICAL); -1 when absent
	Trigger   int                    // index of the triggering event in the answered batch
}

// FindingBatch is a decoded tracee.sig.v1.FindingBatch.
type FindingBatch struct {
	Findings        []Finding
	EventsProcessed uint64
	EventsUnusable  uint64
}

type wireError struct{ what string }

func (e wireError) Error() string { return "malformed FindingBatch: " + e.what }

// fields walks a message's top-level fields; fn gets each field's number, type and value bytes (or varint).
func fields(b []byte, where string, fn func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error) error {
	for len(b) > 0 {
		num, typ, tl := protowire.ConsumeTag(b)
		if tl < 0 {
			return wireError{where + ": bad tag"}
		}
		b = b[tl:]
		var l int
		var v []byte
		var n uint64
		switch typ {
		case protowire.VarintType:
			n, l = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			v, l = protowire.ConsumeBytes(b)
		default:
			l = protowire.ConsumeFieldValue(num, typ, b)
		}
		if l < 0 {
			return wireError{fmt.Sprintf("%s: field %d truncated", where, num)}
		}
		b = b[l:]
		if err := fn(num, typ, v, n); err != nil {
			return err
		}
	}
	return nil
}

// DecodeFindingBatch reads a FindingBatch: its findings with their trigger indexes.
func DecodeFindingBatch(b []byte) (FindingBatch, error) {
	var out FindingBatch
	var triggers []int
	err := fields(b, "FindingBatch", func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			f, err := decodeFinding(v, len(out.Findings))
			if err != nil {
				return err
			}
			out.Findings = append(out.Findings, f)
		case num == 2 && typ == protowire.VarintType:
			out.EventsProcessed = n
		case num == 3 && typ == protowire.VarintType:
			triggers = append(triggers, int(uint32(n)))
		case num == 3 && typ == protowire.BytesType:
			for len(v) > 0 {
				x, l := protowire.ConsumeVarint(v)
				if l < 0 {
					return wireError{"trigger_indexes truncated"}
				}
				triggers = append(triggers, int(uint32(x)))
				v = v[l:]
			}
		case num == 4 && typ == protowire.VarintType:
			out.EventsUnusable = n
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	if len(triggers) != len(out.Findings) {
		return out, wireError{fmt.Sprintf("%d findings but %d trigger indexes", len(out.Findings), len(triggers))}
	}
	for i := range out.Findings {
		out.Findings[i].Trigger = triggers[i]
	}
	return out, nil
}

func decodeFinding(b []byte, index int) (Finding, error) {
	f := Finding{Data: map[string]interface{}{}, Severity: -1}
	where := fmt.Sprintf("finding %d", index)
	err := fields(b, where, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		switch {
		case num == 3 && typ == protowire.BytesType:
			f.EventName = string(v)
		case num == 6 && typ == protowire.BytesType:
			name, value, err := decodeValue(v, where)
			if err != nil {
				return err
			}
			if value != nil {
				f.Data[name] = value
			}
		case num == 7 && typ == protowire.BytesType:
			f.Severity = 0 // proto3: INFO is absent on the wire
			return fields(v, where+" threat", func(num protowire.Number, typ protowire.Type, _ []byte, n uint64) error {
				if num == 3 && typ == protowire.VarintType {
					f.Severity = int(n)
				}
				return nil
			})
		}
		return nil
	})
	return f, err
}

// decodeValue turns an EventValue into a Go value Tracee's finding conversion handles
// (string, int, bool, []string); other kinds are skipped (nil).
func decodeValue(b []byte, where string) (string, interface{}, error) {
	var name string
	var value interface{}
	err := fields(b, where+" data", func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			name = string(v)
		case num == 2 && typ == protowire.VarintType:
			value = int(int32(n))
		case (num == 3 || num == 4 || num == 5) && typ == protowire.VarintType:
			value = int(n)
		case num == 6 && typ == protowire.BytesType:
			value = string(v)
		case num == 8 && typ == protowire.VarintType:
			value = n != 0
		case num == 9 && typ == protowire.BytesType:
			list := []string{}
			err := fields(v, where+" str_array", func(num protowire.Number, typ protowire.Type, s []byte, _ uint64) error {
				if num == 1 && typ == protowire.BytesType {
					list = append(list, string(s))
				}
				return nil
			})
			if err != nil {
				return err
			}
			value = list
		}
		return nil
	})
	return name, value, err
}

// SignatureIDs reads the signature ids of a GetMetadataResponse, sorted.
func SignatureIDs(b []byte) ([]string, error) {
	var ids []string
	err := fields(b, "GetMetadataResponse", func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num != 1 || typ != protowire.BytesType {
			return nil
		}
		return fields(v, "SignatureMetadata", func(num protowire.Number, typ protowire.Type, s []byte, _ uint64) error {
			if num == 1 && typ == protowire.BytesType {
				ids = append(ids, string(s))
			}
			return nil
		})
	})
	sort.Strings(ids)
	return ids, err
}

// SourceCompleteSignal is a tracee.sig.v1.Signal{source_complete: {source}}.
func SourceCompleteSignal(source string) []byte {
	return appendMessage(nil, 1, appendString(nil, 1, source))
}
