package store_test

import (
	"fmt"
	"testing"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// benchEvent is a read's audit event of a realistic size: the IDs a case
// page's event carries.
func benchEvent(i int) audit.Event {
	return audit.Event{ID: store.NewID(), ActorID: store.NewID(), ActorRole: "caseworker", Action: "case.view",
		RecordType: "case", RecordID: store.NewID(), CaseID: store.NewID(), AgencyID: store.NewID(),
		IP: "192.0.2.10", Detail: fmt.Sprintf(`{"section":"registration","n":%d}`, i)}
}

// BenchmarkAuditReads records the audit events of reads from many
// goroutines at once, as concurrent page views do: they share group
// commits, and each waits until its event is durable (ops/s is events a
// second).
func BenchmarkAuditReads(b *testing.B) {
	for _, eng := range testdb.Engines(b) {
		b.Run(eng, func(b *testing.B) {
			db := testdb.Open(b, eng)
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					if err := db.Audit(ctx, benchEvent(i)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkAuditWrite records one event in each write transaction, one
// transaction after another, as an operation does.
func BenchmarkAuditWrite(b *testing.B) {
	for _, eng := range testdb.Engines(b) {
		b.Run(eng, func(b *testing.B) {
			db := testdb.Open(b, eng)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.Record(ctx, benchEvent(i)) }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
		})
	}
}
