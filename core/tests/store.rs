//! The state-store link on the virtual clock: two engines ("processes") share breaker opens and
//! rate-limit cooldowns through a store the test plays (a map from scope and piece to time).

mod common;

use resilient_core::breaker::CircuitState;
use resilient_core::json::{json, Value};
use resilient_core::pipeline::Engine;
use resilient_core::sim::{Sim, Step};
use resilient_core::store::{Entry, Piece};
use resilient_core::ErrorType;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

/// The store: the latest time of each (scope, piece), as a Redis store keeps it.
#[derive(Default)]
struct Store(RefCell<BTreeMap<(String, &'static str), f64>>);

impl Store {
    /// One round of the host's work for `e`: perform its writes, then read its scopes back
    /// and apply them (what a host does on a wake-up and at each poll).
    fn sync(&self, e: &Engine) {
        let writes = e.store_take();
        let scopes = e.store_scopes();
        let mut map = self.0.borrow_mut();
        for w in &writes {
            let slot = map
                .entry((w.scope.clone(), w.piece.as_str()))
                .or_insert(0.0);
            *slot = slot.max(w.until);
        }
        let read: Vec<Entry> = map
            .iter()
            .filter(|((scope, _), _)| scopes.contains(scope))
            .map(|((scope, piece), until)| Entry {
                scope: scope.clone(),
                piece: Piece::parse(piece).unwrap(),
                until: *until,
            })
            .collect();
        drop(map);
        e.store_report(read.len() as u64, writes.len() as u64, None);
        e.store_apply(&read);
    }
}

fn engine(sim: &Sim, key: &str, options: Value) -> Engine {
    let mut options = options;
    options["apiKey"] = json!(key);
    common::engine(sim, "openai", options)
}

/// An engine with a store attached; the counter says how often it woke the host.
fn attached(sim: &Sim, key: &str, options: Value) -> (Engine, Rc<Cell<u32>>) {
    let e = engine(sim, key, options);
    let wakes = Rc::new(Cell::new(0));
    let w = wakes.clone();
    e.store_attach(Some(Rc::new(move || w.set(w.get() + 1))));
    (e, wakes)
}

fn run(sim: &Sim, e: &Engine, tag: &str) -> Result<(), ErrorType> {
    let e = e.clone();
    let c = common::echo_call("POST", &format!("http://127.0.0.1/{tag}"));
    sim.block_on(async move { e.execute(c).await })
        .map(|_| ())
        .map_err(|err| err.kind)
}

#[test]
fn a_breaker_opened_in_one_engine_is_open_in_the_other() {
    let sim = Sim::new();
    let store = Store::default();
    let opts = json!({"failureThreshold": 2, "resetTimeout": 10, "maxRetries": 0});
    let (a, wakes) = attached(&sim, "sk-shared", opts.clone());
    let (b, _) = attached(&sim, "sk-shared", opts);
    sim.transport.set_default(Step::status(500, "{}"));
    assert_eq!(run(&sim, &a, "a1"), Err(ErrorType::ServerError));
    assert_eq!(wakes.get(), 0, "no write before the breaker opens");
    assert_eq!(run(&sim, &a, "a2"), Err(ErrorType::ServerError));
    assert_eq!(a.circuit_state(), CircuitState::Open);
    assert_eq!(wakes.get(), 1, "the opening woke the host at once");
    let writes = a.store_take();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].piece, Piece::Breaker);
    assert!(!writes[0].scope.contains("sk-shared"));
    // The 'processes' share it through the store.
    store
        .0
        .borrow_mut()
        .insert((writes[0].scope.clone(), "breaker"), writes[0].until);
    store.sync(&b);
    assert_eq!(b.circuit_state(), CircuitState::Open);
    let sent = sim.transport.count();
    assert_eq!(run(&sim, &b, "b1"), Err(ErrorType::CircuitOpen));
    assert_eq!(sim.transport.count(), sent, "b sent nothing while open");
    // Not a trip of b's own, and the store work is counted.
    let stats = b.stats();
    assert_eq!(stats["circuit_breaker_trips"], 0);
    assert_eq!(stats["state_store"]["reads"], 1);
    assert_eq!(stats["state_store"]["errors"], 0);
    // It half-opens with a's timer: 10 s after a opened it.
    sim.run_until(9.9);
    assert_eq!(b.circuit_state(), CircuitState::Open);
    sim.run_until(10.0);
    sim.transport.set_default(Step::ok("{}"));
    assert_eq!(run(&sim, &b, "b2"), Ok(()));
    assert_eq!(b.circuit_state(), CircuitState::Closed);
    // Reading a's own (now expired) write back changes nothing.
    store.sync(&b);
    assert_eq!(b.circuit_state(), CircuitState::Closed);
}

#[test]
fn other_keys_and_expired_or_unbounded_entries_are_kept_apart() {
    let sim = Sim::new();
    let store = Store::default();
    let opts = json!({"failureThreshold": 1, "resetTimeout": 10, "maxRetries": 0});
    let (a, _) = attached(&sim, "sk-one", opts.clone());
    let (other, _) = attached(&sim, "sk-two", opts.clone());
    let (b, _) = attached(&sim, "sk-one", opts);
    sim.transport.set_default(Step::status(500, "{}"));
    assert_eq!(run(&sim, &a, "a"), Err(ErrorType::ServerError));
    store.sync(&a);
    store.sync(&other);
    assert_eq!(other.circuit_state(), CircuitState::Closed, "another key");
    // A store value far in the future holds b no longer than its own resetTimeout.
    let scope = b.store_scopes()[0].clone();
    b.store_apply(&[Entry {
        scope,
        piece: Piece::Breaker,
        until: 1e15,
    }]);
    assert_eq!(b.circuit_state(), CircuitState::Open);
    sim.run_until(10.0);
    assert_eq!(b.circuit_state(), CircuitState::HalfOpen);
}

#[test]
fn a_rate_limit_hint_holds_the_other_engine_until_it_passes() {
    let sim = Sim::new();
    let store = Store::default();
    let opts = json!({"maxRetries": 2, "jitter": 0});
    let (a, wakes) = attached(&sim, "sk-shared", opts.clone());
    let (b, _) = attached(&sim, "sk-shared", opts);
    sim.transport
        .push(Step::status(429, "{}").header("retry-after", "2"))
        .set_default(Step::ok("{}"));
    let ha = {
        let a = a.clone();
        let c = common::echo_call("POST", "http://127.0.0.1/a");
        sim.spawn(async move { a.execute(c).await.map(|_| ()) })
    };
    sim.run_until(0.5);
    assert_eq!(wakes.get(), 1);
    store.sync(&a);
    store.sync(&b);
    // b's call waits for the cooldown instead of sending into another 429.
    assert_eq!(run(&sim, &b, "b"), Ok(()));
    let sent: Vec<(String, f64)> = sim
        .transport
        .sent()
        .iter()
        .map(|s| (s.request.url.clone(), s.at))
        .collect();
    assert_eq!(sent[0], ("http://127.0.0.1/a".to_string(), 0.0));
    assert!(sent
        .iter()
        .any(|(u, at)| u.ends_with("/b") && (*at - 2.0).abs() < 1e-9));
    assert!(sent.iter().all(|(_, at)| *at == 0.0 || *at >= 2.0));
    sim.run_until(5.0);
    assert_eq!(ha.take(), Some(Ok(())));
}

#[test]
fn a_quota_hint_past_max_retry_after_holds_nothing() {
    let sim = Sim::new();
    let (a, wakes) = attached(
        &sim,
        "sk-shared",
        json!({"maxRetries": 0, "maxRetryAfter": 10}),
    );
    sim.transport
        .push(Step::status(429, "{}").header("retry-after", "3600"))
        .set_default(Step::ok("{}"));
    assert_eq!(run(&sim, &a, "a1"), Err(ErrorType::QuotaExceeded));
    assert_eq!(wakes.get(), 0, "nothing published");
    assert_eq!(run(&sim, &a, "a2"), Ok(()));
    assert_eq!(
        sim.transport.sent()[1].at,
        0.0,
        "the next call was not held"
    );
}

#[test]
fn without_a_store_nothing_is_queued_or_held() {
    let sim = Sim::new();
    let e = engine(&sim, "sk", json!({"maxRetries": 1, "jitter": 0}));
    sim.transport
        .push(Step::status(429, "{}").header("retry-after", "3"))
        .set_default(Step::ok("{}"));
    let h = {
        let e = e.clone();
        let c = common::echo_call("POST", "http://127.0.0.1/first");
        sim.spawn(async move { e.execute(c).await.map(|_| ()) })
    };
    sim.run_until(0.1);
    assert_eq!(run(&sim, &e, "second"), Ok(()));
    // The second call went at once, as before stores existed.
    assert!(sim
        .transport
        .sent()
        .iter()
        .any(|s| s.request.url.ends_with("/second") && s.at < 1.0));
    sim.run_until(5.0);
    assert_eq!(h.take(), Some(Ok(())));
    assert!(e.store_take().is_empty());
    assert!(e.stats().get("state_store").is_none());
}

#[test]
fn store_errors_are_counted() {
    let sim = Sim::new();
    let (e, _) = attached(&sim, "sk", json!({}));
    e.store_report(0, 0, Some("timeout".into()));
    e.store_report(0, 2, None);
    e.store_report(0, 0, Some("connection_error".into()));
    assert_eq!(
        e.stats()["state_store"],
        json!({"reads": 0, "writes": 2, "errors": 2, "last_error_type": "connection_error"})
    );
    e.reset_stats();
    assert_eq!(
        e.stats()["state_store"],
        json!({"reads": 0, "writes": 0, "errors": 0, "last_error_type": null})
    );
}

// ---- pacing budgets shared among peers ----

/// A server enforcing `LIMIT` requests per fixed `WINDOW` s on one key, saying what is left
/// in OpenAI's headers; it counts the starts of each window and its 429s.
const LIMIT: u64 = 20;
const WINDOW: f64 = 10.0;

#[derive(Default)]
struct Server {
    per_window: RefCell<BTreeMap<u64, u64>>,
    limited: Cell<u64>,
}

fn serve(sim: &Sim) -> Rc<Server> {
    let server = Rc::new(Server::default());
    let s = server.clone();
    sim.transport.respond_with(Rc::new(move |now| {
        let k = (now / WINDOW).floor() as u64;
        let n = {
            let mut map = s.per_window.borrow_mut();
            let n = map.entry(k).or_insert(0);
            *n += 1;
            *n
        };
        let reset = format!("{:.3}s", (k + 1) as f64 * WINDOW - now);
        let step = if n <= LIMIT {
            Step::ok("{}").header("x-ratelimit-remaining-requests", &(LIMIT - n).to_string())
        } else {
            s.limited.set(s.limited.get() + 1);
            Step::status(
                429,
                r#"{"error":{"message":"slow down","type":"requests"}}"#,
            )
            .header(
                "retry-after",
                &((k + 1) as f64 * WINDOW - now).ceil().to_string(),
            )
            .header("x-ratelimit-remaining-requests", "0")
        };
        step.header("x-ratelimit-limit-requests", &LIMIT.to_string())
            .header("x-ratelimit-reset-requests", &reset)
            .after(0.05)
    }));
    server
}

impl Store {
    /// A heartbeat of engine `id` for each of its scopes (lasting 3 polls), then the live
    /// peers of each scope as `Peers` entries, applied: what a host's read does.
    fn beat(
        &self,
        peers: &RefCell<BTreeMap<(String, usize), f64>>,
        e: &Engine,
        id: usize,
        now: f64,
    ) {
        let mut map = peers.borrow_mut();
        map.retain(|_, until| *until > now);
        let counts: Vec<Entry> = e
            .store_scopes()
            .into_iter()
            .map(|scope| {
                map.insert((scope.clone(), id), now + 0.6);
                let n = map.keys().filter(|(s, _)| *s == scope).count();
                Entry {
                    scope,
                    piece: Piece::Peers,
                    until: n as f64,
                }
            })
            .collect();
        drop(map);
        e.store_apply(&counts);
        self.sync(e);
    }
}

/// `engines` engines x `calls` calls on one key against the server; with `shared`, they
/// share a store that counts them (polled every 0.2 s). The server's figures and when the
/// last call settled.
fn quota_run(engines: usize, calls: usize, shared: bool, concurrency: u32) -> (Rc<Server>, f64) {
    use resilient_core::host::Clock;
    let sim = Sim::new();
    let server = serve(&sim);
    let store = Rc::new(Store::default());
    let peers = Rc::new(RefCell::new(BTreeMap::new()));
    let opts = json!({"maxConcurrentRequests": concurrency, "maxRetries": 20, "queueSize": 1000, "maxRetryAfter": 60});
    let list: Vec<Engine> = (0..engines)
        .map(|_| {
            if shared {
                attached(&sim, "sk-quota", opts.clone()).0
            } else {
                engine(&sim, "sk-quota", opts.clone())
            }
        })
        .collect();
    if shared {
        // Each has read the store once the others are there (as processes started together).
        for _ in 0..2 {
            for (id, e) in list.iter().enumerate() {
                store.beat(&peers, e, id, 0.0);
            }
        }
    }
    let done = Rc::new(Cell::new(0));
    let mut handles = Vec::new();
    for (i, e) in list.iter().enumerate() {
        for j in 0..calls {
            let (e, done) = (e.clone(), done.clone());
            let c = common::echo_call("POST", &format!("http://127.0.0.1/{i}/{j}"));
            handles.push(sim.spawn(async move {
                let r = e.execute(c).await.map(|_| ()).map_err(|err| err.kind);
                done.set(done.get() + 1);
                r
            }));
        }
    }
    if shared {
        let (clock, done, total) = (sim.clock.clone(), done.clone(), engines * calls);
        sim.spawn(async move {
            while done.get() < total {
                for (id, e) in list.iter().enumerate() {
                    store.beat(&peers, e, id, clock.now().as_secs());
                }
                clock.sleep(resilient_core::time::Secs::new(0.2)).await;
            }
        });
    }
    let mut t = 0.0;
    while t < 200.0 && done.get() < engines * calls {
        t += 1.0;
        sim.run_until(t);
    }
    let mut last = 0.0;
    for h in &handles {
        assert_eq!(h.take(), Some(Ok(())), "every call succeeds");
    }
    for s in sim.transport.sent() {
        last = s.at.max(last);
    }
    (server, last)
}

#[test]
fn peers_split_the_servers_budget_so_the_key_is_not_overrun() {
    // 3 engines x 30 calls, 20 a window: the work needs 5 windows (the last starts at 40 s).
    let (server, last) = quota_run(3, 30, true, 2);
    let (alone, alone_last) = quota_run(3, 30, false, 2);
    let windows = server.per_window.borrow();
    let without = alone.per_window.borrow();
    eprintln!(
        "shared: {windows:?} 429s {} last {last}; alone: {without:?} 429s {} last {alone_last}",
        server.limited.get(),
        alone.limited.get()
    );
    // Each engine keeps to its share of every window (20 / 3 = 6): no window is overrun and
    // no 429 is sent.
    for (k, n) in windows.iter() {
        assert!(*n <= LIMIT, "window {k} saw {n} starts: {windows:?}");
    }
    assert_eq!(server.limited.get(), 0, "429s: {windows:?}");
    assert!(
        last < 50.0,
        "the last call started at {last} s: {windows:?}"
    );
    // Without the store, each engine spends the whole budget it is told of: many 429s.
    assert!(
        alone.limited.get() > 3 * server.limited.get().max(1),
        "{without:?}"
    );
}

/// What this engine may still start, as `getStats()` shows it.
fn left(e: &Engine) -> Value {
    e.stats()["rate_limit"]["remaining_requests"].clone()
}

fn peers(e: &Engine, n: f64) {
    let scope = e.store_scopes().remove(0);
    e.store_apply(&[Entry {
        scope,
        piece: Piece::Peers,
        until: n,
    }]);
}

#[test]
fn a_peer_count_rises_at_once_and_falls_only_when_it_has_held_a_while() {
    use resilient_core::host::Clock;
    let sim = Sim::new();
    let (e, _) = attached(&sim, "sk-peers", json!({}));
    // 60 a window, 59 left after each call's own start: the share is 60 / N less the starts.
    sim.transport.set_default(
        Step::ok("{}")
            .header("x-ratelimit-limit-requests", "60")
            .header("x-ratelimit-remaining-requests", "59")
            .header("x-ratelimit-reset-requests", "100s"),
    );
    peers(&e, 4.0);
    assert_eq!(run(&sim, &e, "1"), Ok(()));
    assert_eq!(left(&e), json!(14)); // 60 / 4 - 1
                                     // A lower count (a late heartbeat) and store errors within 5 s keep 4 ...
    sim.run_until(sim.clock.now().as_secs() + 2.0);
    peers(&e, 2.0);
    e.store_report(0, 0, Some("timeout".into()));
    assert_eq!(run(&sim, &e, "2"), Ok(()));
    assert_eq!(left(&e), json!(13));
    // ... a higher one counts at once ...
    peers(&e, 6.0);
    assert_eq!(run(&sim, &e, "3"), Ok(()));
    assert_eq!(left(&e), json!(7)); // 60 / 6 - 3
                                    // ... and a lower one 5 s after the last confirmed count.
    sim.run_until(sim.clock.now().as_secs() + 4.0);
    peers(&e, 3.0);
    assert_eq!(run(&sim, &e, "4"), Ok(()));
    assert_eq!(left(&e), json!(6));
    sim.run_until(sim.clock.now().as_secs() + 1.5);
    peers(&e, 3.0);
    assert_eq!(run(&sim, &e, "5"), Ok(()));
    assert_eq!(left(&e), json!(15)); // 60 / 3 - 5
                                     // Store errors for 5 s after the last read: this engine paces alone (what the server
                                     // says is left, less what it started since).
    sim.run_until(sim.clock.now().as_secs() + 5.5);
    e.store_report(0, 0, Some("connection_error".into()));
    assert_eq!(run(&sim, &e, "6"), Ok(()));
    assert_eq!(left(&e), json!(59));
}

#[test]
fn a_share_smaller_than_the_concurrency_is_kept_in_every_window() {
    // 3 engines of 10 in flight each, 20 a window: a share (6) is less than one engine's
    // concurrency. Each sends one attempt and waits for its reply before it knows the window;
    // from then on each window gets its share from each.
    let (server, last) = quota_run(3, 30, true, 10);
    let windows = server.per_window.borrow();
    eprintln!("{windows:?} 429s {} last {last}", server.limited.get());
    for (k, n) in windows.iter() {
        assert!(*n <= LIMIT, "window {k} saw {n} starts: {windows:?}");
    }
    assert_eq!(server.limited.get(), 0, "{windows:?}");
    assert!(
        last < 50.0,
        "the last call started at {last} s: {windows:?}"
    );
}
