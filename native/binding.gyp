{
  "targets": [
    {
      "target_name": "sipprot_native",
      "sources": ["src/addon.c", "src/capture.c", "src/nft.c", "src/nft-load-addon.c", "src/nft-watch.c", "src/watch-addon.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"],
      "libraries": ["-lpcap", "-lnftnl", "-lmnl", "-lpthread"]
    }
  ]
}
