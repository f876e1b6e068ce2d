// Package host loads signature plugins the way Tracee v0.24.1 does, with
// Tracee's own loader (pkg/signatures/signature.Find: lexical walk over *.so,
// plugin.Open, Lookup("ExportedSignatures"), *[]detect.Signature), and drives
// them in the engine's call order: GetMetadata, GetSelectedEvents, Init with a
// Callback, OnEvent per selected event on one goroutine, then
// OnSignal(SignalSourceComplete("tracee")) and Close. It is the test and bench
// host of tracee-sig.so, and runs Tracee's own TRC-1013 beside it.
package host

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/aquasecurity/tracee/pkg/signatures/signature"
	"github.com/aquasecurity/tracee/types/detect"
	"github.com/aquasecurity/tracee/types/protocol"
	"github.com/aquasecurity/tracee/types/trace"
)

// Load returns the signatures of every plugin in dir, as Tracee's loader finds them.
func Load(dir string) ([]detect.Signature, error) {
	sigs, _, err := signature.Find([]string{dir}, nil)
	return sigs, err
}

// ByID picks one signature by its metadata ID.
func ByID(sigs []detect.Signature, id string) detect.Signature {
	for _, s := range sigs {
		if m, err := s.GetMetadata(); err == nil && m.ID == id {
			return s
		}
	}
	return nil
}

// ReadRecording decodes a legacy Tracee --output json recording with Tracee's
// own trace.Event JSON decoding (as `tracee analyze` reads its input). Lines it
// refuses are returned as errors naming the line; the others are kept.
func ReadRecording(path string) ([]trace.Event, []error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, []error{err}
	}
	defer f.Close()
	var events []trace.Event
	var errs []error
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e trace.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			errs = append(errs, fmt.Errorf("%s line %d: %v", path, line, err))
			continue
		}
		events = append(events, e)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %v", path, err))
	}
	return events, errs
}

// Run is one signature driven through a recording.
type Run struct {
	mu       sync.Mutex
	Findings []*detect.Finding
	// OnEvent's cost per call, in call order.
	Calls []time.Duration
}

func (r *Run) add(f *detect.Finding) {
	r.mu.Lock()
	r.Findings = append(r.Findings, f)
	r.mu.Unlock()
}

// Snapshot is the findings so far.
func (r *Run) Snapshot() []*detect.Finding {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*detect.Finding(nil), r.Findings...)
}

// Engine drives one signature as Tracee's engine does.
type Engine struct {
	Sig      detect.Signature
	selected []detect.SignatureEventSelector
	Run      *Run
}

// Start runs the engine's calls up to Init.
func Start(sig detect.Signature, logger detect.Logger) (*Engine, error) {
	if _, err := sig.GetMetadata(); err != nil {
		return nil, err
	}
	sel, err := sig.GetSelectedEvents()
	if err != nil {
		return nil, err
	}
	e := &Engine{Sig: sig, selected: sel, Run: &Run{}}
	err = sig.Init(detect.SignatureContext{
		Callback:      e.Run.add,
		Logger:        logger,
		GetDataSource: func(string, string) (detect.DataSource, bool) { return nil, false },
	})
	return e, err
}

// Selects is the engine's index: Source must match; empty or "*" name/origin match any.
func Selects(selected []detect.SignatureEventSelector, s protocol.Selector) bool {
	for _, x := range selected {
		if x.Source != s.Source {
			continue
		}
		if (x.Name == "" || x.Name == "*" || x.Name == s.Name) && (x.Origin == "" || x.Origin == "*" || x.Origin == s.Origin) {
			return true
		}
	}
	return false
}

// Selects says whether the engine hands this event to the signature.
func (e *Engine) Selects(s protocol.Selector) bool { return Selects(e.selected, s) }

// Feed hands the events the signature selected to OnEvent, timing each call.
func (e *Engine) Feed(events []trace.Event) {
	for i := range events {
		ev := events[i].ToProtocol()
		if !e.Selects(ev.Headers.Selector) {
			continue
		}
		start := time.Now()
		_ = e.Sig.OnEvent(ev)
		e.Run.Calls = append(e.Run.Calls, time.Since(start))
	}
}

// Finish is the engine's end of input: OnSignal(source complete) then Close.
func (e *Engine) Finish() {
	_ = e.Sig.OnSignal(detect.SignalSourceComplete("tracee"))
	e.Sig.Close()
}

// Logger prints Tracee-style log lines and keeps them.
type Logger struct {
	mu    sync.Mutex
	Lines []string
	Print bool
}

func (l *Logger) add(level, msg string, kv []interface{}) {
	line := level + " " + msg
	for i := 0; i+1 < len(kv); i += 2 {
		line += fmt.Sprintf(" %v=%v", kv[i], kv[i+1])
	}
	l.mu.Lock()
	l.Lines = append(l.Lines, line)
	l.mu.Unlock()
	if l.Print {
		fmt.Fprintln(os.Stderr, line)
	}
}

func (l *Logger) Debugw(m string, kv ...interface{}) { l.add("DEBUG", m, kv) }
func (l *Logger) Infow(m string, kv ...interface{})  { l.add("INFO", m, kv) }
func (l *Logger) Warnw(m string, kv ...interface{})  { l.add("WARN", m, kv) }
func (l *Logger) Errorw(m string, kv ...interface{}) { l.add("ERROR", m, kv) }
