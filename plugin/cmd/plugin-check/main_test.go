package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

func info(goVersion string, deps map[string]string, settings map[string]string) *debug.BuildInfo {
	bi := &debug.BuildInfo{GoVersion: goVersion, Main: debug.Module{Path: "github.com/aquasecurity/tracee"}}
	for p, v := range deps {
		m := &debug.Module{Path: p, Version: v}
		if i := strings.Index(v, " => "); i >= 0 {
			m.Version = v[:i]
			m.Replace = &debug.Module{Path: v[i+4:]}
		}
		bi.Deps = append(bi.Deps, m)
	}
	for k, v := range settings {
		bi.Settings = append(bi.Settings, debug.BuildSetting{Key: k, Value: v})
	}
	return bi
}

func TestCompareNamesEveryMismatch(t *testing.T) {
	host := info("go1.24.9", map[string]string{"google.golang.org/grpc": "v1.72.0", "github.com/aquasecurity/tracee/types": "v0.0.0-20250902170041-945d17d40601",
		"github.com/aquasecurity/tracee/api": "v0.0.0 => ./api", "k8s.io/api": "v0.32.4"}, map[string]string{"-tags": "core,ebpf,lsmsupport", "CGO_ENABLED": "1", "GOAMD64": "v1"})
	plug := info("go1.26.8", map[string]string{"google.golang.org/grpc": "v1.73.0", "github.com/aquasecurity/tracee/types": "v0.0.0-20250902170041-945d17d40601",
		"github.com/aquasecurity/tracee/api": "v0.0.0 => /src/api", "golang.org/x/exp": "v0.1.0"}, map[string]string{"CGO_ENABLED": "1", "GOAMD64": "v1"})
	plug.Main.Path = "github.com/tracee-sig/plugin"
	got := strings.Join(Compare(host, plug), "\n")
	for _, want := range []string{
		"Go version: Tracee was built with go1.24.9, the plugin with go1.26.8",
		"google.golang.org/grpc: Tracee has v1.72.0, the plugin v1.73.0; pin the plugin's go.mod to v1.72.0",
		"github.com/aquasecurity/tracee/api: Tracee has github.com/aquasecurity/tracee/api v0.0.0 => ./api, the plugin github.com/aquasecurity/tracee/api v0.0.0 => /src/api",
		`build setting -tags: Tracee "core,ebpf,lsmsupport", the plugin ""`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "types") || strings.Contains(got, "x/exp") || strings.Contains(got, "k8s.io") {
		t.Errorf("reported a module that matches or is linked on one side only:\n%s", got)
	}
	if p := Compare(host, host); len(p) != 0 {
		t.Errorf("identical builds: %v", p)
	}
}
