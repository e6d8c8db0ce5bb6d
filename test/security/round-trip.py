"""Produce then consume through a consumer group with one Python client over a secured listener.

argv[1]: JSON {client: "confluent"|"kafka-python", bootstrap, topic, group, count, security: {...}}
where security holds librdkafka-style keys (security.protocol, sasl.mechanism, sasl.username,
sasl.password, ssl.ca.location, ssl.certificate.location, ssl.key.location).
Prints one JSON line: {"produced": n, "consumed": [values...]} or {"error": "..."}.
"""
import json
import sys
import time

cfg = json.loads(sys.argv[1])
sec = cfg["security"]
n = cfg["count"]
deadline = time.time() + 40


def confluent():
    from confluent_kafka import Consumer, Producer
    base = {"bootstrap.servers": cfg["bootstrap"], **sec}
    errors = []
    p = Producer({**base, "error_cb": lambda e: errors.append(str(e)), "message.timeout.ms": 15000})
    delivered = []
    for i in range(n):
        p.produce(cfg["topic"], value=("v%d" % i).encode(), on_delivery=lambda e, m: delivered.append(e))
    p.flush(20)
    if len(delivered) != n or any(e is not None for e in delivered):
        return {"error": "produce failed: %s %s" % ([str(e) for e in delivered if e is not None][:1], errors[:2])}
    c = Consumer({**base, "group.id": cfg["group"], "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([cfg["topic"]])
    got = []
    while len(got) < n and time.time() < deadline:
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        got.append(m.value().decode())
    c.commit(asynchronous=False)
    c.close()
    return {"produced": n, "consumed": got}


def kafka_python():
    from kafka import KafkaConsumer, KafkaProducer
    kw = {"bootstrap_servers": cfg["bootstrap"], "security_protocol": sec["security.protocol"]}
    if "sasl.mechanism" in sec:
        kw.update(sasl_mechanism=sec["sasl.mechanism"], sasl_plain_username=sec["sasl.username"], sasl_plain_password=sec["sasl.password"])
    if "ssl.ca.location" in sec:
        kw.update(ssl_cafile=sec["ssl.ca.location"], ssl_check_hostname=True)
    if "ssl.certificate.location" in sec:
        kw.update(ssl_certfile=sec["ssl.certificate.location"], ssl_keyfile=sec["ssl.key.location"])
    p = KafkaProducer(**kw)
    for i in range(n):
        p.send(cfg["topic"], value=("v%d" % i).encode()).get(timeout=20)
    p.close()
    c = KafkaConsumer(cfg["topic"], group_id=cfg["group"], auto_offset_reset="earliest", enable_auto_commit=False, **kw)
    got = []
    while len(got) < n and time.time() < deadline:
        for recs in c.poll(timeout_ms=500).values():
            got.extend(r.value.decode() for r in recs)
    c.commit()
    c.close()
    return {"produced": n, "consumed": got}


try:
    out = confluent() if cfg["client"] == "confluent" else kafka_python()
except Exception as e:  # noqa: BLE001 - the test reads the error text
    out = {"error": "%s: %s" % (type(e).__name__, e)}
print(json.dumps(out))
