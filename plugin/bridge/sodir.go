package bridge

import (
	"bufio"
	"os"
	"reflect"
	"strconv"
	"strings"
)

// CodeFile is the file this code was loaded from (the .so when Tracee opened the
// plugin), found in /proc/self/maps; "" when unknown. Tracee does not tell a
// plugin where it lives, and its settings sit next to the .so.
func CodeFile() string {
	pc := uint64(reflect.ValueOf(CodeFile).Pointer())
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 7f1c2a000000-7f1c2a200000 r-xp 00000000 08:01 1234 /path/to/file.so
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 == nil && err2 == nil && pc >= start && pc < end && strings.HasPrefix(fields[5], "/") {
			return strings.Join(fields[5:], " ")
		}
	}
	return ""
}
