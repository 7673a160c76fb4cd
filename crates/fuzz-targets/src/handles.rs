//! `handles`: random sequences of handle operations by a guest and by the host, checked
//! against a model of the specification's handle table (`Table` in `CanonicalABI.md`: index
//! 0 reserved, freed indices reused last-freed first) and of who holds what.
//!
//! The guest defines a resource `r` and imports the host's resource `h`; its exports let the
//! sequence drive its table directly: `resource.new`, `resource.rep` and `resource.drop` of
//! `r`, `resource.drop` of `h`, handing an `own<r>` or `own<h>` out of the table (`give`,
//! `give-h`) and into it (`take`, `take-h`), lending a `borrow<h>` for one call (dropped by
//! the guest or, to see the trap, kept), a `borrow<r>` (which the defining guest receives as
//! its representation), and passing its handles to the host's `borrow<h>` and `own<h>`
//! functions, making, polling and dropping waitable sets of the async ABI, and making
//! `stream<u8>`s and reading, writing, cancelling and dropping their ends (both in the one
//! instance, with the specification's rendezvous modelled), all of which share the table with
//! the handles. The host makes objects (`push`), deletes them, revokes them (`revoke`: the
//! guest's handle stays, every use but `resource.drop` traps), drops the `r` handles it holds,
//! reuses handles it no longer holds (stale) and passes handles to an instance in another
//! store.
//!
//! Checks: every call succeeds or fails as the model says, every index the guest's table
//! hands out is the model's, every representation is the one the guest gave, a guest trap is
//! a [`Trap`] and poisons the instance (every later call fails), and a host
//! misuse is refused without poisoning it.

use arbitrary::{Result, Unstructured};
use std::sync::OnceLock;
use tether::{
    Borrow, Component, Linker, Own, ResourceAny, ResourceAnyExt, Store, StoreContextMut, Trap, Val,
};

use crate::common::{self, FUEL};

/// The host's resource.
pub struct Thing;

const WAT: &str = r#"(component
  (import "h" (type $h (sub resource)))
  (import "host-borrow" (func $hb (param "x" (borrow $h))))
  (import "host-own" (func $ho (param "x" (own $h))))
  (type $r' (resource (rep i32)))
  (export $r "r" (type $r'))
  (core func $rnew (canon resource.new $r'))
  (core func $rdrop (canon resource.drop $r'))
  (core func $rrep (canon resource.rep $r'))
  (core func $hdrop (canon resource.drop $h))
  (core func $hb (canon lower (func $hb)))
  (core func $ho (canon lower (func $ho)))
  (core module $mem (memory (export "m") 1))
  (core instance $mem (instantiate $mem))
  (core func $snew (canon waitable-set.new))
  (core func $sdrop (canon waitable-set.drop))
  (core func $spoll (canon waitable-set.poll (memory (core memory $mem "m"))))
  (type $st (stream u8))
  (core func $stnew (canon stream.new $st))
  (core func $stread (canon stream.read $st async (memory (core memory $mem "m"))))
  (core func $stwrite (canon stream.write $st async (memory (core memory $mem "m"))))
  (core func $stcr (canon stream.cancel-read $st async))
  (core func $stcw (canon stream.cancel-write $st async))
  (core func $stdr (canon stream.drop-readable $st))
  (core func $stdw (canon stream.drop-writable $st))
  (core instance $i
    (export "stnew" (func $stnew)) (export "stread" (func $stread))
    (export "stwrite" (func $stwrite)) (export "stcr" (func $stcr)) (export "stcw" (func $stcw))
    (export "stdr" (func $stdr)) (export "stdw" (func $stdw))
    (export "snew" (func $snew)) (export "sdrop" (func $sdrop)) (export "spoll" (func $spoll))
    (export "rnew" (func $rnew)) (export "rdrop" (func $rdrop)) (export "rrep" (func $rrep))
    (export "hdrop" (func $hdrop)) (export "hb" (func $hb)) (export "ho" (func $ho)))
  (core module $m
    (import "i" "rnew" (func $rnew (param i32) (result i32)))
    (import "i" "rdrop" (func $rdrop (param i32)))
    (import "i" "rrep" (func $rrep (param i32) (result i32)))
    (import "i" "hdrop" (func $hdrop (param i32)))
    (import "i" "hb" (func $hb (param i32)))
    (import "i" "ho" (func $ho (param i32)))
    (import "i" "snew" (func $snew (result i32)))
    (import "i" "sdrop" (func $sdrop (param i32)))
    (import "i" "spoll" (func $spoll (param i32 i32) (result i32)))
    (import "i" "stnew" (func $stnew (result i64)))
    (import "i" "stread" (func $stread (param i32 i32 i32) (result i32)))
    (import "i" "stwrite" (func $stwrite (param i32 i32 i32) (result i32)))
    (import "i" "stcr" (func $stcr (param i32) (result i32)))
    (import "i" "stcw" (func $stcw (param i32) (result i32)))
    (import "i" "stdr" (func $stdr (param i32)))
    (import "i" "stdw" (func $stdw (param i32)))
    (func (export "stream-new") (result i32)
      (local $e i64)
      (local.set $e (call $stnew))
      (i32.or (i32.wrap_i64 (local.get $e))
        (i32.shl (i32.wrap_i64 (i64.shr_u (local.get $e) (i64.const 32))) (i32.const 16))))
    (func (export "stream-read") (param i32 i32) (result i32)
      (call $stread (local.get 0) (i32.const 1024) (local.get 1)))
    (func (export "stream-write") (param i32 i32) (result i32)
      (call $stwrite (local.get 0) (i32.const 64) (local.get 1)))
    (func (export "cancel-read") (param i32) (result i32) (call $stcr (local.get 0)))
    (func (export "cancel-write") (param i32) (result i32) (call $stcw (local.get 0)))
    (func (export "drop-readable") (param i32) (call $stdr (local.get 0)))
    (func (export "drop-writable") (param i32) (call $stdw (local.get 0)))
    (func (export "set-new") (result i32) (call $snew))
    (func (export "set-drop") (param i32) (call $sdrop (local.get 0)))
    (func (export "set-poll") (param i32) (result i32) (call $spoll (local.get 0) (i32.const 0)))
    (func (export "new") (param i32) (result i32) (call $rnew (local.get 0)))
    (func (export "drop-r") (param i32) (call $rdrop (local.get 0)))
    (func (export "rep") (param i32) (result i32) (call $rrep (local.get 0)))
    (func (export "pass") (param i32) (result i32) (local.get 0))
    (func (export "lend-h") (param i32 i32) (result i32)
      (if (i32.eqz (local.get 1)) (then (call $hdrop (local.get 0))))
      (local.get 0))
    (func (export "drop-h") (param i32) (call $hdrop (local.get 0)))
    (func (export "call-hb") (param i32) (call $hb (local.get 0)))
    (func (export "call-ho") (param i32) (call $ho (local.get 0))))
  (core instance $m (instantiate $m (with "i" (instance $i))))
  (func (export "new") (param "rep" u32) (result u32) (canon lift (core func $m "new")))
  (func (export "drop-r") (param "i" u32) (canon lift (core func $m "drop-r")))
  (func (export "rep") (param "i" u32) (result u32) (canon lift (core func $m "rep")))
  (func (export "give") (param "i" u32) (result (own $r)) (canon lift (core func $m "pass")))
  (func (export "take") (param "x" (own $r)) (result u32) (canon lift (core func $m "pass")))
  (func (export "lend-r") (param "x" (borrow $r)) (result u32) (canon lift (core func $m "pass")))
  (func (export "take-h") (param "x" (own $h)) (result u32) (canon lift (core func $m "pass")))
  (func (export "give-h") (param "i" u32) (result (own $h)) (canon lift (core func $m "pass")))
  (func (export "lend-h") (param "x" (borrow $h)) (param "keep" u32) (result u32)
    (canon lift (core func $m "lend-h")))
  (func (export "drop-h") (param "i" u32) (canon lift (core func $m "drop-h")))
  (func (export "call-hb") (param "i" u32) (canon lift (core func $m "call-hb")))
  (func (export "call-ho") (param "i" u32) (canon lift (core func $m "call-ho")))
  (func (export "set-new") (result u32) (canon lift (core func $m "set-new")))
  (func (export "set-drop") (param "i" u32) (canon lift (core func $m "set-drop")))
  (func (export "set-poll") (param "i" u32) (result u32) (canon lift (core func $m "set-poll")))
  (func (export "stream-new") (result u32) (canon lift (core func $m "stream-new")))
  (func (export "stream-read") (param "i" u32) (param "n" u32) (result u32)
    (canon lift (core func $m "stream-read")))
  (func (export "stream-write") (param "i" u32) (param "n" u32) (result u32)
    (canon lift (core func $m "stream-write")))
  (func (export "cancel-read") (param "i" u32) (result u32) (canon lift (core func $m "cancel-read")))
  (func (export "cancel-write") (param "i" u32) (result u32)
    (canon lift (core func $m "cancel-write")))
  (func (export "drop-readable") (param "i" u32) (canon lift (core func $m "drop-readable")))
  (func (export "drop-writable") (param "i" u32) (canon lift (core func $m "drop-writable"))))"#;

fn component() -> &'static Component {
    static COMPONENT: OnceLock<Component> = OnceLock::new();
    COMPONENT.get_or_init(|| match Component::new(common::engine(), WAT) {
        Ok(c) => c,
        Err(e) => panic!("fuzz setup: the handles component: {e:#}"),
    })
}

fn linker() -> Linker<()> {
    let mut linker = Linker::new(common::engine());
    let mut root = linker.root();
    let defined = root.resource_host::<Thing>("h").and_then(|()| {
        root.func_wrap(
            "host-borrow",
            |store: StoreContextMut<'_, ()>, (b,): (Borrow<Thing>,)| {
                store.get(&b)?;
                Ok(())
            },
        )?;
        root.func_wrap(
            "host-own",
            |mut store: StoreContextMut<'_, ()>, (o,): (Own<Thing>,)| {
                store.delete(o)?;
                Ok(())
            },
        )
    });
    if let Err(e) = defined {
        panic!("fuzz setup: the handles linker: {e:#}");
    }
    linker
}

/// What the guest's table holds at an index.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Entry {
    /// An owned `r` with its representation.
    R(u32),
    /// An owned `h`: the model's number of the host object.
    H(usize),
    /// A waitable set (always empty: nothing here joins one).
    Set,
    /// An end of a `stream<u8>`: the model's number of it.
    End(usize),
}

/// The model of a stream end: the specification's `CopyEnd` with its buffer and its
/// pending event (the copy's result, and whether delivering it takes the buffer back).
#[derive(Debug)]
struct EndModel {
    stream: usize,
    readable: bool,
    /// `IDLE`, `COPYING` or `DONE` (a cancel of a guest's stream never stays `CANCELLING`).
    copying: bool,
    done: bool,
    len: u32,
    progress: u32,
    event: Option<(u32, bool)>,
}

/// The model of a stream: the specification's `SharedStreamImpl`.
#[derive(Debug, Default)]
struct StreamModel {
    dropped: bool,
    pending: Option<usize>,
}

/// The specification's `Table`.
#[derive(Debug, Default)]
struct Table {
    array: Vec<Option<Entry>>,
    free: Vec<u32>,
}

impl Table {
    fn new() -> Table {
        Table {
            array: vec![None],
            free: Vec::new(),
        }
    }
    fn get(&self, i: u32) -> Option<Entry> {
        self.array.get(i as usize).copied().flatten()
    }
    fn add(&mut self, e: Entry) -> u32 {
        if let Some(i) = self.free.pop() {
            self.array[i as usize] = Some(e);
            i
        } else {
            self.array.push(Some(e));
            self.array.len() as u32 - 1
        }
    }
    fn remove(&mut self, i: u32) -> Option<Entry> {
        let e = self.get(i)?;
        self.array[i as usize] = None;
        self.free.push(i);
        Some(e)
    }
}

/// One host object of `h`: its owning handle while the host holds it, a borrow kept for
/// stale use, and whether it still exists.
struct Object {
    own: Option<Own<Thing>>,
    borrow: Borrow<Thing>,
    alive: bool,
    /// The host revoked it: gone, though a handle may still name it.
    revoked: bool,
}

/// Whether an `own<r>` the host received is still its to use.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Held {
    Yes,
    No,
}

/// What the model expects of a call.
#[derive(Debug, PartialEq)]
enum Expect {
    /// Success with this `u32` result (or none).
    Ok(Option<u32>),
    /// A guest trap, which poisons the instance.
    Trap,
    /// A refusal before the guest runs (a host-side misuse).
    Refused,
}

struct Run {
    store: Store<()>,
    instance: tether::Instance,
    table: Table,
    /// `own<r>` handles the host holds, their representations, and whether they are still
    /// the host's to use.
    held: Vec<(ResourceAny, u32, Held)>,
    objects: Vec<Object>,
    poisoned: bool,
    log: Vec<String>,
    ends: Vec<EndModel>,
    streams: Vec<StreamModel>,
}

/// What a stream built-in returns when its copy has not finished.
const BLOCKED: u32 = u32::MAX;

impl Run {
    /// The stream end at `i` if it is one of `readable`'s kind.
    fn end_at(&self, i: u32, readable: bool) -> Option<usize> {
        match self.table.get(i) {
            Some(Entry::End(e)) if self.ends[e].readable == readable => Some(e),
            _ => None,
        }
    }

    /// Delivers end `e`'s event, if it has one: the packed result and progress.
    fn deliver(&mut self, e: usize) -> Option<u32> {
        let end = &mut self.ends[e];
        let (result, reclaim) = end.event.take()?;
        end.copying = false;
        end.done = result == 1;
        let payload = result | (end.progress << 4);
        let stream = &mut self.streams[end.stream];
        if reclaim && stream.pending == Some(e) {
            stream.pending = None;
        }
        Some(payload)
    }

    /// A read or write of `n` elements by end `e` (idle): the rendezvous, and its result.
    fn copy(&mut self, e: usize, n: u32) -> u32 {
        let readable = self.ends[e].readable;
        let end = &mut self.ends[e];
        end.copying = true;
        end.len = n;
        end.progress = 0;
        end.event = None;
        let s = end.stream;
        if self.streams[s].dropped {
            self.ends[e].event = Some((1, false));
        } else if let Some(o) = self.streams[s].pending {
            let remain = self.ends[o].len - self.ends[o].progress;
            if remain > 0 {
                let k = n.min(remain);
                if k > 0 {
                    self.ends[o].progress += k;
                    self.ends[e].progress += k;
                    self.ends[o].event = Some((0, true));
                }
                self.ends[e].event = Some((0, false));
            } else if !readable && n == 0 && self.ends[o].len == 0 {
                self.ends[e].event = Some((0, false));
            } else {
                self.ends[o].event = Some((0, false));
                self.streams[s].pending = Some(e);
            }
        } else {
            self.streams[s].pending = Some(e);
        }
        self.deliver(e).unwrap_or(BLOCKED)
    }

    /// A cancel by end `e` (copying): the copy ends at once, cancelled unless it completed.
    fn cancel(&mut self, e: usize) -> u32 {
        let s = self.ends[e].stream;
        match &mut self.ends[e].event {
            Some((result, true)) => *result = 2,
            Some(_) => {}
            None => {
                if self.streams[s].pending == Some(e) {
                    self.streams[s].pending = None;
                }
                self.ends[e].event = Some((2, false));
            }
        }
        self.deliver(e).unwrap_or(BLOCKED)
    }

    /// Drops end `e` at index `i` (not copying): the other end learns it.
    fn drop_end(&mut self, i: u32, e: usize) {
        self.table.remove(i);
        let s = self.ends[e].stream;
        let stream = &mut self.streams[s];
        if !stream.dropped {
            stream.dropped = true;
            if let Some(o) = stream.pending.take() {
                self.ends[o].event = Some((1, false));
            }
        }
    }

    /// Calls `name` and checks the outcome against `expect`; returns the results.
    fn call(&mut self, name: &str, args: &[Val], results: usize, expect: Expect) -> Vec<Val> {
        // A host misuse is refused before the instance is entered, poisoned or not.
        let expect = if self.poisoned && expect != Expect::Refused {
            Expect::Trap
        } else {
            expect
        };
        let Some(func) = self.instance.get_func(&mut self.store, name) else {
            panic!("fuzz setup: no export `{name}`");
        };
        if self.store.set_fuel(FUEL).is_err() {
            panic!("fuzz setup: no fuel");
        }
        let mut out = vec![Val::Bool(false); results];
        let got = func.call(&mut self.store, args, &mut out);
        self.log.push(format!(
            "{name}({args:?}) -> {:?}, expected {expect:?}",
            got.as_ref().map(|()| &out).map_err(|e| format!("{e:#}"))
        ));
        match (&expect, got) {
            (Expect::Ok(want), Ok(())) => {
                let seen = match out.first() {
                    Some(Val::U32(v)) => Some(*v),
                    _ => None,
                };
                if want.is_some() && seen != *want {
                    self.fail("a result other than the model's");
                }
            }
            (Expect::Trap, Err(e)) => {
                if e.downcast_ref::<Trap>().is_none() {
                    self.fail("a guest fault that is not a Trap");
                }
                common::check_error(&e, name);
                self.poisoned = true;
            }
            (Expect::Refused, Err(e)) => common::check_error(&e, name),
            _ => self.fail("an outcome other than the model's"),
        }
        out
    }

    fn fail(&self, what: &str) -> ! {
        panic!("fuzz finding: handles: {what}:\n{}", self.log.join("\n"));
    }

    fn index(u: &mut Unstructured<'_>) -> Result<u32> {
        Ok(if u.ratio(1, 16)? {
            u.arbitrary()?
        } else {
            u.int_in_range(0..=6)?
        })
    }

    fn step(
        &mut self,
        u: &mut Unstructured<'_>,
        other: &mut Option<(Store<()>, tether::Instance)>,
    ) -> Result<()> {
        match u.int_in_range(0..=26)? {
            0 | 1 => {
                let rep = u.int_in_range(0..=100)?;
                let i = self.table.add(Entry::R(rep));
                let expect = Expect::Ok(Some(i));
                if self.poisoned {
                    self.table.remove(i);
                }
                self.call("new", &[Val::U32(rep)], 1, expect);
            }
            2 => {
                let i = Self::index(u)?;
                let expect = match self.table.get(i) {
                    Some(Entry::R(_)) => {
                        self.table.remove(i);
                        Expect::Ok(None)
                    }
                    _ => Expect::Trap,
                };
                self.call("drop-r", &[Val::U32(i)], 0, expect);
            }
            3 => {
                let i = Self::index(u)?;
                let expect = match self.table.get(i) {
                    Some(Entry::R(rep)) => Expect::Ok(Some(rep)),
                    _ => Expect::Trap,
                };
                self.call("rep", &[Val::U32(i)], 1, expect);
            }
            4 => {
                let i = Self::index(u)?;
                let (expect, rep) = match self.table.get(i) {
                    Some(Entry::R(rep)) => (Expect::Ok(None), Some(rep)),
                    _ => (Expect::Trap, None),
                };
                let poisoned = self.poisoned;
                let out = self.call("give", &[Val::U32(i)], 1, expect);
                if let (Some(rep), false) = (rep, poisoned) {
                    self.table.remove(i);
                    match out.first() {
                        Some(Val::Resource(r)) => self.held.push((*r, rep, Held::Yes)),
                        _ => self.fail("`give` returned no handle"),
                    }
                }
            }
            5 | 6 if !self.held.is_empty() => {
                let k = u.choose_index(self.held.len())?;
                let (r, rep, held) = self.held[k];
                let lend = u.arbitrary()?;
                let expect = if held == Held::No {
                    Expect::Refused
                } else if self.poisoned {
                    Expect::Trap
                } else if lend {
                    Expect::Ok(Some(rep))
                } else {
                    Expect::Ok(Some(self.table.add(Entry::R(rep))))
                };
                if lend {
                    self.call("lend-r", &[Val::Resource(r)], 1, expect);
                } else {
                    // A call a poisoned instance refuses takes no handle away.
                    self.held[k].2 = match expect {
                        Expect::Trap => Held::Yes,
                        _ => Held::No,
                    };
                    self.call("take", &[Val::Resource(r)], 1, expect);
                }
            }
            7 if !self.held.is_empty() => {
                let k = u.choose_index(self.held.len())?;
                let (r, _, held) = self.held[k];
                self.held[k].2 = Held::No;
                let got = r.resource_drop(&mut self.store);
                self.log.push(format!("host drops {r:?}: {got:?}"));
                if got.is_ok() != (held == Held::Yes) {
                    self.fail("the host's drop of an `own<r>` against the model");
                }
            }
            8 => match self.store.push(Thing) {
                Ok(own) => {
                    let borrow = own.borrow();
                    self.objects.push(Object {
                        own: Some(own),
                        borrow,
                        alive: true,
                        revoked: false,
                    });
                }
                Err(e) => panic!("fuzz finding: push: {e:#}"),
            },
            9 if !self.objects.is_empty() => {
                let k = u.choose_index(self.objects.len())?;
                if self.objects[k].revoked {
                    // The host lets go of a revoked object it holds: deleting it succeeds.
                    if let Some(own) = self.objects[k].own.take() {
                        if let Err(e) = self.store.delete(own) {
                            self.fail(&format!("deleting a revoked object: {e:#}"));
                        }
                        self.objects[k].revoked = false;
                    }
                } else if let Some(own) = self.objects[k].own.take() {
                    let expect = if self.poisoned {
                        Expect::Trap
                    } else {
                        Expect::Ok(Some(self.table.add(Entry::H(k))))
                    };
                    let take = match self
                        .instance
                        .get_typed_func::<(Own<Thing>,), (u32,)>(&mut self.store, "take-h")
                    {
                        Ok(f) => f,
                        Err(e) => panic!("fuzz setup: take-h: {e:#}"),
                    };
                    if self.store.set_fuel(FUEL).is_err() {
                        panic!("fuzz setup: no fuel");
                    }
                    let got = take.call(&mut self.store, (own,));
                    self.log.push(format!(
                        "take-h(object {k}) -> {:?}, expected {expect:?}",
                        got.as_ref().map_err(|e| format!("{e:#}"))
                    ));
                    match (expect, got) {
                        (Expect::Ok(want), Ok((i,))) if Some(i) == want => {}
                        (Expect::Trap, Err(_)) => {
                            // A poisoned instance refuses the call; the object is gone with
                            // the handle the host gave up.
                            self.objects[k].alive = false;
                        }
                        _ => self.fail("`take-h` against the model"),
                    }
                }
            }
            10 if !self.objects.is_empty() => {
                let k = u.choose_index(self.objects.len())?;
                let keep = u.ratio(1, 6)?;
                let o = &self.objects[k];
                // Lend only what the host holds, or what no longer exists.
                if o.own.is_some() || !o.alive || o.revoked {
                    let expect = if !o.alive || o.revoked {
                        Expect::Refused
                    } else if keep {
                        Expect::Trap
                    } else {
                        // The borrow takes an index, which the guest's drop frees again.
                        let i = self.table.add(Entry::H(k));
                        self.table.remove(i);
                        Expect::Ok(Some(i))
                    };
                    let borrow = o.borrow;
                    let lend = match self
                        .instance
                        .get_typed_func::<(Borrow<Thing>, u32), (u32,)>(&mut self.store, "lend-h")
                    {
                        Ok(f) => f,
                        Err(e) => panic!("fuzz setup: lend-h: {e:#}"),
                    };
                    if self.store.set_fuel(FUEL).is_err() {
                        panic!("fuzz setup: no fuel");
                    }
                    let got = lend.call(&mut self.store, (borrow, u32::from(keep)));
                    self.log.push(format!(
                        "lend-h(object {k}, keep {keep}) -> {:?}, expected {expect:?}",
                        got.as_ref().map_err(|e| format!("{e:#}"))
                    ));
                    let expect = if self.poisoned && expect != Expect::Refused {
                        Expect::Trap
                    } else {
                        expect
                    };
                    match (expect, got) {
                        (Expect::Ok(want), Ok((i,))) if Some(i) == want => {}
                        (Expect::Trap, Err(e)) => {
                            if e.downcast_ref::<Trap>().is_none() {
                                self.fail("a guest fault that is not a Trap");
                            }
                            self.poisoned = true;
                        }
                        (Expect::Refused, Err(_)) => {}
                        _ => self.fail("`lend-h` against the model"),
                    }
                }
            }
            11 => {
                let i = Self::index(u)?;
                let expect = match self.table.get(i) {
                    Some(Entry::H(k)) if !self.objects[k].revoked => Expect::Ok(None),
                    _ => Expect::Trap,
                };
                // Lifting an owned handle takes it out of the table before its object is
                // looked at: a revoked object's handle goes (and its slot with it) though the
                // call traps.
                let revoked = match self.table.get(i) {
                    Some(Entry::H(k)) if !self.poisoned && self.objects[k].revoked => Some(k),
                    _ => None,
                };
                let give = match self
                    .instance
                    .get_typed_func::<(u32,), (Own<Thing>,)>(&mut self.store, "give-h")
                {
                    Ok(f) => f,
                    Err(e) => panic!("fuzz setup: give-h: {e:#}"),
                };
                if self.store.set_fuel(FUEL).is_err() {
                    panic!("fuzz setup: no fuel");
                }
                let got = give.call(&mut self.store, (i,));
                self.log.push(format!(
                    "give-h({i}) -> {:?}, expected {expect:?}",
                    got.as_ref().map_err(|e| format!("{e:#}"))
                ));
                let expect = if self.poisoned { Expect::Trap } else { expect };
                match (expect, got) {
                    (Expect::Ok(None), Ok((own,))) => {
                        let Some(Entry::H(k)) = self.table.remove(i) else {
                            self.fail("model: give-h");
                        };
                        self.objects[k].own = Some(own);
                    }
                    (Expect::Trap, Err(e)) => {
                        if e.downcast_ref::<Trap>().is_none() {
                            self.fail("a guest fault that is not a Trap");
                        }
                        self.poisoned = true;
                        if let Some(k) = revoked {
                            self.table.remove(i);
                            self.objects[k].revoked = false;
                        }
                    }
                    _ => self.fail("`give-h` against the model"),
                }
            }
            12 => {
                let i = Self::index(u)?;
                let expect = match self.table.get(i) {
                    Some(Entry::H(k)) if !self.poisoned => {
                        // Dropping a revoked handle succeeds too, and frees its slot.
                        self.table.remove(i);
                        self.objects[k].alive = false;
                        self.objects[k].revoked = false;
                        Expect::Ok(None)
                    }
                    _ => Expect::Trap,
                };
                self.call("drop-h", &[Val::U32(i)], 0, expect);
            }
            13 | 14 => {
                let i = Self::index(u)?;
                let own = u.arbitrary()?;
                let expect = match self.table.get(i) {
                    Some(Entry::H(k)) if !self.poisoned && !self.objects[k].revoked => {
                        if own {
                            self.table.remove(i);
                            self.objects[k].alive = false;
                        }
                        Expect::Ok(None)
                    }
                    _ => Expect::Trap,
                };
                self.call(
                    if own { "call-ho" } else { "call-hb" },
                    &[Val::U32(i)],
                    0,
                    expect,
                );
            }
            15 if !self.objects.is_empty() => {
                let k = u.choose_index(self.objects.len())?;
                if let Some(own) = self.objects[k].own.take() {
                    self.objects[k].alive = false;
                    self.objects[k].revoked = false;
                    if let Err(e) = self.store.delete(own) {
                        self.fail(&format!("deleting a host object the host owns: {e:#}"));
                    }
                    self.log.push(format!("host deletes object {k}"));
                }
            }
            16 => {
                // Handles of this store passed to an instance in another store: refused, and
                // neither instance is poisoned by it.
                let (store, instance) = other.get_or_insert_with(|| {
                    let mut store = Store::new(common::engine(), ());
                    match linker().instantiate(&mut store, component()) {
                        Ok(i) => (store, i),
                        Err(e) => panic!("fuzz setup: a second instance: {e:#}"),
                    }
                });
                let Some(func) = instance.get_func(&mut *store, "take") else {
                    self.fail("no `take`");
                };
                if let Some((r, _, _)) = self.held.first() {
                    if store.set_fuel(FUEL).is_err() {
                        panic!("fuzz setup: no fuel");
                    }
                    let mut out = [Val::U32(0)];
                    let got = func.call(&mut *store, &[Val::Resource(*r)], &mut out);
                    self.log.push(format!(
                        "another store's take({r:?}) -> {:?}",
                        got.as_ref().map_err(|e| format!("{e:#}"))
                    ));
                    if got.is_ok() {
                        self.fail("a handle of another store was accepted");
                    }
                    // The other instance still works.
                    let Some(new) = instance.get_func(&mut *store, "new") else {
                        self.fail("no `new`");
                    };
                    if new.call(&mut *store, &[Val::U32(7)], &mut out).is_err() {
                        self.fail("another store's instance was poisoned by a refused handle");
                    }
                }
            }
            17 if !self.objects.is_empty() => {
                // The host revokes an object, wherever it is: gone at once, every later use
                // of its handle refused (by the host) or a trap (for the guest), and revoking
                // again does nothing more. One that no longer exists is stale.
                let k = u.choose_index(self.objects.len())?;
                let o = &mut self.objects[k];
                let got = self.store.revoke(&o.borrow);
                self.log.push(format!("host revokes object {k}: {got:?}"));
                let live = o.alive || o.revoked;
                if got.is_ok() != live {
                    self.fail("a revocation against the model");
                }
                if o.alive {
                    o.alive = false;
                    o.revoked = true;
                }
                if self.store.get(&o.borrow).is_ok() {
                    self.fail("a revoked object is still reachable");
                }
            }
            18 => {
                let i = self.table.add(Entry::Set);
                let expect = Expect::Ok(Some(i));
                if self.poisoned {
                    self.table.remove(i);
                }
                self.call("set-new", &[], 1, expect);
            }
            19 => {
                let i = Self::index(u)?;
                let expect = match self.table.get(i) {
                    Some(Entry::Set) => {
                        self.table.remove(i);
                        Expect::Ok(None)
                    }
                    _ => Expect::Trap,
                };
                self.call("set-drop", &[Val::U32(i)], 0, expect);
            }
            20 => {
                // An empty set has no event: `NONE` (0).
                let i = Self::index(u)?;
                let expect = match self.table.get(i) {
                    Some(Entry::Set) => Expect::Ok(Some(0)),
                    _ => Expect::Trap,
                };
                self.call("set-poll", &[Val::U32(i)], 1, expect);
            }
            21 => {
                let expect = if self.poisoned {
                    Expect::Trap
                } else {
                    let s = self.streams.len();
                    self.streams.push(StreamModel::default());
                    let mut add = |readable| {
                        self.ends.push(EndModel {
                            stream: s,
                            readable,
                            copying: false,
                            done: false,
                            len: 0,
                            progress: 0,
                            event: None,
                        });
                        self.table.add(Entry::End(self.ends.len() - 1))
                    };
                    let r = add(true);
                    let w = add(false);
                    Expect::Ok(Some(r | (w << 16)))
                };
                self.call("stream-new", &[], 1, expect);
            }
            k @ (22 | 23) => {
                // A read (22) or write (23) of up to 8 bytes.
                let readable = k == 22;
                let (i, n) = (Self::index(u)?, u.int_in_range(0..=8)?);
                let expect = match self.end_at(i, readable) {
                    Some(e) if !self.poisoned && !self.ends[e].copying && !self.ends[e].done => {
                        Expect::Ok(Some(self.copy(e, n)))
                    }
                    _ => Expect::Trap,
                };
                let name = if readable {
                    "stream-read"
                } else {
                    "stream-write"
                };
                self.call(name, &[Val::U32(i), Val::U32(n)], 1, expect);
            }
            24 => {
                let readable = u.arbitrary()?;
                let i = Self::index(u)?;
                let expect = match self.end_at(i, readable) {
                    Some(e) if !self.poisoned && self.ends[e].copying => {
                        Expect::Ok(Some(self.cancel(e)))
                    }
                    _ => Expect::Trap,
                };
                let name = if readable {
                    "cancel-read"
                } else {
                    "cancel-write"
                };
                self.call(name, &[Val::U32(i)], 1, expect);
            }
            25 | 26 => {
                let readable = u.arbitrary()?;
                let i = Self::index(u)?;
                let expect = match self.end_at(i, readable) {
                    Some(e) if !self.poisoned && !self.ends[e].copying => {
                        self.drop_end(i, e);
                        Expect::Ok(None)
                    }
                    _ => Expect::Trap,
                };
                let name = if readable {
                    "drop-readable"
                } else {
                    "drop-writable"
                };
                self.call(name, &[Val::U32(i)], 0, expect);
            }
            _ => {}
        }
        Ok(())
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mut store = Store::new(common::engine(), ());
    let instance = match linker().instantiate(&mut store, component()) {
        Ok(i) => i,
        Err(e) => panic!("fuzz setup: instantiating: {e:#}"),
    };
    let mut run = Run {
        store,
        instance,
        table: Table::new(),
        held: Vec::new(),
        objects: Vec::new(),
        poisoned: false,
        log: Vec::new(),
        ends: Vec::new(),
        streams: Vec::new(),
    };
    let mut other = None;
    for _ in 0..64 {
        if u.is_empty() || run.step(&mut u, &mut other).is_err() {
            break;
        }
    }
}
