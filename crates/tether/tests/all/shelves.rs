//! A resource the guest defines, from real toolchains: `guests/shelves` (Rust, `wit-bindgen`),
//! `guests/shelves-c` (C, `wit-bindgen c`) and `guests/shelves-go` (Go, `wit-bindgen go`) export
//! `shelf`, a list of strings kept in the guest, and each shelf owns a `log`, a host object it
//! writes its changes to. Every check runs against each (`shelves::rust::NAME`,
//! `shelves::c::NAME`, `shelves::go::NAME`); the Go guest's runtime calls WASI, so the linker
//! defines WASI too, with nothing granted. The host here is written through `tether::bindgen!`:
//! shelves are typed handles (`Shelf`), logs are `HostLog` values in the store.
//!
//! The checks: constructors, methods borrowing `self`, static functions consuming owned
//! handles (and the handles are gone afterwards), two borrows in one call, the guest's
//! destructor run when the host drops a shelf (which drops the shelf's log in the host), a
//! shelf of one instance refused by another, and nothing left behind.

use std::sync::{Arc, Mutex};

use tether::{Component, Engine, Linker, Store};

mod bindings {
    ::tether::bindgen!({
        path: "../../guests/shelves/wit",
        world: "shelf-guest",
        with: { "tether:shelves/log/log": super::HostLog },
    });
}

use bindings::ShelfGuest;
use bindings::exports::tether::shelves::shelves::Shelf;

/// What the host's logs saw: every line written, and how many logs were dropped.
#[derive(Default)]
struct Journal {
    lines: Vec<String>,
    dropped: usize,
}

/// The host's `log`: appends to the journal it shares with the test.
pub struct HostLog {
    name: String,
    journal: Arc<Mutex<Journal>>,
}

impl Drop for HostLog {
    fn drop(&mut self) {
        self.journal.lock().unwrap().dropped += 1;
    }
}

struct Host {
    journal: Arc<Mutex<Journal>>,
    wasi: tether_wasi::WasiCtx,
}

impl Host {
    fn new(journal: Arc<Mutex<Journal>>) -> Host {
        Host {
            journal,
            wasi: tether_wasi::WasiCtxBuilder::new().build(),
        }
    }
}

impl tether_wasi::WasiView for Host {
    fn ctx(&mut self) -> &mut tether_wasi::WasiCtx {
        &mut self.wasi
    }
}

impl bindings::tether::shelves::log::Host for Host {
    fn log_write(&mut self, this: &mut HostLog, line: String) -> tether::Result<()> {
        let line = format!("{}: {line}", this.name);
        self.journal.lock().unwrap().lines.push(line);
        Ok(())
    }
}

/// The guest a check runs against.
#[derive(Clone, Copy, Debug)]
enum Lang {
    /// `guests/shelves`: Rust, over the bindings of `wit-bindgen`'s `generate!`.
    Rust,
    /// `guests/shelves-c`: C, over the bindings of `wit-bindgen c`, compiled by clang.
    C,
    /// `guests/shelves-go`: Go, over the bindings of `wit-bindgen go`, with WASI preview 1
    /// adapted.
    Go,
}

fn compiled(lang: Lang) -> (Engine, Component) {
    let path = match lang {
        Lang::Rust => tether_test_programs::SHELVES,
        Lang::C => tether_test_programs::SHELVES_C,
        Lang::Go => tether_test_programs::SHELVES_GO,
    };
    let engine = Engine::default();
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{lang:?} shelves built: {e}"));
    let component = Component::new(&engine, bytes).unwrap();
    (engine, component)
}

/// The host's side of the world, and WASI.
fn linker(engine: &Engine) -> Linker<Host> {
    let mut linker = Linker::new(engine);
    ShelfGuest::add_to_linker(&mut linker).unwrap();
    tether_wasi::add_to_linker(&mut linker).unwrap();
    linker
}

struct Test {
    store: Store<Host>,
    instance: tether::Instance,
    guest: ShelfGuest,
    journal: Arc<Mutex<Journal>>,
    /// The host objects and handles that the guest's use of WASI holds, once instantiated.
    wasi: (usize, usize),
}

impl Test {
    fn new(lang: Lang) -> Test {
        let (engine, component) = compiled(lang);
        let linker = linker(&engine);
        let journal = Arc::new(Mutex::new(Journal::default()));
        let mut store = Store::new(&engine, Host::new(journal.clone()));
        let instance = linker.instantiate(&mut store, &component).unwrap();
        let what = format!("the {lang:?} guest");
        let wasi = crate::held_at_start(&store, matches!(lang, Lang::Go), &what);
        let guest = ShelfGuest::new(&mut store, &instance).unwrap();
        Test {
            store,
            instance,
            guest,
            journal,
            wasi,
        }
    }

    /// A new shelf named `name`, with a log of the same name.
    fn shelf(&mut self, name: &str) -> Shelf {
        let log = HostLog {
            name: name.to_string(),
            journal: self.journal.clone(),
        };
        let log = self.store.push(log).unwrap();
        Shelf::new(&mut self.store, self.guest.shelves(), name.to_string(), log).unwrap()
    }

    fn push(&mut self, shelf: &Shelf, items: &[&str]) {
        for item in items {
            shelf
                .push(&mut self.store, self.guest.shelves(), item.to_string())
                .unwrap();
        }
    }

    fn guest_dropped(&mut self) -> u32 {
        self.guest.shelves().call_dropped(&mut self.store).unwrap()
    }

    fn lines(&self) -> Vec<String> {
        self.journal.lock().unwrap().lines.clone()
    }

    fn logs_dropped(&self) -> usize {
        self.journal.lock().unwrap().dropped
    }

    /// The host objects the store holds besides WASI's: logs.
    fn logs(&self) -> usize {
        self.store.host_objects() - self.wasi.0
    }

    /// The store holds no log and the guest no handle but WASI's.
    fn assert_released(&self, what: &str) {
        assert_eq!(self.logs(), 0, "{what}: host objects left");
        assert_eq!(
            self.store.handles_alive(),
            self.wasi.1,
            "{what}: handles left"
        );
    }
}

tests_of_each_guest!(
    Lang { rust: Rust, c: C, go: Go };
    [
        a_shelf_lives_in_the_guest,
        merge_consumes_both_shelves,
        take_moves_the_items_out,
        dropping_a_shelf_runs_the_guests_destructor,
        two_borrows_in_one_call,
        a_consumed_shelf_is_gone,
        one_shelf_twice_where_both_are_consumed_is_refused,
        another_instance_refuses_the_shelf,
    ]
);

fn a_shelf_lives_in_the_guest(lang: Lang) {
    let mut t = Test::new(lang);
    let shelf = t.shelf("books");
    t.push(&shelf, &["dune", "emma"]);
    let guest = t.guest.shelves();
    assert_eq!(shelf.len(&mut t.store, guest).unwrap(), 2);
    assert_eq!(shelf.name(&mut t.store, guest).unwrap(), "books");
    assert_eq!(shelf.items(&mut t.store, guest).unwrap(), ["dune", "emma"]);
    assert_eq!(
        t.lines(),
        ["books: new books", "books: push dune", "books: push emma"]
    );
    // The log is a host object the guest owns through the shelf; the host holds the shelf.
    assert_eq!(t.logs(), 1);
    assert_eq!(t.logs_dropped(), 0);
    shelf.resource_drop(&mut t.store).unwrap();
    t.assert_released("after dropping the shelf");
}

fn merge_consumes_both_shelves(lang: Lang) {
    let mut t = Test::new(lang);
    let a = t.shelf("a");
    let b = t.shelf("b");
    t.push(&a, &["1", "2"]);
    t.push(&b, &["3"]);
    let guest = t.guest.shelves();
    let merged = a.merge(&mut t.store, guest, b).unwrap();
    assert_eq!(merged.name(&mut t.store, guest).unwrap(), "a+b");
    assert_eq!(merged.items(&mut t.store, guest).unwrap(), ["1", "2", "3"]);
    assert_eq!(
        t.guest_dropped(),
        2,
        "`a` and `b` were dropped in the guest"
    );
    assert_eq!(t.logs_dropped(), 1, "`b`'s log was dropped; `a`'s went on");
    assert_eq!(t.lines().last().unwrap(), "a: merge a+b");
    assert_eq!(t.logs(), 1);
    merged.resource_drop(&mut t.store).unwrap();
    assert_eq!(t.guest_dropped(), 3);
    assert_eq!(t.logs_dropped(), 2);
    t.assert_released("after dropping the merged shelf");
}

fn take_moves_the_items_out(lang: Lang) {
    let mut t = Test::new(lang);
    let shelf = t.shelf("box");
    t.push(&shelf, &["x", "y"]);
    let items = shelf.take(&mut t.store, t.guest.shelves()).unwrap();
    assert_eq!(items, ["x", "y"]);
    assert_eq!(t.guest_dropped(), 1);
    assert_eq!(t.logs_dropped(), 1);
    assert_eq!(t.lines().last().unwrap(), "box: take");
    t.assert_released("after take");
}

fn dropping_a_shelf_runs_the_guests_destructor(lang: Lang) {
    let mut t = Test::new(lang);
    let shelves: Vec<Shelf> = (0..5).map(|i| t.shelf(&format!("s{i}"))).collect();
    assert_eq!(t.logs(), 5);
    for (i, shelf) in shelves.into_iter().enumerate() {
        shelf.resource_drop(&mut t.store).unwrap();
        assert_eq!(t.guest_dropped(), i as u32 + 1);
        assert_eq!(t.logs_dropped(), i + 1);
    }
    t.assert_released("after dropping every shelf");
}

fn two_borrows_in_one_call(lang: Lang) {
    let mut t = Test::new(lang);
    let a = t.shelf("a");
    let b = t.shelf("b");
    t.push(&a, &["same"]);
    t.push(&b, &["same"]);
    let same = |t: &mut Test, x: &Shelf, y: &Shelf| {
        t.guest.shelves().call_same(&mut t.store, x, y).unwrap()
    };
    assert!(same(&mut t, &a, &b));
    assert!(same(&mut t, &a, &a), "one shelf twice");
    t.push(&b, &["more"]);
    assert!(!same(&mut t, &a, &b));
    // The borrows ended with the calls: both shelves can be consumed.
    a.resource_drop(&mut t.store).unwrap();
    assert_eq!(
        b.take(&mut t.store, t.guest.shelves()).unwrap(),
        ["same", "more"]
    );
    t.assert_released("after the borrows");
}

fn a_consumed_shelf_is_gone(lang: Lang) {
    let mut t = Test::new(lang);
    let a = t.shelf("a");
    let stale = a.resource();
    a.take(&mut t.store, t.guest.shelves()).unwrap();
    // The handle the host kept names nothing now: every use is an error, none a panic.
    let guest = t.guest.shelves();
    let err = Shelf::from_resource(stale)
        .len(&mut t.store, guest)
        .unwrap_err();
    assert!(format!("{err:#}").contains("handle"), "{err:#}");
    assert!(
        Shelf::from_resource(stale)
            .take(&mut t.store, guest)
            .is_err()
    );
    assert!(
        Shelf::from_resource(stale)
            .resource_drop(&mut t.store)
            .is_err()
    );
    assert_eq!(t.guest_dropped(), 1, "the guest dropped the shelf once");
    // The instance is still usable.
    let b = t.shelf("b");
    assert_eq!(b.len(&mut t.store, t.guest.shelves()).unwrap(), 0);
    b.resource_drop(&mut t.store).unwrap();
    t.assert_released("after the stale uses");
}

fn one_shelf_twice_where_both_are_consumed_is_refused(lang: Lang) {
    let mut t = Test::new(lang);
    let a = t.shelf("a");
    t.push(&a, &["kept"]);
    // Through the dynamic API, which lets the embedder pass one handle twice.
    let merge = t
        .instance
        .get_func_at(
            &mut t.store,
            &["tether:shelves/shelves", "[static]shelf.merge"],
        )
        .unwrap();
    let handle = tether::Val::Resource(a.resource());
    let mut out = [tether::Val::Bool(false)];
    let err = merge
        .call(&mut t.store, &[handle.clone(), handle], &mut out)
        .unwrap_err();
    assert!(format!("{err:#}").contains("twice"), "{err:#}");
    // Refused before anything moved: the shelf is the host's still, and the guest saw nothing.
    assert_eq!(t.guest_dropped(), 0);
    assert_eq!(a.items(&mut t.store, t.guest.shelves()).unwrap(), ["kept"]);
    a.resource_drop(&mut t.store).unwrap();
    t.assert_released("after the refused merge");
}

fn another_instance_refuses_the_shelf(lang: Lang) {
    let (engine, component) = compiled(lang);
    let linker = linker(&engine);
    let journal = Arc::new(Mutex::new(Journal::default()));
    let mut store = Store::new(&engine, Host::new(journal.clone()));
    let one = linker.instantiate(&mut store, &component).unwrap();
    let one = ShelfGuest::new(&mut store, &one).unwrap();
    let two = linker.instantiate(&mut store, &component).unwrap();
    let two = ShelfGuest::new(&mut store, &two).unwrap();
    let log = store
        .push(HostLog {
            name: "one".into(),
            journal: journal.clone(),
        })
        .unwrap();
    let shelf = Shelf::new(&mut store, one.shelves(), "one".into(), log).unwrap();
    // Each instance defines its own `shelf` type: the second refuses the first's shelf.
    let kept = shelf.resource();
    let err = shelf.take(&mut store, two.shelves()).unwrap_err();
    assert!(format!("{err:#}").contains("resource type"), "{err:#}");
    assert_eq!(two.shelves().call_dropped(&mut store).unwrap(), 0);
    // The shelf is still the first instance's, whole.
    let shelf = Shelf::from_resource(kept);
    assert_eq!(shelf.name(&mut store, one.shelves()).unwrap(), "one");
    assert_eq!(
        shelf.take(&mut store, one.shelves()).unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(journal.lock().unwrap().dropped, 1);
}
