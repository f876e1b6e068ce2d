// The plugin's module for Tracee main (make plugin TRACEE_VERSION=main): main
// takes types from its own tree (replace => ./types), so the plugin must too, at
// the same path as Tracee's build (/tracee/types in Tracee's builder image;
// make plugin rewrites it to $(TRACEE_SRC)/types). grpc, protobuf, x/net, x/sys,
// x/text and genproto are pinned to main's go.mod (commit 7c9ec978, 2026-08-03).
module github.com/tracee-sig/plugin

go 1.26.3

require (
	github.com/aquasecurity/tracee/types v0.0.0
	golang.org/x/net v0.55.0
	golang.org/x/sys v0.46.0
	golang.org/x/text v0.39.0
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260414002931-afd174a4e478
	google.golang.org/grpc v1.82.1
	google.golang.org/protobuf v1.36.12-0.20260120151049-f2248ac996af
)

replace github.com/aquasecurity/tracee/types => /tracee/types
