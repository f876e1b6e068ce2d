module github.com/tracee-sig/plugin/host

go 1.24.0

require (
	github.com/aquasecurity/tracee v0.24.1
	github.com/aquasecurity/tracee/common v0.0.0
	github.com/aquasecurity/tracee/types v0.0.0-20250902170041-945d17d40601
)

require (
	go.uber.org/multierr v1.11.0 // indirect
	go.uber.org/zap v1.27.0 // indirect
	golang.org/x/arch v0.19.0 // indirect
	golang.org/x/exp v0.0.0-20250718183923-645b1fa84792 // indirect
	golang.org/x/sys v0.34.0 // indirect
)

replace github.com/aquasecurity/tracee/common => github.com/aquasecurity/tracee/common v0.0.0-20251208215525-5f898efde860

replace github.com/aquasecurity/tracee/api => github.com/aquasecurity/tracee/api v0.0.0-20251205142631-7dc44bdb801c
