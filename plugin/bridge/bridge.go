package bridge

// The bridge between Tracee's signature engine and tracee-sig serve.
//
// Tracee (v0.24+) calls every signature's OnEvent inline on one goroutine, so
// OnEvent only puts the event in a bounded queue and returns; a full queue drops
// the event and counts it. One goroutine (the sender) batches the queue onto a
// single OnEvents stream; another (the receiver) reads the FindingBatch that
// answers each EventBatch, in order, and calls Tracee's Callback with the
// triggering event it kept. A broken or silent stream is reopened with backoff;
// what was in flight is counted as lost. No panic leaves a bridge goroutine, and
// no Callback runs after the last Close returns.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aquasecurity/tracee/types/detect"
	"github.com/aquasecurity/tracee/types/protocol"
	"github.com/aquasecurity/tracee/types/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protowire"
)

const (
	methodOnEvents    = "/tracee.sig.v1.SignatureService/OnEvents"
	methodGetMetadata = "/tracee.sig.v1.SignatureService/GetMetadata"
	methodOnSignal    = "/tracee.sig.v1.SignatureService/OnSignal"
	logPrefix         = "tracee-sig plugin: "
	logEvery          = 10 * time.Second // rate limit of repeated warnings
)

// Stats are the bridge's counters (all totals since start).
type Stats struct {
	Accepted        uint64 // events OnEvent queued
	Dropped         uint64 // events OnEvent dropped because the queue was full
	Lost            uint64 // queued events never answered: stream broke, or Close gave up waiting
	Unconvertible   uint64 // events whose payload was not a trace.Event
	Sent            uint64 // events sent in batches
	Answered        uint64 // events whose batch was answered
	Findings        uint64 // findings handed to Tracee's Callback
	FindingsDropped uint64 // findings no active proxy could take (unknown signature, closed, bad trigger)
	Reconnects      uint64 // streams opened after the first
	CallbackPanics  uint64 // panics recovered around Tracee's Callback
	BridgePanics    uint64 // panics recovered in the bridge's own goroutines
}

// Bridge is shared by every proxy of one plugin: one queue, one stream.
type Bridge struct {
	proxies   []*Proxy
	byEvent   map[string]*Proxy
	source    string   // where the signature list came from
	problems  []string // found before Init (signature list); logged at the first Init
	configDir string   // where tracee-sig.conf is looked for

	mu      sync.Mutex // guards the fields below and start/stop
	cfg     Config
	log     detect.Logger
	started bool
	stopped bool
	active  int // proxies initialised and not closed
	cancel  context.CancelFunc
	done    chan struct{}
	conn    *grpc.ClientConn

	queue atomic.Pointer[chan protocol.Event] // replaced when the bridge starts again
	nudge chan struct{}                       // a flush asks the sender not to linger

	cbMu sync.RWMutex // held (read) around every Callback; Close takes it to wait them out

	accepted, dropped, lost, unconvertible, sent, answered        atomic.Uint64
	findings, findingsDropped, reconnects, cbPanics, bridgePanics atomic.Uint64
	settled                                                       atomic.Uint64 // accepted events answered, lost or unconvertible

	dropLog, connLog, findingLog limiter
	reportedMu                   sync.Mutex
	reported                     map[string]bool // mismatch reports, once per name
	catalogueChecked             atomic.Bool
	signalled                    atomic.Bool
}

// New makes the bridge and one proxy per spec. configDir is where tracee-sig.conf is looked for.
func New(specs []Spec, source string, problems []string, configDir string) *Bridge {
	b := &Bridge{byEvent: map[string]*Proxy{}, source: source, problems: problems, configDir: configDir,
		reported: map[string]bool{}, nudge: make(chan struct{}, 1)}
	for i, s := range specs {
		p := &Proxy{spec: s, bridge: b, index: i}
		p.severity, _ = s.Metadata.Properties["Severity"].(int)
		b.proxies = append(b.proxies, p)
		b.byEvent[s.Metadata.EventName] = p
	}
	return b
}

// Signatures is the plugin's ExportedSignatures.
func (b *Bridge) Signatures() []detect.Signature {
	out := make([]detect.Signature, len(b.proxies))
	for i, p := range b.proxies {
		out[i] = p
	}
	return out
}

// Stats reads the counters.
func (b *Bridge) Stats() Stats {
	return Stats{
		Accepted: b.accepted.Load(), Dropped: b.dropped.Load(), Lost: b.lost.Load(), Unconvertible: b.unconvertible.Load(),
		Sent: b.sent.Load(), Answered: b.answered.Load(), Findings: b.findings.Load(), FindingsDropped: b.findingsDropped.Load(),
		Reconnects: b.reconnects.Load(), CallbackPanics: b.cbPanics.Load(), BridgePanics: b.bridgePanics.Load(),
	}
}

// attach is a proxy's Init: the first one starts the bridge with the Logger Tracee gave it.
func (b *Bridge) attach(p *Proxy, ctx detect.SignatureContext) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped { // initialised again after the last Close (a host replaying several sources): start afresh
		b.started, b.stopped = false, false
		b.signalled.Store(false)
	}
	b.cbMu.Lock()
	p.cb = ctx.Callback
	b.cbMu.Unlock()
	p.active.Store(true)
	b.active++
	if b.started {
		return nil
	}
	b.log = ctx.Logger
	if b.log == nil {
		b.log = stderrLogger{}
	}
	for _, problem := range b.problems {
		b.log.Warnw(logPrefix + problem)
	}
	cfg, problems := LoadConfig(ConfigFile(b.configDir, os.LookupEnv), os.LookupEnv)
	for _, problem := range problems {
		b.log.Warnw(logPrefix + problem)
	}
	conn, err := grpc.NewClient(cfg.Address,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})))
	if err != nil {
		// A target grpc cannot parse: say so and fall back to the default address.
		b.log.Errorw(logPrefix+"TRACEE_SIG_ADDRESS: cannot use it; using the default", "address", cfg.Address, "error", err.Error())
		cfg.Address = Defaults().Address
		if conn, err = grpc.NewClient(cfg.Address, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}))); err != nil {
			return err
		}
	}
	b.cfg, b.conn = cfg, conn
	queue := make(chan protocol.Event, cfg.QueueSize)
	b.queue.Store(&queue)
	runCtx, cancel := context.WithCancel(context.Background())
	b.cancel, b.done = cancel, make(chan struct{})
	b.started = true
	ids := make([]string, len(b.proxies))
	for i, q := range b.proxies {
		ids[i] = q.spec.Metadata.ID + "/" + q.spec.Metadata.EventName
	}
	b.log.Infow(logPrefix+"started: this plugin's "+strings.Join(ids, ", ")+" are answered by tracee-sig serve",
		"signatures_from", b.source, "config", cfg.String())
	go b.run(runCtx, queue)
	return nil
}

// detach is a proxy's Close: the last one flushes (bounded), stops the bridge and
// waits for any Callback in progress, so none runs after it returns.
func (b *Bridge) detach(p *Proxy) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !p.active.Load() {
		return
	}
	b.active--
	last := b.active == 0 && b.started && !b.stopped
	if last {
		b.flush(b.cfg.FlushTimeout)
		b.stopped = true
		b.cancel()
		select {
		case <-b.done:
		case <-time.After(b.cfg.ConnectTimeout):
			b.log.Warnw(logPrefix + "the bridge's goroutines did not stop in time; they will not call Tracee again")
		}
		b.conn.Close()
		if left := b.accepted.Load() - b.settled.Load(); left > 0 {
			b.lost.Add(left)
			b.settled.Add(left)
		}
	}
	p.active.Store(false)
	if last {
		for _, q := range b.proxies {
			q.active.Store(false)
		}
	}
	b.waitCallbacks()
	if last {
		s := b.Stats()
		b.log.Infow(logPrefix+"closed", "accepted", s.Accepted, "dropped_queue_full", s.Dropped, "lost", s.Lost,
			"answered", s.Answered, "findings", s.Findings, "findings_dropped", s.FindingsDropped, "reconnects", s.Reconnects)
	}
}

// waitCallbacks returns when no Callback is in progress (new ones see the proxy
// inactive), or after the flush timeout if Tracee's Callback itself is stuck.
func (b *Bridge) waitCallbacks() {
	deadline := time.Now().Add(b.cfg.FlushTimeout)
	for !b.cbMu.TryLock() {
		if time.Now().After(deadline) {
			b.log.Warnw(logPrefix + "a Callback into Tracee is still blocked; Close returns without it")
			return
		}
		time.Sleep(time.Millisecond)
	}
	b.cbMu.Unlock()
}

// enqueue never blocks: a full queue drops the event and counts it.
func (b *Bridge) enqueue(ev protocol.Event) {
	select {
	case *b.queue.Load() <- ev:
		b.accepted.Add(1)
	default:
		n := b.dropped.Add(1)
		if b.dropLog.allow() {
			b.log.Warnw(logPrefix+"queue full: events dropped (Tracee is not slowed down)",
				"dropped_total", n, "queue_size", b.cfg.QueueSize, "address", b.cfg.Address)
		}
	}
}

// flush waits, at most timeout, until every event accepted so far is answered or lost.
func (b *Bridge) flush(timeout time.Duration) bool {
	target := b.accepted.Load()
	deadline := time.Now().Add(timeout)
	for b.settled.Load() < target {
		select {
		case b.nudge <- struct{}{}:
		default:
		}
		if time.Now().After(deadline) {
			b.log.Warnw(logPrefix+"flush timed out; later answers may still arrive",
				"waiting_for", target-b.settled.Load(), "flush_timeout", timeout.String())
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// sourceComplete flushes and tells the service, once, that the source ended.
func (b *Bridge) sourceComplete(source string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.started || b.stopped {
		return
	}
	b.flush(b.cfg.FlushTimeout)
	if b.signalled.Swap(true) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.ConnectTimeout)
	defer cancel()
	req, resp := SourceCompleteSignal(source), []byte(nil)
	if err := b.conn.Invoke(ctx, methodOnSignal, &req, &resp); err != nil {
		b.log.Warnw(logPrefix+"OnSignal(source complete) not delivered to serve", "error", err.Error())
		return
	}
	// Findings of a signal have no triggering event; Tracee drops such findings, so they are counted only.
	if n, err := countFindings(resp); err == nil && n > 0 {
		b.findingsDropped.Add(uint64(n))
		b.log.Infow(logPrefix+"serve returned findings without a triggering event on source complete; Tracee cannot output them", "count", n)
	}
}

func (b *Bridge) run(ctx context.Context, queue chan protocol.Event) {
	defer close(b.done)
	backoff := b.cfg.BackoffMin
	for first := true; ; first = false {
		if !first {
			b.reconnects.Add(1)
		}
		answered, err := b.session(ctx, queue)
		if ctx.Err() != nil {
			return
		}
		if answered {
			backoff = b.cfg.BackoffMin
		}
		if b.connLog.allow() {
			b.log.Warnw(logPrefix+"no stream to tracee-sig serve; reconnecting (events wait in the queue, then are dropped and counted)",
				"address", b.cfg.Address, "error", err.Error(), "retry_in", backoff.String(),
				"queued", len(queue), "dropped_total", b.dropped.Load(), "lost_total", b.lost.Load())
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		if backoff *= 2; backoff > b.cfg.BackoffMax {
			backoff = b.cfg.BackoffMax
		}
	}
}

// inFlight are the sent batches not yet answered, oldest first, with the events they came from.
type inFlight struct {
	mu      sync.Mutex
	batches []sentBatch
}

type sentBatch struct {
	events []protocol.Event
	at     time.Time
}

func (f *inFlight) push(s sentBatch) {
	f.mu.Lock()
	f.batches = append(f.batches, s)
	f.mu.Unlock()
}

func (f *inFlight) pop() (sentBatch, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.batches) == 0 {
		return sentBatch{}, false
	}
	s := f.batches[0]
	f.batches[0] = sentBatch{}
	f.batches = f.batches[1:]
	return s, true
}

func (f *inFlight) oldest() (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.batches) == 0 {
		return time.Time{}, false
	}
	return f.batches[0].at, true
}

func (f *inFlight) drain() (events int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.batches {
		events += len(s.events)
	}
	f.batches = nil
	return events
}

var errNoAnswer = errors.New("serve did not answer a batch within the answer timeout")

// session is one OnEvents stream, from opening to its end. It reports whether any batch was answered.
func (b *Bridge) session(parent context.Context, queue chan protocol.Event) (answered bool, err error) {
	defer b.contain("sender", &err)
	ctx, cancel := context.WithCancel(parent)
	defer cancel()

	opened := make(chan struct{})
	timer := time.AfterFunc(b.cfg.ConnectTimeout, func() {
		select {
		case <-opened:
		default:
			cancel()
		}
	})
	stream, err := b.conn.NewStream(ctx, &grpc.StreamDesc{ClientStreams: true, ServerStreams: true}, methodOnEvents)
	close(opened)
	timer.Stop()
	if err != nil {
		if parent.Err() == nil && ctx.Err() != nil {
			err = fmt.Errorf("no connection within %v", b.cfg.ConnectTimeout)
		}
		return false, err
	}
	b.checkCatalogue(ctx)

	pending := &inFlight{}
	window := make(chan struct{}, b.cfg.MaxInFlight)
	var answers atomic.Uint64
	var recvErr error
	recvDone := make(chan struct{})
	go func() {
		defer close(recvDone)
		defer cancel()
		defer b.contain("receiver", &recvErr)
		recvErr = b.receive(stream, pending, window, &answers)
	}()
	watchErr := make(chan error, 1)
	go func() { // a silent serve: the stream is reopened rather than waited on forever
		defer b.contain("watchdog", nil)
		tick := time.NewTicker(min(b.cfg.AnswerTimeout/4, time.Second))
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if at, ok := pending.oldest(); ok && time.Since(at) > b.cfg.AnswerTimeout {
					watchErr <- errNoAnswer
					cancel()
					return
				}
			}
		}
	}()
	sendErr := b.send(ctx, queue, stream, pending, window)
	cancel()
	<-recvDone
	if n := pending.drain(); n > 0 {
		b.lost.Add(uint64(n))
		b.settled.Add(uint64(n))
	}
	select {
	case err = <-watchErr:
	default:
		err = recvErr
		if err == nil || errors.Is(err, context.Canceled) {
			err = sendErr
		}
	}
	if err == nil {
		err = errors.New("stream ended")
	}
	return answers.Load() > 0, err
}

// send batches the queue onto the stream until the stream or the bridge ends.
func (b *Bridge) send(ctx context.Context, queue chan protocol.Event, stream grpc.ClientStream, pending *inFlight, window chan struct{}) error {
	// The sender never waits on the queue itself: it drains it on a ticker of
	// BatchLinger, and at once while full batches are waiting. So OnEvent's send
	// only copies into the buffer and never has to wake this goroutine (a wake-up
	// costs Tracee's goroutine about a microsecond, more on a busy machine).
	tick := time.NewTicker(b.cfg.BatchLinger)
	defer tick.Stop()
	encoded := make([][]byte, 0, b.cfg.BatchSize)
	var scratch []byte
	for {
		events := drain(make([]protocol.Event, 0, min(b.cfg.BatchSize, max(len(queue), 16))), queue, b.cfg.BatchSize)
		if len(events) < b.cfg.BatchSize {
			select {
			case <-ctx.Done():
				b.loseEvents(len(events))
				return ctx.Err()
			case <-tick.C:
			case <-b.nudge:
			}
			if events = drain(events, queue, b.cfg.BatchSize); len(events) == 0 {
				continue
			}
		}
		select {
		case window <- struct{}{}:
		case <-ctx.Done():
			b.loseEvents(len(events))
			return ctx.Err()
		}
		// Encode: every event's bytes go into one scratch buffer, sliced per event.
		scratch, encoded = scratch[:0], encoded[:0]
		kept := events[:0]
		starts := make([]int, 0, len(events)+1)
		for _, ev := range events {
			te, ok := payload(ev)
			if !ok {
				b.unconvertible.Add(1)
				b.settled.Add(1)
				b.reportOnce(fmt.Sprintf("payload:%T", ev.Payload), fmt.Sprintf("an event of %s/%s has a %T payload, not a trace.Event: not forwarded (counted as unconvertible)",
					ev.Headers.Selector.Source, ev.Headers.Selector.Name, ev.Payload))
				continue
			}
			starts = append(starts, len(scratch))
			scratch, _ = AppendEvent(scratch, te)
			kept = append(kept, ev)
		}
		if len(kept) == 0 {
			<-window
			continue
		}
		starts = append(starts, len(scratch))
		for i := 0; i+1 < len(starts); i++ {
			encoded = append(encoded, scratch[starts[i]:starts[i+1]])
		}
		// A new frame each time: grpc may still hold the previous one after SendMsg returns.
		frame := AppendEventBatch(make([]byte, 0, len(scratch)+4*len(encoded)), encoded)
		pending.push(sentBatch{events: kept, at: time.Now()})
		if err := stream.SendMsg(&frame); err != nil {
			return err // the batch is in pending: counted as lost by session
		}
		b.sent.Add(uint64(len(kept)))
	}
}

// drain appends what the queue holds, up to limit events in all, without waiting.
func drain(events []protocol.Event, queue chan protocol.Event, limit int) []protocol.Event {
	for len(events) < limit {
		select {
		case ev := <-queue:
			events = append(events, ev)
		default:
			return events
		}
	}
	return events
}

func payload(ev protocol.Event) (*trace.Event, bool) {
	switch p := ev.Payload.(type) {
	case trace.Event:
		return &p, true
	case *trace.Event:
		return p, p != nil
	}
	return nil, false
}

func (b *Bridge) loseEvents(n int) {
	b.lost.Add(uint64(n))
	b.settled.Add(uint64(n))
}

// receive reads one FindingBatch per sent batch and hands the findings to Tracee.
func (b *Bridge) receive(stream grpc.ClientStream, pending *inFlight, window chan struct{}, answers *atomic.Uint64) error {
	for {
		var msg []byte
		if err := stream.RecvMsg(&msg); err != nil {
			return err
		}
		batch, ok := pending.pop()
		if !ok {
			return errors.New("serve answered a batch that was not sent")
		}
		<-window
		fb, err := DecodeFindingBatch(msg)
		if err != nil {
			b.loseEvents(len(batch.events))
			return err
		}
		for i := range fb.Findings {
			b.deliver(batch.events, &fb.Findings[i])
		}
		answers.Add(1)
		b.answered.Add(uint64(len(batch.events)))
		b.settled.Add(uint64(len(batch.events)))
	}
}

// deliver calls the proxy's Callback with the triggering event, unless the proxy is closed.
func (b *Bridge) deliver(events []protocol.Event, f *Finding) {
	p := b.byEvent[f.EventName]
	if p == nil {
		b.findingsDropped.Add(1)
		b.reportOnce("finding:"+f.EventName, "serve returned a finding named "+f.EventName+
			" that no signature of this plugin produces; dropped (rebuild the plugin with make plugin, or add the signature to "+SignaturesFileName+")")
		return
	}
	if f.Trigger < 0 || f.Trigger >= len(events) {
		b.findingsDropped.Add(1)
		if b.findingLog.allow() {
			b.log.Warnw(logPrefix+"finding dropped: its trigger index is outside the answered batch", "signature", p.spec.Metadata.ID, "index", f.Trigger, "batch_size", len(events))
		}
		return
	}
	finding := &detect.Finding{Event: events[f.Trigger], SigMetadata: p.metadataFor(f.Severity), Data: f.Data}
	b.cbMu.RLock()
	defer b.cbMu.RUnlock()
	if !p.active.Load() || p.cb == nil {
		b.findingsDropped.Add(1)
		return
	}
	b.callback(p.cb, finding)
}

func (b *Bridge) callback(cb detect.SignatureHandler, f *detect.Finding) {
	defer func() {
		if r := recover(); r != nil {
			b.cbPanics.Add(1)
			b.findingsDropped.Add(1)
			if b.findingLog.allow() {
				b.log.Errorw(logPrefix+"Tracee's Callback panicked; finding dropped", "panic", fmt.Sprint(r))
			}
		}
	}()
	cb(f)
	b.findings.Add(1)
}

// checkCatalogue compares, once, the service's signatures with this plugin's, by name.
func (b *Bridge) checkCatalogue(ctx context.Context) {
	if b.catalogueChecked.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.ConnectTimeout)
	defer cancel()
	req, resp := []byte{}, []byte(nil)
	if err := b.conn.Invoke(ctx, methodGetMetadata, &req, &resp); err != nil {
		return // tried again on the next stream
	}
	ids, err := SignatureIDs(resp)
	if err != nil {
		b.log.Warnw(logPrefix+"serve's GetMetadata answer is malformed; signatures not compared", "error", err.Error())
	}
	b.catalogueChecked.Store(true)
	offered := map[string]bool{}
	for _, id := range ids {
		offered[id] = true
	}
	known := map[string]bool{}
	for _, p := range b.proxies {
		known[p.spec.Metadata.ID] = true
		if !offered[p.spec.Metadata.ID] {
			b.reportOnce("missing:"+p.spec.Metadata.ID, "this plugin registers "+p.spec.Metadata.ID+" ("+p.spec.Metadata.EventName+
				") but serve at "+b.cfg.Address+" does not run it: no findings will come for it")
		}
	}
	for _, id := range ids {
		if !known[id] {
			b.reportOnce("extra:"+id, "serve at "+b.cfg.Address+" runs "+id+" but this plugin does not register it, so Tracee cannot output its findings "+
				"(rebuild the plugin with make plugin, or list it in "+SignaturesFileName+" next to the .so)")
		}
	}
}

func (b *Bridge) reportOnce(key, message string) {
	b.reportedMu.Lock()
	seen := b.reported[key]
	b.reported[key] = true
	b.reportedMu.Unlock()
	if !seen {
		b.log.Warnw(logPrefix + message)
	}
}

// contain turns a panic in a bridge goroutine into an error: Tracee keeps running.
func (b *Bridge) contain(where string, err *error) {
	if r := recover(); r != nil {
		b.bridgePanics.Add(1)
		b.log.Errorw(logPrefix+"recovered from a panic; the stream is reopened", "goroutine", where, "panic", fmt.Sprint(r))
		if err != nil {
			*err = fmt.Errorf("panic in %s: %v", where, r)
		}
	}
}

func countFindings(b []byte) (int, error) {
	n := 0
	err := fields(b, "SignalResponse", func(num protowire.Number, typ protowire.Type, _ []byte, _ uint64) error {
		if num == 1 {
			n++
		}
		return nil
	})
	return n, err
}

// limiter lets one log line through per logEvery.
type limiter struct{ next atomic.Int64 }

func (l *limiter) allow() bool {
	now := time.Now().UnixNano()
	next := l.next.Load()
	return now >= next && l.next.CompareAndSwap(next, now+int64(logEvery))
}

// rawCodec carries bytes the bridge frames itself (serve's name for it is "proto").
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	p := v.(*[]byte)
	*p = append((*p)[:0], data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// stderrLogger stands in when Tracee gives no Logger.
type stderrLogger struct{}

func (stderrLogger) Debugw(format string, v ...interface{}) {}
func (stderrLogger) Infow(format string, v ...interface{}) {
	fmt.Fprintln(os.Stderr, append([]interface{}{format}, v...)...)
}
func (stderrLogger) Warnw(format string, v ...interface{}) {
	fmt.Fprintln(os.Stderr, append([]interface{}{format}, v...)...)
}
func (stderrLogger) Errorw(format string, v ...interface{}) {
	fmt.Fprintln(os.Stderr, append([]interface{}{format}, v...)...)
}
