package bridge

// Tracee hands a plugin no options, so the bridge reads its settings from
// environment variables and from an optional file of the same KEY=VALUE lines
// next to the .so (tracee-sig.conf). The environment wins over the file; a bad
// value is one line in Tracee's log and its default is kept.

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is everything the bridge can be told.
type Config struct {
	Address        string        // gRPC target of tracee-sig serve
	QueueSize      int           // events waiting to be sent; beyond it OnEvent drops and counts
	BatchSize      int           // events per EventBatch at most
	BatchLinger    time.Duration // how long a partial batch waits for more events
	MaxInFlight    int           // batches sent and not yet answered, at most
	ConnectTimeout time.Duration // opening the stream, GetMetadata, OnSignal
	AnswerTimeout  time.Duration // a batch unanswered this long: the stream is reopened
	FlushTimeout   time.Duration // OnSignal(source complete) and Close wait this long for answers
	BackoffMin     time.Duration // first wait before reconnecting
	BackoffMax     time.Duration // longest wait before reconnecting
}

// Defaults are the values used when nothing is configured.
func Defaults() Config {
	return Config{
		Address:        "unix:///var/run/tracee-sig.sock",
		QueueSize:      65536,
		BatchSize:      512,
		BatchLinger:    2 * time.Millisecond,
		MaxInFlight:    32,
		ConnectTimeout: 2 * time.Second,
		AnswerTimeout:  10 * time.Second,
		FlushTimeout:   5 * time.Second,
		BackoffMin:     100 * time.Millisecond,
		BackoffMax:     5 * time.Second,
	}
}

// ConfigFileName is looked for next to the .so unless TRACEE_SIG_CONFIG names a file.
const ConfigFileName = "tracee-sig.conf"

type setting struct {
	key string
	set func(c *Config, v string) error
}

func positiveInt(dst func(*Config) *int, max int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > max {
			return fmt.Errorf("expected a whole number from 1 to %d", max)
		}
		*dst(c) = n
		return nil
	}
}

func positiveDuration(dst func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("expected a positive duration such as 250ms or 5s")
		}
		*dst(c) = d
		return nil
	}
}

var settings = []setting{
	{"TRACEE_SIG_ADDRESS", func(c *Config, v string) error {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("expected an address such as unix:///var/run/tracee-sig.sock or tcp://127.0.0.1:50051")
		}
		// serve's own spelling tcp://HOST:PORT is grpc's HOST:PORT.
		c.Address = strings.TrimPrefix(strings.TrimSpace(v), "tcp://")
		return nil
	}},
	{"TRACEE_SIG_QUEUE_SIZE", positiveInt(func(c *Config) *int { return &c.QueueSize }, 1<<24)},
	{"TRACEE_SIG_BATCH_SIZE", positiveInt(func(c *Config) *int { return &c.BatchSize }, 65536)},
	{"TRACEE_SIG_BATCH_LINGER", positiveDuration(func(c *Config) *time.Duration { return &c.BatchLinger })},
	{"TRACEE_SIG_MAX_IN_FLIGHT", positiveInt(func(c *Config) *int { return &c.MaxInFlight }, 4096)},
	{"TRACEE_SIG_CONNECT_TIMEOUT", positiveDuration(func(c *Config) *time.Duration { return &c.ConnectTimeout })},
	{"TRACEE_SIG_ANSWER_TIMEOUT", positiveDuration(func(c *Config) *time.Duration { return &c.AnswerTimeout })},
	{"TRACEE_SIG_FLUSH_TIMEOUT", positiveDuration(func(c *Config) *time.Duration { return &c.FlushTimeout })},
	{"TRACEE_SIG_BACKOFF_MIN", positiveDuration(func(c *Config) *time.Duration { return &c.BackoffMin })},
	{"TRACEE_SIG_BACKOFF_MAX", positiveDuration(func(c *Config) *time.Duration { return &c.BackoffMax })},
}

// LoadConfig applies the file (when present) and then the environment to the defaults.
// Every problem is returned as one plain sentence naming the place and the key; the
// setting concerned keeps its previous value.
func LoadConfig(file string, getenv func(string) (string, bool)) (Config, []string) {
	c := Defaults()
	var problems []string
	apply := func(where, key, value string) {
		for _, s := range settings {
			if s.key == key {
				if err := s.set(&c, value); err != nil {
					problems = append(problems, fmt.Sprintf("%s: %s=%q: %v; using the default", where, key, value, err))
				}
				return
			}
		}
		problems = append(problems, fmt.Sprintf("%s: unknown setting %s (known: %s); ignored", where, key, knownKeys()))
	}
	if file != "" {
		f, err := os.Open(file)
		switch {
		case err == nil:
			sc := bufio.NewScanner(f)
			for line := 1; sc.Scan(); line++ {
				text := strings.TrimSpace(sc.Text())
				if text == "" || strings.HasPrefix(text, "#") {
					continue
				}
				key, value, ok := strings.Cut(text, "=")
				where := fmt.Sprintf("%s line %d", file, line)
				if !ok {
					problems = append(problems, fmt.Sprintf("%s: expected KEY=VALUE, got %q; ignored", where, text))
					continue
				}
				apply(where, strings.TrimSpace(key), strings.TrimSpace(value))
			}
			if err := sc.Err(); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v; the rest of the file is ignored", file, err))
			}
			f.Close()
		case !os.IsNotExist(err):
			problems = append(problems, fmt.Sprintf("%s: %v; using the defaults and the environment", file, err))
		}
	}
	for _, s := range settings {
		if v, ok := getenv(s.key); ok {
			apply("environment", s.key, v)
		}
	}
	if c.BackoffMax < c.BackoffMin {
		problems = append(problems, fmt.Sprintf("TRACEE_SIG_BACKOFF_MAX (%v) is below TRACEE_SIG_BACKOFF_MIN (%v); using %v for both", c.BackoffMax, c.BackoffMin, c.BackoffMin))
		c.BackoffMax = c.BackoffMin
	}
	return c, problems
}

func knownKeys() string {
	keys := make([]string, len(settings))
	for i, s := range settings {
		keys[i] = s.key
	}
	return strings.Join(keys, ", ")
}

// ConfigFile is the file LoadConfig reads: TRACEE_SIG_CONFIG, else tracee-sig.conf in soDir ("" for none).
func ConfigFile(soDir string, getenv func(string) (string, bool)) string {
	if f, ok := getenv("TRACEE_SIG_CONFIG"); ok && f != "" {
		return f
	}
	if soDir == "" {
		return ""
	}
	return filepath.Join(soDir, ConfigFileName)
}

// String lists the settings in force, for the one start-up log line.
func (c Config) String() string {
	return fmt.Sprintf("address=%s queue=%d batch=%d linger=%v in_flight=%d connect_timeout=%v answer_timeout=%v flush_timeout=%v backoff=%v..%v",
		c.Address, c.QueueSize, c.BatchSize, c.BatchLinger, c.MaxInFlight, c.ConnectTimeout, c.AnswerTimeout, c.FlushTimeout, c.BackoffMin, c.BackoffMax)
}
