{
  "targets": [
    {
      "target_name": "samsa_crc32c",
      "sources": ["crc32c.c"],
      "cflags": ["-O3", "-std=c11"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3"] }
    }
  ]
}
