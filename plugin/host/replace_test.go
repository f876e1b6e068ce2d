package host

// Which TRC-1013 runs when tracee-sig.so sits beside a builtin.so, as Tracee's
// loader finds them (lexical walk) and its engine keeps them (first of an ID wins;
// emulated here: the engine itself does not build without libbpf).

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aquasecurity/tracee/types/detect"
)

// signaturesDir links the given files (name -> target) into a new directory.
func signaturesDir(t *testing.T, files map[string]string) string {
	dir := t.TempDir()
	for name, target := range files {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// engineKeeps is what Tracee's engine loads: the first signature of each ID.
func engineKeeps(sigs []detect.Signature) map[string]detect.Signature {
	kept := map[string]detect.Signature{}
	for _, s := range sigs {
		m, _ := s.GetMetadata()
		if _, dup := kept[m.ID]; !dup {
			kept[m.ID] = s
		}
	}
	return kept
}

func TestReplacingTraceeTRC1013(t *testing.T) {
	full := filepath.Join(builtinDir, "builtin.so")
	without := filepath.Join(root, "dist", "tracee-builtin-without-trc1013", "builtin.so")
	for _, f := range []string{full, without} {
		if _, err := os.Stat(f); err != nil {
			t.Skipf("%s not built (make plugin-test builds it): %v", f, err)
		}
	}
	ourSo := filepath.Join(pluginDir, "tracee-sig.so")

	// The image recipe: builtin.so rebuilt without Tracee's K8sApiConnection, tracee-sig.so beside it.
	sigs, err := Load(signaturesDir(t, map[string]string{"builtin.so": without, "tracee-sig.so": ourSo}))
	if err != nil {
		t.Fatal(err)
	}
	kept := engineKeeps(sigs)
	if _, isOurs := kept["TRC-1013"].(stats); !isOurs || len(kept) < 20 {
		t.Errorf("image recipe: TRC-1013 should be tracee-sig's, beside Tracee's other signatures (kept %d)", len(kept))
	}

	// A drop-in beside an unmodified builtin.so: builtin.so sorts first and its TRC-1013 stays.
	sigs, err = Load(signaturesDir(t, map[string]string{"builtin.so": full, "tracee-sig.so": ourSo}))
	if err != nil {
		t.Fatal(err)
	}
	if _, isOurs := engineKeeps(sigs)["TRC-1013"].(stats); isOurs {
		t.Error("drop-in: Tracee's own TRC-1013 loads first and should be the one kept")
	}

	// A broken tracee-sig.so sorts after builtin.so: the walk stops at it, the built-ins are loaded.
	broken := filepath.Join(t.TempDir(), "broken.so")
	os.WriteFile(broken, []byte("not an ELF file"), 0o644)
	sigs, _ = Load(signaturesDir(t, map[string]string{"builtin.so": full, "tracee-sig.so": broken}))
	if kept := engineKeeps(sigs); kept["TRC-1013"] == nil || len(kept) < 20 {
		t.Errorf("a broken tracee-sig.so must not stop builtin.so from loading: %d signatures", len(kept))
	}
	// Named to sort first, the same broken file would have stopped the walk before builtin.so.
	sigs, _ = Load(signaturesDir(t, map[string]string{"builtin.so": full, "a-bridge.so": broken}))
	if len(sigs) != 0 {
		t.Errorf("Tracee's loader went on after a broken plugin that sorts first: %d signatures", len(sigs))
	}
}
