// plugin-check: will this Tracee load this plugin? Go's plugin loader refuses a
// .so unless every package it shares with the binary was built identically, so
// compare what `go version -m` shows of both files (Go version, every shared
// module's version, sum and replacement, build settings) and the C library, and
// name each mismatch in plain words before anyone ships the .so.
//
//	plugin-check /tracee/tracee dist/plugin/tracee-sig.so
package main

import (
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: plugin-check TRACEE_BINARY PLUGIN.so")
		os.Exit(2)
	}
	tracee, plugin := os.Args[1], os.Args[2]
	hostInfo, err := buildinfo.ReadFile(tracee)
	if err != nil {
		fmt.Fprintf(os.Stderr, "plugin-check: %s: no Go build information: %v\n", tracee, err)
		os.Exit(2)
	}
	plugInfo, err := buildinfo.ReadFile(plugin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "plugin-check: %s: no Go build information: %v\n", plugin, err)
		os.Exit(2)
	}
	problems := Compare(hostInfo, plugInfo)
	problems = append(problems, compareLibc(tracee, plugin)...)
	if len(problems) == 0 {
		fmt.Printf("plugin-check: %s can load %s: same Go (%s), same versions of the %d modules both link, same build settings and C library\n",
			tracee, plugin, hostInfo.GoVersion, len(shared(hostInfo, plugInfo)))
		return
	}
	fmt.Printf("plugin-check: %s will refuse %s:\n", tracee, plugin)
	for _, p := range problems {
		fmt.Println("  - " + p)
	}
	os.Exit(1)
}

// settingsThatMatter change the compiled packages both sides share (cgo flags
// count: net and runtime/cgo are cgo packages).
var settingsThatMatter = []string{"-tags", "-trimpath", "-race", "-msan", "-asan", "CGO_ENABLED", "GOOS", "GOARCH", "GOAMD64", "GOARM64", "GOEXPERIMENT", "GOFIPS140", "CGO_CFLAGS", "CGO_LDFLAGS"}

func modules(bi *debug.BuildInfo) map[string]*debug.Module {
	m := map[string]*debug.Module{}
	for _, d := range bi.Deps {
		m[d.Path] = d
	}
	m[bi.Main.Path] = &bi.Main
	return m
}

func shared(host, plug *debug.BuildInfo) []string {
	var out []string
	hm := modules(host)
	for _, d := range plug.Deps {
		if _, ok := hm[d.Path]; ok {
			out = append(out, d.Path)
		}
	}
	return out
}

func describe(m *debug.Module) string {
	s := m.Path + " " + m.Version
	if m.Replace != nil {
		s += " => " + m.Replace.Path
		if m.Replace.Version != "" {
			s += " " + m.Replace.Version
		}
	}
	return s
}

// Compare lists, in plain words, what makes the host refuse the plugin.
func Compare(host, plug *debug.BuildInfo) []string {
	var problems []string
	if host.GoVersion != plug.GoVersion {
		problems = append(problems, fmt.Sprintf("Go version: Tracee was built with %s, the plugin with %s (\"plugin was built with a different version of package internal/...\"); build the plugin with %s",
			host.GoVersion, plug.GoVersion, host.GoVersion))
	}
	hm := modules(host)
	for _, d := range plug.Deps {
		h, ok := hm[d.Path]
		if !ok {
			continue // only the plugin links it: no conflict
		}
		if h == &host.Main {
			problems = append(problems, fmt.Sprintf("%s: Tracee's own module is linked into the plugin; build the plugin inside Tracee's tree instead (deploy/tracee-image)", d.Path))
			continue
		}
		switch {
		case (h.Replace == nil) != (d.Replace == nil) || (h.Replace != nil && (h.Replace.Path != d.Replace.Path || h.Replace.Version != d.Replace.Version)):
			problems = append(problems, fmt.Sprintf("%s: Tracee has %s, the plugin %s (a replaced module must come from the same path)", d.Path, describe(h), describe(d)))
		case h.Version != d.Version:
			problems = append(problems, fmt.Sprintf("%s: Tracee has %s, the plugin %s; pin the plugin's go.mod to %s", d.Path, h.Version, d.Version, h.Version))
		case h.Sum != "" && d.Sum != "" && h.Sum != d.Sum:
			problems = append(problems, fmt.Sprintf("%s %s: different content (sum %s vs %s)", d.Path, d.Version, h.Sum, d.Sum))
		}
	}
	hs, ps := settings(host), settings(plug)
	for _, k := range settingsThatMatter {
		if hs[k] != ps[k] {
			problems = append(problems, fmt.Sprintf("build setting %s: Tracee %q, the plugin %q", k, hs[k], ps[k]))
		}
	}
	return problems
}

func settings(bi *debug.BuildInfo) map[string]string {
	m := map[string]string{}
	for _, s := range bi.Settings {
		m[s.Key] = s.Value
	}
	return m
}

// compareLibc: a glibc .so does not load into the musl (Alpine) image, and the reverse.
func compareLibc(tracee, plugin string) []string {
	host, err1 := libc(tracee)
	plug, err2 := libc(plugin)
	switch {
	case err1 != nil:
		return []string{fmt.Sprintf("%s: %v", tracee, err1)}
	case err2 != nil:
		return []string{fmt.Sprintf("%s: %v", plugin, err2)}
	case host == "static":
		return []string{"Tracee is a static binary: it loads no plugins at all (\"The tracee static can't load golang signatures\"); use the dynamic build or tracee-sig attach"}
	case host != plug && plug != "none":
		return []string{fmt.Sprintf("C library: Tracee uses %s, the plugin %s; build the plugin on the same base image (deploy/tracee-image)", host, plug)}
	}
	return nil
}

func libc(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	libs, _ := f.ImportedLibraries()
	for _, l := range libs {
		switch {
		case strings.Contains(l, "musl"):
			return "musl", nil
		case strings.HasPrefix(l, "libc.so.6"):
			return "glibc", nil
		case strings.HasPrefix(l, "libc.so"):
			return "musl", nil // Alpine's musl is libc.musl-<arch>.so.1 or libc.so
		}
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "unknown", nil
		}
	}
	if f.Type == elf.ET_EXEC {
		return "static", nil
	}
	return "none", nil
}
