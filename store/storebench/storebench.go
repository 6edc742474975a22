// Package storebench measures how fast records are appended to the store
// and the ledger together (record row, entry row and stored Merkle hashes
// in one transaction), without signature checks or HTTP: the ceiling under
// everything the server does. `pactwatch bench store` calls Run.
package storebench

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/vocab"
)

// Config says what to measure; zero fields take the defaults below.
type Config struct {
	// DSN is the database; "" is a new SQLite file in a temporary folder,
	// removed afterwards. A PostgreSQL database should be empty or
	// disposable: the benchmark fills it.
	DSN string
	// Records is how many records to append (default 200,000).
	Records int
	// Batch is how many records one call appends (default 1,000).
	Batch int
	// Writers is how many goroutines append concurrently (default 4); the
	// store group-commits their calls.
	Writers int
	// Kind is "observation" (default: observations with filter columns) or
	// "record" (generic records, canonical JSON bodies).
	Kind string
}

// Result is one measurement.
type Result struct {
	Records  int
	Elapsed  time.Duration
	PerSec   float64
	TreeSize int64
}

// Run appends cfg.Records records and prints records/s to w.
func Run(ctx context.Context, cfg Config, w io.Writer) error {
	res, err := Measure(ctx, cfg)
	if err != nil {
		return err
	}
	cfg = withDefaults(cfg)
	db := "SQLite (temporary file)"
	if cfg.DSN != "" {
		db = redact(cfg.DSN)
	}
	_, err = fmt.Fprintf(w, "store bench: %s, %d %ss in batches of %d from %d writers: %.0f records/s (%v, tree size %d)\n",
		db, res.Records, cfg.Kind, cfg.Batch, cfg.Writers, res.PerSec, res.Elapsed.Round(time.Millisecond), res.TreeSize)
	return err
}

func withDefaults(cfg Config) Config {
	if cfg.Records <= 0 {
		cfg.Records = 200000
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 1000
	}
	if cfg.Writers <= 0 {
		cfg.Writers = 4
	}
	if cfg.Kind == "" {
		cfg.Kind = "observation"
	}
	return cfg
}

// redact hides a password in a database URL.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	return dsn
}

// Measure runs the benchmark and returns its figures.
func Measure(ctx context.Context, cfg Config) (Result, error) {
	cfg = withDefaults(cfg)
	if cfg.Kind != "observation" && cfg.Kind != "record" {
		return Result{}, fmt.Errorf("storebench: kind %q: want observation or record", cfg.Kind)
	}
	dsn := cfg.DSN
	if dsn == "" {
		dir, err := os.MkdirTemp("", "pactwatch-storebench-")
		if err != nil {
			return Result{}, err
		}
		defer os.RemoveAll(dir)
		dsn = "sqlite:" + filepath.Join(dir, "bench.db")
	}
	s, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return Result{}, err
	}
	defer s.Close()
	start0, err := s.TreeSize(ctx)
	if err != nil {
		return Result{}, err
	}
	// Build every record and leaf first: the figure is the store's.
	nb := (cfg.Records + cfg.Batch - 1) / cfg.Batch
	type batch struct {
		obs    []observation.Record
		recs   []store.GenericRecord
		leaves []store.Leaf
	}
	batches := make([]batch, nb)
	run := time.Now().UnixNano()
	for b := range batches {
		n := min(cfg.Batch, cfg.Records-b*cfg.Batch)
		for i := range n {
			k := b*cfg.Batch + i
			if cfg.Kind == "observation" {
				r, l := Observation(run, k)
				batches[b].obs = append(batches[b].obs, r)
				batches[b].leaves = append(batches[b].leaves, l)
			} else {
				batches[b].recs = append(batches[b].recs, Record(run, k))
			}
		}
	}
	next := make(chan int)
	errc := make(chan error, cfg.Writers)
	var wg sync.WaitGroup
	begin := time.Now()
	for range cfg.Writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range next {
				var err error
				if cfg.Kind == "observation" {
					_, err = s.InsertObservations(ctx, batches[b].obs, batches[b].leaves)
				} else {
					_, err = s.AppendRecords(ctx, batches[b].recs)
				}
				if err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	var ferr error
feed:
	for b := range batches {
		select {
		case next <- b:
		case ferr = <-errc:
			break feed
		case <-ctx.Done():
			ferr = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(begin)
	if ferr == nil {
		select {
		case ferr = <-errc:
		default:
		}
	}
	if ferr != nil {
		return Result{}, ferr
	}
	size, err := s.TreeSize(ctx)
	if err != nil {
		return Result{}, err
	}
	if size-start0 != int64(cfg.Records) {
		return Result{}, fmt.Errorf("storebench: tree grew by %d, want %d", size-start0, cfg.Records)
	}
	return Result{Records: cfg.Records, Elapsed: elapsed, PerSec: float64(cfg.Records) / elapsed.Seconds(), TreeSize: size}, nil
}

var benchT0 = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

func id(run int64, k int) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(run))
	binary.BigEndian.PutUint64(b[8:], uint64(k))
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Observation is the k-th synthetic observation of a run, with its leaf:
// realistic sizes (three positions, a narrative), unsigned.
func Observation(run int64, k int) (observation.Record, store.Leaf) {
	at := benchT0.Add(time.Duration(k) * time.Second)
	o := observation.Observation{
		ID: id(run, k), ObservedAt: at, TimePrecision: "minute", SignedAt: at.Add(time.Minute),
		Observer:   &observation.Position{Lat: 48.0 + float64(k%100)/1000, Lon: 37.8, UncertaintyM: 10},
		Target:     &observation.Position{Lat: 48.1, Lon: 37.7 + float64(k%50)/1000, UncertaintyM: 500},
		Category:   vocab.Explosion,
		Count:      1 + k%4,
		SourceType: "patrol",
		Grade:      "B2",
		Narrative:  "Explosions heard 3-5 km south-west of the observation post.",
		Language:   "en",
		Reporter:   fmt.Sprintf("key-%02d", k%16),
		Signature:  "c2lnbmF0dXJlIG5vdCBjaGVja2VkIGJ5IHRoZSBzdG9yZSBiZW5jaG1hcmsgYmVjYXVzZSBpdCBtZWFzdXJlcyB0aGUgc3RvcmU=",
	}
	r := observation.Record{Observation: o, ReceivedAt: at.Add(2 * time.Minute), PrincipalID: "bench"}
	return r, leafFor(ledger.TypeObservation, o.ID, at, []byte(o.Narrative))
}

// Record is the k-th synthetic generic record of a run.
func Record(run int64, k int) store.GenericRecord {
	rid := id(run, k)
	body := fmt.Appendf(nil, `{"id":"%s","kind":"bench","n":%d,"note":"a record that needs no signature check"}`, rid, k)
	at := benchT0.Add(time.Duration(k) * time.Second)
	return store.GenericRecord{Type: ledger.TypeReport, ID: rid, Time: at, Body: body, Leaf: leafFor(ledger.TypeReport, rid, at, body)}
}

func leafFor(typ, id string, at time.Time, body []byte) store.Leaf {
	salt := sha256.Sum256([]byte("salt:" + id))
	psalt := sha256.Sum256([]byte("public:" + id))
	return store.Leaf{Entry: ledger.NewEntry(typ, id, at, body, salt[:], body, psalt[:]), Salt: salt[:], PublicSalt: psalt[:]}
}
