package procstat

import (
	"runtime"
	"testing"
)

func TestBytesReadsThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	rss, hwm := Bytes(0, "VmRSS"), Bytes(0, "VmHWM")
	if rss <= 0 || hwm < rss {
		t.Fatalf("VmRSS %d, VmHWM %d", rss, hwm)
	}
	if Bytes(0, "NoSuchField") != -1 || Bytes(1<<30, "VmRSS") != -1 {
		t.Fatal("missing field or process not reported as -1")
	}
}
