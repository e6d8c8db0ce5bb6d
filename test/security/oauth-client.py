"""confluent-kafka (librdkafka) producer for the OAUTHBEARER tests.

argv[1]: JSON {"config": {...librdkafka settings...}, "topic": str, "count": int,
               "interval_ms": int, "deadline_s": float}
Produces `count` messages `interval_ms` apart, waits for their delivery reports, and prints a JSON
line {"delivered": n, "failed": n, "errors": [...]} (errors: the error_cb messages, deduplicated).
"""
import json
import sys
import time

from confluent_kafka import Producer

args = json.loads(sys.argv[1])
errors = []


def on_error(err):
    text = str(err)
    if text not in errors:
        errors.append(text)


conf = dict(args["config"])
conf["error_cb"] = on_error
producer = Producer(conf)
result = {"delivered": 0, "failed": 0}


def on_delivery(err, _msg):
    if err is None:
        result["delivered"] += 1
    else:
        result["failed"] += 1
        on_error(err)


deadline = time.time() + args.get("deadline_s", 30)
for i in range(args["count"]):
    producer.produce(args["topic"], value=("m%d" % i).encode(), on_delivery=on_delivery)
    producer.poll(0)
    end = time.time() + args.get("interval_ms", 0) / 1000.0
    while time.time() < end:
        producer.poll(0.05)
while len(producer) > 0 and time.time() < deadline:
    producer.poll(0.1)
result["errors"] = errors
print(json.dumps(result))
