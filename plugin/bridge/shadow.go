package bridge

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Shadowing names the plugins that Tracee loads before ours (same directory,
// earlier in lexical order) and that appear to register one of ids: Tracee keeps
// the first signature of an ID and rejects the later one ("signature … already
// loaded"), so with an unmodified builtin.so Tracee's own TRC-1013 stays active.
// It reads files only (init runs in `tracee list` and `man` too: no network).
func Shadowing(soPath string, ids []string) map[string][]string {
	dir, self := filepath.Dir(soPath), filepath.Base(soPath)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".so") && e.Name() < self {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	found := map[string][]string{}
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		for _, id := range ids {
			if bytes.Contains(data, []byte(id)) { // Go string constants are stored as plain bytes
				found[id] = append(found[id], name)
			}
		}
	}
	return found
}
