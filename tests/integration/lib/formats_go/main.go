// formats_go writes Go's legacy text profiles (debug=1) of a known
// allocation site (main.grow keeps 2000 blocks of 4 KiB) into the current
// directory, for cprof_formats_go.sh: heap.txt, allocs.txt, goroutine.txt.
// They carry no memory map, so they are symbolized from the binary named
// on the command line, as with go tool pprof.
package main

import (
	"os"
	"runtime"
	"runtime/pprof"
)

var keep [][]byte

//go:noinline
func grow(n int) {
	for i := 0; i < n; i++ {
		keep = append(keep, make([]byte, 4096))
	}
}

func main() {
	runtime.MemProfileRate = 4096
	grow(2000)
	runtime.GC()
	for _, name := range []string{"heap", "allocs", "goroutine"} {
		f, _ := os.Create(name + ".txt")
		pprof.Lookup(name).WriteTo(f, 1)
		f.Close()
	}
}
