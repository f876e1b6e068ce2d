// The Tracee signature plugin of tracee-sig: built with -buildmode=plugin into
// tracee-sig.so, loaded by Tracee from --signatures-dir. Each exported signature
// is a proxy of one signature of `tracee-sig serve` (see ../bridge).
package main

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aquasecurity/tracee/types/detect"
	"github.com/tracee-sig/plugin/bridge"
)

// signatures.json is `tracee-sig list --json`, written by make plugin.
//
//go:embed signatures.json
var signaturesJSON []byte

var soFile = bridge.CodeFile()

var specs, specsSource, specsProblems = bridge.LoadCatalogue(signaturesJSON, dir(soFile))

// ExportedSignatures and ExportedDataSources are what Tracee's loader looks up;
// they must be variables of exactly these types.
var ExportedSignatures = bridge.New(specs, specsSource, specsProblems, dir(soFile)).Signatures()

var ExportedDataSources = []detect.DataSource{}

func dir(file string) string {
	if file == "" {
		return ""
	}
	return filepath.Dir(file)
}

// At load, before Tracee has given us a logger: say which TRC-1013 Tracee will keep
// when an earlier plugin (an unmodified builtin.so) registers the same ID.
func init() {
	if soFile == "" {
		return
	}
	ids := make([]string, len(specs))
	for i, s := range specs {
		ids[i] = s.Metadata.ID
	}
	for id, files := range bridge.Shadowing(soFile, ids) {
		fmt.Fprintf(os.Stderr, "tracee-sig plugin: %s in %s also registers %s and loads first: Tracee keeps that %s active and rejects this plugin's (\"signature ... already loaded\"); to run tracee-sig's, use a builtin.so without it (deploy/tracee-image)\n",
			strings.Join(files, ", "), filepath.Dir(soFile), id, id)
	}
}

func main() {}
