// The Tracee signature plugin of tracee-sig: built with -buildmode=plugin into
// tracee-sig.so, loaded by Tracee from --signatures-dir. Each exported signature
// is a proxy of one signature of `tracee-sig serve` (see ../bridge).
package main

import (
	_ "embed"

	"github.com/aquasecurity/tracee/types/detect"
	"github.com/tracee-sig/plugin/bridge"
)

// signatures.json is `tracee-sig list --json`, written by make plugin.
//
//go:embed signatures.json
var signaturesJSON []byte

var soDir = bridge.CodeDir()

var specs, specsSource, specsProblems = bridge.LoadCatalogue(signaturesJSON, soDir)

// ExportedSignatures and ExportedDataSources are what Tracee's loader looks up;
// they must be variables of exactly these types.
var ExportedSignatures = bridge.New(specs, specsSource, specsProblems, soDir).Signatures()

var ExportedDataSources = []detect.DataSource{}

func main() {}
