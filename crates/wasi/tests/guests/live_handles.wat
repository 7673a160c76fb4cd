;; Takes pollables from wasi:clocks and keeps them (`take`), makes resources of a type it
;; exports (`make`) or keeps to itself (`make-private`). Used by crates/wasi/tests/live_handles.rs
;; and crates/cli/tests/cli.rs.
(component $C
  (import "wasi:io/poll@0.2.0" (instance $poll
    (export "pollable" (type (sub resource)))))
  (alias export $poll "pollable" (type $pollable))
  (import "wasi:clocks/monotonic-clock@0.2.0" (instance $clock
    (alias outer $C $pollable (type $p))
    (export "pollable" (type $pe (eq $p)))
    (export "subscribe-duration" (func (param "when" u64) (result (own $pe))))))
  (alias export $clock "subscribe-duration" (func $subscribe))
  (core func $subscribe (canon lower (func $subscribe)))
  (core module $m
    (import "" "subscribe" (func $subscribe (param i64) (result i32)))
    (func (export "take") (param $n i32) (result i32)
      (local $i i32)
      (block $done
        (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          (drop (call $subscribe (i64.const 1000000000)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next)))
      (local.get $i)))
  (core instance $i (instantiate $m (with "" (instance (export "subscribe" (func $subscribe))))))
  (type $thing (resource (rep i32)))
  (core func $new (canon resource.new $thing))
  (core module $g
    (import "" "new" (func $new (param i32) (result i32)))
    (func (export "make") (param $n i32) (result i32)
      (local $i i32)
      (block $done
        (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          (drop (call $new (local.get $i)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next)))
      (local.get $i)))
  (core instance $gi (instantiate $g (with "" (instance (export "new" (func $new))))))
  (func (export "take") (param "n" u32) (result u32) (canon lift (core func $i "take")))
  (func (export "make") (param "n" u32) (result u32) (canon lift (core func $gi "make")))
  (type $secret (resource (rep i32)))
  (core func $new-secret (canon resource.new $secret))
  (core instance $si (instantiate $g (with "" (instance (export "new" (func $new-secret))))))
  (func (export "make-private") (param "n" u32) (result u32) (canon lift (core func $si "make")))
  (instance $api (export "thing" (type $thing)))
  (export "my:app/things@1.0.0" (instance $api)))
