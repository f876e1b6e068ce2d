package bridge

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfigFileThenEnvironment(t *testing.T) {
	file := filepath.Join(t.TempDir(), ConfigFileName)
	os.WriteFile(file, []byte("# comment\nTRACEE_SIG_QUEUE_SIZE=100\nTRACEE_SIG_BATCH_SIZE=abc\nnot a setting\nTRACEE_SIG_COLOUR=red\nTRACEE_SIG_BATCH_LINGER=7ms\n"), 0o644)
	env := map[string]string{"TRACEE_SIG_QUEUE_SIZE": "200", "TRACEE_SIG_ANSWER_TIMEOUT": "-1s"}
	c, problems := LoadConfig(file, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if c.QueueSize != 200 || c.BatchSize != Defaults().BatchSize || c.BatchLinger != 7*time.Millisecond || c.AnswerTimeout != Defaults().AnswerTimeout {
		t.Errorf("config: %+v", c)
	}
	want := []string{
		file + " line 3: TRACEE_SIG_BATCH_SIZE=\"abc\": expected a whole number from 1 to 65536; using the default",
		file + " line 4: expected KEY=VALUE",
		file + " line 5: unknown setting TRACEE_SIG_COLOUR",
		"environment: TRACEE_SIG_ANSWER_TIMEOUT=\"-1s\": expected a positive duration",
	}
	if len(problems) != len(want) {
		t.Fatalf("problems:\n%s", strings.Join(problems, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(problems[i], w) {
			t.Errorf("problem %d:\n got %s\nwant %s...", i, problems[i], w)
		}
	}
}

func TestConfigAbsentFileIsDefaults(t *testing.T) {
	c, problems := LoadConfig(filepath.Join(t.TempDir(), "none"), func(string) (string, bool) { return "", false })
	if c != Defaults() || len(problems) != 0 {
		t.Errorf("%+v %v", c, problems)
	}
	if f := ConfigFile("/x", func(string) (string, bool) { return "", false }); f != "/x/"+ConfigFileName {
		t.Errorf("config file next to the .so: %s", f)
	}
}

func TestCatalogueFromListOutput(t *testing.T) {
	data, err := os.ReadFile("../so/signatures.json")
	if err != nil {
		t.Fatal(err)
	}
	specs, problems := ParseCatalogue(data, "signatures.json")
	if len(problems) != 0 || len(specs) != 1 {
		t.Fatalf("%v %v", specs, problems)
	}
	m := specs[0].Metadata
	p := m.Properties
	if m.ID != "TRC-1013" || m.EventName != "k8s_api_connection" || m.Version != "0.1.0" || p["Severity"] != 1 ||
		p["Category"] != "discovery" || p["Technique"] != "Cloud Service Discovery" || p["external_id"] != "T1526" ||
		p["MITRE ATT&CK"] != "Discovery: Cloud Service Discovery" || len(m.Tags) != 1 || m.Tags[0] != "container" {
		t.Errorf("metadata: %+v", m)
	}
	if len(specs[0].Selectors) != 3 || specs[0].Selectors[0].Source != "tracee" {
		t.Errorf("selectors: %+v", specs[0].Selectors)
	}
	_, problems = ParseCatalogue([]byte(`[{"metadata":{"id":"X"}},{"metadata":{"id":"Y","eventName":"y","severity":9}}]`), "f.json")
	if len(problems) != 2 || !strings.Contains(problems[0], "entry 0 has no metadata.id or metadata.eventName") || !strings.Contains(problems[1], "entry 1 (Y): metadata.severity") {
		t.Errorf("problems: %v", problems)
	}
}

func TestCatalogueFileNextToTheSo(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, SignaturesFileName), []byte("not json"), 0o644)
	specs, source, problems := LoadCatalogue([]byte(`[{"metadata":{"id":"A","eventName":"a","severity":2}}]`), dir)
	if len(specs) != 1 || specs[0].Metadata.ID != "A" || source != "built-in list" || len(problems) != 2 {
		t.Errorf("%v %s %v", specs, source, problems)
	}
}
