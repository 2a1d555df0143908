import Foundation

/// Byte order (memcmp, then length), as LMDB orders keys.
@inline(__always)
func keyPrecedes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    let n = min(a.count, b.count)
    let c = n == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, n)
    return c != 0 ? c < 0 : a.count < b.count
}

/// Byte order (memcmp, then length), as LMDB orders keys.
func bytesPrecede(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in keyPrecedes(pa, pb) } }
}
