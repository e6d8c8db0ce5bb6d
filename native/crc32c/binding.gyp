{
  "targets": [
    {
      "target_name": "samsa_crc32c",
      "sources": ["crc32c.c"],
      "cflags": ["-O3", "-std=c11"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3"] }
    },
    {
      "target_name": "samsa_record_scan",
      "sources": ["record-scan.c"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3"] },
      "conditions": [["OS=='linux'", { "libraries": ["-lm"] }]]
    },
    {
      "target_name": "samsa_zero_copy",
      "sources": ["zero-copy.c"],
      "cflags": ["-O2", "-std=c11", "-Wall", "-Wextra"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O2"] }
    }
  ]
}
