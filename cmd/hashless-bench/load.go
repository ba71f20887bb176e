package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// request is one call a scenario makes; check looks at a 200's body. A Cognito operation
// has op (and maybe signed); a plain HTTP request (the serve scenarios) has method, path and
// header, and op only names it.
type request struct {
	op     string
	body   []byte
	signed bool
	check  func([]byte) error

	method string
	path   string
	header [][2]string
}

// scenarioRun is what the load runner needs from a scenario.
type scenarioRun struct {
	name  string
	users int
	gen   func(i int64) request
}

// Result is one scenario on one target.
type Result struct {
	Target    string `json:"target"`
	Scenario  string `json:"scenario"`
	Operation string `json:"operation"`
	Signed    bool   `json:"signed"`
	Users     int    `json:"users"`
	// Attempts is how many times the scenario ran: more than one when other processes
	// disturbed a run (-max-other); the least disturbed run is the one reported.
	Attempts int `json:"attempts,omitempty"`
	// KDFOpsPerSec is the bare-KDF rate measured right before and after this run (the
	// mean), on -kdf-target's KDF-bound scenarios.
	KDFOpsPerSec *float64 `json:"kdf_ops_per_s,omitempty"`
	// Variant tells a repeated run of a scenario from the main one (say C=2).
	Variant string `json:"variant,omitempty"`
	// Big marks the run on the second, large pool (-big-users).
	Big         bool           `json:"big,omitempty"`
	Concurrency int            `json:"concurrency"`
	Requests    int64          `json:"requests"`
	Errors      int64          `json:"errors"`
	ErrorKinds  map[string]int `json:"error_kinds,omitempty"`
	ErrorSample string         `json:"error_sample,omitempty"`
	// Skipped explains a scenario that could not run at all (say, no tokens to use).
	Skipped      string  `json:"skipped,omitempty"`
	Seconds      float64 `json:"seconds"`
	OpsPerSec    float64 `json:"ops_per_s"` // successful requests per second
	P50Ms        float64 `json:"p50_ms"`
	P90Ms        float64 `json:"p90_ms"`
	P99Ms        float64 `json:"p99_ms"`
	MaxMs        float64 `json:"max_ms"`
	ClientCPUSec float64 `json:"client_cpu_s"`
	// ClientCPUPct is client CPU time over wall time, in per cent of one core (the machine
	// has nproc × 100).
	ClientCPUPct float64  `json:"client_cpu_pct"`
	ServerCPUSec *float64 `json:"server_cpu_s,omitempty"`
	ServerCPUPct *float64 `json:"server_cpu_pct,omitempty"`
	// DBCPUSec and DBCPUPct are a separate database server's (PostgreSQL under hashless
	// serve: the postmaster and all its backends, those that ended during the run included).
	DBCPUSec *float64 `json:"db_cpu_s,omitempty"`
	DBCPUPct *float64 `json:"db_cpu_pct,omitempty"`
	// BareOpsPerSec and BareP99Ms are the bare net/http handler measured right before and
	// after this run (the mean), on the serve session-check scenarios.
	BareOpsPerSec *float64 `json:"bare_ops_per_s,omitempty"`
	BareP99Ms     *float64 `json:"bare_p99_ms,omitempty"`
	// MachineCPUPct is the whole machine's busy time (from /proc/stat, steal included);
	// OtherCPUPct what is left of it after the client and the server: other processes on
	// the machine, or a hypervisor's steal, competing with the benchmark.
	MachineCPUPct *float64 `json:"machine_cpu_pct,omitempty"`
	OtherCPUPct   *float64 `json:"other_cpu_pct,omitempty"`
	StealCPUPct   *float64 `json:"steal_cpu_pct,omitempty"`
}

type loadConfig struct {
	concurrency int
	// quietWait and maxOther: before measuring, wait up to quietWait for other processes
	// to use no more than maxOther per cent of a core.
	quietWait   time.Duration
	maxOther    float64
	duration    time.Duration
	warmup      time.Duration
	maxRequests int64
	serverPID   int
	// dbPID is a database server's main process (PostgreSQL's postmaster), whose CPU time
	// and its children's count as the database's; 0: none.
	dbPID int
}

// ownCPU is the CPU time of the processes under test (server and database), which
// waitQuiet and the "other" figure do not count as disturbance.
func (cfg loadConfig) ownCPU() time.Duration {
	s, _ := procCPU(cfg.serverPID)
	d, _ := treeCPU(cfg.dbPID)
	return s + d
}

// worker state: latencies of successes, and errors by kind.
type workerStats struct {
	lat    []time.Duration
	errs   map[string]int
	sample string
	n      int64
}

// runLoad runs sc with cfg.concurrency workers: an unmeasured warm-up, then the measured
// phase, which ends after cfg.duration or cfg.maxRequests requests. Request numbers keep
// counting across the phases, so a scenario that creates things never repeats a name.
func runLoad(ctx context.Context, c *client, target string, sc scenarioRun, cfg loadConfig) Result {
	res := Result{Target: target, Scenario: sc.name, Users: sc.users, Concurrency: cfg.concurrency}
	first := sc.gen(0)
	res.Operation, res.Signed = first.op, first.signed
	var next atomic.Int64

	phase := func(d time.Duration, limit int64, measure bool) ([]*workerStats, time.Duration) {
		stats := make([]*workerStats, cfg.concurrency)
		var issued atomic.Int64
		deadline := time.Now().Add(d)
		var wg sync.WaitGroup
		start := time.Now()
		for w := range cfg.concurrency {
			st := &workerStats{errs: map[string]int{}}
			if measure {
				st.lat = make([]time.Duration, 0, 4096)
			}
			stats[w] = st
			wg.Go(func() {
				for ctx.Err() == nil {
					if limit > 0 && issued.Add(1) > limit {
						return
					}
					if time.Now().After(deadline) {
						return
					}
					r := sc.gen(next.Add(1))
					t0 := time.Now()
					body, err := c.send(ctx, r)
					if err == nil && r.check != nil {
						err = r.check(body)
					}
					el := time.Since(t0)
					st.n++
					if err != nil {
						k := errKey(err)
						st.errs[k]++
						if st.sample == "" {
							st.sample = err.Error()
						}
						continue
					}
					if measure {
						st.lat = append(st.lat, el)
					}
				}
			})
		}
		wg.Wait()
		return stats, time.Since(start)
	}

	if cfg.warmup > 0 {
		warm, _ := phase(cfg.warmup, 0, false)
		var n, e int64
		kinds := map[string]int{}
		sample := ""
		for _, st := range warm {
			n += st.n
			for k, v := range st.errs {
				e += int64(v)
				kinds[k] += v
			}
			if sample == "" {
				sample = st.sample
			}
		}
		// Everything failed: hammering an error path for the whole duration measures nothing.
		if n > 0 && e == n {
			res.Requests, res.Errors, res.ErrorKinds, res.ErrorSample = n, e, kinds, sample
			res.Skipped = "every warm-up request failed"
			return res
		}
	}

	if cfg.quietWait > 0 {
		if waited, other := waitQuiet(ctx, cfg.ownCPU, cfg.maxOther, cfg.quietWait); waited > 1500*time.Millisecond {
			logf("%s %s: waited %.0fs for other processes to quiet down (now %.0f%% of a core)", target, sc.name, waited.Seconds(), other)
		}
	}
	cpu0 := selfCPU()
	srv0, srvOK := procCPU(cfg.serverPID)
	db0, dbOK := treeCPU(cfg.dbPID)
	mach0, steal0, machOK := machineCPU()
	stats, wall := phase(cfg.duration, cfg.maxRequests, true)
	cpu1 := selfCPU()
	srv1, srvOK1 := procCPU(cfg.serverPID)
	db1, dbOK1 := treeCPU(cfg.dbPID)
	mach1, steal1, machOK1 := machineCPU()

	var lat []time.Duration
	kinds := map[string]int{}
	for _, st := range stats {
		res.Requests += st.n
		lat = append(lat, st.lat...)
		for k, v := range st.errs {
			res.Errors += int64(v)
			kinds[k] += v
		}
		if res.ErrorSample == "" {
			res.ErrorSample = st.sample
		}
	}
	if len(kinds) > 0 {
		res.ErrorKinds = kinds
	}
	res.Seconds = wall.Seconds()
	res.OpsPerSec = float64(len(lat)) / wall.Seconds()
	slices.Sort(lat)
	res.P50Ms = ms(percentile(lat, 0.50))
	res.P90Ms = ms(percentile(lat, 0.90))
	res.P99Ms = ms(percentile(lat, 0.99))
	if len(lat) > 0 {
		res.MaxMs = ms(lat[len(lat)-1])
	}
	res.ClientCPUSec = round3((cpu1 - cpu0).Seconds())
	res.ClientCPUPct = round1(100 * (cpu1 - cpu0).Seconds() / wall.Seconds())
	if srvOK && srvOK1 {
		s := round3((srv1 - srv0).Seconds())
		p := round1(100 * (srv1 - srv0).Seconds() / wall.Seconds())
		res.ServerCPUSec, res.ServerCPUPct = &s, &p
	}
	if dbOK && dbOK1 {
		s := round3((db1 - db0).Seconds())
		p := round1(100 * (db1 - db0).Seconds() / wall.Seconds())
		res.DBCPUSec, res.DBCPUPct = &s, &p
	}
	if machOK && machOK1 {
		pct := func(d time.Duration) *float64 { v := round1(100 * d.Seconds() / wall.Seconds()); return &v }
		res.MachineCPUPct = pct(mach1 - mach0)
		res.StealCPUPct = pct(steal1 - steal0)
		other := (mach1 - mach0) - (cpu1 - cpu0)
		if res.ServerCPUSec != nil {
			other -= srv1 - srv0
		}
		if res.DBCPUSec != nil {
			other -= db1 - db0
		}
		res.OtherCPUPct = pct(max(0, other))
	}
	res.Seconds = round3(res.Seconds)
	res.OpsPerSec = round1(res.OpsPerSec)
	return res
}

func errKey(err error) string {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.key()
	}
	s := err.Error()
	// Transport errors name the local port; fold them together.
	for _, k := range []string{"connection refused", "connection reset", "EOF", "timeout", "deadline exceeded", "broken pipe"} {
		if strings.Contains(s, k) {
			return k
		}
	}
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }

func round1(f float64) float64 { return math.Round(f*10) / 10 }
func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// selfCPU is this process's user + system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is another process's user + system CPU time from /proc/PID/stat (clock ticks of
// 1/100 s, Linux's USER_HZ on every mainstream architecture).
func procCPU(pid int) (time.Duration, bool) {
	if pid <= 0 {
		return 0, false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	// After the command: state(0) ppid(1) … utime(11) stime(12).
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, true
}

// treeCPU is the CPU time of a process, of its children that ended (as the kernel adds
// them up for a parent that waits for them), and of its live children, from /proc. It
// counts a server that forks a process per connection, like PostgreSQL, as one.
func treeCPU(pid int) (time.Duration, bool) {
	if pid <= 0 {
		return 0, false
	}
	self, _, ok := procStat(pid)
	if !ok {
		return 0, false
	}
	total := self
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return total, true
	}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil || child == pid {
			continue
		}
		cpu, ppid, ok := procStat(child)
		if ok && ppid == pid {
			total += cpu
		}
	}
	return total, true
}

// procStat reads a process's CPU time with that of its waited-for children (utime, stime,
// cutime and cstime), and its parent, from /proc/PID/stat.
func procStat(pid int) (cpu time.Duration, ppid int, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(s[i+1:])
	// After the command: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
	if len(f) < 15 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	var ticks int64
	for _, k := range f[11:15] {
		n, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, ppid, true
}

// machineCPU is the busy time of all CPUs together, and the part of it stolen by a
// hypervisor, from the first line of /proc/stat.
func machineCPU() (busy, steal time.Duration, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	// cpu user nice system idle iowait irq softirq steal …
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, false
	}
	var v [8]int64
	for i := range v {
		if v[i], err = strconv.ParseInt(f[i+1], 10, 64); err != nil {
			return 0, 0, false
		}
	}
	ticks := v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
	return time.Duration(ticks) * 10 * time.Millisecond, time.Duration(v[7]) * 10 * time.Millisecond, true
}

// quietBudget caps the time waitQuiet spends in one run; quietSpent is what it has spent.
// Only the goroutine that runs the benchmark calls waitQuiet.
var (
	quietBudget = 3 * time.Minute
	quietSpent  time.Duration
)

// waitQuiet waits, for at most maxWait, until other processes use no more than maxOther
// per cent of a core (sampled over a second, the client and the processes under test, whose
// CPU time ours returns, excluded), so that a measurement does not start in the middle of
// someone else's build. It returns how long it waited and the last sample.
func waitQuiet(ctx context.Context, ours func() time.Duration, maxOther float64, maxWait time.Duration) (time.Duration, float64) {
	if ours == nil {
		ours = func() time.Duration { return 0 }
	}
	start := time.Now()
	defer func() { quietSpent += time.Since(start) }()
	// The whole run waits at most quietBudget in all, so that a machine that never quiets
	// down costs minutes, not hours; the retries and the "other" column still show it.
	maxWait = min(maxWait, max(time.Second, quietBudget-quietSpent))
	for {
		c0 := selfCPU()
		s0 := ours()
		m0, _, ok0 := machineCPU()
		t0 := time.Now()
		select {
		case <-ctx.Done():
			return time.Since(start), 0
		case <-time.After(time.Second):
		}
		c1 := selfCPU()
		s1 := ours()
		m1, _, ok1 := machineCPU()
		if !ok0 || !ok1 {
			return time.Since(start), 0
		}
		other := 100 * max(0, (m1-m0)-(c1-c0)-(s1-s0)).Seconds() / time.Since(t0).Seconds()
		if other <= maxOther || time.Since(start) >= maxWait {
			return time.Since(start), round1(other)
		}
	}
}

// sortedKinds lists error kinds by count, most frequent first.
func sortedKinds(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}
