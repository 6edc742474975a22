package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/keys"
	"github.com/pactwatch/pactwatch/ledger/ledgerbench"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storebench"
	"github.com/pactwatch/pactwatch/vocab"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		fmt.Fprint(stderr, "Usage: pactwatch bench ingest|store|ledger|checkpoint|web|notify [flags]\n\nMeasure pactwatch's speed and print the figures.\n\n"+
			"  ingest   signed observations through the HTTP intake of a server on loopback (single requests and batches)\n"+
			"  store    records appended to store and ledger in batches (no signature checks)\n"+
			"  ledger   inclusion and consistency proofs at 10M entries, and time to a published checkpoint (in memory)\n"+
			"  checkpoint  store acknowledgement to published cosigned checkpoint, through SQLite or PostgreSQL\n"+
			"  web      the map page with a month of incidents in headless Chromium, until every marker is drawn\n"+
			"  notify   outbox writes in the state change's transaction, webhook delivery, the response scheduler with 10,000 open steps\n\n"+
			"Run `pactwatch bench <what> -h` for its flags.\n")
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	switch args[0] {
	case "ingest":
		return benchIngest(ctx, args[1:], stdout, stderr)
	case "ledger":
		return benchLedger(ctx, args[1:], stdout, stderr)
	case "store":
		return benchStore(ctx, args[1:], stdout, stderr)
	case "checkpoint":
		return benchCheckpoint(ctx, args[1:], stdout, stderr)
	case "web":
		return benchWeb(ctx, args[1:], stdout, stderr)
	case "notify":
		return benchNotify(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "pactwatch bench: unknown benchmark %q (want ingest, store, ledger, checkpoint, web or notify)\n", args[0])
	return errUsage
}

func benchStore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench store", "[flags]", "Append records (no signature checks) to store and ledger in batches and print records/s.", stderr)
	var cfg storebench.Config
	fs.StringVar(&cfg.DSN, "db", "", "database (default: a temporary SQLite file; postgres://… for an empty, disposable PostgreSQL database)")
	fs.IntVar(&cfg.Records, "records", 200_000, "records to append")
	fs.IntVar(&cfg.Batch, "batch", 1000, "records per call")
	fs.IntVar(&cfg.Writers, "writers", 4, "concurrent writers (group-committed)")
	fs.StringVar(&cfg.Kind, "kind", "observation", "observation or record (generic records)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	return storebench.Run(ctx, cfg, stdout)
}

func benchLedger(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench ledger", "[flags]", "Time inclusion and consistency proofs on a tree of --entries leaves, and how soon an appended record is covered by a published checkpoint.", stderr)
	entries := fs.Int64("entries", 10_000_000, "tree size for the proofs")
	proofs := fs.Int("proofs", 2000, "proofs of each kind to time")
	rate := fs.Int("rate", 5000, "records per second for the checkpoint-coverage measurement")
	interval := fs.Duration("checkpoint-interval", 50*time.Millisecond, "checkpoint interval for the coverage measurement")
	duration := fs.Duration("duration", 3*time.Second, "length of the coverage measurement (negative: skip it)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	return ledgerbench.Run(ctx, ledgerbench.Config{Entries: *entries, Proofs: *proofs, Rate: *rate, Interval: *interval, Duration: *duration}, stdout)
}

// benchIngest starts a real server (temporary data folder, rate limits
// lifted) and drives it over loopback with pre-signed observations.
func benchIngest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench ingest", "[flags]", "Start a server on loopback (temporary data folder, no rate limits), drive it with --clients concurrent clients\nsending pre-signed observations, and print observations/s and p50/p99 latency for single requests and for batches.\nThe load generator runs in the same process, on the same cores, as the server.", stderr)
	clients := fs.Int("clients", 32, "concurrent clients")
	duration := fs.Duration("duration", 5*time.Second, "length of each phase")
	batch := fs.Int("batch", 200, "observations per request in the batch phase")
	singles := fs.Int("single", 60000, "pre-signed observations for the single-request phase (the phase ends early when they run out)")
	batched := fs.Int("batched", 150000, "pre-signed observations for the batch phase")
	db := fs.String("db", "", "database (default: SQLite in the temporary folder; postgres://… to measure PostgreSQL)")
	mode := fs.String("mode", "both", "single, batch or both")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the first measured phase to this file (-mode batch: of the batch phase)")
	traceFile := fs.String("trace", "", "write an execution trace (go tool trace) of the first measured phase to this file")
	withPipeline := fs.Bool("pipeline", false, "run the incident pipeline too, as serve does (clustering and persisting incident versions while the intake runs)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		profiling = f
	}
	if *traceFile != "" {
		f, err := os.Create(*traceFile)
		if err != nil {
			return err
		}
		defer f.Close()
		tracing = f
	}
	dir, err := os.MkdirTemp("", "pactwatch-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := serveConfig{
		data: dir, db: *db, addr: "127.0.0.1:0", rate: 0, checkpointInterval: time.Second,
		maxBody: 64 << 20, maxBatch: max(*batch, 1000), maxEvidence: 1 << 20, witnessQuorum: 0,
		noPipeline: !*withPipeline,
	}
	app, err := startServer(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.close()

	// One monitor per client, each with its own key and token, as in a
	// real mission.
	admin := client.New(app.url, app.admin)
	type monitor struct {
		key   ed25519.PrivateKey
		token string
	}
	mons := make([]monitor, *clients)
	from := time.Now().Add(-time.Hour)
	for i := range mons {
		pub, priv := keys.Generate()
		np, err := admin.AddPrincipal(ctx, client.PrincipalRequest{Name: fmt.Sprintf("bench %d", i), Role: "monitor", PublicKey: keys.FormatPublic(pub), ValidFrom: &from})
		if err != nil {
			return err
		}
		mons[i] = monitor{priv, np.Token}
	}
	transport := &http.Transport{MaxIdleConnsPerHost: *clients * 2, MaxConnsPerHost: *clients * 2}
	hc := &http.Client{Transport: transport, Timeout: time.Minute}
	pl := "off"
	if *withPipeline {
		pl = "on"
	}
	fmt.Fprintf(stdout, "pactwatch bench ingest: %d clients, %s per phase, GOMAXPROCS %d, database %s, incident pipeline %s\n", *clients, *duration, runtime.GOMAXPROCS(0), dbName(*db), pl)

	// sign pre-signs n observations per client, spread over the cores.
	sign := func(perClient int) [][]observation.Observation {
		out := make([][]observation.Observation, len(mons))
		var wg sync.WaitGroup
		now := time.Now().UTC()
		for i := range mons {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i] = make([]observation.Observation, perClient)
				for j := range out[i] {
					o := benchObservation(now, i, j)
					if err := observation.Sign(&o, mons[i].key); err != nil {
						panic(err)
					}
					out[i][j] = o
				}
			}()
		}
		wg.Wait()
		return out
	}
	if *mode == "single" || *mode == "both" {
		start := time.Now()
		pre := sign(max(1, *singles / *clients))
		bodies := make([][][]byte, len(pre))
		for i, list := range pre {
			for _, o := range list {
				b, err := observation.Marshal(o)
				if err != nil {
					return err
				}
				bodies[i] = append(bodies[i], b)
			}
		}
		fmt.Fprintf(stdout, "  pre-signed %d observations in %s\n", *singles, time.Since(start).Round(time.Millisecond))
		res := drive(ctx, *duration, len(mons), func(ctx context.Context, i, j int) (int, bool, error) {
			if j >= len(bodies[i]) {
				return 0, false, nil
			}
			c := &client.Client{BaseURL: app.url, Token: mons[i].token, HTTP: hc}
			_, err := c.SubmitRaw(ctx, bodies[i][j])
			return 1, true, err
		})
		res.print(stdout, "single", 1)
		if *withPipeline {
			settle(ctx, app.store, stdout)
		}
	}
	if *mode == "batch" || *mode == "both" {
		start := time.Now()
		pre := sign(max(*batch, *batched / *clients))
		var bodies [][][]byte
		for _, list := range pre {
			var mine [][]byte
			for k := 0; k+*batch <= len(list); k += *batch {
				b, err := client.EncodeBatch(list[k : k+*batch])
				if err != nil {
					return err
				}
				mine = append(mine, b)
			}
			bodies = append(bodies, mine)
		}
		fmt.Fprintf(stdout, "  pre-signed %d observations in %s\n", *batched, time.Since(start).Round(time.Millisecond))
		res := drive(ctx, *duration, len(mons), func(ctx context.Context, i, j int) (int, bool, error) {
			if j >= len(bodies[i]) {
				return 0, false, nil
			}
			c := &client.Client{BaseURL: app.url, Token: mons[i].token, HTTP: hc}
			_, err := c.SubmitRawBatch(ctx, bodies[i][j])
			return *batch, true, err
		})
		res.print(stdout, fmt.Sprintf("batch of %d", *batch), *batch)
		if *withPipeline {
			settle(ctx, app.store, stdout)
		}
	}
	size, err := app.store.TreeSize(ctx)
	if err == nil {
		fmt.Fprintf(stdout, "  ledger: %d entries\n", size)
	}
	return nil
}

// settle waits for the incident pipeline to catch up with what the phase
// stored and prints how long that took after the phase ended. The pipeline
// appends records after every step while it has observations to cluster,
// so it has caught up once the ledger stops growing (for longer than its
// pause between steps).
func settle(ctx context.Context, st store.Store, stdout io.Writer) {
	start := time.Now()
	last, grew := int64(-1), start
	for time.Since(grew) < 500*time.Millisecond && time.Since(start) < 5*time.Minute {
		size, err := st.TreeSize(ctx)
		if err != nil {
			fmt.Fprintf(stdout, "  pipeline: %v\n", err)
			return
		}
		if size != last {
			last, grew = size, time.Now()
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Fprintf(stdout, "  pipeline: caught up %s after the phase ended\n", grew.Sub(start).Round(time.Millisecond))
}

func dbName(db string) string {
	if db == "" {
		return "SQLite (temporary)"
	}
	return redactDSN(db)
}

// benchObservation is the j-th observation of client i: realistic size,
// unique id, spread like a mission's reports over three days and the
// length of the front (Kherson to Luhansk), so that the server's
// downstream clustering sees many events rather than one giant one.
func benchObservation(now time.Time, i, j int) observation.Observation {
	u := float64((i*7919+j*104729)%10000) / 10000 // pseudo-random position along the front
	lat, lon := 46.6+u*3.0, 32.8+u*5.2
	return observation.Observation{
		ID:            uuid.NewString(),
		ObservedAt:    now.Add(-time.Duration((i*131+j*17)%4320) * time.Minute).Truncate(time.Minute),
		TimePrecision: "minute",
		SignedAt:      now.Truncate(time.Second),
		Observer:      &observation.Position{Lat: lat - 0.03, Lon: lon - 0.02, UncertaintyM: 10},
		Target:        &observation.Position{Lat: lat, Lon: lon, UncertaintyM: 300},
		Category:      vocab.Explosion,
		Count:         1 + j%7,
		WeaponClass:   vocab.Mortar,
		CalibreMM:     120,
		SourceType:    vocab.Patrol,
		Grade:         "B2",
		Narrative:     "Explosions heard, assessed as 120 mm mortar impacts, 3-4 km east of the patrol position.",
		Language:      "en",
	}
}

// benchResult is one phase's figures.
type benchResult struct {
	elapsed   time.Duration
	obs       int64
	requests  int64
	errors    int64
	firstErr  error
	latencies []time.Duration
}

func (r benchResult) print(w io.Writer, name string, perRequest int) {
	if r.requests == 0 {
		fmt.Fprintf(w, "  %s: no requests\n", name)
		return
	}
	slices.Sort(r.latencies)
	p := func(q float64) time.Duration {
		return r.latencies[min(len(r.latencies)-1, int(q*float64(len(r.latencies))))]
	}
	secs := r.elapsed.Seconds()
	fmt.Fprintf(w, "  %-14s %8.0f observations/s  %7.0f requests/s  p50 %6.2f ms  p99 %6.2f ms  (%d observations, %d requests in %s, %d errors)\n",
		name+":", float64(r.obs)/secs, float64(r.requests)/secs,
		float64(p(0.50).Microseconds())/1000, float64(p(0.99).Microseconds())/1000,
		r.obs, r.requests, r.elapsed.Round(time.Millisecond), r.errors)
	if r.firstErr != nil {
		fmt.Fprintf(w, "    first error: %v\n", r.firstErr)
	}
}

// profiling and tracing are where drive writes a CPU profile and an
// execution trace (bench ingest --cpuprofile, --trace). Only the first
// phase is recorded: a second profile or trace appended to the same file
// would make it unreadable.
var profiling, tracing *os.File

// drive runs n clients calling send(i, j) for j = 0, 1, … until the
// duration ends or send reports it has nothing left.
func drive(ctx context.Context, d time.Duration, n int, send func(ctx context.Context, i, j int) (int, bool, error)) benchResult {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var obs, reqs, errs atomic.Int64
	var mu sync.Mutex
	var res benchResult
	var wg sync.WaitGroup
	if profiling != nil {
		if err := pprof.StartCPUProfile(profiling); err == nil {
			defer pprof.StopCPUProfile()
		}
		profiling = nil
	}
	if tracing != nil {
		if err := trace.Start(tracing); err == nil {
			defer trace.Stop()
		}
		tracing = nil
	}
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			var first error
			for j := 0; ctx.Err() == nil; j++ {
				t := time.Now()
				k, ok, err := send(context.Background(), i, j)
				if !ok {
					break
				}
				lat = append(lat, time.Since(t))
				reqs.Add(1)
				if err != nil {
					errs.Add(1)
					if first == nil {
						first = err
					}
					continue
				}
				obs.Add(int64(k))
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			if res.firstErr == nil {
				res.firstErr = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.obs, res.requests, res.errors = obs.Load(), reqs.Load(), errs.Load()
	return res
}
