;; A small component for the README's first command: it imports a host function that
;; greets, passes it a string built in its own memory, and exports `run`.
(component
  (import "greet" (func $greet (param "name" string) (result string)))
  (core module $libc
    (memory (export "memory") 1)
    (global $bump (mut i32) (i32.const 4096))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $ptr i32)
      (local.set $ptr
        (i32.and (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
                 (i32.sub (i32.const 0) (local.get 2))))
      (global.set $bump (i32.add (local.get $ptr) (local.get 3)))
      (local.get $ptr)))
  (core instance $libc (instantiate $libc))
  (core func $greet (canon lower (func $greet)
    (memory (core memory $libc "memory")) (realloc (core func $libc "realloc"))))
  (core module $main
    (import "libc" "memory" (memory 1))
    (import "host" "greet" (func $greet (param i32 i32 i32)))
    (data (i32.const 16) "component")
    (func (export "run") (result i32)
      ;; greet("component"), with the result written at 32
      (call $greet (i32.const 16) (i32.const 9) (i32.const 32))
      (i32.const 32)))
  (core instance $main (instantiate $main
    (with "libc" (instance $libc))
    (with "host" (instance (export "greet" (func $greet))))))
  (func (export "run") (result string)
    (canon lift (core func $main "run") (memory (core memory $libc "memory")))))
