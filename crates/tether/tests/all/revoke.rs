//! Revocation: the host takes back host objects a guest holds.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tether::{Borrow, Component, Engine, Instance, Linker, Own, Store, Trap};

/// What the test sees of the objects' lives: the order in which they were dropped.
type Drops = Arc<Mutex<Vec<String>>>;

/// A socket, with a name for the drop log.
#[derive(Debug)]
struct Socket {
    id: u32,
    drops: Drops,
}

/// A stream, the child of the socket it was opened on.
struct Stream {
    len: u32,
    drops: Drops,
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.drops
            .lock()
            .unwrap()
            .push(format!("socket {}", self.id));
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.drops
            .lock()
            .unwrap()
            .push(format!("stream {}", self.len));
    }
}

/// The store's data: the drop log and a borrow of every socket made, by id, which is how
/// the host names the objects it revokes.
#[derive(Default)]
struct Host {
    drops: Drops,
    sockets: Vec<(u32, Borrow<Socket>)>,
}

impl Host {
    fn socket(&self, id: u32) -> Borrow<Socket> {
        self.sockets.iter().find(|s| s.0 == id).unwrap().1
    }
}

/// A guest that opens sockets (keeping them in its table and returning their handle
/// indices), calls methods on them, opens streams on them, and drops handles. `send`
/// returns the method's `ok` payload, or 1000 plus the error's discriminant.
const GUEST: &str = r#"(component
  (import "socket" (type $s (sub resource)))
  (import "stream" (type $t (sub resource)))
  (type $err (enum "closed" "reset"))
  (import "error-code" (type $e (eq $err)))
  (import "[constructor]socket" (func $new (param "id" u32) (result (own $s))))
  (import "[method]socket.id" (func $id (param "self" (borrow $s)) (result u32)))
  (import "[method]socket.send" (func $send (param "self" (borrow $s)) (param "len" u32) (result (result u32 (error $e)))))
  (import "[method]socket.revoke-self" (func $revoke-self (param "self" (borrow $s)) (result u32)))
  (import "[method]socket.expire-now" (func $expire (param "self" (borrow $s))))
  (import "[method]socket.pair" (func $pair (param "self" (borrow $s)) (param "other" (borrow $s)) (result (result u32 (error $e)))))
  (import "[method]socket.open-stream" (func $open (param "self" (borrow $s)) (param "len" u32) (result (own $t))))
  (import "[static]socket.close" (func $close (param "this" (own $s)) (result u32)))
  (import "[method]stream.len" (func $len (param "self" (borrow $t)) (result u32)))
  (core module $mem (memory (export "memory") 1))
  (core instance $mem (instantiate $mem))
  (alias core export $mem "memory" (core memory $memory))
  (core func $new (canon lower (func $new)))
  (core func $id (canon lower (func $id)))
  (core func $send (canon lower (func $send) (memory $memory)))
  (core func $revoke-self (canon lower (func $revoke-self)))
  (core func $open (canon lower (func $open)))
  (core func $expire (canon lower (func $expire)))
  (core func $pair (canon lower (func $pair) (memory $memory)))
  (core func $close (canon lower (func $close)))
  (core func $len (canon lower (func $len)))
  (core func $drop-s (canon resource.drop $s))
  (core func $drop-t (canon resource.drop $t))
  (core module $m
    (import "" "memory" (memory 1))
    (import "" "new" (func $new (param i32) (result i32)))
    (import "" "id" (func $id (param i32) (result i32)))
    (import "" "send" (func $send (param i32 i32 i32)))
    (import "" "revoke-self" (func $revoke-self (param i32) (result i32)))
    (import "" "open" (func $open (param i32 i32) (result i32)))
    (import "" "expire" (func $expire (param i32)))
    (import "" "pair" (func $pair (param i32 i32 i32)))
    (import "" "close" (func $close (param i32) (result i32)))
    (import "" "len" (func $len (param i32) (result i32)))
    (import "" "drop-s" (func $drop-s (param i32)))
    (import "" "drop-t" (func $drop-t (param i32)))
    (func (export "new") (param i32) (result i32) (call $new (local.get 0)))
    (func (export "id") (param i32) (result i32) (call $id (local.get 0)))
    (func (export "send") (param i32 i32) (result i32)
      (call $send (local.get 0) (local.get 1) (i32.const 16))
      (if (result i32) (i32.load8_u (i32.const 16))
        (then (i32.add (i32.const 1000) (i32.load8_u (i32.const 20))))
        (else (i32.load (i32.const 20)))))
    (func (export "revoke-self") (param i32) (result i32) (call $revoke-self (local.get 0)))
    (func (export "open") (param i32 i32) (result i32) (call $open (local.get 0) (local.get 1)))
    (func (export "close") (param i32) (result i32) (call $close (local.get 0)))
    (func (export "len") (param i32) (result i32) (call $len (local.get 0)))
    (func (export "drop-s") (param i32) (call $drop-s (local.get 0)))
    (func (export "drop-t") (param i32) (call $drop-t (local.get 0)))
    (func (export "nothing"))
    (func (export "pair") (param i32 i32) (result i32)
      (call $pair (local.get 0) (local.get 1) (i32.const 16))
      (if (result i32) (i32.load8_u (i32.const 16))
        (then (i32.add (i32.const 1000) (i32.load8_u (i32.const 20))))
        (else (i32.load (i32.const 20)))))
    (func (export "expire-then-id") (param i32) (result i32)
      (call $expire (local.get 0))
      (call $id (local.get 0)))
    (func (export "expire-then-send") (param i32) (result i32)
      (call $expire (local.get 0))
      (call $send (local.get 0) (i32.const 5) (i32.const 16))
      (i32.add (i32.const 1000) (i32.load8_u (i32.const 20)))))
  (core instance $i (instantiate $m (with "" (instance
    (export "memory" (memory $memory))
    (export "new" (func $new)) (export "id" (func $id)) (export "send" (func $send))
    (export "revoke-self" (func $revoke-self)) (export "open" (func $open)) (export "expire" (func $expire)) (export "pair" (func $pair))
    (export "close" (func $close)) (export "len" (func $len))
    (export "drop-s" (func $drop-s)) (export "drop-t" (func $drop-t))))))
  (func (export "new") (param "id" u32) (result u32) (canon lift (core func $i "new")))
  (func (export "id") (param "h" u32) (result u32) (canon lift (core func $i "id")))
  (func (export "send") (param "h" u32) (param "len" u32) (result u32) (canon lift (core func $i "send")))
  (func (export "revoke-self") (param "h" u32) (result u32) (canon lift (core func $i "revoke-self")))
  (func (export "open") (param "h" u32) (param "len" u32) (result u32) (canon lift (core func $i "open")))
  (func (export "close") (param "h" u32) (result u32) (canon lift (core func $i "close")))
  (func (export "len") (param "h" u32) (result u32) (canon lift (core func $i "len")))
  (func (export "drop-s") (param "h" u32) (canon lift (core func $i "drop-s")))
  (func (export "drop-t") (param "h" u32) (canon lift (core func $i "drop-t")))
  (func (export "nothing") (canon lift (core func $i "nothing")))
  (func (export "pair") (param "h" u32) (param "o" u32) (result u32) (canon lift (core func $i "pair")))
  (func (export "expire-then-id") (param "h" u32) (result u32) (canon lift (core func $i "expire-then-id")))
  (func (export "expire-then-send") (param "h" u32) (result u32) (canon lift (core func $i "expire-then-send"))))"#;

#[derive(Clone, Copy, Debug, PartialEq, Eq, tether::ComponentType)]
enum ErrorCode {
    #[allow(dead_code)]
    Closed,
    Reset,
}

fn linker(engine: &Engine) -> Linker<Host> {
    let mut linker = Linker::<Host>::new(engine);
    let mut root = linker.root();
    root.resource_host::<Socket>("socket").unwrap();
    root.resource_host::<Stream>("stream").unwrap();
    root.func_wrap("[constructor]socket", |mut store, (id,): (u32,)| {
        let drops = store.data().drops.clone();
        let own = store.push(Socket { id, drops })?;
        let b = own.borrow();
        store.data_mut().sockets.push((id, b));
        Ok((own,))
    })
    .unwrap();
    root.method("[method]socket.id", |s: &mut Socket, _store, (): ()| {
        Ok((s.id,))
    })
    .unwrap();
    root.method_or_revoked(
        "[method]socket.send",
        |_s: &mut Socket, _store, (len,): (u32,)| Ok((Ok::<u32, ErrorCode>(len),)),
        |_store, (_len,): (u32,)| Ok((Err(ErrorCode::Reset),)),
    )
    .unwrap();
    root.method(
        "[method]socket.revoke-self",
        |s: &mut Socket, mut store, (): ()| {
            // The object is lent to this method: revoking it leaves it here until the
            // method returns.
            let me = store.data().socket(s.id);
            store.revoke(&me)?;
            assert!(store.data().drops.lock().unwrap().is_empty());
            assert!(matches!(
                store.get(&me).unwrap_err().downcast_ref(),
                Some(tether::HandleError::Revoked { .. })
            ));
            Ok((s.id + 1,))
        },
    )
    .unwrap();
    // `ResourceAny` moves only as a `Val`: this method takes the `Val` path.
    root.method_or_revoked(
        "[method]socket.pair",
        |s: &mut Socket, _store, (other,): (tether::ResourceAny,)| {
            assert!(!other.owned());
            Ok((Ok::<u32, ErrorCode>(s.id * 100),))
        },
        |_store, (_other,): (tether::ResourceAny,)| Ok((Err(ErrorCode::Reset),)),
    )
    .unwrap();
    root.method(
        "[method]socket.expire-now",
        |s: &mut Socket, mut store, (): ()| {
            let me = store.data().socket(s.id);
            store.revoke_after(&me, Duration::ZERO)
        },
    )
    .unwrap();
    root.func_wrap(
        "[method]socket.open-stream",
        |mut store, (this, len): (Borrow<Socket>, u32)| {
            let drops = store.data().drops.clone();
            Ok((store.push_child(&this, Stream { len, drops })?,))
        },
    )
    .unwrap();
    root.func_wrap(
        "[static]socket.close",
        |mut store, (this,): (Own<Socket>,)| Ok((store.take(this)?.id,)),
    )
    .unwrap();
    root.method("[method]stream.len", |t: &mut Stream, _store, (): ()| {
        Ok((t.len,))
    })
    .unwrap();
    linker
}

struct Guest {
    store: Store<Host>,
    instance: Instance,
}

impl Guest {
    fn new() -> Guest {
        let engine = Engine::default();
        let component = Component::new(&engine, GUEST).unwrap();
        let mut store = Store::new(&engine, Host::default());
        let instance = linker(&engine).instantiate(&mut store, &component).unwrap();
        Guest { store, instance }
    }

    fn call(&mut self, name: &str, args: &[u32]) -> anyhow::Result<u32> {
        let params: Vec<tether::Val> = args.iter().map(|a| tether::Val::U32(*a)).collect();
        let f = self.instance.get_func(&mut self.store, name).unwrap();
        let mut results = vec![tether::Val::U32(0); f.results(&self.store).len()];
        f.call(&mut self.store, &params, &mut results)?;
        Ok(match results.first() {
            Some(tether::Val::U32(v)) => *v,
            _ => 0,
        })
    }

    fn drops(&self) -> Vec<String> {
        self.store.data().drops.lock().unwrap().clone()
    }
}

fn revoked(e: &anyhow::Error) -> (u32, String) {
    match crate::trap_of(e) {
        Some(Trap::Revoked { index, resource }) => (*index, resource.to_string()),
        _ => panic!("not a revocation trap: {e:#}"),
    }
}

#[test]
fn a_revoked_object_is_dropped_and_every_use_but_drop_traps() {
    let mut g = Guest::new();
    let h = g.call("new", &[7]).unwrap();
    assert_eq!(g.call("id", &[h]).unwrap(), 7);
    let b = g.store.data().socket(7);
    g.store.revoke(&b).unwrap();
    assert_eq!(g.drops(), ["socket 7"], "dropped at once");
    assert_eq!(g.store.host_objects(), 0);
    let live = g.store.live_handles();
    assert_eq!((live[0].own, live[0].revoked), (1, 1), "{live:?}");
    // The guest's handle is still in its table, and naming it traps.
    let e = g.call("id", &[h]).unwrap_err();
    assert_eq!(revoked(&e), (h, "socket".to_string()));
    assert!(e.to_string().contains("wasm trap") || format!("{e:#}").contains("revoked"));

    // Dropping a revoked handle succeeds (in a fresh instance: the trap poisoned this one).
    let mut g = Guest::new();
    let h = g.call("new", &[1]).unwrap();
    let b = g.store.data().socket(1);
    g.store.revoke(&b).unwrap();
    g.store.revoke(&b).unwrap(); // revoking twice is allowed and does nothing more
    g.call("drop-s", &[h]).unwrap();
    assert!(g.store.live_handles().is_empty());
    assert_eq!(g.store.handles_alive(), 0);
    // The host's handle to it is now stale, and the slot serves the next object.
    assert!(matches!(
        crate::handle_error(&g.store.get(&b).unwrap_err()),
        Some(tether::HandleError::Stale { .. })
    ));
    let h2 = g.call("new", &[2]).unwrap();
    assert_eq!(g.call("id", &[h2]).unwrap(), 2);
}

#[test]
fn passing_a_revoked_handle_as_own_traps_and_the_host_is_refused_too() {
    let mut g = Guest::new();
    let h = g.call("new", &[3]).unwrap();
    let b = g.store.data().socket(3);
    g.store.revoke(&b).unwrap();
    let e = g.call("close", &[h]).unwrap_err();
    assert_eq!(revoked(&e), (h, "socket".to_string()));
    assert!(matches!(
        crate::handle_error(&g.store.get(&b).unwrap_err()),
        Some(tether::HandleError::Revoked { .. })
    ));

    // An object the host holds itself: revoked, then deleted without error.
    let own = g
        .store
        .push(Socket {
            id: 9,
            drops: g.store.data().drops.clone(),
        })
        .unwrap();
    g.store.revoke(&own).unwrap();
    assert!(g.drops().contains(&"socket 9".to_string()));
    g.store.delete(own).unwrap();
}

#[test]
fn an_object_in_use_by_a_method_is_dropped_when_the_method_returns() {
    let mut g = Guest::new();
    let h = g.call("new", &[5]).unwrap();
    // The method revokes its own `self`, checks it is still there, and returns.
    assert_eq!(g.call("revoke-self", &[h]).unwrap(), 6);
    assert_eq!(g.drops(), ["socket 5"]);
    let e = g.call("id", &[h]).unwrap_err();
    assert_eq!(revoked(&e), (h, "socket".to_string()));
}

#[test]
fn revoking_a_parent_revokes_its_children_first() {
    let mut g = Guest::new();
    let p = g.call("new", &[1]).unwrap();
    let s1 = g.call("open", &[p, 10]).unwrap();
    let s2 = g.call("open", &[p, 20]).unwrap();
    let other = g.call("new", &[2]).unwrap();
    assert_eq!(g.call("len", &[s1]).unwrap(), 10);
    let b = g.store.data().socket(1);
    g.store.revoke(&b).unwrap();
    let drops = g.drops();
    assert_eq!(drops.len(), 3, "{drops:?}");
    assert_eq!(drops[2], "socket 1", "children first: {drops:?}");
    // The other socket is untouched; the streams are revoked.
    assert_eq!(g.call("id", &[other]).unwrap(), 2);
    g.call("drop-t", &[s1]).unwrap();
    let e = g.call("len", &[s2]).unwrap_err();
    assert_eq!(revoked(&e), (s2, "stream".to_string()));
}

#[test]
fn revoking_what_an_instance_holds_leaves_the_other_instances_alone() {
    let engine = Engine::default();
    let component = Component::new(&engine, GUEST).unwrap();
    let mut store = Store::new(&engine, Host::default());
    let linker = linker(&engine);
    let a = linker.instantiate(&mut store, &component).unwrap();
    let b = linker.instantiate(&mut store, &component).unwrap();
    let new = |store: &mut Store<Host>, i: &Instance, id: u32| {
        let f = i
            .get_typed_func::<(u32,), (u32,)>(&mut *store, "new")
            .unwrap();
        f.call(&mut *store, (id,)).unwrap().0
    };
    let a1 = new(&mut store, &a, 1);
    let a2 = new(&mut store, &a, 2);
    let b1 = new(&mut store, &b, 3);
    assert_eq!(store.revoke_held::<Socket>(&a).unwrap(), 2);
    assert_eq!(store.revoke_held::<Stream>(&b).unwrap(), 0);
    let id_b = b
        .get_typed_func::<(u32,), (u32,)>(&mut store, "id")
        .unwrap();
    assert_eq!(id_b.call(&mut store, (b1,)).unwrap(), (3,));
    let id_a = a
        .get_typed_func::<(u32,), (u32,)>(&mut store, "id")
        .unwrap();
    let e = id_a.call(&mut store, (a2,)).unwrap_err();
    assert_eq!(revoked(&e), (a2, "socket".to_string()));
    let _ = a1;
    assert_eq!(store.host_objects(), 1);
}

#[test]
fn revoke_where_picks_objects_by_their_contents() {
    let mut g = Guest::new();
    let hs: Vec<u32> = (1..=6).map(|id| g.call("new", &[id]).unwrap()).collect();
    assert_eq!(g.store.revoke_where(|s: &Socket| s.id.is_multiple_of(2)), 3);
    assert_eq!(g.store.host_objects(), 3);
    assert_eq!(g.call("id", &[hs[0]]).unwrap(), 1);
    assert!(g.call("id", &[hs[1]]).is_err());
}

#[test]
fn a_capability_expires_after_its_duration_when_the_store_is_next_used() {
    let mut g = Guest::new();
    let h = g.call("new", &[4]).unwrap();
    let keep = g.call("new", &[8]).unwrap();
    let b = g.store.data().socket(4);
    g.store.revoke_after(&b, Duration::from_millis(50)).unwrap();
    assert_eq!(g.call("id", &[h]).unwrap(), 4, "not yet");
    std::thread::sleep(Duration::from_millis(80));
    assert!(g.drops().is_empty(), "nothing touched the store meanwhile");
    // Entering the store expires it: its `Drop` runs then.
    g.call("nothing", &[]).unwrap();
    assert_eq!(g.drops(), ["socket 4"]);
    assert_eq!(g.call("id", &[keep]).unwrap(), 8);
    let e = g.call("id", &[h]).unwrap_err();
    assert_eq!(revoked(&e), (h, "socket".to_string()));
}

#[test]
fn a_capability_expires_when_a_guest_uses_its_handle_mid_call() {
    // The deadline passes inside one call into the guest: its next use of the handle finds
    // it expired, on the raw path (`id`) and on the direct path, with a fallback (`send`).
    let mut g = Guest::new();
    let h = g.call("new", &[4]).unwrap();
    let e = g.call("expire-then-id", &[h]).unwrap_err();
    assert_eq!(revoked(&e), (h, "socket".to_string()));
    assert_eq!(g.drops(), ["socket 4"]);

    let mut g = Guest::new();
    let h = g.call("new", &[4]).unwrap();
    assert_eq!(g.call("expire-then-send", &[h]).unwrap(), 1001);
    assert_eq!(g.drops(), ["socket 4"]);
}

#[test]
fn the_fallback_serves_the_val_path_too_and_only_for_self() {
    let mut g = Guest::new();
    let a = g.call("new", &[1]).unwrap();
    let b = g.call("new", &[2]).unwrap();
    assert_eq!(g.call("pair", &[a, b]).unwrap(), 100);
    let kept = g.store.data().socket(1);
    g.store.revoke(&kept).unwrap();
    assert_eq!(
        g.call("pair", &[a, b]).unwrap(),
        1001,
        "a revoked `self`: `reset`"
    );
    assert_eq!(g.call("pair", &[b, b]).unwrap(), 200, "not poisoned");
    // A revoked handle in another parameter is no `self`: that traps.
    let e = g.call("pair", &[b, a]).unwrap_err();
    assert_eq!(revoked(&e), (a, "socket".to_string()));
}

#[test]
fn a_method_with_a_fallback_returns_its_error_case_instead_of_trapping() {
    let mut g = Guest::new();
    let h = g.call("new", &[1]).unwrap();
    assert_eq!(g.call("send", &[h, 12]).unwrap(), 12);
    let b = g.store.data().socket(1);
    g.store.revoke(&b).unwrap();
    assert_eq!(g.call("send", &[h, 12]).unwrap(), 1001, "the `reset` case");
    // The instance is not poisoned, and the handle can still be dropped.
    g.call("drop-s", &[h]).unwrap();
    assert!(g.store.live_handles().is_empty());
}

// ----- Through `bindgen!` -----

mod net_bindings {
    ::tether::bindgen!({
        path: "tests/all/revoke/net.wit",
        world: "sockets",
        with: { "tether:revoke-test/net/socket": super::NetSocket },
        revoked: { "tether:revoke-test/net/socket": "error-code.reset" },
    });
}

use net_bindings::tether::revoke_test::net;

/// The bindings' socket.
struct NetSocket {
    id: u32,
}

/// The store's data for the bindings: nothing; the test finds sockets by their ids.
struct NetHost;

impl net::Host for NetHost {
    fn socket_new(&mut self, id: u32) -> tether::Result<NetSocket> {
        Ok(NetSocket { id })
    }

    fn socket_send(
        &mut self,
        _this: &mut NetSocket,
        len: u32,
    ) -> tether::Result<Result<u32, net::ErrorCode>> {
        Ok(Ok(len))
    }

    fn socket_id(&mut self, this: &mut NetSocket) -> tether::Result<u32> {
        Ok(this.id)
    }
}

/// A guest of the `sockets` world: `send` returns the `ok` payload or 1000 plus the error's
/// discriminant.
const NET_GUEST: &str = r#"(component
  (import "tether:revoke-test/net" (instance $net
    (type $e' (enum "closed" "reset"))
    (export "error-code" (type $e (eq $e')))
    (export "socket" (type $s (sub resource)))
    (export "[constructor]socket" (func (param "id" u32) (result (own $s))))
    (export "[method]socket.send" (func (param "self" (borrow $s)) (param "len" u32) (result (result u32 (error $e)))))
    (export "[method]socket.id" (func (param "self" (borrow $s)) (result u32)))))
  (alias export $net "socket" (type $s))
  (alias export $net "[constructor]socket" (func $new))
  (alias export $net "[method]socket.send" (func $send))
  (alias export $net "[method]socket.id" (func $id))
  (core module $mem (memory (export "memory") 1))
  (core instance $mem (instantiate $mem))
  (alias core export $mem "memory" (core memory $memory))
  (core func $new (canon lower (func $new)))
  (core func $send (canon lower (func $send) (memory $memory)))
  (core func $id (canon lower (func $id)))
  (core func $drop (canon resource.drop $s))
  (core module $m
    (import "" "new" (func $new (param i32) (result i32)))
    (import "" "send" (func $send (param i32 i32 i32)))
    (import "" "id" (func $id (param i32) (result i32)))
    (import "" "drop" (func $drop (param i32)))
    (import "" "memory" (memory 1))
    (func (export "new") (param i32) (result i32) (call $new (local.get 0)))
    (func (export "send") (param i32 i32) (result i32)
      (call $send (local.get 0) (local.get 1) (i32.const 16))
      (if (result i32) (i32.load8_u (i32.const 16))
        (then (i32.add (i32.const 1000) (i32.load8_u (i32.const 20))))
        (else (i32.load (i32.const 20)))))
    (func (export "id") (param i32) (result i32) (call $id (local.get 0)))
    (func (export "drop") (param i32) (call $drop (local.get 0))))
  (core instance $i (instantiate $m (with "" (instance
    (export "new" (func $new)) (export "send" (func $send)) (export "id" (func $id))
    (export "drop" (func $drop)) (export "memory" (memory $memory))))))
  (func (export "new") (param "id" u32) (result u32) (canon lift (core func $i "new")))
  (func (export "send") (param "h" u32) (param "len" u32) (result u32) (canon lift (core func $i "send")))
  (func (export "id") (param "h" u32) (result u32) (canon lift (core func $i "id")))
  (func (export "drop") (param "h" u32) (canon lift (core func $i "drop"))))"#;

#[test]
fn bindgen_maps_a_revoked_self_to_the_error_case_it_was_told() {
    let engine = Engine::default();
    let component = Component::new(&engine, NET_GUEST).unwrap();
    let mut linker = Linker::<NetHost>::new(&engine);
    net_bindings::Sockets::add_to_linker(&mut linker).unwrap();
    let mut store = Store::new(&engine, NetHost);
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let call = |store: &mut Store<NetHost>, name: &str, args: (u32, u32)| -> anyhow::Result<u32> {
        match name {
            "send" => {
                let f = instance.get_typed_func::<(u32, u32), (u32,)>(&mut *store, name)?;
                Ok(f.call(&mut *store, args)?.0)
            }
            _ => {
                let f = instance.get_typed_func::<(u32,), (u32,)>(&mut *store, name)?;
                Ok(f.call(&mut *store, (args.0,))?.0)
            }
        }
    };
    let a = call(&mut store, "new", (1, 0)).unwrap();
    let b = call(&mut store, "new", (2, 0)).unwrap();
    assert_eq!(call(&mut store, "send", (a, 7)).unwrap(), 7);
    // The host picks the socket by its contents: the bindings gave it no handle.
    assert_eq!(store.revoke_where(|s: &NetSocket| s.id == 1), 1);
    assert_eq!(call(&mut store, "send", (a, 7)).unwrap(), 1001, "`reset`");
    assert_eq!(call(&mut store, "send", (b, 7)).unwrap(), 7);
    assert_eq!(call(&mut store, "drop", (a, 0)).unwrap_or(0), 0);
    // `id` has no error case: a revoked socket traps there.
    store.revoke_where(|s: &NetSocket| s.id == 2);
    let e = call(&mut store, "id", (b, 0)).unwrap_err();
    assert_eq!(
        revoked(&e),
        (b, "tether:revoke-test/net/socket".to_string())
    );
}
