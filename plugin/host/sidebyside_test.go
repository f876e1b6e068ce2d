package host

// The same events through Tracee v0.24.1's own TRC-1013 (signatures/golang,
// built as builtin.so from the module proxy) and through tracee-sig.so: every
// difference must be one documented in testdata/differences.json.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aquasecurity/tracee/types/trace"
)

type difference struct {
	Timestamp int    `json:"timestamp"`
	Comm      string `json:"comm"`
	IP        string `json:"ip"`
	Only      string `json:"only"` // "tracee-sig" or "tracee"
	Why       string `json:"why"`
}

func TestSideBySideWithTraceeTRC1013(t *testing.T) {
	if _, err := os.Stat(filepath.Join(builtinDir, "builtin.so")); err != nil {
		t.Skipf("Tracee's builtin.so not built (make plugin-test builds it): %v", err)
	}
	sigs, err := Load(builtinDir)
	if err != nil {
		t.Fatal(err)
	}
	theirs := ByID(sigs, "TRC-1013")
	if theirs == nil {
		t.Fatal("Tracee's builtin.so has no TRC-1013")
	}
	var documented map[string][]difference
	data, err := os.ReadFile("testdata/differences.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &documented); err != nil {
		t.Fatalf("testdata/differences.json: %v", err)
	}
	recordings, _ := legacyRecordings(t)
	names := make([]string, 0, len(recordings))
	for n := range recordings {
		names = append(names, n)
	}
	sort.Strings(names)
	var report []string
	for _, name := range names {
		events := recordings[name]
		sock := socketIn(t)
		startServe(t, sock)
		configure(t, sock, nil)
		ourEngine, err := Start(ours, &Logger{})
		if err != nil {
			t.Fatal(err)
		}
		ourEngine.Feed(events)
		ourEngine.Finish()
		theirEngine, err := Start(theirs, &Logger{})
		if err != nil {
			t.Fatal(err)
		}
		theirEngine.Feed(events)
		theirEngine.Finish()

		key := func(ts int, ip string) string { return fmt.Sprintf("%d %s", ts, ip) }
		mine := map[string]finding{}
		for _, f := range pluginFindings(t, ourEngine.Run.Snapshot()) {
			mine[key(f.Timestamp, f.IP)] = f
		}
		their := map[string]trace.Event{}
		for _, f := range theirEngine.Run.Snapshot() {
			ev := f.Event.Payload.(trace.Event)
			ip, _ := f.Data["ip"].(string)
			their[key(ev.Timestamp, ip)] = ev
		}
		var got []difference
		for k, f := range mine {
			if _, ok := their[k]; !ok {
				got = append(got, difference{Timestamp: f.Timestamp, Comm: f.Comm, IP: f.IP, Only: "tracee-sig"})
			}
		}
		for k, ev := range their {
			if _, ok := mine[k]; !ok {
				ip := strings.SplitN(k, " ", 2)[1]
				got = append(got, difference{Timestamp: ev.Timestamp, Comm: ev.ProcessName, IP: ip, Only: "tracee"})
			}
		}
		sort.Slice(got, func(i, j int) bool { return got[i].Timestamp < got[j].Timestamp })
		want := documented[name]
		report = append(report, fmt.Sprintf("%s: tracee-sig %d findings, Tracee v0.24.1 %d, %d differences", name, len(mine), len(their), len(got)))
		byKey := map[string]difference{}
		for _, d := range want {
			byKey[fmt.Sprintf("%d %s %s", d.Timestamp, d.IP, d.Only)] = d
		}
		for _, d := range got {
			doc, ok := byKey[fmt.Sprintf("%d %s %s", d.Timestamp, d.IP, d.Only)]
			if !ok {
				t.Errorf("%s: undocumented difference: only %s reports %s %s at %d", name, d.Only, d.Comm, d.IP, d.Timestamp)
				continue
			}
			report = append(report, fmt.Sprintf("  only %s: %s -> %s at %d: %s", d.Only, d.Comm, d.IP, d.Timestamp, doc.Why))
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d differences documented, %d found", name, len(want), len(got))
		}
	}
	t.Log("side by side with Tracee v0.24.1's TRC-1013:\n" + strings.Join(report, "\n"))
}
