// goleak.go — the seed's leak in its own language, for watch_go.sh: a cron
// loop starts a subscriber goroutine every 200 ms that waits forever on a
// channel nobody closes; net/http/pprof on a free loopback port (printed).
// The program exits when stdin closes.
package main

import (
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"time"
)

func subscribe(ch chan struct{}) {
	<-ch // never closed: the goroutine waits forever
}

func cron(ch chan struct{}) {
	for {
		go subscribe(ch)
		time.Sleep(200 * time.Millisecond)
	}
}

func main() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Exit(1)
	}
	fmt.Printf("http://%s/debug/pprof/\n", l.Addr())
	go cron(make(chan struct{}))
	go http.Serve(l, nil)
	buf := make([]byte, 64)
	for {
		if _, err := os.Stdin.Read(buf); err != nil {
			return
		}
	}
}
