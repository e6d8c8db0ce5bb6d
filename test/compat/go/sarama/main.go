// Sarama 1.22 (Debian's golang-github-shopify-sarama-dev) for Samsa's compatibility tests, with
// Config.Version chosen by the caller: below 0.10 it speaks Produce/Fetch v0 with magic 0, from
// 0.10 magic 1 (Fetch v2/v3), from 0.11 record batches (Produce v3, Fetch v4).
//
//	sarama -version 0.8.2.0 -mode produce -brokers host:port -topic t -codec snappy -count 10 -prefix p
//	sarama -version 0.10.2.0 -mode consume -brokers host:port -topic t -count 10
//	sarama -version 0.11.0.0 -mode group -brokers host:port -topic t -group g -count 10
//
// Prints one JSON line: the offsets written, or the records read.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"flag"
	"os"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

type record struct {
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Key       string `json:"key"`
	Value     string `json:"value"`
	TimeMs    int64  `json:"timeMs"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func toRecord(m *sarama.ConsumerMessage) record {
	ts := int64(-1)
	if !m.Timestamp.IsZero() {
		ts = m.Timestamp.UnixNano() / 1e6
	}
	return record{m.Partition, m.Offset, string(m.Key), string(m.Value), ts}
}

type handler struct {
	mu      sync.Mutex
	records []record
	want    int
	done    chan struct{}
	once    sync.Once
}

func (h *handler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for m := range c.Messages() {
		h.mu.Lock()
		h.records = append(h.records, toRecord(m))
		n := len(h.records)
		h.mu.Unlock()
		s.MarkMessage(m, "")
		if n >= h.want {
			h.once.Do(func() { close(h.done) })
		}
	}
	return nil
}

func main() {
	version := flag.String("version", "0.8.2.0", "Config.Version")
	mode := flag.String("mode", "", "produce, consume or group")
	brokers := flag.String("brokers", "", "bootstrap broker")
	topic := flag.String("topic", "", "topic")
	codec := flag.String("codec", "none", "none, gzip, snappy or lz4")
	count := flag.Int("count", 10, "records to write or read")
	prefix := flag.String("prefix", "r", "key/value prefix")
	group := flag.String("group", "", "consumer group")
	timeout := flag.Duration("timeout", 30*time.Second, "deadline")
	flag.Parse()

	cfg := sarama.NewConfig()
	v, err := sarama.ParseKafkaVersion(*version)
	if err != nil {
		fail("version: %v", err)
	}
	cfg.Version = v
	cfg.ClientID = "samsa-sarama-" + *version
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Flush.Messages = *count
	cfg.Producer.Flush.Frequency = 50 * time.Millisecond
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Return.Errors = true
	switch *codec {
	case "none":
	case "gzip":
		cfg.Producer.Compression = sarama.CompressionGZIP
	case "snappy":
		cfg.Producer.Compression = sarama.CompressionSnappy
	case "lz4":
		cfg.Producer.Compression = sarama.CompressionLZ4
	default:
		fail("unknown codec %q", *codec)
	}

	switch *mode {
	case "produce":
		p, err := sarama.NewSyncProducer([]string{*brokers}, cfg)
		if err != nil {
			fail("producer: %v", err)
		}
		msgs := make([]*sarama.ProducerMessage, *count)
		for i := range msgs {
			msgs[i] = &sarama.ProducerMessage{Topic: *topic, Key: sarama.StringEncoder(fmt.Sprintf("%s-k%d", *prefix, i)), Value: sarama.StringEncoder(fmt.Sprintf("%s-v%d", *prefix, i))}
		}
		if err := p.SendMessages(msgs); err != nil {
			fail("send: %v", err)
		}
		offsets := make([]int64, len(msgs))
		for i, m := range msgs {
			offsets[i] = m.Offset
		}
		p.Close()
		out, _ := json.Marshal(map[string][]int64{"offsets": offsets})
		fmt.Println(string(out))
	case "consume":
		c, err := sarama.NewConsumer([]string{*brokers}, cfg)
		if err != nil {
			fail("consumer: %v", err)
		}
		parts, err := c.Partitions(*topic)
		if err != nil {
			fail("partitions: %v", err)
		}
		msgs := make(chan *sarama.ConsumerMessage)
		errs := make(chan error, 1)
		for _, part := range parts {
			pc, err := c.ConsumePartition(*topic, part, sarama.OffsetOldest)
			if err != nil {
				fail("consume partition %d: %v", part, err)
			}
			go func(pc sarama.PartitionConsumer) {
				for m := range pc.Messages() {
					msgs <- m
				}
			}(pc)
			go func(pc sarama.PartitionConsumer) {
				for e := range pc.Errors() {
					select {
					case errs <- e:
					default:
					}
				}
			}(pc)
		}
		records := []record{}
		deadline := time.After(*timeout)
		for len(records) < *count {
			select {
			case m := <-msgs:
				records = append(records, toRecord(m))
			case e := <-errs:
				fail("consume after %d records: %v", len(records), e)
			case <-deadline:
				fail("timed out after %d of %d records", len(records), *count)
			}
		}
		out, _ := json.Marshal(records)
		fmt.Println(string(out))
		os.Exit(0)
	case "group":
		g, err := sarama.NewConsumerGroup([]string{*brokers}, *group, cfg)
		if err != nil {
			fail("group: %v", err)
		}
		go func() {
			for e := range g.Errors() {
				fmt.Fprintf(os.Stderr, "group error: %v\n", e)
			}
		}()
		h := &handler{want: *count, done: make(chan struct{})}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			for ctx.Err() == nil {
				if err := g.Consume(ctx, []string{*topic}, h); err != nil && ctx.Err() == nil {
					fmt.Fprintf(os.Stderr, "consume: %v\n", err)
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
		select {
		case <-h.done:
		case <-time.After(*timeout):
			h.mu.Lock()
			n := len(h.records)
			h.mu.Unlock()
			fail("timed out after %d of %d records", n, *count)
		}
		cancel()
		if err := g.Close(); err != nil {
			fail("close group: %v", err)
		}
		h.mu.Lock()
		out, _ := json.Marshal(h.records)
		h.mu.Unlock()
		fmt.Println(string(out))
	default:
		fail("unknown mode %q", *mode)
	}
}
