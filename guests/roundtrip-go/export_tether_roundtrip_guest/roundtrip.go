// The roundtrip guest in Go: the guest of `guests/roundtrip` (Rust), written over the bindings
// that `wit-bindgen go` generates for the world `roundtrip` of `guests/roundtrip/wit`, and built
// by `crates/test-programs/build/go.rs` (see `guests/wasi-README.md`).
//
// Each export calls the host's import of the same name with its argument and returns what the
// host returned: every value crosses the canonical ABI four times, lowered and lifted by the
// bindings on the guest's side and by Tether on the host's. `concat`, `sum`, `reverse`,
// `count-perms` and `pings` are computed here alone.
package export_tether_roundtrip_guest

import (
	"math/bits"
	"strings"

	host "wit_component/tether_roundtrip_host"
	types "wit_component/tether_roundtrip_types"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

func EchoBool(x bool) bool                        { return host.EchoBool(x) }
func EchoS8(x int8) int8                          { return host.EchoS8(x) }
func EchoU8(x uint8) uint8                        { return host.EchoU8(x) }
func EchoS16(x int16) int16                       { return host.EchoS16(x) }
func EchoU16(x uint16) uint16                     { return host.EchoU16(x) }
func EchoS32(x int32) int32                       { return host.EchoS32(x) }
func EchoU32(x uint32) uint32                     { return host.EchoU32(x) }
func EchoS64(x int64) int64                       { return host.EchoS64(x) }
func EchoU64(x uint64) uint64                     { return host.EchoU64(x) }
func EchoF32(x float32) float32                   { return host.EchoF32(x) }
func EchoF64(x float64) float64                   { return host.EchoF64(x) }
func EchoChar(x rune) rune                        { return host.EchoChar(x) }
func EchoString(x string) string                  { return host.EchoString(x) }
func EchoBytes(x []uint8) []uint8                 { return host.EchoBytes(x) }
func EchoStrings(x []string) []string             { return host.EchoStrings(x) }
func EchoNested(x [][]uint32) [][]uint32          { return host.EchoNested(x) }
func EchoMixed(x types.Mixed) types.Mixed         { return host.EchoMixed(x) }
func EchoMixedList(x []types.Mixed) []types.Mixed { return host.EchoMixedList(x) }

func EchoTuple(x witTypes.Tuple4[uint8, string, float64, bool]) (uint8, string, float64, bool) {
	return host.EchoTuple(x)
}

func EchoValue(x types.Value) types.Value                          { return host.EchoValue(x) }
func EchoColor(x types.Color) types.Color                          { return host.EchoColor(x) }
func EchoOption(x witTypes.Option[string]) witTypes.Option[string] { return host.EchoOption(x) }

func EchoOptionOption(x witTypes.Option[witTypes.Option[uint32]]) witTypes.Option[witTypes.Option[uint32]] {
	return host.EchoOptionOption(x)
}

func EchoResult(x witTypes.Result[string, uint32]) witTypes.Result[string, uint32] {
	return host.EchoResult(x)
}

func EchoPerms(x types.Perms) types.Perms { return host.EchoPerms(x) }

// ManyArgs passes twenty flat parameters, more than sixteen: in memory, both ways.
func ManyArgs(a1 uint8, a2 int8, a3 uint16, a4 int16, a5 uint32, a6 int32, a7 uint64, a8 int64,
	a9 float32, a10 float64, a11 rune, a12 bool, a13 string, a14 []uint8,
	a15 witTypes.Option[uint32], a16 types.Color, a17 types.Perms) types.Big {
	return host.ManyArgs(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17)
}

func MakeBig(seed uint32) types.Big { return host.MakeBig(seed) }
func EchoBig(x types.Big) types.Big { return host.EchoBig(x) }

// pings counts this instance's calls of the host's `ping`.
var pings uint32

func Ping() {
	pings++
	host.Ping()
}

func Concat(parts []string) string { return strings.Join(parts, "") }

func Sum(xs []uint32) uint64 {
	var sum uint64
	for _, x := range xs {
		sum += uint64(x)
	}
	return sum
}

// Reverse reverses the characters (Unicode scalar values), not the bytes.
func Reverse(s string) string {
	chars := []rune(s)
	for i, j := 0, len(chars)-1; i < j; i, j = i+1, j-1 {
		chars[i], chars[j] = chars[j], chars[i]
	}
	return string(chars)
}

func CountPerms(p types.Perms) uint32 { return uint32(bits.OnesCount16(p)) }

func Pings() uint32 { return pings }
