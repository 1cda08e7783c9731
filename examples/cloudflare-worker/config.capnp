# workerd configuration: the bundled Worker and its wasm module, one HTTP socket on loopback
# (run.mjs passes the port), and outbound fetches allowed to loopback only (the emulator).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "internet", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "dist/worker.js"),
    (name = "resilient_wasm_bg.wasm", wasm = embed "dist/resilient_wasm_bg.wasm"),
  ],
  compatibilityDate = "2025-09-01",
  globalOutbound = "internet",
);
