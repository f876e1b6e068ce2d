package bridge

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestShadowingNamesEarlierPluginsWithTheSameID(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "builtin.so"), []byte("\x00ELF...TRC-1013...TRC-1014"), 0o644)
	os.WriteFile(filepath.Join(dir, "other.so"), []byte("\x00ELF...TRC-2"), 0o644)
	os.WriteFile(filepath.Join(dir, "zzz-late.so"), []byte("TRC-1013"), 0o644) // loads after ours: cannot shadow it
	got := Shadowing(filepath.Join(dir, "tracee-sig.so"), []string{"TRC-1013", "TRC-9"})
	if want := map[string][]string{"TRC-1013": {"builtin.so"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
