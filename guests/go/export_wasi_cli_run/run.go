// A WASI command in Go, for testing a WASI host: a component exporting `wasi:cli/run` (the
// world in ../wit/world.wit), written over the bindings that `wit-bindgen go` generates for it
// and built by Go's own toolchain for GOOS=wasip1 into a reactor, then made a WASI 0.2
// component with the preview1 reactor adapter: Go's standard library calls WASI preview 1
// (see ../../wasi-README.md and crates/test-programs/build/go.rs).
//
// Usage: go-guest [DIR [STATUS]]
//
// Prints its arguments and the variable FOO. With DIR (a preopened folder), writes a file in
// it, reads it back, and lists the folder. Then two goroutines pass numbers over a channel
// while the caller sleeps, the program reads 16 random bytes and the clock, and it exits
// with STATUS (0 when not given).
package export_wasi_cli_run

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

// Run is the program: the export `wasi:cli/run#run`.
func Run() witTypes.Result[witTypes.Unit, witTypes.Unit] {
	fmt.Println("hello from go")
	fmt.Println("args:", os.Args[1:])
	if foo, ok := os.LookupEnv("FOO"); ok {
		fmt.Printf("env FOO=%s\n", foo)
	} else {
		fmt.Println("env FOO unset")
	}

	if len(os.Args) > 1 {
		if err := files(os.Args[1]); err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
	}

	// Goroutines run on one thread; the sleep parks main on the host's clock.
	ch := make(chan int)
	done := make(chan int)
	go func() {
		for i := 1; i <= 100; i++ {
			ch <- i
		}
		close(ch)
	}()
	go func() {
		sum := 0
		for n := range ch {
			sum += n
		}
		done <- sum
	}()
	start := time.Now()
	time.Sleep(20 * time.Millisecond)
	slept := time.Since(start)
	fmt.Printf("goroutines: sum %d, slept at least 20ms: %v\n", <-done, slept >= 20*time.Millisecond)

	var buf [16]byte
	if _, err := rand.Read(buf[:]); err != nil {
		fmt.Fprintln(os.Stderr, "error: random:", err)
		os.Exit(1)
	}
	fmt.Printf("random: %d bytes, clock after 2020: %v\n", len(buf), time.Now().Year() >= 2020)

	fmt.Fprintln(os.Stderr, "go guest done")
	status := 0
	if len(os.Args) > 2 {
		status, _ = strconv.Atoi(os.Args[2])
	}
	if status != 0 {
		// Through the adapter, `proc_exit`: `wasi:cli/exit.exit(err)`, as WASI 0.2 has it.
		os.Exit(status)
	}
	return witTypes.Ok[witTypes.Unit, witTypes.Unit](witTypes.Unit{})
}

// files writes go.txt in dir, reads it back and lists dir.
func files(dir string) error {
	path := filepath.Join(dir, "go.txt")
	if err := os.WriteFile(path, []byte("hello from go"), 0o644); err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	fmt.Printf("file: read back %q\n", data)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	fmt.Println("dir:", names)
	return nil
}
