//go:build tools

// Tracee v0.24.1's built-in signatures (signatures/golang), built as a plugin by
// make plugin-host, are listed here so that go.mod keeps their requirements.
package host

import _ "github.com/aquasecurity/tracee/signatures/golang"
