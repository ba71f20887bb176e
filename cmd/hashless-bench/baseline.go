package main

import (
	"bufio"
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/crypto/argon2"
)

// The server's default KDF (hashless pool --kdf default): argon2id, m=19456 KiB, t=2, p=1,
// 16-byte salt, 32-byte key.
const (
	kdfMemoryKiB = 19456
	kdfTime      = 2
	kdfThreads   = 1
	kdfKeyLen    = 32
)

// KDFResult is the bare-KDF baseline: how many password verifications these cores do with
// nothing else running in the client.
type KDFResult struct {
	When      string  `json:"when,omitempty"`
	Params    string  `json:"params"`
	Workers   int     `json:"workers"`
	Ops       int64   `json:"ops"`
	Seconds   float64 `json:"seconds"`
	OpsPerSec float64 `json:"ops_per_s"`
	MsPerOp   float64 `json:"ms_per_op"` // per verification on one core
	// OtherCPUPct is the machine's busy time beyond this process's during the baseline.
	OtherCPUPct *float64 `json:"other_cpu_pct,omitempty"`
}

// kdfBaseline verifies a password against an argon2id hash on workers goroutines for d.
func kdfBaseline(ctx context.Context, workers int, d time.Duration) KDFResult {
	salt := []byte("0123456789abcdef")
	pw := []byte(password)
	want := argon2.IDKey(pw, salt, kdfTime, kdfMemoryKiB, kdfThreads, kdfKeyLen)
	// A wrong key cannot happen; it would mean a broken argon2.
	return measureBaseline(ctx, workers, d, fmt.Sprintf("argon2id:m=%d,t=%d,p=%d", kdfMemoryKiB, kdfTime, kdfThreads),
		func() func() bool {
			return func() bool {
				return subtle.ConstantTimeCompare(argon2.IDKey(pw, salt, kdfTime, kdfMemoryKiB, kdfThreads, kdfKeyLen), want) == 1
			}
		})
}

// measureBaseline runs one op per worker goroutine for d and reports the rate, the time of
// a core per op, and what other processes took meanwhile. newOp makes each worker's op
// (with its own buffers); an op that reports false makes the result unusable (OpsPerSec 0),
// since a baseline that computes wrong answers measures nothing.
func measureBaseline(ctx context.Context, workers int, d time.Duration, params string, newOp func() func() bool) KDFResult {
	var ops, wrong atomic.Int64
	deadline := time.Now().Add(d)
	cpu0 := selfCPU()
	mach0, _, machOK := machineCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		op := newOp()
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				if !op() {
					wrong.Add(1)
				}
				ops.Add(1)
			}
		})
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	cpu1 := selfCPU()
	mach1, _, machOK1 := machineCPU()
	r := KDFResult{Params: params, Workers: workers, Ops: ops.Load(), Seconds: round3(el)}
	if el > 0 && r.Ops > 0 {
		r.OpsPerSec = round1(float64(r.Ops) / el)
		r.MsPerOp = round3(1000 * el * float64(workers) / float64(r.Ops))
	}
	if machOK && machOK1 && el > 0 {
		o := round1(100 * max(0, (mach1-mach0)-(cpu1-cpu0)).Seconds() / el)
		r.OtherCPUPct = &o
	}
	if wrong.Load() > 0 {
		r.OpsPerSec = 0
	}
	return r
}

// StartupResult is the time from exec of `hashless pool --db memory --addr 127.0.0.1:0`
// to its first 200 from /_local/health.
type StartupResult struct {
	Command   string    `json:"command"`
	SamplesMs []float64 `json:"samples_ms"`
	MedianMs  float64   `json:"median_ms"`
	MinMs     float64   `json:"min_ms"`
	MaxMs     float64   `json:"max_ms"`
	Error     string    `json:"error,omitempty"`
}

var listeningRE = regexp.MustCompile(`msg=listening .*?addr=(\S+)`)

func measureStartup(ctx context.Context, bin string, runs int) (StartupResult, error) {
	args := []string{"pool", "--db", "memory", "--addr", "127.0.0.1:0"}
	r := StartupResult{Command: "hashless " + strings.Join(args, " ")}
	for i := range runs {
		d, err := startOnce(ctx, bin, args)
		if err != nil {
			return r, fmt.Errorf("startup run %d: %w", i+1, err)
		}
		r.SamplesMs = append(r.SamplesMs, ms(d))
	}
	if len(r.SamplesMs) > 0 {
		s := slices.Clone(r.SamplesMs)
		slices.Sort(s)
		r.MinMs, r.MaxMs = s[0], s[len(s)-1]
		if n := len(s); n%2 == 1 {
			r.MedianMs = s[n/2]
		} else {
			r.MedianMs = round3((s[n/2-1] + s[n/2]) / 2)
		}
	}
	return r, nil
}

// startOnce execs the server, reads its address from the `listening` log line, and polls
// /_local/health until it answers 200.
func startOnce(ctx context.Context, bin string, args []string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "AWS_EC2_METADATA_DISABLED=true")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return 0, err
	}
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		found := false
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil && !found {
				found = true
				addrc <- m[1]
			}
		}
		if !found {
			close(addrc)
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	var addr string
	select {
	case a, ok := <-addrc:
		if !ok {
			return 0, fmt.Errorf("%s exited without logging msg=listening", bin)
		}
		addr = a
	case <-ctx.Done():
		return 0, fmt.Errorf("no msg=listening line: %w", ctx.Err())
	}
	url := "http://" + addr + "/_local/health"
	if err := checkLoopback(url); err != nil {
		return 0, err
	}
	for {
		resp, err := hc.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(t0), nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("%s never answered 200: %v", url, err)
		case <-time.After(time.Millisecond):
		}
	}
}
