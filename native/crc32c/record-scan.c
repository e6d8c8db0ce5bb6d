/*
 * Structural scan of a v2 record batch's records section (uncompressed), as a Node-API addon: the
 * fast path of src/protocol/records/record-scan.ts's scanRecords. It answers one question, "does
 * the JavaScript scanner accept this section?", and the statistics the produce policy needs (null
 * keys, smallest and largest timestampDelta). It never builds an error: on any fault it returns
 * SCAN_FAULT and the caller re-runs the JavaScript scanner, which throws the exact KafkaError. The
 * rules are those of record-scan.ts (its module comment has the table); in short, per record:
 * length varint (>= 0, within the section), attributes byte, timestampDelta varlong (at most 10
 * bytes), offsetDelta varint == the record's index, key and value lengths (-1 or within the
 * record), header count (>= 0, at most the bytes left), header key lengths (>= 0) and value lengths
 * (-1 or within the record), and the fields must end exactly at the record's declared end; then
 * exactly `count` records and no trailing bytes. Varints are at most 5 bytes and 32 bits.
 *
 * Hostile input: every byte read is checked against the end of the record (or of the section for
 * the length varint) first; positions and lengths are size_t / int64 so no sum overflows.
 *
 * The timestampDelta is returned as a double computed the way the JavaScript scanner computes it
 * (exact up to 2^53; above that, the same roundings in the same order), so both report identical
 * minima and maxima.
 */
#include <math.h>
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

#define SCAN_OK 0
#define SCAN_FAULT 1
#define SCAN_BAD_ARGS 2

/* 128^i, exact in a double for i <= 9. */
static const double POW7[10] = {1.0, 128.0, 16384.0, 2097152.0, 268435456.0, 34359738368.0, 4398046511104.0, 562949953421312.0, 72057594037927936.0, 9223372036854775808.0};

/*
 * Zig-zag varint of at most 5 bytes and 32 bits in buf[*q, lim). Returns 0 on a fault (runs past
 * lim, longer than 5 bytes, or over 32 bits); else stores the value and the position after it.
 */
static inline int read_varint(const uint8_t* buf, size_t* q, size_t lim, int32_t* out) {
  size_t p = *q;
  if (p >= lim) return 0;
  uint32_t b = buf[p];
  if (b < 0x80) {
    *out = (int32_t)((b >> 1) ^ (0u - (b & 1)));
    *q = p + 1;
    return 1;
  }
  if (p + 1 < lim && buf[p + 1] < 0x80) {
    uint32_t r = (b & 0x7f) | ((uint32_t)buf[p + 1] << 7);
    *out = (int32_t)((r >> 1) ^ (0u - (r & 1)));
    *q = p + 2;
    return 1;
  }
  uint64_t raw = b & 0x7f;
  for (int i = 1; i < 5; i++) {
    if (++p >= lim) return 0;
    b = buf[p];
    raw |= (uint64_t)(b & 0x7f) << (7 * i);
    if (b < 0x80) {
      if (raw > 0xffffffffu) return 0;
      uint32_t r = (uint32_t)raw;
      *out = (int32_t)((r >> 1) ^ (0u - (r & 1)));
      *q = p + 1;
      return 1;
    }
  }
  return 0;
}

/*
 * Zig-zag varlong of at most 10 bytes in buf[*q, lim), as the double the JavaScript scanner gets:
 * raw = sum of (byte & 0x7f) * 128^i in doubles (exact for the first 7 bytes), then
 * floor(raw / 2) or -floor(raw / 2) - 1.
 */
static inline int read_varlong(const uint8_t* buf, size_t* q, size_t lim, double* out) {
  size_t p = *q;
  if (p >= lim) return 0;
  uint32_t b = buf[p];
  if (b < 0x80) {
    *out = (double)(int32_t)((b >> 1) ^ (0u - (b & 1)));
    *q = p + 1;
    return 1;
  }
  uint64_t raw = b & 0x7f;
  int i = 1;
  for (; i < 7; i++) {
    if (++p >= lim) return 0;
    b = buf[p];
    raw |= (uint64_t)(b & 0x7f) << (7 * i);
    if (b < 0x80) {
      /* raw < 2^49: both halves are exact. */
      *out = (raw & 1) ? -(double)(raw >> 1) - 1.0 : (double)(raw >> 1);
      *q = p + 1;
      return 1;
    }
  }
  double draw = (double)raw;
  for (; i < 10; i++) {
    if (++p >= lim) return 0;
    b = buf[p];
    draw += (double)(b & 0x7f) * POW7[i];
    if (b < 0x80) {
      double half = floor(draw / 2.0);
      *out = fmod(draw, 2.0) == 0.0 ? half : -half - 1.0;
      *q = p + 1;
      return 1;
    }
  }
  return 0;
}


/*
 * Bytes after a record's declared end that the fast path may read: it reads at most 2 bytes per
 * field and checks every skip against the record's end, so it never gets further than this past it.
 */
#define FAST_SLACK 16

/* Unchecked 1- or 2-byte zig-zag varint at q into dst; leaves the fast path on anything longer. */
#define FAST_VARINT(dst)                                 \
  do {                                                   \
    uint32_t b0_ = buf[q];                               \
    if (b0_ < 0x80) {                                    \
      q += 1;                                            \
    } else {                                             \
      uint32_t b1_ = buf[q + 1];                         \
      if (b1_ >= 0x80) return 0;                         \
      b0_ = (b0_ & 0x7f) | (b1_ << 7);                   \
      q += 2;                                            \
    }                                                    \
    dst = (int32_t)((b0_ >> 1) ^ (0u - (b0_ & 1)));      \
  } while (0)

/*
 * The common record (1- or 2-byte varints, no headers) whose body is buf[q, rec_end), with at
 * least FAST_SLACK readable bytes after rec_end. Returns 1 when the record is valid (null key
 * counted in *null_key, timestampDelta in *ts), else 0: the checked path then reads it again and
 * decides. Positions only grow and every skip is checked against what is left of the record, as in
 * the JavaScript scanner, so a field running past the record is caught by the final check.
 */
static inline int fast_record(const uint8_t* buf, size_t q, size_t rec_end, int64_t index, int* null_key, double* ts_out) {
  int32_t ts, v;
  q++; /* attributes */
  FAST_VARINT(ts);
  FAST_VARINT(v);
  if ((int64_t)v != index) return 0;
  FAST_VARINT(v);
  if (v < 0) {
    if (v != -1) return 0;
    *null_key = 1;
  } else {
    if ((ptrdiff_t)v > (ptrdiff_t)(rec_end - q)) return 0;
    q += (size_t)v;
  }
  FAST_VARINT(v);
  if (v < 0) {
    if (v != -1) return 0;
  } else {
    if ((ptrdiff_t)v > (ptrdiff_t)(rec_end - q)) return 0;
    q += (size_t)v;
  }
  if (buf[q] != 0 || q + 1 != rec_end) return 0; /* no headers, and the end of the record */
  *ts_out = (double)ts;
  return 1;
}

typedef struct {
  int64_t index;
  int64_t null_keys;
  double min_ts;
  double max_ts;
} scan_stats;

/* Scans buf[start, end) holding `count` records. SCAN_OK with the stats filled in, or SCAN_FAULT. */
static int scan(const uint8_t* buf, size_t start, size_t end, int64_t count, scan_stats* st) {
  size_t p = start;
  int64_t index = 0, null_keys = 0;
  double min_ts = INFINITY, max_ts = -INFINITY;
  int status = SCAN_OK;
  while (p < end) {
    if (index >= count) {
      status = SCAN_FAULT; /* records still remaining */
      break;
    }
    int32_t len, v;
    size_t q = p;
    if (!read_varint(buf, &q, end, &len) || len < 0 || (size_t)len > end - q) {
      status = SCAN_FAULT;
      break;
    }
    const size_t rec_end = q + (size_t)len;
    if (end - rec_end >= FAST_SLACK) {
      int null_key = 0;
      double ts;
      if (fast_record(buf, q, rec_end, index, &null_key, &ts)) {
        if (ts < min_ts) min_ts = ts;
        if (ts > max_ts) max_ts = ts;
        null_keys += null_key;
        index++;
        p = rec_end;
        continue;
      }
    }
    if (q >= rec_end) { /* no room for the attributes byte */
      status = SCAN_FAULT;
      break;
    }
    q++; /* attributes (unused in v2) */
    double ts;
    if (!read_varlong(buf, &q, rec_end, &ts)) {
      status = SCAN_FAULT;
      break;
    }
    if (ts < min_ts) min_ts = ts;
    if (ts > max_ts) max_ts = ts;
    if (!read_varint(buf, &q, rec_end, &v) || (int64_t)v != index) {
      status = SCAN_FAULT;
      break;
    }
    /* key */
    if (!read_varint(buf, &q, rec_end, &v)) {
      status = SCAN_FAULT;
      break;
    }
    if (v < 0) {
      if (v != -1) {
        status = SCAN_FAULT;
        break;
      }
      null_keys++;
    } else {
      if ((size_t)v > rec_end - q) {
        status = SCAN_FAULT;
        break;
      }
      q += (size_t)v;
    }
    /* value */
    if (!read_varint(buf, &q, rec_end, &v)) {
      status = SCAN_FAULT;
      break;
    }
    if (v < 0) {
      if (v != -1) {
        status = SCAN_FAULT;
        break;
      }
    } else {
      if ((size_t)v > rec_end - q) {
        status = SCAN_FAULT;
        break;
      }
      q += (size_t)v;
    }
    /* headers */
    int32_t headers;
    if (!read_varint(buf, &q, rec_end, &headers) || headers < 0 || (size_t)headers > rec_end - q) {
      status = SCAN_FAULT;
      break;
    }
    for (int32_t h = 0; h < headers; h++) {
      if (!read_varint(buf, &q, rec_end, &v) || v < 0 || (size_t)v > rec_end - q) {
        status = SCAN_FAULT;
        goto done;
      }
      q += (size_t)v;
      if (!read_varint(buf, &q, rec_end, &v)) {
        status = SCAN_FAULT;
        goto done;
      }
      if (v < 0) {
        if (v != -1) {
          status = SCAN_FAULT;
          goto done;
        }
      } else {
        if ((size_t)v > rec_end - q) {
          status = SCAN_FAULT;
          goto done;
        }
        q += (size_t)v;
      }
    }
    if (q != rec_end) {
      status = SCAN_FAULT;
      break;
    }
    index++;
    p = rec_end;
  }
done:
  if (status == SCAN_OK && index != count) status = SCAN_FAULT; /* premature end */
  st->index = index;
  st->null_keys = null_keys;
  st->min_ts = min_ts;
  st->max_ts = max_ts;
  return status;
}

/* A non-negative integer number argument no larger than `max`, or -1. */
static int64_t int_arg(napi_env env, napi_value v, double max) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return -1;
  if (!(d >= 0 && d <= max) || d != floor(d)) return -1;
  return (int64_t)d;
}

/*
 * scanRecords(buf: Uint8Array, start: number, end: number, count: number, out: Float64Array): number
 * Returns SCAN_OK (out = [index, nullKeys, minTimestampDelta, maxTimestampDelta]), SCAN_FAULT, or
 * SCAN_BAD_ARGS (arguments out of range; out untouched).
 */
static napi_value js_scan_records(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_value result;
  int status = SCAN_BAD_ARGS;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc == 5) {
    napi_typedarray_type type, out_type;
    size_t length = 0, out_length = 0, offset;
    void *data = NULL, *out_data = NULL;
    napi_value ab;
    bool is_typed = false, out_typed = false;
    napi_is_typedarray(env, argv[0], &is_typed);
    napi_is_typedarray(env, argv[4], &out_typed);
    if (is_typed && out_typed && napi_get_typedarray_info(env, argv[0], &type, &length, &data, &ab, &offset) == napi_ok &&
        napi_get_typedarray_info(env, argv[4], &out_type, &out_length, &out_data, &ab, &offset) == napi_ok && type == napi_uint8_array &&
        out_type == napi_float64_array && out_length >= 4) {
      int64_t start = int_arg(env, argv[1], (double)length);
      int64_t end = int_arg(env, argv[2], (double)length);
      int64_t count = int_arg(env, argv[3], 2147483647.0);
      if (start >= 0 && end >= start && count >= 0) {
        scan_stats st;
        status = scan((const uint8_t*)data, (size_t)start, (size_t)end, count, &st);
        double* out = (double*)out_data;
        out[0] = (double)st.index;
        out[1] = (double)st.null_keys;
        out[2] = st.min_ts;
        out[3] = st.max_ts;
      }
    }
  }
  napi_create_int32(env, status, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "scanRecords", NAPI_AUTO_LENGTH, js_scan_records, NULL, &fn);
  napi_set_named_property(env, exports, "scanRecords", fn);
  return exports;
}
