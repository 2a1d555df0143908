/// Big-endian integer keys: byte order equals numeric order, as LMDB compares keys with memcmp.
extension FixedWidthInteger {
    /// The value's bytes, most significant first.
    @inlinable
    public var bigEndianBytes: [UInt8] {
        withUnsafeBytes(of: self.bigEndian) { Array($0) }
    }

    /// Reads a big-endian value from the first `MemoryLayout<Self>.size` bytes, or nil when
    /// there are fewer.
    @inlinable
    public init?(bigEndianBytes bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= MemoryLayout<Self>.size else { return nil }
        var value = Self.zero
        for i in 0..<MemoryLayout<Self>.size { value = (value << 8) | Self(bytes[i]) }
        self = value
    }

    @inlinable
    public init?(bigEndianBytes bytes: [UInt8]) {
        guard let v = bytes.withUnsafeBytes({ Self(bigEndianBytes: $0) }) else { return nil }
        self = v
    }
}
