package bridge

import (
	"fmt"
	"sync/atomic"

	"github.com/aquasecurity/tracee/types/detect"
	"github.com/aquasecurity/tracee/types/protocol"
)

// Proxy is one signature of tracee-sig serve as Tracee sees it: metadata and
// selectors from the signature list, events forwarded, findings called back.
type Proxy struct {
	spec     Spec
	severity int
	bridge   *Bridge
	index    int
	cb       detect.SignatureHandler // written under bridge.cbMu
	active   atomic.Bool             // initialised and not closed
}

// GetMetadata is pure and answers before Init (Tracee calls it at load and on error paths).
func (p *Proxy) GetMetadata() (detect.SignatureMetadata, error) {
	return p.metadataFor(-1), nil
}

// metadataFor copies the metadata (Tracee may keep it), with a finding's own severity when it differs.
func (p *Proxy) metadataFor(severity int) detect.SignatureMetadata {
	m := p.spec.Metadata
	m.Tags = append([]string(nil), m.Tags...)
	props := make(map[string]interface{}, len(m.Properties))
	for k, v := range m.Properties {
		props[k] = v
	}
	if severity >= 0 && severity != p.severity {
		props["Severity"] = severity // e.g. an allowlist in audit mode reports INFO
	}
	m.Properties = props
	return m
}

func (p *Proxy) GetSelectedEvents() ([]detect.SignatureEventSelector, error) {
	return append([]detect.SignatureEventSelector(nil), p.spec.Selectors...), nil
}

// Init starts the shared bridge (the first proxy to be initialised does); it never waits for the network.
func (p *Proxy) Init(ctx detect.SignatureContext) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s%s: Init: %v", logPrefix, p.spec.Metadata.ID, r)
		}
	}()
	return p.bridge.attach(p, ctx)
}

// OnEvent queues the event and returns at once. When several proxies select the
// same event, Tracee calls each of them: only the first active one forwards it,
// since serve hands every event to all its signatures.
func (p *Proxy) OnEvent(ev protocol.Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s%s: OnEvent: %v", logPrefix, p.spec.Metadata.ID, r)
		}
	}()
	if !p.active.Load() {
		return nil
	}
	if p.index > 0 && p.bridge.earlierProxySelects(p.index, ev.Headers.Selector) {
		return nil
	}
	p.bridge.enqueue(ev)
	return nil
}

// OnSignal(SignalSourceComplete) waits, bounded, for the answers to what was sent.
func (p *Proxy) OnSignal(s detect.Signal) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s%s: OnSignal: %v", logPrefix, p.spec.Metadata.ID, r)
		}
	}()
	if source, ok := s.(detect.SignalSourceComplete); ok {
		p.bridge.sourceComplete(string(source))
	}
	return nil
}

// Close flushes (bounded) when it is the last proxy open; no Callback follows its return.
func (p *Proxy) Close() {
	defer func() { _ = recover() }()
	p.bridge.detach(p)
}

func (b *Bridge) earlierProxySelects(index int, sel protocol.Selector) bool {
	for _, q := range b.proxies[:index] {
		if q.active.Load() && q.selects(sel) {
			return true
		}
	}
	return false
}

// selects applies Tracee's selector matching ("*" or empty matches anything).
func (p *Proxy) selects(sel protocol.Selector) bool {
	for _, s := range p.spec.Selectors {
		if s.Source != sel.Source {
			continue
		}
		if (s.Name == "" || s.Name == "*" || s.Name == sel.Name) && (s.Origin == "" || s.Origin == "*" || s.Origin == sel.Origin) {
			return true
		}
	}
	return false
}

// BridgeStats exposes the shared bridge's counters to a host that loaded the
// plugin (only builtin types, so a host can assert it without importing us).
func (p *Proxy) BridgeStats() map[string]uint64 {
	s := p.bridge.Stats()
	return map[string]uint64{
		"accepted": s.Accepted, "dropped": s.Dropped, "lost": s.Lost, "unconvertible": s.Unconvertible,
		"sent": s.Sent, "answered": s.Answered, "findings": s.Findings, "findings_dropped": s.FindingsDropped,
		"reconnects": s.Reconnects, "callback_panics": s.CallbackPanics, "bridge_panics": s.BridgePanics,
	}
}
