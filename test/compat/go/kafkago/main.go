// kafka-go 0.2 (Debian's golang-github-segmentio-kafka-go-dev) for Samsa's compatibility tests.
// It speaks Produce v2 with magic 1 message sets and Fetch v2 without asking ApiVersions.
//
//	kafkago -mode produce -brokers host:port -topic t -codec gzip -count 10 -prefix p
//	kafkago -mode consume -brokers host:port -topic t -group g -count 10 -timeout 30s
//
// Prints one JSON line: what was written, or the records read (partition, offset, key, value, time).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/gzip"
	"github.com/segmentio/kafka-go/lz4"
	"github.com/segmentio/kafka-go/snappy"
)

type record struct {
	Partition int    `json:"partition"`
	Offset    int64  `json:"offset"`
	Key       string `json:"key"`
	Value     string `json:"value"`
	TimeMs    int64  `json:"timeMs"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func codecNamed(name string) kafka.CompressionCodec {
	switch name {
	case "none", "":
		return nil
	case "gzip":
		return gzip.NewCompressionCodec()
	case "snappy":
		return snappy.NewCompressionCodec()
	case "lz4":
		return lz4.NewCompressionCodec()
	}
	fail("unknown codec %q", name)
	return nil
}

func main() {
	mode := flag.String("mode", "", "produce or consume")
	brokers := flag.String("brokers", "", "bootstrap broker")
	topic := flag.String("topic", "", "topic")
	codec := flag.String("codec", "none", "none, gzip, snappy or lz4")
	count := flag.Int("count", 10, "records to write or read")
	prefix := flag.String("prefix", "r", "key/value prefix")
	group := flag.String("group", "", "consumer group")
	timeout := flag.Duration("timeout", 30*time.Second, "deadline")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	switch *mode {
	case "produce":
		w := kafka.NewWriter(kafka.WriterConfig{
			Brokers:          []string{*brokers},
			Topic:            *topic,
			CompressionCodec: codecNamed(*codec),
			BatchSize:        *count,
			BatchTimeout:     50 * time.Millisecond,
			RequiredAcks:     -1,
		})
		msgs := make([]kafka.Message, *count)
		for i := range msgs {
			msgs[i] = kafka.Message{Key: []byte(fmt.Sprintf("%s-k%d", *prefix, i)), Value: []byte(fmt.Sprintf("%s-v%d", *prefix, i))}
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			fail("write: %v", err)
		}
		if err := w.Close(); err != nil {
			fail("close writer: %v", err)
		}
		out, _ := json.Marshal(map[string]int{"written": *count})
		fmt.Println(string(out))
	case "consume":
		r := kafka.NewReader(kafka.ReaderConfig{
			Brokers:  []string{*brokers},
			Topic:    *topic,
			GroupID:  *group,
			MinBytes: 1,
			MaxBytes: 1 << 20,
			MaxWait:  200 * time.Millisecond,
		})
		records := []record{}
		for len(records) < *count {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				fail("read after %d records: %v", len(records), err)
			}
			records = append(records, record{m.Partition, m.Offset, string(m.Key), string(m.Value), m.Time.UnixNano() / 1e6})
		}
		if err := r.Close(); err != nil {
			fail("close reader: %v", err)
		}
		out, _ := json.Marshal(records)
		fmt.Println(string(out))
	default:
		fail("unknown mode %q", *mode)
	}
}
