package bridge

// The signatures the plugin proxies, known without the network: Tracee asks for
// every signature's metadata and selectors when it opens the plugin, before any
// Init, and registers an event per signature from them. The list is the output of
// `tracee-sig list --json`, embedded at build time (make plugin); a file
// tracee-sig.signatures.json next to the .so (same format) replaces it, for a
// serve that runs user signatures.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aquasecurity/tracee/types/detect"
)

// SignaturesFileName, next to the .so, replaces the embedded signature list.
const SignaturesFileName = "tracee-sig.signatures.json"

// listEntry is one element of `tracee-sig list --json`.
type listEntry struct {
	Metadata struct {
		ID          string            `json:"id"`
		Version     string            `json:"version"`
		Name        string            `json:"name"`
		EventName   string            `json:"eventName"`
		Description string            `json:"description"`
		Tags        []string          `json:"tags"`
		Severity    *int              `json:"severity"`
		Category    string            `json:"category"`
		Properties  map[string]string `json:"properties"`
		Mitre       struct {
			Tactic    string `json:"tactic"`
			Technique struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"technique"`
		} `json:"mitre"`
	} `json:"metadata"`
	SelectedEvents []struct {
		Source string `json:"source"`
		Name   string `json:"name"`
		Origin string `json:"origin"`
	} `json:"selectedEvents"`
}

// Spec is what a proxy answers Tracee before the service is reached.
type Spec struct {
	Metadata  detect.SignatureMetadata
	Selectors []detect.SignatureEventSelector
}

// ParseCatalogue reads `tracee-sig list --json` output. Entries that cannot
// work in Tracee (no id or event name, a duplicate) are left out and named.
func ParseCatalogue(data []byte, where string) ([]Spec, []string) {
	var entries []listEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, []string{fmt.Sprintf("%s: not a `tracee-sig list --json` output: %v", where, err)}
	}
	var specs []Spec
	var problems []string
	seen := map[string]bool{}
	for i, e := range entries {
		m := e.Metadata
		switch {
		case m.ID == "" || m.EventName == "":
			problems = append(problems, fmt.Sprintf("%s: entry %d has no metadata.id or metadata.eventName; left out", where, i))
			continue
		case m.Severity == nil || *m.Severity < 0 || *m.Severity > 4:
			problems = append(problems, fmt.Sprintf("%s: entry %d (%s): metadata.severity must be 0 to 4; left out", where, i, m.ID))
			continue
		case seen[m.ID] || seen["event:"+m.EventName]:
			problems = append(problems, fmt.Sprintf("%s: entry %d (%s): id or eventName %s repeats an earlier entry; left out", where, i, m.ID, m.EventName))
			continue
		}
		seen[m.ID], seen["event:"+m.EventName] = true, true
		// Tracee reads Severity as a Go int, Category, Technique and external_id as strings.
		props := map[string]interface{}{}
		for k, v := range m.Properties {
			props[k] = v
		}
		props["Severity"] = *m.Severity
		props["Category"] = m.Category
		props["Technique"] = m.Mitre.Technique.Name
		props["external_id"] = m.Mitre.Technique.ID
		spec := Spec{Metadata: detect.SignatureMetadata{
			ID: m.ID, Version: m.Version, Name: m.Name, EventName: m.EventName,
			Description: m.Description, Tags: append([]string{}, m.Tags...), Properties: props,
		}}
		for _, s := range e.SelectedEvents {
			spec.Selectors = append(spec.Selectors, detect.SignatureEventSelector{Source: s.Source, Name: s.Name, Origin: s.Origin})
		}
		specs = append(specs, spec)
	}
	return specs, problems
}

// LoadCatalogue is the embedded list, or the file next to the .so when one is there.
func LoadCatalogue(embedded []byte, soDir string) ([]Spec, string, []string) {
	if soDir != "" {
		file := filepath.Join(soDir, SignaturesFileName)
		data, err := os.ReadFile(file)
		if err == nil {
			specs, problems := ParseCatalogue(data, file)
			if len(specs) > 0 {
				return specs, file, problems
			}
			problems = append(problems, fmt.Sprintf("%s: no usable signature; using the list built into the plugin", file))
			embeddedSpecs, more := ParseCatalogue(embedded, "built-in list")
			return embeddedSpecs, "built-in list", append(problems, more...)
		}
		if !os.IsNotExist(err) {
			specs, problems := ParseCatalogue(embedded, "built-in list")
			return specs, "built-in list", append([]string{fmt.Sprintf("%s: %v; using the list built into the plugin", file, err)}, problems...)
		}
	}
	specs, problems := ParseCatalogue(embedded, "built-in list")
	return specs, "built-in list", problems
}
